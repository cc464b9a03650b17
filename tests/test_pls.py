"""The profiled criterion equals the textbook likelihood computed densely from V = sigma^2 (Z Lambda Lambda' Z' + I)."""

import numpy as np
import pytest

import reference
from sparselmm import LinearMixedModel

CASES = ["toy_ml", "sleepstudy_ml", "penicillin_reml", "pastes_reml", "uncorrelated_reml", "two_factors_reml"]


def textbook(model, theta, REML):
    """-2 log-likelihood (ML) or REML criterion by GLS with a dense V, sigma profiled out."""
    X, y = model.design.X, model.design.y
    Z = model.design.Z.toarray()
    Lambda = model.covariance.lambda_matrix(theta).toarray()
    n, p = X.shape
    V = Z @ Lambda @ Lambda.T @ Z.T + np.eye(n)  # V / sigma^2
    Vinv = np.linalg.inv(V)
    beta = np.linalg.solve(X.T @ Vinv @ X, X.T @ Vinv @ y)
    r = y - X @ beta
    rss = r @ Vinv @ r
    dof = n - p if REML else n
    value = np.linalg.slogdet(V)[1] + dof * (1 + np.log(2 * np.pi * rss / dof))
    if REML:
        value += np.linalg.slogdet(X.T @ Vinv @ X)[1]
    return value, beta


@pytest.mark.parametrize("case_id", CASES)
@pytest.mark.parametrize("REML", [True, False])
def test_objective_and_beta_match_dense_gls(case_id, REML):
    model = LinearMixedModel.from_formula(reference.load_case(case_id)["formula"], reference.data(case_id))
    rng = np.random.default_rng(7)
    for theta in [model.covariance.theta0, np.abs(rng.normal(size=model.covariance.n_theta)) + 0.1]:
        expected, beta = textbook(model, theta, REML)
        solution = model.solve(theta)
        assert solution.objective(REML) == pytest.approx(expected, rel=1e-10)
        np.testing.assert_allclose(solution.beta, beta, rtol=1e-8, atol=1e-10)


def test_objective_at_fixed_beta_is_minimised_by_gls_beta():
    model = LinearMixedModel.from_formula("Reaction ~ Days + (Days | Subject)", reference.data("sleepstudy_ml"))
    solution = model.solve([0.9, 0.02, 0.2])
    best = solution.objective(False)
    for shift in ([1.0, 0.0], [0.0, -0.5]):
        moved = solution.beta + np.array(shift)
        assert solution.objective(False, r2=solution.r2_at(moved)) > best
    assert solution.objective(False, r2=solution.r2_at(solution.beta)) == pytest.approx(best, rel=1e-14)


def test_response_far_from_zero_keeps_its_digits():
    """y + 1e7 changes only the intercept: the cross-products are taken of y minus its OLS fit."""
    data = reference.data("sleepstudy_reml")
    shifted = data.assign(Reaction=data["Reaction"] + 1e7)
    near = LinearMixedModel.from_formula("Reaction ~ Days + (Days | Subject)", data).solve([0.9, 0.02, 0.2])
    far = LinearMixedModel.from_formula("Reaction ~ Days + (Days | Subject)", shifted).solve([0.9, 0.02, 0.2])
    assert far.objective(True) == pytest.approx(near.objective(True), rel=1e-10)
    assert far.beta[0] - 1e7 == pytest.approx(near.beta[0], rel=1e-8)
    assert far.beta[1] == pytest.approx(near.beta[1], rel=1e-8)
