"""sparselmm.allfit: lme4's allFit on sleepstudy (make_interface.R's allfit case: lme4's 7 optimizers all OK,
log-likelihoods within 1e-7 of each other); ours are refitted by each of our optimizers."""

import numpy as np
import pytest

import interface_reference as ir
import sparselmm as slmm

SPEC = ir.load("allfit")
ALLFIT = SPEC["allFit"]


@pytest.fixture(scope="module")
def result():
    fit = slmm.lmer(SPEC["formula"], ir.data("allfit"))
    return fit, fit.all_fit()


def test_every_optimizer_is_tried_and_ok(result):
    _, allfit = result
    assert list(allfit.fits) == ["bobyqa", "nelder_mead", "lbfgsb", "scoring", "alternating"]
    assert allfit.which_ok.all() and all(messages == [] for messages in allfit.msgs.values())


def test_they_reach_lme4s_optimum(result):
    _, allfit = result
    best = max(ALLFIT["llik"].values())
    assert (allfit.llik >= best - 1e-6).all()
    for name, row in allfit.fixef.iterrows():
        ir.assert_close(row.to_numpy(), ALLFIT["fixef"]["values"][0], rtol=1e-6, what=name)
    lme4_theta = np.array(ALLFIT["theta"]["values"])
    spread = lme4_theta.max(axis=0) - lme4_theta.min(axis=0)  # lme4's optimizers differ by this much
    assert np.all(np.abs(allfit.theta.to_numpy() - lme4_theta[0]) <= 2 * spread + 1e-6)


def test_sdcor_sigma_times_and_evaluations(result):
    fit, allfit = result
    assert list(allfit.sdcor.columns) == ["Subject.(Intercept)", "Subject.Days", "Subject.(Intercept).Days", "sigma"]
    np.testing.assert_allclose(allfit.sdcor["sigma"], fit.sigma, rtol=1e-5)
    assert (allfit.times > 0).all() and (allfit.feval > 0).all()
    table = allfit.table()
    assert list(table.columns[:6]) == ["objective", "logLik", "seconds", "evaluations", "converged", "message"]
    assert "objective" in repr(allfit)


def test_an_optimizer_that_fails_is_reported_not_raised(result, monkeypatch):
    fit, _ = result
    fitted = fit.model.fit

    def failing(REML, optimizer, solver):
        if optimizer.name == "nelder_mead":
            raise slmm.SparseLMMError("the simplex collapsed")
        return fitted(REML=REML, optimizer=optimizer, solver=solver)

    monkeypatch.setattr(fit.model, "fit", failing)
    partly = fit.all_fit(["nelder_mead", "bobyqa"])
    assert not partly.which_ok["nelder_mead"] and partly.which_ok["bobyqa"]
    assert partly.msgs["nelder_mead"] == ["the simplex collapsed"]
    assert list(partly.llik.index) == ["bobyqa"] and not partly.table().loc["nelder_mead", "converged"]


def test_an_unknown_optimizer_is_refused_before_any_fit(result):
    fit, _ = result
    with pytest.raises(slmm.SparseLMMError, match="unknown optimizer 'nmkb'"):
        fit.all_fit(["bobyqa", "nmkb"])
