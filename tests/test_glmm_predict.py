"""predict() on new data (link and response scale, population or conditional, new levels, offsets) and simulate()."""

import numpy as np
import pandas as pd
import pytest

import glmer_reference as ref
from sparselmm.errors import DataError

PREDICT_CASES = ["cbpp_logit_agq1", "verbagg", "binary_slope", "binary_singular", "poisson_offset_formula",
                 "poisson_offset_argument", "gamma_log", "grouseticks_poisson_centred", "binary_factor"]


@pytest.mark.parametrize("case_id", PREDICT_CASES)
def test_predictions_for_new_data_are_lme4s(case_id):
    """At lme4's optimum, to its digits: re_form="~0" (lme4's re.form = NA) and the conditional ones, where a new
    level's effect is 0. With offset= as an argument lme4 (and so we) leave the offset out for new data."""
    spec, result = ref.case(case_id), ref.at_lme4(case_id)
    expected, new = spec["predict"], ref.newdata(case_id)
    cases = [("link", "~0", "link_population"), ("response", "~0", "response_population"),
             ("link", None, "link_conditional"), ("response", None, "response_conditional")]
    for kind, re_form, field in cases:
        ours = result.predict(new, type=kind, re_form=re_form, allow_new_levels=True)
        np.testing.assert_allclose(ours, expected[field], rtol=1e-7, atol=1e-10, err_msg=field)


@pytest.mark.parametrize("case_id", ["cbpp_logit_agq1", "grouseticks_poisson_centred"])
def test_new_levels_need_allow_new_levels(case_id):
    assert "new levels detected in newdata" in ref.case(case_id)["predict"]["new_level_without_allow"]["error"]
    with pytest.raises(DataError, match=r"new levels.*allow_new_levels=True"):
        ref.fit(case_id).predict(ref.newdata(case_id))


def test_without_newdata_the_fitted_values():
    fit = ref.fit("cbpp_logit_agq1")
    np.testing.assert_array_equal(fit.predict(type="response"), fit.fitted)
    np.testing.assert_array_equal(fit.predict(), fit.linear_predictor)
    population = fit.predict(re_form="~0")
    np.testing.assert_allclose(population, fit.model.X @ fit.beta)
    np.testing.assert_allclose(fit.predict(re_form="~(1 | herd)"), fit.linear_predictor)


def test_missing_predictors_give_nan_and_a_bad_type_is_refused():
    fit, new = ref.fit("cbpp_logit_agq1"), ref.newdata("cbpp_logit_agq1")
    new.loc[0, "period"] = None
    predicted = fit.predict(new, type="response", allow_new_levels=True)
    assert np.isnan(predicted[0]) and np.isfinite(predicted[1:]).all()
    with pytest.raises(DataError, match="type must be 'link' or 'response'"):
        fit.predict(new, type="terms")


def test_simulate():
    fit = ref.fit("cbpp_logit_agq1")
    draws = fit.simulate(nsim=3, seed=1)
    assert draws.shape == (56, 3) and list(draws.columns) == ["sim_1", "sim_2", "sim_3"]
    pd.testing.assert_frame_equal(draws, fit.simulate(nsim=3, seed=1))
    trials = fit.weights
    successes = draws.to_numpy() * trials[:, None]
    np.testing.assert_allclose(successes, np.rint(successes), atol=1e-9)  # proportions of whole trials
    assert ((draws >= 0) & (draws <= 1)).all().all()
    counts = ref.fit("poisson_offset_formula").simulate(nsim=2, seed=2).to_numpy()
    assert (counts >= 0).all() and np.array_equal(counts, np.rint(counts))
    positive = ref.fit("gamma_log").simulate(seed=3).to_numpy()
    assert (positive > 0).all()
    with pytest.raises(ValueError, match="nsim must be a positive integer"):
        fit.simulate(nsim=0)


def test_simulated_means_follow_the_model():
    """Averaged over many draws, the binary responses' mean is the model's marginal mean (within 3 standard errors)."""
    fit = ref.fit("binary_numeric")
    draws = fit.simulate(nsim=400, seed=4).to_numpy()
    u = np.random.default_rng(5).standard_normal((20000, 1)) * fit.theta[0]
    eta = fit.model.X @ fit.beta
    marginal = np.mean(1 / (1 + np.exp(-(eta[None, :] + u))))
    assert abs(draws.mean() - marginal) < 3 * draws.mean(axis=0).std() / np.sqrt(400) + 1e-3
