"""glmer's fits against lme4 1.1-31 on every reference case (tests/data/glmer).

The contract: logLik at or above lme4's (to 1e-6 relative); fixed effects, theta, standard errors and
conditional standard deviations within 1e-3 relative of lme4's, whose optimum ours is (grouseticks'
parameters move by ~4e-5 between R sessions, so 1e-3 is what is asked of them too). lme4's convergence
messages, and no others.
"""

import numpy as np
import pytest

import glmer_reference as ref
import sparselmm as slmm
from sparselmm.errors import ConvergenceWarning, SingularFitWarning

CASES = [pytest.param(c, marks=pytest.mark.slow) if c in ref.SLOW else c for c in ref.FITTED]


@pytest.mark.parametrize("case_id", CASES)
def test_loglik_at_or_above_lme4s(case_id):
    expected = ref.case(case_id)["logLik"]
    assert ref.fit(case_id).loglik >= expected - 1e-6 * abs(expected)


@pytest.mark.parametrize("case_id", CASES)
def test_estimates_are_lme4s(case_id):
    spec, fit = ref.case(case_id), ref.fit(case_id)
    assert list(fit.fixef.index) == list(spec["beta"])
    assert ref.elementwise_error(fit.fixef, ref.named(spec["beta"])) < 1e-3
    theta = np.array(spec["theta"])
    assert np.max(np.abs(fit.theta - theta) / np.maximum(np.abs(theta), 1e-3)) < 1e-3
    assert ref.elementwise_error(fit.stderr, ref.named(spec["stderr"])) < 1e-3


@pytest.mark.parametrize("case_id", CASES)
def test_conditional_modes_and_sds_are_lme4s(case_id):
    spec, fit = ref.case(case_id), ref.fit(case_id)
    expected, ours = ref.table(spec["ranef"]), fit.ranef_table()
    assert list(ours["grp"]) == list(expected["grp"]) and list(ours["grpvar"]) == list(expected["grpvar"])
    assert ref.elementwise_error(ours["condsd"], expected["condsd"]) < 1e-3
    assert ref.relative_error(ours["condval"], expected["condval"]) < 1e-3


@pytest.mark.parametrize("case_id", CASES)
def test_lme4s_messages_and_no_others(case_id):
    """What lme4 signalled (its convergence messages, the singular fit's message), we signal; nothing else."""
    spec, fit = ref.case(case_id), ref.fit(case_id)
    expected = spec["optinfo"]["conv_lme4_messages"]
    assert fit.optsummary.warnings == [m for m in expected if "singular" not in m]
    assert sorted(str(w.message) for w in fit.caught) == sorted(expected)
    assert [w.category for w in fit.caught if "singular" in str(w.message)] == [SingularFitWarning] * spec["singular"]
    assert all(w.category is ConvergenceWarning for w in fit.caught if "singular" not in str(w.message))
    assert fit.singular == spec["singular"]


@pytest.mark.slow
def test_grouseticks_reaches_lme4s_deviance():
    """The uncentred HEIGHT: no gradient warning (lme4 gives one in some R sessions; Newton steps on the
    finite differences finish the fit instead), and lme4's -2 logLik to its session-to-session spread."""
    spec, fit = ref.case("grouseticks_poisson"), ref.fit("grouseticks_poisson")
    assert fit.objective == pytest.approx(spec["minus_2_logLik"], rel=1e-9)
    assert not any("failed to converge" in str(w.message) for w in fit.caught)


def test_singular_fit():
    spec, fit = ref.case("binary_singular"), ref.fit("binary_singular")
    assert fit.theta[0] == 0.0 and fit.singular
    assert fit.loglik == pytest.approx(spec["logLik"], rel=1e-12)


def test_nagq0_is_lme4s_stage_one():
    """nAGQ = 0: theta alone, beta inside PIRLS; lme4's bobyqa and ours reach the same point."""
    spec, fit = ref.case("cbpp_logit_agq0"), ref.fit("cbpp_logit_agq0")
    assert ref.elementwise_error(fit.theta, spec["theta"]) < 1e-6
    assert ref.elementwise_error(fit.fixef, ref.named(spec["beta"])) < 1e-6
    assert ref.elementwise_error(fit.stderr, ref.named(spec["stderr"])) < 1e-6  # from RX: no Hessian at nAGQ = 0
    assert fit.derivatives is None


@pytest.mark.parametrize("one, other", [
    ("cbpp_logit_agq1", "cbpp_proportion_weights"), ("cbpp_logit_agq9", "cbpp_proportion_weights_agq9"),
    ("binary_numeric", "binary_logical"), ("binary_numeric", "binary_factor"),
    ("poisson_offset_formula", "poisson_offset_argument"),
])
def test_the_same_fit_in_another_form(one, other):
    """cbind against proportions with weights; 0/1 against logical and factor; offset() against offset=."""
    a, b = ref.fit(one), ref.fit(other)
    assert a.loglik == pytest.approx(b.loglik, rel=1e-12)
    np.testing.assert_allclose(a.theta, b.theta, rtol=1e-10)
    np.testing.assert_allclose(a.fixef, b.fixef, rtol=1e-9)
    np.testing.assert_allclose(a.stderr, b.stderr, rtol=1e-8)


