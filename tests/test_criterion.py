"""The profiled criterion and its exact gradient: the same value on every solver, the gradient equal to the
criterion's central differences (Richardson-extrapolated, so that the check is at 1e-7, not at the
differences' own error), at inside points and where a template is singular (a diagonal entry at 0)."""

import warnings

import numpy as np
import pytest

import reference
from sparselmm import BlockedSolver, CholmodSolver, DenseSolver, LinearMixedModel
from sparselmm.criterion import ProfiledCriterion

CASES = [c for c in reference.case_ids() if c not in ("latin_square_max_reml",)]


def model_of(case_id):
    spec = reference.load_case(case_id)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return spec, LinearMixedModel.from_formula(spec["formula"], reference.data(case_id))


def criterion_of(model, REML, solver=BlockedSolver):
    return ProfiledCriterion(model.crossprods, model.covariance, solver().bind(model.crossprods, model.covariance),
                             REML)


def numeric_gradient(objective, theta, h):
    """Central differences with one Richardson step (error O(h^4)); ``h`` per coordinate."""
    def central(step):
        return np.array([(objective(theta + s * e) - objective(theta - s * e)) / (2 * s)
                         for s, e in zip(step, np.eye(len(theta)))])
    return (4 * central(h / 2) - central(h)) / 3


def moved_theta(spec, model, seed, zero):
    rng = np.random.default_rng(seed)
    theta = reference.theta(spec) * rng.uniform(0.7, 1.3, model.covariance.n_theta)
    theta = np.where(model.covariance.lower == 0, np.maximum(theta, 0.02 * np.abs(theta).max()), theta)
    if zero:
        theta[rng.choice(np.flatnonzero(model.covariance.lower == 0))] = 0.0
    return theta


@pytest.mark.parametrize("case_id", CASES)
@pytest.mark.parametrize("REML", [True, False])
@pytest.mark.parametrize("zero", [False, True], ids=["inside", "singular"])
def test_the_gradient_is_the_criterions_derivative(case_id, REML, zero):
    spec, model = model_of(case_id)
    criterion = criterion_of(model, REML)
    theta = moved_theta(spec, model, 7, zero)
    value, gradient = criterion.value_and_gradient(theta)
    assert value == pytest.approx(criterion.objective(theta), rel=1e-13)
    h = 1e-3 * (np.abs(theta) + 1e-2 * max(np.abs(reference.theta(spec)).max(), 1e-3))
    numeric = numeric_gradient(criterion.objective, theta, h)
    scale = max(np.abs(numeric).max(), 1.0)
    np.testing.assert_allclose(gradient, numeric, rtol=0, atol=1e-6 * scale)


@pytest.mark.parametrize("case_id", ["crossed_slopes_reml", "penicillin_reml", "latin_square_reml",
                                     "three_level_nested_reml"])
@pytest.mark.parametrize("solver", [BlockedSolver, CholmodSolver])
def test_a_gradient_without_the_first_term_has_the_later_entries_of_the_whole(case_id, solver):
    """What a Hessian's column for a later term's parameter asks for: the same later entries, NaN before;
    also where the last term's template is singular (its block then needs S^-1 itself)."""
    spec, model = model_of(case_id)
    criterion = criterion_of(model, True, solver)
    start = model.covariance.offsets[1]
    for singular in (False, True):
        theta = moved_theta(spec, model, 8, False)
        if singular:
            theta[model.covariance.offsets[len(model.covariance.terms) - 1]] = 0.0
        value, whole = criterion.value_and_gradient(theta)
        partial_value, partial = criterion.value_and_gradient(theta, skip_first=True)
        assert partial_value == value and np.isnan(partial[:start]).all()
        np.testing.assert_allclose(partial[start:], whole[start:], rtol=1e-10, atol=1e-10 * np.abs(whole).max())


@pytest.mark.parametrize("case_id", reference.case_ids(include_large=False))
def test_every_solver_gives_the_same_criterion_and_gradient(case_id):
    spec, model = model_of(case_id)
    theta = moved_theta(spec, model, 8, zero=False)
    dense_value, dense_gradient = criterion_of(model, spec["REML"], DenseSolver).value_and_gradient(theta)
    for solver in (BlockedSolver, CholmodSolver):
        value, gradient = criterion_of(model, spec["REML"], solver).value_and_gradient(theta)
        assert value == pytest.approx(dense_value, rel=1e-12)
        np.testing.assert_allclose(gradient, dense_gradient, rtol=1e-8,
                                   atol=1e-9 * max(np.abs(dense_gradient).max(), 1))


