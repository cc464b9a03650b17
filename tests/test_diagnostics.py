"""sparselmm.diagnostics: coef, rstudent, cooks.distance and Pearson residuals as lme4 1.1-31 computes them
(make_interface.R's methods case; the weights cases for the weighted formulas)."""

import numpy as np
import pytest

import interface_reference as ir
import sparselmm as slmm


@pytest.fixture(scope="module", params=["methods", "weights_reml", "weights_ml", "offset_and_weights"])
def case(request):
    spec = ir.load(request.param)
    fit = slmm.lmer(spec["formula"], ir.data(request.param), **ir.arguments(request.param))
    return spec, ir.at_lme4s_theta(spec, fit)


@pytest.mark.parametrize("method, field", [("rstudent", "rstudent"), ("cooks_distance", "cooks_distance"),
                                           ("hatvalues", "hatvalues"), ("residuals_pearson", "residuals_pearson")])
def test_row_diagnostics_are_lme4s(case, method, field):
    spec, fit = case
    if field not in spec:
        pytest.skip(f"{spec['id']} records no {field}")
    ir.assert_close(getattr(fit, method)(), spec[field], what=field)


def test_coef_is_fixed_plus_random_per_level():
    spec = ir.load("methods")
    fit = slmm.lmer(spec["formula"], ir.data("methods"))
    (recorded,) = spec["coef"]
    table = fit.coef()[recorded["group"]]
    assert list(table.columns) == recorded["columns"] and list(table.index) == recorded["levels"]
    ir.assert_close(table.to_numpy(), ir.matrix(recorded["values"], len(recorded["levels"])), what="coef")


def test_coef_puts_random_columns_without_a_fixed_effect_first():
    fit = slmm.lmer("Reaction ~ 1 + (Days | Subject)", ir.data("methods"))
    table = fit.coef()["Subject"]
    assert list(table.columns) == ["Days", "(Intercept)"]
    np.testing.assert_allclose(table["Days"], fit.ranef["Subject"]["Days"])


def test_coef_of_two_terms_on_one_factor_is_one_table():
    fit = slmm.lmer(ir.load("dummy_random")["formula"], ir.data("dummy_random"))
    assert list(fit.coef()) == ["Worker"]
    assert list(fit.coef()["Worker"].columns) == ['dummy(Machine, "B")', "(Intercept)", "MachineB", "MachineC"]
