"""sparselmm.intervals: predict(se_fit=True, interval=...), checked against the dense textbook computation
sigma^2 [Lambda'z; x]' C^-1 [Lambda'z; x] with C the penalized system's matrix (lme4 1.1-31 has no se.fit:
make_interface.R records that it warns and ignores it)."""

import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import interface_reference as ir
import sparselmm as slmm
from sparselmm import SparseLMMError


def dense_variance(fit, X, Z):
    """sigma^2 [Lambda'z_i; x_i]' C^-1 [Lambda'z_i; x_i] per row, every matrix dense (small models only)."""
    L = fit.model.covariance.lambda_matrix(fit.theta).toarray()
    Xw, ZLw = fit.design.X, fit.design.Z.toarray() @ L
    w = np.ones(fit.nobs) if fit.design.weights is None else fit.design.weights
    C = np.block([[ZLw.T @ (w[:, None] * ZLw) + np.eye(L.shape[0]), ZLw.T @ (w[:, None] * Xw)],
                  [Xw.T @ (w[:, None] * ZLw), Xw.T @ (w[:, None] * Xw)]])
    rows = np.hstack([Z @ L, X])
    return fit.sigma**2 * np.einsum("ij,jk,ik->i", rows, np.linalg.inv(C), rows)


@pytest.fixture(scope="module", params=["methods", "weights_reml"])
def fit(request):
    return slmm.lmer(ir.load(request.param)["formula"], ir.data(request.param), **ir.arguments(request.param))


def test_se_fit_on_the_fits_rows_is_the_textbook_one(fit):
    table = fit.predict(se_fit=True)
    expected = np.sqrt(dense_variance(fit, fit.design.X, fit.design.Z.toarray()))
    np.testing.assert_allclose(table["se_fit"], expected, rtol=1e-9)
    np.testing.assert_allclose(table["fit"], fit.fitted, rtol=1e-12)


def test_se_fit_is_sigma_times_the_root_of_the_leverage_over_the_weight(fit):
    weights = 1.0 if fit.design.weights is None else fit.design.weights
    np.testing.assert_allclose(fit.predict(se_fit=True)["se_fit"] ** 2 * weights, fit.sigma**2 * fit.hatvalues(),
                               rtol=1e-9)


def test_population_predictions_have_the_variance_of_x_beta(fit):
    table = fit.predict(re_form="~0", se_fit=True)
    X, V = fit.design.X, fit.vcov.to_numpy()
    np.testing.assert_allclose(table["se_fit"] ** 2, np.einsum("ij,jk,ik->i", X, V, X), rtol=1e-9)


def test_intervals_are_normal_quantiles_around_the_fit(fit):
    newdata = ir.newdata("predict_re_form").iloc[:3]  # known subjects
    confidence = fit.predict(newdata, interval="confidence", level=0.9, se_fit=True)
    prediction = fit.predict(newdata, interval="prediction", level=0.9)
    z = stats.norm.ppf(0.95)
    np.testing.assert_allclose(confidence["upr"] - confidence["fit"], z * confidence["se_fit"], rtol=1e-12)
    np.testing.assert_allclose((prediction["upr"] - prediction["lwr"]) / 2,
                               z * np.sqrt(confidence["se_fit"] ** 2 + fit.sigma**2), rtol=1e-12)
    assert list(prediction.columns) == ["fit", "lwr", "upr"]
    assert list(confidence.columns) == ["fit", "se_fit", "lwr", "upr"]


def test_a_new_level_adds_its_terms_covariance(fit):
    newdata = pd.DataFrame({"Days": [3.0, 3.0], "Subject": ["999", "308"]})
    table = fit.predict(newdata, se_fit=True, allow_new_levels=True)
    x = np.array([1.0, 3.0])
    T = fit.model.covariance.templates(fit.theta)[0]
    z = np.array([1.0, 3.0])
    expected = x @ fit.vcov.to_numpy() @ x + fit.sigma**2 * z @ T @ T.T @ z
    assert table["se_fit"].iloc[0] ** 2 == pytest.approx(expected, rel=1e-10)
    assert table["fit"].iloc[0] == pytest.approx(fit.predict(newdata.iloc[:1], re_form="~0").iloc[0])


def test_padded_under_na_exclude():
    fit = slmm.lmer("Reaction ~ Days + (Days | Subject)", ir.data("na_exclude"), na_action="exclude")
    table = fit.predict(interval="confidence")
    assert len(table) == 180 and table["lwr"].isna().sum() == 12


@pytest.mark.parametrize("arguments, message", [
    ({"interval": "credible"}, "interval must be None, 'confidence' or 'prediction', not 'credible'"),
    ({"interval": "confidence", "level": 95}, "level must be a probability such as 0.95, not 95"),
])
def test_bad_interval_arguments(fit, arguments, message):
    with pytest.raises(SparseLMMError, match=re.escape(message)):
        fit.predict(**arguments)
