"""Bad input through ``sparselmm.lmer``: a FormulaError or DataError naming the fault, never a crash.

Also odd but valid input (unicode and spaced names, integer and boolean groups,
a constant response) that must fit, and the promise that the caller's
DataFrame is never modified.
"""

import warnings

import numpy as np
import pandas as pd
import pytest

import sparselmm
from sparselmm import DataError, FormulaError, RankDeficiencyWarning, SparseLMMError
from sparselmm.errors import NoRowsError


@pytest.fixture(scope="module")
def base():
    rng = np.random.default_rng(7)
    g = np.repeat(list("abcdef"), 4)
    x = rng.normal(size=24)
    effect = dict(zip("abcdef", rng.normal(size=6)))
    y = 1.0 + 0.5 * x + np.array([effect[v] for v in g]) + rng.normal(scale=0.5, size=24)
    return pd.DataFrame({"y": y, "x": x, "g": g, "h": np.tile(list("uvw"), 8)})


def fit_quietly(formula, data, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sparselmm.SingularFitWarning)
        return sparselmm.lmer(formula, data, **kwargs)


def raises(kind, formula, data, *fragments):
    """lmer raises exactly ``kind`` and its message holds every fragment."""
    with pytest.raises(SparseLMMError) as caught:
        sparselmm.lmer(formula, data)
    assert type(caught.value) is kind, repr(caught.value)
    assert isinstance(caught.value, ValueError)
    for fragment in fragments:
        assert fragment in str(caught.value), str(caught.value)


# ---------------------------------------------------------- the list


def test_unknown_column(base):
    raises(DataError, "y ~ dose + (1 | g)", base, "unknown column 'dose'", "y, x, g, h")


def test_unknown_column_case_mismatch(base):
    raises(DataError, "y ~ X + (1 | g)", base, "unknown column 'X'", "Did you mean 'x'?")


def test_unknown_grouping_column(base):
    raises(DataError, "y ~ x + (1 | subject)", base, "unknown column 'subject'")


@pytest.mark.parametrize(
    "formula, fragment",
    [
        ("y ~ x + (1 | g", "expected ')'"),
        ("y ~ x + 1 | g)", "unexpected ')'"),
        ("y x + (1 | g)", "unexpected 'x'"),
        ("~ x + (1 | g)", "has no response"),
        ("y ~ x ~ (1 | g)", "more than one '~'"),
        ("y ~ x + (1 | g) | h", "the operator '|' cannot combine model terms here"),
        ("y ~ x & g + (1 | g)", "'& g + (1 |'"),
        ("y ~ x + (1 | g) +", "end of formula"),
        ("y ~ foo(x) + (1 | g)", "unknown function 'foo'"),
        ("y ~ x + (1 | x + g)", "grouping factor 'x + g'"),
        ("", "non-empty string"),
    ],
)
def test_malformed_formula(formula, fragment, base):
    raises(FormulaError, formula, base, fragment)


@pytest.mark.parametrize("formula", ["y ~ x", "y ~ x + g", "y ~ 1"])
def test_formula_without_random_terms(formula, base):
    raises(FormulaError, formula, base, "no random-effects terms", "(1 | group)")


def test_grouping_factor_with_a_single_level(base):
    raises(DataError, "y ~ x + (1 | g)", base.assign(g="a"), "grouping factor 'g' has only 1 level")


def test_grouping_factor_with_as_many_levels_as_observations(base):
    raises(DataError, "y ~ x + (1 | id)", base.assign(id=np.arange(24)),
           "grouping factor 'id' has 24 levels for 24 observations")


def test_more_random_effects_than_observations(base):
    data = base.iloc[:12].assign(g=np.repeat(list("abcdef"), 2))
    raises(DataError, "y ~ x + (x | g)", data, "12 random effects for 12 observations")


@pytest.mark.parametrize(
    "response",
    [list("ab") * 12, pd.Categorical(np.arange(24) % 3), np.arange(24) % 2 == 0, [str(v) for v in range(24)]],
)
def test_non_numeric_response(response, base):
    raises(DataError, "y ~ x + (1 | g)", base.assign(y=response), "response 'y' is not numeric")


def test_no_rows_left_after_dropping_missing_values(base):
    x = np.where(np.arange(24) % 2 == 0, np.nan, base["x"])
    y = np.where(np.arange(24) % 2 == 1, np.nan, base["y"])
    raises(NoRowsError, "y ~ x + (1 | g)", base.assign(x=x, y=y), "no rows left to fit: all 24 rows")


@pytest.mark.parametrize("column", ["x", "y"])
def test_non_finite_values(column, base):
    values = base[column].to_numpy().copy()
    values[3] = np.inf
    raises(DataError, "y ~ x + (1 | g)", base.assign(**{column: values}), f"'{column}' has 1 infinite value")


def test_infinite_value_from_a_transform(base):
    raises(DataError, "y ~ log(z) + (1 | g)", base.assign(z=np.abs(base["x"]).where(base.index != 5, 0.0)),
           "'log(z)' has 1 infinite value")


def test_datetime_column(base):
    raises(DataError, "y ~ t + (1 | g)", base.assign(t=pd.date_range("2024-01-01", periods=24)), "'t' holds dates")


def test_single_level_factor_in_the_fixed_part(base):
    raises(DataError, "y ~ x + site + (1 | g)", base.assign(site="A"), "factor 'site' has a single level")


def test_duplicated_columns(base):
    raises(DataError, "y ~ x + (1 | g)", pd.concat([base, base[["x"]]], axis=1), "2 columns named 'x'")


