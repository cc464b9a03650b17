"""The average information equals its textbook definition computed densely, on every solver, and is close to
the criterion's Hessian at the optimum (what makes it a good Newton matrix)."""

import numpy as np
import pytest

import reference
from sparselmm import BlockedSolver, CholmodSolver, DenseSolver, LinearMixedModel
from sparselmm.criterion import ProfiledCriterion

CASES = ["toy_ml", "sleepstudy_ml", "penicillin_reml", "pastes_reml", "uncorrelated_reml", "two_factors_reml"]


def textbook_information(model, theta, REML):
    """(nu / r2) (w_i' P w_j - (y'P w_i)(y'P w_j) / r2) with w_i = dH/dtheta_i P y, all n x n; with prior
    weights, of the rows scaled by their square roots (residual variance sigma^2 / w)."""
    root = np.sqrt(model.design.weights) if model.design.weights is not None else 1.0
    X, y = model.design.X * np.reshape(root, (-1, 1)), model.design.y * root
    Z = model.design.Z.toarray() * np.reshape(root, (-1, 1))
    n, p = X.shape
    Lambda = model.covariance.lambda_matrix(theta).toarray()
    Hinv = np.linalg.inv(Z @ Lambda @ Lambda.T @ Z.T + np.eye(n))
    P = Hinv - Hinv @ X @ np.linalg.solve(X.T @ Hinv @ X, X.T @ Hinv)
    Py = P @ y
    r2 = y @ Py
    w = []
    for i in range(model.covariance.n_theta):
        step = np.zeros(model.covariance.n_theta)
        step[i] = 1.0
        Li = model.covariance.lambda_matrix(theta + step).toarray() - Lambda  # Lambda is linear in theta
        w.append(Z @ (Li @ Lambda.T + Lambda @ Li.T) @ Z.T @ Py)
    W = np.column_stack(w)
    along = W.T @ Py
    nu = n - p if REML else n
    return nu / r2 * (W.T @ P @ W - np.outer(along, along) / r2)


def information_at(model, theta, REML, solver=BlockedSolver):
    criterion = ProfiledCriterion(model.crossprods, model.covariance,
                                  solver().bind(model.crossprods, model.covariance), REML)
    return criterion.value_gradient_information(theta)


@pytest.mark.parametrize("case_id", CASES)
@pytest.mark.parametrize("REML", [True, False])
def test_the_information_is_the_textbook_one(case_id, REML):
    model = LinearMixedModel.from_formula(reference.load_case(case_id)["formula"], reference.data(case_id))
    rng = np.random.default_rng(11)
    theta = np.where(model.covariance.lower == 0, 1.0, 0.0) * rng.uniform(0.3, 1.5, model.covariance.n_theta)
    theta += np.where(model.covariance.lower == 0, 0.0, rng.normal(scale=0.2, size=model.covariance.n_theta))
    expected = textbook_information(model, theta, REML)
    for solver in (BlockedSolver, CholmodSolver, DenseSolver):
        _, _, information = information_at(model, theta, REML, solver)
        np.testing.assert_allclose(information, expected, rtol=1e-7, atol=1e-9 * np.abs(expected).max())


def test_with_prior_weights_it_is_the_weighted_models():
    data = reference.data("sleepstudy_reml")
    weights = 1.0 + (data["Days"].to_numpy() % 3)
    model = LinearMixedModel.from_formula("Reaction ~ Days + (Days | Subject)", data, weights=weights)
    theta = np.array([0.8, 0.1, 0.25])
    _, _, information = information_at(model, theta, True)
    expected = textbook_information(model, theta, True)
    np.testing.assert_allclose(information, expected, rtol=1e-7, atol=1e-9 * np.abs(expected).max())


def test_a_scalar_term_at_zero_carries_no_information():
    """At theta_t = 0 the criterion is even in theta_t: its row of the information is 0, not NaN."""
    model = LinearMixedModel.from_formula("diameter ~ 1 + (1 | plate) + (1 | sample)",
                                          reference.data("penicillin_reml"))
    _, _, information = information_at(model, np.array([0.0, 2.0]), True)
    assert np.all(np.isfinite(information))
    assert np.all(information[0] == 0.0) and information[1, 1] > 0.0


@pytest.mark.parametrize("case_id", ["sleepstudy_reml", "penicillin_reml", "pastes_reml"])
def test_at_the_optimum_the_information_is_near_the_hessian(case_id):
    """At a REML optimum: the relative eigenvalues of one against the other are 1 to 1e-3 (measured: 2e-5 at
    most, against the Hessian's central differences)."""
    spec = reference.load_case(case_id)
    model = LinearMixedModel.from_formula(spec["formula"], reference.data(case_id))
    theta = reference.theta(spec)
    criterion = ProfiledCriterion(model.crossprods, model.covariance, BlockedSolver().bind(model.crossprods,
                                                                                           model.covariance), True)
    _, gradient, information = criterion.value_gradient_information(theta)
    h = 1e-5
    hessian = np.column_stack([(criterion.value_and_gradient(theta + h * e)[1]
                                - criterion.value_and_gradient(theta - h * e)[1]) / (2 * h)
                               for e in np.eye(len(theta))])
    hessian = (hessian + hessian.T) / 2
    relative = np.linalg.eigvals(np.linalg.solve(hessian, information)).real
    np.testing.assert_allclose(relative, 1.0, atol=1e-3)
