"""lme4's checks of a design: aliased columns judged from X (as lme4's QR) and from X'X (chunks), and the
predictor-scale warning, with lme4's words."""

import warnings

import numpy as np
import pytest

from sparselmm import DataError, RankDeficiencyWarning, ScaleWarning
from sparselmm.checks import (column_summary, combine_summaries, dropped_columns, independent_columns,
                              independent_columns_of_gram, scale_messages)


def test_two_aliased_columns_are_both_named():
    X = np.column_stack([np.ones(5), np.arange(5.0), np.arange(5.0) * 3, np.ones(5) * 2])
    keep = independent_columns(X)
    assert keep == [0, 1]
    with pytest.warns(RankDeficiencyWarning, match="dropping 2 columns / coefficients: c, d"):
        assert dropped_columns(["a", "b", "c", "d"], keep) == ["c", "d"]


@pytest.mark.parametrize("seed", range(5))
def test_x_and_its_gram_matrix_judge_alike(seed):
    rng = np.random.default_rng(seed)
    base = rng.normal(size=(50, 3))
    X = np.column_stack([base, base[:, 0] - 2 * base[:, 2], rng.normal(size=50), base[:, 1] * 0.5])
    X = X[:, rng.permutation(X.shape[1])]
    assert independent_columns(X) == independent_columns_of_gram(X.T @ X)
    assert len(independent_columns(X)) == 4


def test_a_model_with_no_column_left_is_an_error():
    with pytest.raises(DataError, match="every fixed-effects column is zero"):
        dropped_columns(["a"], [])


def test_summaries_add_up_over_chunks():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(30, 3))
    np.testing.assert_allclose(combine_summaries(column_summary(X[:10]), column_summary(X[10:])), column_summary(X))


@pytest.mark.parametrize("scale,warns", [(1.0, False), (999.0, False), (2000.0, True), (1e-4, True)])
def test_lme4s_scale_check(scale, warns):
    """checkScaleX: a continuous column whose sd is over 1,000 times another's (or 1's) warns; 0/1 columns not."""
    rng = np.random.default_rng(2)
    X = np.column_stack([np.ones(40), rng.integers(0, 2, 40), rng.normal(size=40) * scale])
    X[:, 2] *= scale / np.std(X[:, 2], ddof=1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        messages = scale_messages(column_summary(X))
    assert bool(messages) == warns
    assert [str(w.message) for w in caught if w.category is ScaleWarning] == messages
    if warns:
        assert messages == ["Some predictor variables are on very different scales: consider rescaling"]
