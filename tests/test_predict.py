"""predict and simulate, as lme4's: new data coded as the fit coded it."""

import json
import warnings

import numpy as np
import pandas as pd
import pytest

import reference
import sparselmm as slmm
from sparselmm import DataError, FormulaError

LME4_PREDICTIONS = json.loads((reference.OURS / "predictions" / "sleepstudy.json").read_text())


@pytest.fixture(scope="module")
def sleep_fit():
    return slmm.lmer("Reaction ~ Days + (Days | Subject)", reference.data("sleepstudy_reml"))


def test_predictions_for_new_data_match_lme4(sleep_fit):
    newdata = pd.DataFrame(LME4_PREDICTIONS["newdata"])
    conditional = sleep_fit.predict(newdata, allow_new_levels=True)
    np.testing.assert_allclose(conditional, LME4_PREDICTIONS["conditional"], rtol=1e-6)
    population = sleep_fit.predict(newdata, re_form="~0")
    np.testing.assert_allclose(population, LME4_PREDICTIONS["population"], rtol=1e-6)


def test_new_levels_are_refused_unless_allowed(sleep_fit):
    newdata = pd.DataFrame({"Days": [1.0], "Subject": ["999"]})
    with pytest.raises(DataError, match="new levels of 'Subject'.*allow_new_levels"):
        sleep_fit.predict(newdata)


def test_predict_on_the_fitted_data_equals_fitted(sleep_fit):
    data = reference.data("sleepstudy_reml")
    np.testing.assert_allclose(sleep_fit.predict(data), sleep_fit.fitted, rtol=1e-12)
    np.testing.assert_allclose(sleep_fit.predict(re_form="~0"), sleep_fit.design.X @ sleep_fit.fixef.to_numpy())
    np.testing.assert_allclose(sleep_fit.predict(data, re_form="~(Days | Subject)"), sleep_fit.fitted, rtol=1e-12)


def test_rows_with_missing_values_predict_nan(sleep_fit):
    newdata = pd.DataFrame({"Days": [1.0, np.nan], "Subject": ["308", "308"]})
    predicted = sleep_fit.predict(newdata)
    assert np.isfinite(predicted[0]) and np.isnan(predicted[1])


def test_response_is_not_needed_in_newdata(sleep_fit):
    assert np.isfinite(sleep_fit.predict(pd.DataFrame({"Days": [2.0], "Subject": ["308"]}))).all()


def test_categorical_fixed_effects_are_coded_as_in_the_fit():
    data = reference.data("interaction_grouping_reml")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = slmm.lmer("angle ~ recipe * temp + (1 | recipe:replicate)", data)
    head = data.iloc[[0, 50, 100]]
    np.testing.assert_allclose(fit.predict(head), fit.fitted[[0, 50, 100]], rtol=1e-12)
    unseen = head.assign(recipe="Z")
    with pytest.raises(DataError, match="'recipe'.*never saw"):
        fit.predict(unseen)


def test_re_form_must_name_model_terms(sleep_fit):
    with pytest.raises(FormulaError, match="re_form names"):
        sleep_fit.predict(re_form="~(1 | Nobody)")


def test_simulations_follow_the_fitted_model():
    """Mean X beta and covariance sigma^2 (Z Lambda Lambda' Z' + I), checked over 4,000 draws."""
    fit = slmm.lmer("y ~ x1 + (1 | subject)", reference.data("toy_reml"))
    draws = fit.simulate(nsim=4000, seed=42)
    assert list(draws.columns[:2]) == ["sim_1", "sim_2"] and draws.shape == (5, 4000)
    ZL = fit.design.Z.toarray() @ fit.model.covariance.lambda_matrix(fit.theta).toarray()
    covariance = fit.sigma**2 * (ZL @ ZL.T + np.eye(5))
    standard_error = np.sqrt(np.diag(covariance) / 4000)
    assert np.all(np.abs(draws.mean(axis=1) - fit.design.X @ fit.fixef.to_numpy()) < 4 * standard_error)
    np.testing.assert_allclose(np.cov(draws.to_numpy()), covariance, atol=0.15 * covariance.max())
    pd.testing.assert_frame_equal(fit.simulate(nsim=3, seed=1), fit.simulate(nsim=3, seed=1))
