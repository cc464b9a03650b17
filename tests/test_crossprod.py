"""Cross-products and the penalized system: A(theta) on its fixed pattern equals Lambda' Z'Z Lambda + I,
its right-hand side Lambda' [Z'y Z'X]."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp

import reference
from sparselmm import LinearMixedModel
from sparselmm.crossprod import CrossProducts, PenalizedSystem


def model_of(case_id):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # rank_deficient_reml says it drops a column
        return LinearMixedModel.from_formula(reference.load_case(case_id)["formula"], reference.data(case_id))


def system_of(model):
    return PenalizedSystem(model.crossprods, model.covariance)


def dense_A(model, theta):
    Lambda = model.covariance.lambda_matrix(theta).toarray()
    return np.tril(Lambda.T @ model.crossprods.ZtZ.toarray() @ Lambda + np.eye(Lambda.shape[0]))


@pytest.mark.parametrize("case_id", reference.case_ids(include_large=False))
def test_assembled_A_equals_the_dense_product(case_id):
    model = model_of(case_id)
    rng = np.random.default_rng(11)
    theta = np.where(model.covariance.lower == 0, np.abs(rng.normal(size=model.covariance.n_theta)),
                     rng.normal(size=model.covariance.n_theta))
    A = system_of(model).assemble(theta)
    np.testing.assert_allclose(A.toarray(), dense_A(model, theta), rtol=1e-13, atol=1e-12)


@pytest.mark.parametrize("case_id", ["sleepstudy_reml", "correlated_three_reml", "crossed_ml", "uncorrelated_reml"])
def test_the_pattern_holds_every_theta(case_id):
    """Every entry that is non-zero at some theta is stored, and stays stored (as a zero) at theta = 0,
    so that CHOLMOD's symbolic analysis of the pattern is valid for every theta."""
    model = model_of(case_id)
    stored = system_of(model).pattern.toarray() != 0
    for seed in range(3):
        theta = np.random.default_rng(seed).normal(size=model.covariance.n_theta)
        assert not np.any((dense_A(model, theta) != 0) & ~stored)
    at_zero = system_of(model).assemble(np.zeros(model.covariance.n_theta))
    assert at_zero.nnz == stored.sum() > at_zero.shape[0]
    np.testing.assert_array_equal(at_zero.toarray(), np.eye(at_zero.shape[0]))


def test_cross_products_are_those_of_y_minus_its_least_squares_fit():
    rng = np.random.default_rng(2)
    Z = sp.random(40, 6, density=0.3, random_state=3, format="csc")
    X = np.column_stack([np.ones(40), rng.normal(size=40)])
    y = 1e6 + X @ [2.0, 3.0] + rng.normal(size=40)
    products = CrossProducts.from_arrays(Z, X, y)
    shifted = y - X @ products.beta_ols
    np.testing.assert_allclose(products.Zty, Z.T @ shifted, rtol=1e-9)
    assert products.yty == pytest.approx(shifted @ shifted, rel=1e-12)
    np.testing.assert_allclose(products.ZtZ.toarray(), (Z.T @ Z).toarray())
