"""CHOLMOD and dense Cholesky give the same fit: the sparse path checked by an independent one."""

import warnings

import numpy as np
import pytest

import reference
from sparselmm import CholmodSolver, DenseSolver, LinearMixedModel

SMALL = reference.case_ids(include_large=False)


def fitted_with(case_id, solver):
    spec = reference.load_case(case_id)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = LinearMixedModel.from_formula(spec["formula"], reference.data(case_id))
        return model.fit(REML=spec["REML"], solver=solver)


@pytest.mark.parametrize("case_id", SMALL)
def test_cholmod_and_dense_fits_agree(case_id):
    """Same optimum to 1e-8; the optimizer stops at lme4's xtol_rel = 1e-4, so theta agrees to its noise."""
    sparse, dense = fitted_with(case_id, CholmodSolver()), fitted_with(case_id, DenseSolver())
    assert abs(sparse.objective - dense.objective) <= 1e-8 * abs(dense.objective)
    np.testing.assert_allclose(sparse.theta, dense.theta, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(sparse.fixef, dense.fixef, rtol=1e-5)


@pytest.mark.parametrize("case_id", SMALL)
def test_cholmod_and_dense_solve_alike_to_1e8(case_id):
    """At lme4's theta, every quantity of the penalized least squares solution agrees to 1e-8."""
    spec = reference.load_case(case_id)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # rank_deficient_reml warns, as it should
        model = LinearMixedModel.from_formula(spec["formula"], reference.data(case_id))
    theta = reference.theta(spec)
    results = []
    for solver in (CholmodSolver(), DenseSolver()):
        bound = model.bind(solver)
        solution = model.solve(theta)
        results.append((solution, model.covariance.lambda_matrix(theta) @ solution.u(bound)))
    (sparse, b_sparse), (dense, b_dense) = results
    assert sparse.objective(spec["REML"]) == pytest.approx(dense.objective(spec["REML"]), rel=1e-12)
    assert sparse.r2 == pytest.approx(dense.r2, rel=1e-8)
    np.testing.assert_allclose(sparse.beta, dense.beta, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(b_sparse, b_dense, rtol=0, atol=1e-8 * max(np.abs(b_dense).max(), 1e-300))


@pytest.mark.parametrize("case_id", ["sleepstudy_reml", "penicillin_reml", "pastes_reml"])
def test_same_objective_at_any_theta(case_id):
    spec = reference.load_case(case_id)
    model = LinearMixedModel.from_formula(spec["formula"], reference.data(case_id))
    rng = np.random.default_rng(1)
    for _ in range(5):
        theta = np.abs(rng.normal(size=model.covariance.n_theta))
        model.bind(CholmodSolver())
        sparse = model.objective(theta)
        model.bind(DenseSolver())
        assert model.objective(theta) == pytest.approx(sparse, rel=1e-10)


def test_theta_zero_keeps_the_factor_pattern():
    """At theta = 0 every product entry vanishes; the fixed pattern must still factor."""
    spec = reference.load_case("sleepstudy_reml")
    model = LinearMixedModel.from_formula(spec["formula"], reference.data("sleepstudy_reml"))
    at_zero = model.objective(np.zeros(3))
    model.bind(DenseSolver())
    assert at_zero == pytest.approx(model.objective(np.zeros(3)), rel=1e-12)


def test_cholmod_reports_its_fill():
    spec = reference.load_case("penicillin_reml")
    model = LinearMixedModel.from_formula(spec["formula"], reference.data("penicillin_reml"))
    solver = model.bind(CholmodSolver())
    model.objective(model.covariance.theta0)
    q = model.system.pattern.shape[0]
    assert q <= solver.nnz_L() <= q * (q + 1) // 2
