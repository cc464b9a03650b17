"""Both optimizers reach lme4's optimum; the alternating one is the seed's algorithm in general form."""

import numpy as np
import pytest

import reference
from sparselmm import AlternatingOptimizer, BobyqaOptimizer, LbfgsOptimizer, LinearMixedModel, ScoringOptimizer
from sparselmm.optimizers import OptimizationProblem


@pytest.mark.parametrize("case_id", ["toy_ml", "toy_reml", "sleepstudy_ml", "sleepstudy_reml"])
def test_alternating_fit_reaches_the_default_optimum(case_id):
    spec = reference.load_case(case_id)
    model = LinearMixedModel.from_formula(spec["formula"], reference.data(case_id))
    default = model.fit(REML=spec["REML"])
    rounds = []
    alternating = model.fit(REML=spec["REML"], optimizer=AlternatingOptimizer(callback=lambda *a: rounds.append(a)))
    assert alternating.optsummary.optimizer_converged
    assert alternating.objective == pytest.approx(default.objective, rel=1e-8)
    assert alternating.objective <= spec["objective"] + 1e-6 * abs(spec["objective"])
    np.testing.assert_allclose(alternating.theta, default.theta, rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(alternating.fixef, default.fixef, rtol=1e-5)
    objectives = [r[3] for r in rounds]
    assert len(rounds) >= 2 and all(b <= a + 1e-9 for a, b in zip(objectives, objectives[1:]))


def test_bobyqa_minimises_a_bounded_quadratic():
    problem = OptimizationProblem(
        objective=lambda x: float((x[0] + 1) ** 2 + (x[1] - 2) ** 2),
        x0=np.array([1.0, 1.0]),
        lower=np.array([0.0, -np.inf]),
        upper=np.array([np.inf, np.inf]),
    )
    result = BobyqaOptimizer(xtol_rel=0).minimize(problem)
    assert result.converged
    np.testing.assert_allclose(result.x, [0.0, 2.0], atol=1e-6)


def test_alternating_needs_the_beta_steps():
    problem = OptimizationProblem(lambda x: float(x @ x), np.ones(1), np.zeros(1), np.full(1, np.inf))
    with pytest.raises(ValueError, match="beta_given_theta"):
        AlternatingOptimizer().minimize(problem)


def test_lbfgs_reaches_lme4s_optimum_in_few_evaluations():
    spec = reference.load_case("penicillin_reml")
    model = LinearMixedModel.from_formula(spec["formula"], reference.data("penicillin_reml"))
    fit = model.fit(optimizer=LbfgsOptimizer())
    assert fit.optsummary.optimizer_converged and fit.optsummary.evaluations < 25
    assert fit.objective <= spec["objective"] + 1e-8 * spec["objective"]
    np.testing.assert_allclose(fit.theta, reference.theta(spec), rtol=1e-4)


def test_the_default_follows_lme4_on_small_data_and_uses_the_gradient_on_large():
    small = LinearMixedModel.from_formula("diameter ~ 1 + (1 | plate) + (1 | sample)", reference.data("penicillin_reml"))
    assert isinstance(small.default_optimizer(), BobyqaOptimizer)
    large = LinearMixedModel.from_formula("y ~ 1 + service + (1 | s) + (1 | d)", reference.data("insteval_reml"))
    assert isinstance(large.default_optimizer(), ScoringOptimizer)
    slopes = LinearMixedModel.from_formula("Reaction ~ Days + (Days | Subject)", reference.data("sleepstudy_reml"))
    assert isinstance(slopes.default_optimizer(), BobyqaOptimizer)
    maximal = LinearMixedModel.from_formula(reference.load_case("latin_square_max_reml")["formula"],
                                            reference.data("latin_square_max_reml"))
    assert maximal.covariance.n_theta == 72 and isinstance(maximal.default_optimizer(), LbfgsOptimizer)


def quadratic_problem(center, curvature, lower, information=None):
    """f(x) = (x - center)' C (x - center) / 2 within bounds, with its exact gradient and an information matrix
    (C itself unless given), counting evaluations."""
    calls = []

    def value_gradient_information(x):
        calls.append(np.array(x))
        d = x - center
        return float(d @ curvature @ d / 2), curvature @ d, curvature if information is None else information

    problem = OptimizationProblem(lambda x: value_gradient_information(x)[0], np.ones(len(center)), lower,
                                  np.full(len(center), np.inf),
                                  objective_and_gradient=lambda x: value_gradient_information(x)[:2],
                                  objective_gradient_information=value_gradient_information)
    return problem, calls


def test_scoring_with_the_exact_hessian_takes_one_newton_step_where_nothing_is_bounded():
    curvature = np.array([[4.0, 1.0], [1.0, 3.0]])
    problem, calls = quadratic_problem(np.array([0.6, 0.3]), curvature, np.full(2, -np.inf))
    result = ScoringOptimizer().minimize(problem)
    np.testing.assert_allclose(result.x, [0.6, 0.3], atol=1e-12)
    assert result.converged and result.nfev == 2  # the start, one step; then the predicted decrease is 0


def test_scoring_moves_a_bounded_parameter_in_its_log_and_never_through_its_bound():
    """A step toward the bound at 0 is a step in log(theta): the optimum at 0.05 from 1 is reached from above,
    every trial on the bound's side it starts on, in a few steps."""
    problem, calls = quadratic_problem(np.array([0.05, 0.3]), np.diag([3.0, 2.0]), np.array([0.0, -np.inf]))
    result = ScoringOptimizer().minimize(problem)
    np.testing.assert_allclose(result.x, [0.05, 0.3], atol=1e-6)
    assert all(x[0] > 0 for x in calls) and len(calls) < 12


def test_scoring_stops_on_a_bound_the_gradient_pushes_against():
    problem, _ = quadratic_problem(np.array([-0.5, 0.3]), np.diag([2.0, 1.0]), np.array([0.0, -np.inf]))
    result = ScoringOptimizer().minimize(problem)
    np.testing.assert_allclose(result.x, [0.0, 0.3], atol=1e-10)
    assert result.converged


def test_scoring_shortens_a_step_the_information_predicts_badly():
    """An information matrix 100 times too small gives steps 100 times too long (capped at one unit): they are
    shortened until the criterion decreases, and the fit still reaches the optimum."""
    curvature = np.diag([50.0, 80.0])
    problem, calls = quadratic_problem(np.array([0.2, 0.7]), curvature, np.array([0.0, 0.0]), curvature / 100)
    result = ScoringOptimizer().minimize(problem)
    np.testing.assert_allclose(result.x, [0.2, 0.7], atol=1e-5)
    values = [problem.objective(x) for x in list(calls)]
    assert any(v > min(values[:i]) for i, v in enumerate(values) if i) and result.converged  # some trial failed


def test_a_step_refused_far_from_the_optimum_costs_no_derivatives():
    """Where a step promises a large decrease, the criterion alone decides whether it is taken; its gradient
    and information are computed only at points the optimizer moves to."""
    curvature = np.diag([400.0, 300.0])
    problem, _ = quadratic_problem(np.array([1.3, 1.2]), curvature, np.full(2, -np.inf), curvature / 4)
    full = []
    counted = problem.objective_gradient_information
    problem.objective_gradient_information = lambda x: full.append(np.array(x)) or counted(x)
    values = []
    problem.objective = lambda x: values.append(np.array(x)) or counted(x)[0]
    result = ScoringOptimizer().minimize(problem)
    np.testing.assert_allclose(result.x, [1.3, 1.2], atol=1e-6)
    start = counted(np.ones(2))[0]
    refused = [x for x in values if counted(x)[0] > start]
    assert refused  # the first step (too long fourfold, capped at one unit) overshoots
    assert not any(np.array_equal(x, y) for x in refused for y in full)


def test_scoring_without_a_finite_information_steps_down_the_gradient():
    problem, _ = quadratic_problem(np.array([0.2, 0.7]), np.diag([2.0, 3.0]), np.array([0.0, -np.inf]),
                                   np.array([[np.inf, 0.0], [0.0, np.nan]]))
    result = ScoringOptimizer().minimize(problem)
    np.testing.assert_allclose(result.x, [0.2, 0.7], atol=1e-3)  # |g|^2 / 2 < ftol ends it: |g| ~ 1e-4
    assert not result.converged and result.message == "the information is not finite"  # the fit then checks


def test_scoring_stops_where_the_gradient_is_not_finite():
    problem = OptimizationProblem(lambda x: 1.0, np.ones(1), np.zeros(1), np.full(1, np.inf),
                                  objective_gradient_information=lambda x: (1.0, np.array([np.nan]), np.eye(1)))
    result = ScoringOptimizer().minimize(problem)
    assert not result.converged and "not finite" in result.message


def test_scoring_needs_the_information():
    problem = OptimizationProblem(lambda x: float(x @ x), np.ones(1), np.zeros(1), np.full(1, np.inf))
    with pytest.raises(ValueError, match="objective_gradient_information"):
        ScoringOptimizer().minimize(problem)


def test_lbfgs_needs_a_gradient():
    problem = OptimizationProblem(lambda x: float(x @ x), np.ones(1), np.zeros(1), np.full(1, np.inf))
    with pytest.raises(ValueError, match="objective_and_gradient"):
        LbfgsOptimizer().minimize(problem)


def test_lbfgs_first_step_moves_no_parameter_further_than_half_a_unit():
    """A criterion's gradient is in the thousands: L-BFGS-B's first step, the gradient itself, would throw
    every parameter onto its bound. The first trial stays within FIRST_STEP of the start, and the optimum,
    its value and its gradient are the unscaled criterion's."""
    visited = []

    def value_and_gradient(x):
        visited.append(np.array(x))
        return float(5000.0 * np.sum((x - [0.3, 0.6]) ** 2) + 7.0), 10000.0 * (x - [0.3, 0.6])

    problem = OptimizationProblem(lambda x: value_and_gradient(x)[0], np.ones(2), np.zeros(2), np.full(2, np.inf),
                                  objective_and_gradient=value_and_gradient)
    result = LbfgsOptimizer().minimize(problem)
    first_trial = next(x for x in visited[1:] if not np.array_equal(x, visited[0]))
    assert np.max(np.abs(first_trial - 1.0)) <= 0.5 + 1e-12
    np.testing.assert_allclose(result.x, [0.3, 0.6], atol=1e-7)
    assert result.fun == pytest.approx(7.0, abs=1e-9)
