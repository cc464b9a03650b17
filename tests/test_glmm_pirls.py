"""PIRLS and the deviance functions: at lme4's parameters they give lme4's deviance and its parts."""

import numpy as np
import pytest

import glmer_reference as ref
from sparselmm.errors import DataError
from sparselmm.glmm.deviance import GlmmDeviance, initial_state
from sparselmm.glmm.pirls import Pirls

AT_LME4 = ["cbpp_logit_agq1", "cbpp_logit_agq0", "cbpp_logit_agq9", "cbpp_probit_agq1", "cbpp_cloglog_agq1",
           "verbagg", "binary_slope", "binary_singular", "poisson_offset_formula", "gamma_log",
           "inverse_gaussian_log", "grouseticks_poisson_centred"]


@pytest.mark.parametrize("case_id", AT_LME4)
def test_lme4s_deviance_at_lme4s_parameters(case_id):
    """lme4's devfun, step for step: its start (the end of stage 1), its stopping rule, its lagging factor."""
    spec, result = ref.case(case_id), ref.at_lme4(case_id)
    assert result.objective == pytest.approx(spec["minus_2_logLik"], rel=2e-9)
    parts = spec["devcomp_cmp"]
    assert result.devcomp["ldL2"] == pytest.approx(parts["ldL2"], rel=1e-6)
    assert result.devcomp["ussq"] == pytest.approx(parts["ussq"], rel=1e-5)
    assert result.deviance == pytest.approx(parts["drsum"], rel=1e-7)
    assert result.devcomp["wrss"] == pytest.approx(parts["wrss"], rel=1e-6)


@pytest.mark.parametrize("case_id", ["cbpp_logit_agq1", "verbagg", "gamma_log"])
def test_lme4s_finite_difference_derivatives(case_id):
    """Their Hessian is lme4's (to its own rounding): the standard errors come from it."""
    spec, result = ref.case(case_id), ref.at_lme4(case_id)
    gradient, hessian = result.derivatives
    assert ref.relative_error(hessian, spec["optinfo"]["hessian"]) < 1e-4
    assert np.max(np.abs(gradient - spec["optinfo"]["gradient"])) < 1e-3
    assert ref.elementwise_error(result.stderr, ref.named(spec["stderr"])) < 3e-4


def test_the_factor_lags_and_exact_modes_do_not():
    """lme4's rule stops with the factor of the step before the last; going on moves the deviance ~1e-4 and then
    no more. The exact value is the same from any start."""
    model = ref.fit("cbpp_logit_agq1").model
    pars = np.array(ref.case("cbpp_logit_agq1")["optinfo"]["par"])
    theta, beta = pars[:1], pars[1:]
    start = initial_state(model, model.covariance.theta0)
    lagging = Pirls(model).run(theta, start.u, beta, joint=False, eta=start.eta)
    exact = Pirls(model, value_tol=1e-12).run(theta, start.u, beta, joint=False, eta=start.eta)
    again = Pirls(model, value_tol=1e-12).run(theta, np.zeros(model.q), beta, joint=False)
    assert 1e-5 < abs(lagging.laplace - exact.laplace) < 1e-2
    assert exact.laplace == pytest.approx(again.laplace, rel=1e-12)
    assert exact.iterations > lagging.iterations


def test_joint_and_conditional_modes_agree_at_the_joint_mode():
    """At nAGQ = 0's joint mode, PIRLS for u given that beta finds the same u."""
    model = ref.fit("cbpp_logit_agq0").model
    start = initial_state(model, model.covariance.theta0)
    theta = ref.fit("cbpp_logit_agq0").theta
    joint = Pirls(model, value_tol=1e-13).run(theta, start.u, start.beta, joint=True)
    conditional = Pirls(model, value_tol=1e-13).run(theta, start.u, joint.beta, joint=False)
    np.testing.assert_allclose(conditional.u, joint.u, atol=1e-7)


def test_step_halving_recovers_from_a_far_start():
    model = ref.fit("cbpp_logit_agq1").model
    beta = ref.fit("cbpp_logit_agq1").fixef.to_numpy()
    theta = ref.fit("cbpp_logit_agq1").theta
    near = Pirls(model, value_tol=1e-12).run(theta, np.zeros(model.q), beta, joint=False)
    far = Pirls(model, value_tol=1e-12).run(theta, np.full(model.q, 30.0), beta, joint=False)
    np.testing.assert_allclose(far.u, near.u, atol=1e-6)


def test_an_unconverged_pirls_is_lme4s_error():
    model = ref.fit("cbpp_logit_agq1").model
    with pytest.raises(DataError, match=r"pwrssUpdate did not converge in \(maxit\) iterations \(1\) \(lme4's words\)"):
        Pirls(model, maxit=1).run(model.covariance.theta0, np.zeros(model.q), np.zeros(model.p), joint=True)


def test_each_evaluation_is_a_function_of_its_parameters():
    """lme4's devfun starts every PIRLS from the same linear predictor: the order of evaluations is immaterial."""
    model = ref.fit("binary_slope").model
    start = initial_state(model, model.covariance.theta0)
    deviance = GlmmDeviance(model, 1, start)
    pars = np.array(ref.case("binary_slope")["optinfo"]["par"])
    first = deviance(pars)
    deviance(pars * 1.1)
    assert deviance(pars) == first
