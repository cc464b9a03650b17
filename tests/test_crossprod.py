"""Cross-products and the penalized system: A(theta) on its fixed pattern equals Lambda' Z'Z Lambda + I,
its right-hand side Lambda' [Z'y Z'X]."""

import warnings

import numpy as np
import pandas as pd
import pytest

import reference
from sparselmm import LinearMixedModel
from sparselmm.crossprod import Accumulator, PenalizedSystem
from sparselmm.spec import CodedRows


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


@pytest.mark.parametrize("case_id", ["sleepstudy_reml", "two_factors_reml", "pastes_reml", "crossed_slopes_reml",
                                     "uncorrelated_reml", "correlated_three_reml", "interaction_grouping_reml"])
def test_cross_products_from_the_codes_are_those_of_Z(case_id):
    """Z is never formed for the products: bincounts and coordinate sums over the codes give Z'Z, Z'X, Z'y."""
    model = model_of(case_id)
    design, products = model.design, model.crossprods
    Z, X, y = design.Z.toarray(), design.X, design.y
    shifted = y - X @ products.beta_ols
    np.testing.assert_allclose(products.ZtZ.toarray(), Z.T @ Z, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(products.ZtX, Z.T @ X, rtol=1e-12, atol=1e-10)
    np.testing.assert_allclose(products.Zty, Z.T @ shifted, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(products.XtX, X.T @ X, rtol=1e-12)
    assert products.yty == pytest.approx(shifted @ shifted, rel=1e-10)


def test_cross_products_are_those_of_y_minus_its_least_squares_fit():
    """A response far from zero keeps its digits: the products are of y - X beta_ols."""
    rng = np.random.default_rng(2)
    g = np.repeat(np.arange(8), 5)
    data = pd.DataFrame({"y": 1e6 + rng.normal(size=40) + rng.normal(size=8)[g], "x": rng.normal(size=40),
                         "g": g.astype(str)})
    model = LinearMixedModel.from_formula("y ~ x + (1 | g)", data)
    products, X, y = model.crossprods, model.design.X, model.design.y
    np.testing.assert_allclose(products.beta_ols, np.linalg.lstsq(X, y, rcond=None)[0], rtol=1e-12)
    shifted = y - X @ products.beta_ols
    assert abs(products.Xty).max() < 1e-6  # X' (y - X beta_ols) = 0: the shift took the large mean away
    assert products.yty == pytest.approx(shifted @ shifted, rel=1e-12)


def test_accumulators_of_parts_merge_into_the_whole():
    """Partitions of a cluster: each sums its rows apart, with the one shift of y given, then they merge."""
    model = model_of("crossed_slopes_reml")
    coded, terms = model.design.coded, model.design.terms
    whole = model.crossprods
    parts = []
    for rows in (np.arange(0, 400), np.arange(400, 400), np.arange(400, 1200)):  # the middle one is empty
        part = Accumulator(terms, shift=(whole.beta_ols, 0.0))
        part.add(CodedRows(coded.X[rows], coded.y[rows], tuple(c[rows] for c in coded.codes),
                           tuple(m[rows] for m in coded.matrices), coded.rows[rows], 0))
        parts.append(part)
    merged = parts[0].merge(parts[1]).merge(parts[2]).result()
    np.testing.assert_allclose(merged.ZtZ.toarray(), whole.ZtZ.toarray(), rtol=1e-12)
    np.testing.assert_allclose(merged.ZtX, whole.ZtX, rtol=1e-12)
    np.testing.assert_allclose(merged.Zty, whole.Zty, rtol=1e-9, atol=1e-9)
    assert merged.yty == pytest.approx(whole.yty, rel=1e-12) and merged.nobs == whole.nobs
    with pytest.raises(ValueError, match="different shifts"):
        Accumulator(terms, shift=(whole.beta_ols + 1, 0.0)).merge(parts[0]).merge(parts[2])