def test_exact_modes_fit_is_at_least_as_good():
    """exact_modes: the Laplace approximation at the modes themselves, lower than lme4's deviance (whose factor
    lags the modes by a step) and close to its optimum."""
    spec = ref.case("cbpp_logit_agq1")
    exact = slmm.glmer(spec["formula"], ref.data("cbpp_logit_agq1"), "binomial", exact_modes=True)
    assert exact.objective < spec["minus_2_logLik"] - 1e-4
    assert ref.elementwise_error(exact.theta, spec["theta"]) < 1e-3
    assert ref.elementwise_error(exact.fixef, ref.named(spec["beta"])) < 2e-3


def test_stage_one_and_the_record():
    """Where nAGQ >= 1, stage 1 seeds stage 2 (its first trust region 0.02 wide in theta): lme4's nAGQ = 0 fit
    to within a small part of that."""
    fit = ref.fit("cbpp_logit_agq1")
    theta1, deviance1, evaluations = fit.stage1
    assert theta1 == pytest.approx(ref.case("cbpp_logit_agq0")["theta"], abs=1e-3)
    assert deviance1 > fit.objective and evaluations > 0
    record = fit.optsummary
    assert list(record.theta_names) == ["herd.(Intercept)", "(Intercept)", "period2", "period3", "period4"]
    assert record.converged and record.fmin == fit.objective and record.gradient.shape == (5,)


@pytest.mark.parametrize("solver", [slmm.CholmodSolver, slmm.DenseSolver])
@pytest.mark.parametrize("case_id", ["binary_slope", "cbpp_logit_agq9"])
def test_every_solver_gives_the_same_fit(solver, case_id):
    """CHOLMOD (with_products on its symbolic analysis) and the dense solver: the blocked solver's fit."""
    spec = ref.case(case_id)
    fit = slmm.glmer(spec["formula"], ref.data(case_id), solver=solver(), **ref.arguments(case_id))
    blocked = ref.fit(case_id)
    assert fit.loglik == pytest.approx(blocked.loglik, rel=1e-10)
    np.testing.assert_allclose(fit.theta, blocked.theta, rtol=1e-5)
    np.testing.assert_allclose(fit.stderr, blocked.stderr, rtol=1e-4)
    np.testing.assert_allclose(fit.ranef_table()["condsd"], blocked.ranef_table()["condsd"], rtol=1e-5)


def test_start_and_arguments():
    spec = ref.case("cbpp_logit_agq1")
    fit = slmm.glmer(spec["formula"], ref.data("cbpp_logit_agq1"), "binomial", start=[0.6])
    assert fit.loglik >= spec["logLik"] - 1e-6 * abs(spec["logLik"])
    with pytest.raises(slmm.SparseLMMError, match=r"start must be 1 finite values of theta \(herd.\(Intercept\)\)"):
        slmm.glmer(spec["formula"], ref.data("cbpp_logit_agq1"), "binomial", start=[0.6, 1.0])
    with pytest.raises(slmm.FormulaError, match=r"nAGQ must be a whole number from 0 to 25, not 26"):
        slmm.glmer(spec["formula"], ref.data("cbpp_logit_agq1"), "binomial", nAGQ=26)
    with pytest.raises(slmm.FormulaError, match=r"nAGQ > 1 is only available for models with a single, scalar "
                                                r"random-effects term \(lme4's words\); this model has \(\(Intercept\) "
                                                r"\+ x \| g\)"):
        slmm.glmer("y ~ x + (1 + x | g)", ref.data("binary_slope"), "binomial", nAGQ=5)
    with pytest.raises(slmm.DataError, match="data must be a pandas DataFrame, not dict"):
        slmm.glmer(spec["formula"], {"a": 1}, "binomial")


def test_offset_as_an_expression_or_values():
    spec = ref.case("poisson_offset_argument")
    data = ref.data("poisson_offset_argument")
    by_values = slmm.glmer("y ~ x + (1 | g)", data, "poisson", offset=np.log(data["exposure"].to_numpy()))
    assert by_values.loglik == pytest.approx(spec["logLik"], rel=1e-9)
    with pytest.raises(slmm.DataError, match=r"offset='lg\(exposure\)' is neither a column of the data nor an "
                                             r"expression on its columns"):
        slmm.glmer("y ~ x + (1 | g)", data, "poisson", offset="lg(exposure)")
