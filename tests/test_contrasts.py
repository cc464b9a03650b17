"""sparselmm.contrasts: R's contrast matrices and coefficient names, lmer's contrasts= and ordered factors.

Each case of tests/data/interface records R's contrast matrix, its column names and the first rows
of X (make_interface.R); the fits themselves are compared in test_interface_fits.py.
"""

import re
import warnings

import numpy as np
import pandas as pd
import pytest

import interface_reference as ir
import sparselmm as slmm
from sparselmm import DataError
from sparselmm.contrasts import contrast, default_contrast

CASES = ["contrasts_sum", "contrasts_helmert", "contrasts_poly", "contrasts_SAS", "contrasts_matrix_named",
         "contrasts_matrix_unnamed", "contrasts_default_treatment", "ordered_default_poly", "ordered_treatment",
         "relevel_factor"]


@pytest.fixture(scope="module", params=CASES)
def case(request):
    spec = ir.load(request.param)
    fit = slmm.lmer(spec["formula"], ir.data(request.param), **ir.arguments(request.param))
    return request.param, spec, fit


def test_the_contrast_matrix_and_its_names_are_rs(case):
    name, spec, fit = case
    for recorded in spec["contrasts"]:
        used = fit.design.spec.contrasts[recorded["factor"]]
        np.testing.assert_allclose(used.matrix, np.array(recorded["matrix"], dtype=float), atol=1e-14)
        suffixes = recorded["columns"] or [str(j) for j in range(1, len(recorded["matrix"][0]) + 1)]
        assert list(used.suffixes) == suffixes


def test_the_model_matrix_and_its_column_names_are_rs(case):
    _, spec, fit = case
    assert list(fit.design.fixef_names) == spec["X_colnames"]
    first = np.array(spec["X_first_rows"], dtype=float)
    np.testing.assert_allclose(fit.design.X[: len(first)], first, atol=1e-14)


def test_new_data_are_coded_with_the_fits_contrasts(case):
    name, _, fit = case
    np.testing.assert_allclose(fit.predict(ir.data(name)), fit.fitted, rtol=1e-12)


@pytest.mark.parametrize("levels", [2, 3, 5, 8])
def test_r_names_with_and_without_the_contr_prefix_agree(levels):
    names = tuple("abcdefgh"[:levels])
    for short in ("treatment", "sum", "helmert", "poly", "SAS"):
        a, b = contrast(short, names, "f"), contrast(f"contr.{short}", names, "f")
        np.testing.assert_array_equal(a.matrix, b.matrix)
        assert a.suffixes == b.suffixes and a.matrix.shape == (levels, levels - 1)


def test_polynomial_suffixes_and_orthonormal_columns():
    poly = contrast("contr.poly", tuple("abcdef"), "f")
    assert poly.suffixes == (".L", ".Q", ".C", "^4", "^5")
    np.testing.assert_allclose(poly.matrix.T @ poly.matrix, np.eye(5), atol=1e-14)
    np.testing.assert_allclose(poly.matrix.sum(axis=0), 0, atol=1e-14)


def test_an_ordered_factor_defaults_to_polynomial_contrasts():
    assert default_contrast(("lo", "hi", "top"), ordered=True).name == "contr.poly"
    assert default_contrast(("lo", "hi", "top"), ordered=False).name == "contr.treatment"


def test_random_effects_terms_keep_the_default_contrasts_as_lme4():
    data = ir.data("contrasts_sum")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = slmm.lmer("score ~ Machine + (1 + Machine | Worker)", data, contrasts={"Machine": "contr.sum"})
    assert list(fit.design.fixef_names) == ["(Intercept)", "Machine1", "Machine2"]
    assert list(fit.design.terms[0].columns) == ["(Intercept)", "MachineB", "MachineC"]


@pytest.mark.parametrize("contrasts, message", [
    ({"Machine": "contr.nope"}, "unknown contrast 'contr.nope' for 'Machine'; give one of contr.treatment"),
    ({"Machine": np.ones((2, 2))}, "the contrast matrix for 'Machine' has shape (2, 2); 'Machine' has 3 levels, "
                                   "so it needs 3 rows and 1 to 2 columns"),
    ({"Machine": np.ones((3, 3))}, "needs 3 rows and 1 to 2 columns"),
    ({"Machine": np.array([[1.0], [np.nan], [0.0]])}, "holds missing or infinite values"),
    ({"Machine": [["a"], ["b"], ["c"]]}, "must be one of R's names or a numeric matrix"),
    ({"Machine": 3}, "the contrast for 'Machine' must be one of contr.treatment"),
    ([("Machine", "contr.sum")], "contrasts must be a dict such as {'Machine': 'contr.sum'}, not list"),
])
def test_bad_contrasts_are_refused_with_what_they_must_be(contrasts, message):
    with pytest.raises(DataError, match=re.escape(message)):
        slmm.lmer("score ~ Machine + (1 | Worker)", ir.data("contrasts_sum"), contrasts=contrasts)


def test_a_contrast_for_a_variable_not_in_the_fixed_effects_is_ignored_with_a_warning():
    with pytest.warns(UserWarning, match="contrasts for 'Worker' are ignored: no such factor in the fixed effects"):
        slmm.lmer("score ~ Machine + (1 | Worker)", ir.data("contrasts_sum"), contrasts={"Worker": "contr.sum"})


def test_a_one_column_contrast_matrix_gives_one_column():
    fit = slmm.lmer("score ~ Machine + (1 | Worker)", ir.data("contrasts_sum"),
                    contrasts={"Machine": pd.DataFrame({"AvsC": [1.0, 0.0, -1.0]})})
    assert list(fit.fixef.index) == ["(Intercept)", "MachineAvsC"]


def test_a_grouping_factor_alone_gets_no_contrast(monkeypatch):
    """Only factors that enter a model matrix are given a contrast: a grouping factor's would be a K x K matrix
    (20 GB for 50,000 users) that nothing reads."""
    from sparselmm import contrasts

    sizes = []
    original = contrasts.treatment
    monkeypatch.setattr(contrasts, "treatment", lambda count, levels: sizes.append(count) or original(count, levels))
    monkeypatch.setitem(contrasts._BY_NAME, "contr.treatment", contrasts.treatment)
    rng = np.random.default_rng(1)
    data = pd.DataFrame({"y": rng.standard_normal(60), "f": np.repeat(["a", "b", "c"], 20),
                         "g": np.tile([f"g{i}" for i in range(30)], 2)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a singular fit: beside the point here
        slmm.lmer("y ~ f + (1 | g)", data)
    assert sizes == [3]
