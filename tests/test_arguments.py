"""sparselmm.arguments: every argument of lmer checked before the data are read, each error naming it."""

import re

import numpy as np
import pytest

import interface_reference as ir
import sparselmm as slmm
from sparselmm import SparseLMMError

SLEEP = "Reaction ~ Days + (Days | Subject)"


@pytest.fixture(scope="module")
def data():
    return ir.data("methods")


@pytest.mark.parametrize("arguments, message", [
    ({"REML": "no"}, "REML must be True or False, not 'no'"),
    ({"REML": 1}, "REML must be True or False, not 1"),
    ({"REML": None}, "REML must be True or False, not None"),
    ({"verbose": "yes"}, "verbose must be True or False, not 'yes'"),
    ({"solver": "cholmod"}, "solver must be a Solver such as slmm.CholmodSolver(), not 'cholmod'"),
    ({"optimizer": 3}, "optimizer must be an Optimizer or a name such as 'bobyqa', not 3"),
    ({"optimizer": "Powell"}, "unknown optimizer 'Powell'; the optimizers are 'bobyqa', 'nelder_mead', 'lbfgsb'"),
    ({"na_action": "na.pass"}, "na_action must be one of 'omit', 'exclude', 'fail', not 'na.pass'"),
    ({"start": {"theta": [1, 0, 1], "fixef": [1, 2]}}, "start may hold only 'theta' (an LMM's beta is profiled out), "
                                                       "not 'fixef'"),
    ({"start": "warm"}, "start must be theta's numbers, not 'warm'"),
    ({"start": [1.0, 0.0]}, "start must be a vector of 3 finite values (Subject.(Intercept), Subject.Days.(Intercept), "
                            "Subject.Days), got [1.0, 0.0]"),
])
def test_a_wrong_argument_is_named(data, arguments, message):
    with pytest.raises(SparseLMMError, match=re.escape(message)):
        slmm.lmer(SLEEP, data, **arguments)


def test_the_formula_must_be_text(data):
    with pytest.raises(SparseLMMError, match=re.escape("formula must be a string such as 'y ~ x + (1 | g)', not int")):
        slmm.lmer(3, data)


def test_numpy_booleans_and_lme4s_start_are_accepted(data):
    fit = slmm.lmer(SLEEP, data, REML=np.bool_(False), start={"theta": [1.0, 0.0, 1.0]})
    assert not fit.REML and list(fit.optsummary.initial) == [1.0, 0.0, 1.0]


def test_no_fixed_effects_is_an_ml_fit_as_in_lme4():
    """lme4 passes REML = p to its response module: with p = 0 the fit is ML (README, Surprises)."""
    assert not slmm.lmer("Yield ~ 0 + (1 | Batch)", ir.data("no_fixed_effects"), REML=True).REML


def test_the_call_is_kept_for_update(data):
    fit = slmm.lmer(SLEEP, data, REML=False, na_action="exclude")
    assert fit.call.formula == SLEEP and fit.call.REML is False and fit.call.na_action == "exclude"
    assert fit.call.data is data and fit.data is data


def test_arguments_a_dask_fit_does_not_take_are_named(data):
    dd = pytest.importorskip("dask.dataframe")
    with pytest.raises(SparseLMMError, match=re.escape("contrasts, subset, na_action cannot be used with a Dask "
                                                       "DataFrame yet")):
        slmm.lmer(SLEEP, dd.from_pandas(data, npartitions=2), contrasts={"Subject": "contr.sum"}, subset="Days > 1",
                  na_action="exclude")
