"""sparselmm.influence: lme4's influence.merMod by Subject on sleepstudy (make_interface.R's methods case).

lme4's deletion refits stop at nloptwrap's tolerances (maxfun = 1000), as ours stop at BOBYQA's: the
variance components agree to those tolerances (about 5e-5 relative), the fixed effects and the
measures built from them to 1e-4.
"""

import numpy as np
import pandas as pd
import pytest

import interface_reference as ir
import sparselmm as slmm
from sparselmm import SparseLMMError

SPEC = ir.load("methods")
LME4 = SPEC["influence"]


@pytest.fixture(scope="module")
def fit():
    return slmm.lmer(SPEC["formula"], ir.data("methods"))


@pytest.fixture(scope="module")
def influence(fit):
    return fit.influence("Subject", n_jobs=1)


def table(recorded):
    return np.array(recorded["values"] if isinstance(recorded, dict) else recorded, dtype=float)


def test_the_deleted_levels_in_order_of_appearance(influence):
    assert influence.deleted == LME4["deleted"] and influence.groups == "Subject"
    assert influence.converged.all()


def test_the_deleted_fits_are_lme4s(influence):
    ir.assert_close(influence.fixed_effects_deleted.to_numpy(), table(LME4["fixed_effects_deleted"]), what="fixef")
    assert list(influence.var_cov_comps.index) == LME4["var_cov_comps_deleted"]["columns"]
    ir.assert_close(influence.var_cov_comps.to_numpy(), list(LME4["var_cov_comps"].values()), what="var_cov_comps")
    ir.assert_close(influence.var_cov_comps_deleted.to_numpy(), table(LME4["var_cov_comps_deleted"]), what="deleted")


@pytest.mark.parametrize("measure", ["dfbeta", "dfbetas", "cooks_distance"])
def test_the_measures_are_lme4s(influence, measure):
    ir.assert_close(np.asarray(getattr(influence, measure)()), table(LME4[measure]), what=measure)


def test_worker_processes_give_the_same_refits(fit, influence):
    parallel = fit.influence("Subject", n_jobs=2)
    pd.testing.assert_frame_equal(parallel.fixed_effects_deleted, influence.fixed_effects_deleted)


def test_single_rows_are_deleted_without_groups():
    data = ir.data("no_fixed_effects")
    fit = slmm.lmer("Yield ~ 1 + (1 | Batch)", data)
    rows = fit.influence(n_jobs=1)
    assert rows.groups == ".case" and rows.deleted == [str(i) for i in data.index]
    assert rows.cooks_distance().shape == (30,)


def test_a_fit_without_its_call_or_an_unknown_column_is_refused(fit):
    with pytest.raises(SparseLMMError, match="no column 'Patient' in the data"):
        fit.influence("Patient")
    bare = slmm.LinearMixedModel.from_formula(SPEC["formula"], ir.data("methods")).fit()
    with pytest.raises(SparseLMMError, match="influence\\(\\) refits the model's own call"):
        bare.influence("Subject")