def test_empty_frame(base):
    raises(DataError, "y ~ x + (1 | g)", base.iloc[:0], "no rows")


def test_data_that_is_not_a_dataframe(base):
    raises(DataError, "y ~ x + (1 | g)", base.to_numpy(), "pandas or polars DataFrame, a pyarrow Table or a dict of "
           "columns, not numpy.ndarray")


@pytest.mark.parametrize("rows", [1, 2])
def test_tiny_frames(rows, base):
    raises(DataError, "y ~ x + (1 | g)", base.iloc[:rows], "grouping factor 'g' has only 1 level")


def test_every_fixed_column_aliased_away(base):
    raises(DataError, "y ~ 0 + z + (1 | g)", base.assign(z=0.0), "every fixed-effects column is zero")


# ------------------------------------------------------------ rank deficiency


def test_rank_deficient_x_drops_the_column_and_fits(base):
    with pytest.warns(RankDeficiencyWarning, match="dropping 1 column / coefficient: x2"):
        fit = fit_quietly("y ~ x + x2 + (1 | g)", base.assign(x2=3 * base["x"] - 1))
    reference = fit_quietly("y ~ x + (1 | g)", base)
    assert list(fit.fixef.index) == ["(Intercept)", "x"]
    np.testing.assert_allclose(fit.fixef.to_numpy(), reference.fixef.to_numpy(), rtol=1e-6)


# -------------------------------------------------------- odd but valid input


@pytest.fixture(scope="module")
def reference_fit(base):
    return fit_quietly("y ~ x + (1 | g)", base)


def assert_same_fit(fit, reference, names=("(Intercept)", "x")):
    assert list(fit.fixef.index) == list(names)
    np.testing.assert_allclose(fit.fixef.to_numpy(), reference.fixef.to_numpy(), rtol=1e-6)
    np.testing.assert_allclose(fit.theta, reference.theta, rtol=1e-5, atol=1e-8)


def test_unicode_column_names(base, reference_fit):
    data = base.rename(columns={"y": "größe", "x": "länge", "g": "gruppe_ü"})
    fit = fit_quietly("größe ~ länge + (1 | gruppe_ü)", data)
    assert_same_fit(fit, reference_fit, ("(Intercept)", "länge"))
    assert fit.ngroups == {"gruppe_ü": 6}


def test_names_with_spaces_in_backticks(base, reference_fit):
    data = base.rename(columns={"x": "dose mg", "g": "the group"})
    fit = fit_quietly("y ~ `dose mg` + (1 | `the group`)", data)
    assert_same_fit(fit, reference_fit, ("(Intercept)", "`dose mg`"))  # R: colnames(model.matrix) keeps backticks


def test_names_with_spaces_without_backticks_explain_the_fix(base):
    raises(FormulaError, "y ~ dose mg + (1 | g)", base.rename(columns={"x": "dose mg"}), "unexpected 'mg'")


@pytest.mark.parametrize("codes", [np.repeat([3, 1, 2, 6, 5, 4], 4), np.repeat([3.0, 1, 2, 6, 5, 4], 4)])
def test_integer_coded_groups(codes, base, reference_fit):
    fit = fit_quietly("y ~ x + (1 | g)", base.assign(g=codes))
    np.testing.assert_allclose(fit.fixef.to_numpy(), reference_fit.fixef.to_numpy(), rtol=1e-6)
    assert list(fit.ranef["g"].index) == ["1", "2", "3", "4", "5", "6"]


def test_boolean_grouping_and_fixed_factor(base):
    data = base.assign(b=np.arange(24) % 2 == 0)
    fit = fit_quietly("y ~ b + (1 | g)", data)
    assert list(fit.fixef.index) == ["(Intercept)", "bTRUE"]
    fit = fit_quietly("y ~ x + (1 | b)", data)
    assert list(fit.ranef["b"].index) == ["FALSE", "TRUE"]


def test_constant_response_fits_exactly(base):
    # lme4 fits this too (with convergence warnings): beta = (1, 0), sigma = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = sparselmm.lmer("y ~ x + (1 | g)", base.assign(y=1.0))
    np.testing.assert_allclose(fit.fixef.to_numpy(), [1.0, 0.0], atol=1e-10)
    assert fit.sigma == pytest.approx(0.0, abs=1e-10)


def test_missing_values_are_dropped_and_counted(base, reference_fit):
    data = pd.concat([base, pd.DataFrame({"y": [np.nan, 1.0], "x": [0.5, np.nan], "g": ["a", None]})],
                     ignore_index=True)
    fit = fit_quietly("y ~ x + (1 | g)", data)
    assert fit.nobs == 24
    assert fit.n_dropped == 2
    assert_same_fit(fit, reference_fit)


# ------------------------------------------------------ the caller's frame


def test_the_callers_dataframe_is_never_modified(base):
    data = base.assign(
        f=pd.Categorical(np.tile(["lo", "hi", "mid"], 8), categories=["lo", "mid", "hi", "unused"]),
        b=np.arange(24) % 2 == 0,
        y=base["y"].where(base.index != 4),
    ).set_index(np.arange(24)[::-1] * 10)
    copy = data.copy(deep=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sparselmm.ConvergenceWarning)  # 24 rows for 5 covariance parameters
        fit_quietly("y ~ log(abs(x)) + I(x^2) + f * b + (1 + x | g) + (1 | g:h)", data)
    pd.testing.assert_frame_equal(data, copy)
    with pytest.raises(DataError):
        sparselmm.lmer("y ~ x + (1 | g)", data.assign(x=np.inf))
    pd.testing.assert_frame_equal(data, copy)
