"""sparselmm.control: the optimizer by name with its settings, and lme4's checks as "ignore", "warning" or
"stop" (make_interface.R's control_* and optimizer_* cases; their fits are in test_interface_fits.py)."""

import re
import warnings

import numpy as np
import pytest

import interface_reference as ir
import sparselmm as slmm
from sparselmm import CheckWarning, DataError, LmerControl, SparseLMMError
from sparselmm.control import as_control, make_optimizer

SLEEP = "Reaction ~ Days + (Days | Subject)"


@pytest.mark.parametrize("case, optimizer", [("optimizer_Nelder_Mead", "nelder_mead"), ("optimizer_bobyqa", "bobyqa"),
                                             ("optimizer_nloptwrap", "bobyqa")])
def test_lme4s_optimizer_names_choose_ours(case, optimizer):
    fit = slmm.lmer(SLEEP, ir.data(case), **ir.arguments(case))
    assert fit.optsummary.optimizer == optimizer
    assert fit.optsummary.converged and fit.objective <= ir.load(case)["objective"] + 1e-6


def test_opt_ctrl_reaches_the_optimizer():
    optimizer = make_optimizer("Nelder_Mead", {"maxfun": 50, "FtolAbs": 1e-3})
    assert (optimizer.maxeval, optimizer.ftol_abs) == (50, 1e-3)
    fit = slmm.lmer(SLEEP, ir.data("methods"), control=LmerControl(optimizer="bobyqa", opt_ctrl={"maxeval": 5}))
    assert "maximum number of evaluations" in fit.optsummary.returnvalue


def test_the_optimizer_may_be_given_by_name_to_lmer_directly():
    assert slmm.lmer(SLEEP, ir.data("methods"), optimizer="lbfgsb").optsummary.optimizer == "lbfgsb"


def test_lme4s_dotted_spellings_are_accepted():
    control = as_control({"optimizer": "Nelder_Mead", "optCtrl": {"maxfun": 10}, "check.nlev.gtr.1": "ignore"})
    assert control.check_nlev_gtr_1 == "ignore" and control.opt_ctrl == {"maxfun": 10}


def test_checks_refuse_warn_or_keep_quiet_as_asked():
    data = ir.data("control_one_level")
    with pytest.raises(DataError, match=re.escape("the grouping factor 'one' has only 1 level in the data used; a random "
                                                  "effect needs at least 2 levels (drop the term or fix the column) "
                                                  "(lme4's check.nlev.gtr.1; control=LmerControl(check_nlev_gtr_1="
                                                  "'warning') fits anyway)")):
        slmm.lmer("y ~ x + (1 | one)", data)
    with pytest.warns(CheckWarning, match="has only 1 level"):
        slmm.lmer("y ~ x + (1 | one)", data, REML=False, control={"check_nlev_gtr_1": "warning",
                                                                  "check_conv_singular": "ignore"})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit = slmm.lmer("y ~ x + (1 | one)", data, REML=False, control={"check_nlev_gtr_1": "ignore",
                                                                        "check_conv_singular": "ignore"})
    assert fit.singular and fit.theta[0] == pytest.approx(0, abs=1e-12)


def test_a_level_per_row_needs_both_checks_relaxed_as_in_lme4():
    data = ir.data("control_nlev_equals_nobs")
    with pytest.raises(DataError, match="lme4's check.nobs.vs.nlev"):
        slmm.lmer("y ~ x + (1 | obs)", data)
    with pytest.raises(DataError, match="lme4's check.nobs.vs.nRE"), pytest.warns(CheckWarning):
        slmm.lmer("y ~ x + (1 | obs)", data, control={"check_nobs_vs_nlev": "warning"})


@pytest.mark.parametrize("control, message", [
    ({"optimizer": "newton"}, "unknown optimizer 'newton'; the optimizers are 'bobyqa', 'nelder_mead', 'lbfgsb', "
                              "'scoring', 'alternating' (lme4's names 'nloptwrap', "),
    ({"optimizer": "bobyqa", "opt_ctrl": {"rhobeg": 1}}, "opt_ctrl has 'rhobeg', which optimizer 'bobyqa' does not take; "
                                                         "it takes xtol_abs, ftol_abs, xtol_rel, maxeval"),
    ({"opt_ctrl": {"maxeval": 3}}, "opt_ctrl needs an optimizer by name"),
    ({"check_nlev_gtr_1": "warn"}, "check_nlev_gtr_1 must be one of 'ignore', 'warning', 'stop', not 'warn'"),
    ({"check_conv_singular": "stop"}, "check_conv_singular must be one of 'ignore', 'warning', not 'stop'"),
    ({"check.scaleX": "ignore"}, "control has 'check.scaleX', which is not a setting; the settings are "),
    ({"opt_ctrl": 3}, "opt_ctrl must be a dict such as {'maxeval': 1000}, not 3"),
    ("bobyqa", "control must be an LmerControl or a dict, not str"),
])
def test_bad_control_is_refused_with_the_choices(control, message):
    with pytest.raises(SparseLMMError, match=re.escape(message)):
        slmm.lmer(SLEEP, ir.data("methods"), control=control)


def test_an_optimizer_given_twice_is_refused():
    with pytest.raises(SparseLMMError, match="the optimizer is given twice"):
        slmm.lmer(SLEEP, ir.data("methods"), optimizer="bobyqa", control={"optimizer": "nelder_mead"})


def test_nelder_mead_reaches_lme4s_optimum():
    spec = ir.load("optimizer_Nelder_Mead")
    fit = slmm.lmer(SLEEP, ir.data("methods"), optimizer=slmm.NelderMeadOptimizer())
    np.testing.assert_allclose(fit.theta, spec["theta"], rtol=2e-5)