def test_a_scalar_terms_derivative_is_zero_at_its_bound():
    """The criterion is even in a scalar term's theta: at 0 its derivative is exactly 0."""
    spec, model = model_of("penicillin_reml")
    _, gradient = criterion_of(model, True).value_and_gradient(np.array([0.0, 2.0]))
    assert gradient[0] == 0.0 and gradient[1] != 0.0


def test_an_exact_fit_has_a_finite_gradient():
    """r2 = 0 (the random effects reproduce the response): the criterion's limit, and no division by zero."""
    spec, model = model_of("toy_ml")
    criterion = criterion_of(model, False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value, gradient = criterion.value_and_gradient(np.array([1e4]))
    assert np.isfinite(value) and np.isfinite(gradient).all()


def test_evaluations_do_not_leak_into_each_other():
    """The solver's work arrays serve every evaluation: the same theta gives the same numbers, bit for bit."""
    spec, model = model_of("crossed_slopes_reml")
    criterion = criterion_of(model, True)
    theta = reference.theta(spec)
    first = criterion.value_and_gradient(theta)
    criterion.value_and_gradient(theta * 0.5)
    criterion.objective(theta * 2)
    again = criterion.value_and_gradient(theta)
    assert again[0] == first[0]
    np.testing.assert_array_equal(again[1], first[1])


@pytest.mark.parametrize("case_id", ["sleepstudy_reml", "two_factors_reml", "crossed_slopes_reml", "pastes_reml",
                                     "correlated_three_reml"])
def test_the_jacobian_of_RXtRX_is_its_derivative(case_id):
    """d(RX'RX)/d theta_i = -RX' (cross_i + cross_i') RX: the Jacobian of vcov(beta) that Satterthwaite needs."""
    spec, model = model_of(case_id)
    criterion = criterion_of(model, spec["REML"])
    theta = moved_theta(spec, model, 9, zero=False)
    pieces = criterion.derivatives(theta)
    RX = pieces.solution.RX
    h = 1e-4 * (np.abs(theta) + 1e-2 * np.abs(theta).max())

    def RXtRX(x):
        R = criterion.solution(x).RX
        return R.T @ R

    for i, (step, e) in enumerate(zip(h, np.eye(len(theta)))):
        numeric = (4 * (RXtRX(theta + step / 2 * e) - RXtRX(theta - step / 2 * e)) / step
                   - (RXtRX(theta + step * e) - RXtRX(theta - step * e)) / (2 * step)) / 3
        exact = -RX.T @ (pieces.cross[i] + pieces.cross[i].T) @ RX
        np.testing.assert_allclose(exact, numeric, rtol=0, atol=1e-6 * max(np.abs(numeric).max(), 1e-8))


def test_the_solution_kept_from_the_lowest_evaluation_is_the_one_solved_anew():
    """A fit reads its optimum's solution and random effects from the lowest evaluation with derivatives
    (its Hessian's differences have moved the factor on since); anywhere else they are solved anew."""
    spec, model = model_of("crossed_slopes_reml")
    criterion = criterion_of(model, True)
    optimum = reference.theta(spec)
    criterion.value_and_gradient(optimum)
    criterion.value_and_gradient(optimum * 1.01)  # higher: the optimum's stays kept
    kept = criterion.solved(optimum)
    fresh = criterion_of(model, True)
    solution = fresh.solution(optimum)
    u, K = fresh.random_effects(solution)
    np.testing.assert_allclose(kept[0].beta, solution.beta, rtol=1e-12)
    np.testing.assert_allclose(kept[1], u, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(kept[2], K, rtol=1e-10, atol=1e-12)
    elsewhere = optimum * 1.02
    np.testing.assert_allclose(criterion.solved(elsewhere)[1], fresh.random_effects(fresh.solution(elsewhere))[0],
                               rtol=1e-10, atol=1e-12)
