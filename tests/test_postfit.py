"""Post-fit quantities: lme4's condVar and hat trace, and the seed's dense hat matrix, reproduced sparsely."""

import warnings

import numpy as np
import pandas as pd
import pytest

import reference
import sparselmm as slmm
from sparselmm.optimizers import BobyqaOptimizer


def fit_case(case_id):
    spec = reference.load_case(case_id)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return spec, slmm.lmer(spec["formula"], reference.data(case_id), REML=spec["REML"])


@pytest.fixture(scope="module", params=reference.case_ids())
def case(request):
    """Our fit, or where lme4 stopped short of its optimum, ours at lme4's theta (see test_reference_fits)."""
    spec, fit = fit_case(request.param)
    return spec, reference.at_lme4s_theta(spec, fit)


def test_hat_trace_matches_lme4(case):
    spec, fit = case
    assert fit.hat_trace() == pytest.approx(spec["hat_trace"], rel=1e-6)


def test_conditional_sds_match_lme4(case):
    spec, fit = case
    expected = pd.DataFrame(spec["ranef_long"])
    table = fit.ranef_table()
    assert list(table.columns) == ["grpvar", "term", "grp", "condval", "condsd"]
    for column in ("grpvar", "term", "grp"):
        assert table[column].tolist() == expected[column].tolist()
    np.testing.assert_allclose(table["condsd"], expected["condsd"], rtol=1e-5, atol=1e-12)
    scale = np.abs(expected["condval"]).max()
    np.testing.assert_allclose(table["condval"], expected["condval"], rtol=0, atol=1e-4 * scale)


def test_conditional_sds_at_lme4s_theta_match_to_1e6():
    spec = reference.load_case("insteval_reml")
    model = slmm.LinearMixedModel.from_formula(spec["formula"], reference.data("insteval_reml"))
    fit = model.at(reference.theta(spec))
    expected = pd.DataFrame(spec["ranef_long"])
    np.testing.assert_allclose(fit.ranef_table()["condsd"], expected["condsd"], rtol=1e-6)
    assert fit.hat_trace() == pytest.approx(spec["hat_trace"], rel=1e-7)


def test_insteval_fitted_on_lme4s_path_matches_its_conditional_sds_to_1e6():
    """The default (L-BFGS) InstEval fit ends 4.6e-8 below lme4's optimum and its condsd differ by up to
    2.1e-5 there; with lme4's optimiser and settings the fit retraces lme4's and so do the condsd."""
    spec = reference.load_case("insteval_reml")
    model = slmm.LinearMixedModel.from_formula(spec["formula"], reference.data("insteval_reml"))
    fit = model.fit(optimizer=BobyqaOptimizer())
    expected = pd.DataFrame(spec["ranef_long"])
    np.testing.assert_allclose(fit.ranef_table()["condsd"], expected["condsd"], rtol=1e-6)


def test_leverages_sum_to_the_trace(case):
    _, fit = case
    leverages = fit.hatvalues()
    assert leverages.shape == (fit.nobs,)
    assert np.all((leverages > 0) & (leverages < 1 + 1e-12))
    assert leverages.sum() == pytest.approx(fit.hat_trace(), rel=1e-10)


def test_predict_without_newdata_is_fitted(case):
    _, fit = case
    np.testing.assert_allclose(fit.predict(), fit.fitted, rtol=1e-12, atol=1e-12 * np.abs(fit.fitted).max())


def seed_hat_matrices(fit):
    """The seed's P_x, P_z and GLS vcov, built densely from V = Z Lambda Lambda' Z' + I (sigma^2 cancels)."""
    X, y = fit.design.X, fit.design.y
    Z = fit.design.Z.toarray()
    Lambda = fit.model.covariance.lambda_matrix(fit.theta).toarray()
    n = len(y)
    G = Lambda @ Lambda.T
    V_inv = np.linalg.inv(Z @ G @ Z.T + np.eye(n))
    Q_x = np.linalg.solve(X.T @ V_inv @ X, X.T @ V_inv)
    Q_z = G @ Z.T @ V_inv @ (np.eye(n) - X @ Q_x)
    vcov = fit.sigma**2 * np.linalg.inv(X.T @ V_inv @ X)
    return X @ Q_x, Z @ Q_z, Q_x, Q_z, vcov


@pytest.mark.parametrize("case_id", ["toy_ml", "toy_reml", "sleepstudy_reml", "penicillin_reml", "pastes_reml"])
def test_sparse_results_equal_the_seeds_dense_hat_matrix(case_id):
    _, fit = fit_case(case_id)
    P_x, P_z, Q_x, Q_z, vcov = seed_hat_matrices(fit)
    P = P_x + P_z
    y = fit.design.y
    np.testing.assert_allclose(Q_x @ y, fit.fixef, rtol=1e-8)
    np.testing.assert_allclose(Q_z @ y, fit.b, rtol=1e-8, atol=1e-8 * np.abs(fit.b).max())
    np.testing.assert_allclose(P @ y, fit.fitted, rtol=1e-8)
    assert fit.hat_trace() == pytest.approx(np.trace(P), rel=1e-8)
    np.testing.assert_allclose(fit.hatvalues(), np.diag(P), rtol=1e-8)
    df = fit.effective_df()
    assert df["fixed"] == pytest.approx(np.trace(P_x), rel=1e-8)
    assert df["random"] == pytest.approx(np.trace(P_z), rel=1e-8)
    assert df["residual"] == pytest.approx(fit.nobs - np.trace(P), rel=1e-8)
    np.testing.assert_allclose(fit.vcov.to_numpy(), vcov, rtol=1e-8)


def test_conditional_covariance_blocks_equal_the_dense_formula():
    """sigma^2 Lambda (Lambda'Z'Z Lambda + I)^-1 Lambda', diagonal blocks, on a 2x2 correlated term."""
    _, fit = fit_case("sleepstudy_reml")
    Z = fit.design.Z.toarray()
    Lambda = fit.model.covariance.lambda_matrix(fit.theta).toarray()
    dense = fit.sigma**2 * Lambda @ np.linalg.inv(Lambda.T @ Z.T @ Z @ Lambda + np.eye(Z.shape[1])) @ Lambda.T
    blocks = fit.condvar["Subject"]
    assert blocks.shape == (18, 2, 2)
    for level in range(18):
        index = slice(2 * level, 2 * level + 2)
        np.testing.assert_allclose(blocks[level], dense[index, index], rtol=1e-8)
