"""sparselmm.refit: update, refit and refit_ml against lme4's (make_interface.R's update_*, refit_* cases).

lme4's refit(base, newresp) reports a REML criterion 8.6 above lmer's own fit of the new response, at
a slightly different theta (README, Surprises); refit here equals that lmer fit, refit_newresp_direct.
"""

import re

import numpy as np
import pytest

import interface_reference as ir
import sparselmm as slmm
from sparselmm import DataError, SparseLMMError


@pytest.fixture(scope="module")
def update_base():
    return slmm.lmer(ir.load("update_base")["formula"], ir.data("update_base"))


@pytest.fixture(scope="module")
def refit_base():
    return slmm.lmer(ir.load("refit_base")["formula"], ir.data("refit_base"))


def same_fit(fit, spec, rtol=1e-4):
    assert fit.objective <= spec["objective"] + 1e-6 * abs(spec["objective"])
    ir.assert_close(fit.theta, spec["theta"], rtol=rtol, what="theta")
    ir.assert_close(fit.fixef.to_numpy(), list(spec["beta"].values()), rtol=rtol, what="beta")
    ir.assert_close(fit.sigma, spec["sigma"], rtol=rtol, what="sigma")
    assert fit.REML == spec["REML"]


@pytest.mark.parametrize("case, arguments", [
    ("update_add_x", {"formula": ". ~ . + x"}),
    ("update_swap_re", {"formula": ". ~ . - (1 | Subject) + (1 + Days | Subject)"}),
    ("update_ml", {"REML": False}),
])
def test_update_is_lme4s(update_base, case, arguments):
    spec = ir.load(case)
    fit = update_base.update(**arguments)
    same_fit(fit, spec)
    assert fit.design.formula.text == spec["formula"]  # R's deparse of the updated formula
    assert list(fit.fixef.index) == list(spec["beta"])


def test_update_with_new_data_and_arguments(update_base):
    data = ir.data("update_base")
    fit = update_base.update(data=data.iloc[:120], subset="Days >= 1")
    assert fit.nobs == int((data.iloc[:120]["Days"] >= 1).sum())


def test_update_refuses_an_unknown_argument(update_base):
    with pytest.raises(SparseLMMError, match="update\\(\\) has no argument 'reml'; lmer's arguments are REML, "):
        update_base.update(reml=False)


def test_refit_equals_lmer_on_the_new_response(refit_base):
    spec = ir.load("refit_newresp_direct")
    data = ir.data("refit_base")
    fit = refit_base.refit(data["Reaction_new"])
    same_fit(fit, spec)
    ir.assert_close(fit.fitted, spec["fitted"], what="fitted")
    assert fit.optsummary.initial.tolist() == refit_base.theta.tolist()  # lme4's refit starts from the fit's theta
    assert fit.solver is refit_base.solver  # the factor's analysis is the fit's


def test_lme4s_own_refit_is_not_the_reml_fit_of_the_new_response():
    spec = ir.load("refit_newresp_direct")
    assert spec["refit_REMLcrit"] - spec["objective"] == pytest.approx(8.636, abs=1e-3)
    assert spec["REMLcrit_here_at_refit_theta"] == pytest.approx(spec["objective"], abs=1e-3)


@pytest.mark.parametrize("form", ["values", "series", "column", "all rows"])
def test_newresp_in_every_form(refit_base, form):
    data = ir.data("refit_base")
    newresp = {"values": data["Reaction_new"].to_numpy(), "series": data["Reaction_new"].iloc[::-1],
               "column": "Reaction_new", "all rows": data["Reaction_new"].tolist()}[form]
    fit = refit_base.refit(newresp)
    assert fit.objective == pytest.approx(ir.load("refit_newresp_direct")["objective"], rel=1e-9)
    np.testing.assert_array_equal(fit.data["Reaction"], data["Reaction_new"])  # the data follow the response


def test_refit_of_a_fit_with_dropped_rows_takes_the_rows_used():
    data = ir.data("na_exclude")
    fit = slmm.lmer("Reaction ~ Days + (Days | Subject)", data, na_action="exclude")
    again = fit.refit(data["Reaction"].fillna(0.0))
    assert again.objective == pytest.approx(fit.objective, rel=1e-10)
    assert len(again.fitted) == 180


@pytest.mark.parametrize("newresp, message", [
    (np.ones(7), "newresp has 7 values; give one per row used (180) or per row of the data"),
    ("nope", "newresp='nope' names no column of the fit's data"),
    (np.r_[np.nan, np.ones(179)], "newresp has 1 missing or infinite values at the rows used"),
])
def test_bad_newresp(refit_base, newresp, message):
    with pytest.raises(DataError, match=re.escape(message)):
        refit_base.refit(newresp)


def test_refit_ml_is_lme4s(refit_base):
    fit = refit_base.refit_ml()
    same_fit(fit, ir.load("refitML"))
    assert fit.refit_ml() is fit and fit.call.REML is False
