"""Every plain lmer fit of tests/data/interface reproduced: lmer's arguments, formula functions, term order.

The tolerances of test_reference_fits.py: the criterion within 1e-6 relative or lower than lme4's; every
other quantity within 1e-4 of the largest entry of its vector, at lme4's theta where lme4 stopped short
of its optimum (``reference.at_lme4s_theta``). Cases whose theta the data do not determine (README,
Surprises: the dot puts g in X and in the random term; a level per row) compare what is determined.
"""


import numpy as np
import pandas as pd
import pytest

import interface_reference as ir
import reference
from reference import assert_close
import sparselmm as slmm

DERIVED = {"update_add_x", "update_swap_re", "update_ml", "refit_newresp", "refitML"}  # test_refit.py
NOT_FITS = {"bases"}  # R's poly and ns bases alone: test_splines.py
PRIOR = {"weights_reml", "weights_ml", "weights_crossed_reml", "offset_argument", "offset_in_formula",
         "offset_two_terms", "offset_and_weights", "offset_argument_and_formula"}  # test_weights_offsets.py
CASES = sorted(p.stem for p in ir.INTERFACE.glob("*.json") if p.stem not in DERIVED | PRIOR | NOT_FITS)
THETA_UNDETERMINED = {"dot_all_columns", "control_nlev_equals_nobs"}


@pytest.fixture(scope="module", params=CASES)
def case(request):
    spec = ir.load(request.param)
    fit, caught = reference.fit_leaving_data_untouched(spec["formula"], ir.data(request.param),
                                                       **ir.arguments(request.param))
    return request.param, spec, fit, caught


@pytest.fixture(scope="module")
def compared(case):
    name, spec, fit, _ = case
    return name, spec, reference.at_lme4s_theta(spec, fit)


def test_objective_matches_or_beats_lme4(case):
    _, spec, fit, _ = case
    assert fit.objective <= spec["objective"] + 1e-6 * abs(spec["objective"])
    assert fit.REML == spec["REML"]


def test_terms_in_lme4s_order_with_lme4s_names(case):
    _, spec, fit, _ = case
    assert [t.group for t in fit.design.terms] == spec["term_groups"]
    assert [list(t.columns) for t in fit.design.terms] == [c["columns"] for c in spec["cnms"]]
    assert list(fit.model.covariance.names) == list(np.atleast_1d(spec["theta_names"]))
    assert list(fit.fixef.index) == list(spec["beta"])


def test_theta_within_lme4s_stopping_error(case):
    name, spec, fit, _ = case
    if name in THETA_UNDETERMINED:
        pytest.skip("the criterion does not determine theta here (README, Surprises)")
    if not reference.stopped_short(spec, fit):
        assert_close(fit.theta, reference.theta(spec), what="theta")
        return
    step = reference.lme4_stopping_step(spec, fit)
    ours = reference.lme4_stopping_step({**spec, "theta": list(fit.theta)}, fit)  # where BOBYQA stopped short too
    distance = np.max(np.abs(fit.theta - reference.theta(spec)))
    assert distance <= 2 * (np.max(np.abs(step)) + np.max(np.abs(ours))) + 1e-8


def test_a_level_per_row_determines_only_the_total_variance(case):
    name, spec, fit, caught = case
    if name != "control_nlev_equals_nobs":
        pytest.skip("one case")
    assert_close(fit.sigma**2 * (1 + fit.theta[0] ** 2), spec["total_variance"], what="total variance")
    assert_close(fit.fixef.to_numpy(), list(spec["beta_lm"].values()), what="beta = OLS")
    assert len([w for w in caught if issubclass(w.category, slmm.CheckWarning)]) == 2


def test_estimates(compared):
    _, spec, fit = compared
    assert_close(fit.theta, reference.theta(spec), what="theta")
    assert_close(fit.sigma, spec["sigma"], what="sigma")
    assert_close(fit.fixef.to_numpy(), list(spec["beta"].values()), what="beta")
    p = len(spec["beta"])
    assert_close(fit.vcov.to_numpy(), ir.matrix(spec["vcov"], p) if p else np.zeros((0, 0)), what="vcov")


def test_varcorr_and_conditional_modes(compared):
    _, spec, fit = compared
    expected = pd.DataFrame(spec["varcorr"])
    for column in ("grp", "var1", "var2"):
        assert fit.varcorr[column].fillna("NA").tolist() == expected[column].fillna("NA").tolist()
    assert_close(fit.varcorr["vcov"], expected["vcov"], what="varcorr")
    for block in spec["ranef"]:
        columns = list(np.atleast_1d(block["columns"]))
        got = fit.ranef[block["group"]]
        assert list(got.columns) == columns and list(got.index) == list(block["levels"])
        assert_close(got.to_numpy(), ir.matrix(block["values"], len(block["levels"])), what="ranef")


def test_likelihood_and_information_criteria(compared):
    _, spec, fit = compared
    for ours, theirs in [(fit.loglik, "logLik"), (fit.aic, "AIC"), (fit.bic, "BIC")]:
        assert_close(ours, spec[theirs], rtol=1e-6, what=theirs)
    assert fit.df == spec["df"]


def test_fitted_values_residuals_and_leverages(compared):
    _, spec, fit = compared
    position = {row: i for i, row in enumerate(fit.rows)}
    used = [position[i - 1] for i in spec["fitted_index"]]
    assert_close(fit.fitted_values[used], spec["fitted"], what="fitted")
    assert_close((fit.design.y - fit.fitted_values)[used], spec["residuals"], what="residuals")
    assert fit.hat_trace() == pytest.approx(spec["hat_trace"], rel=1e-4)


def test_counts_and_singularity(case):
    _, spec, fit, caught = case
    assert fit.nobs == spec["nobs"] and fit.ngroups == spec["ngroups"]
    assert fit.singular == spec["singular"]
    assert any(issubclass(w.category, slmm.SingularFitWarning) for w in caught) == spec["singular"]
    assert fit.n_dropped == spec.get("n_dropped", 0)
    assert list(fit.design.dropped_columns) == spec.get("fixef_dropped", [])
