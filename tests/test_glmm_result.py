"""The fitted GLMM under lme4's names: fit statistics, the two deviances, variance components, covariances,
coefficient table, rows (fitted, linear predictors, the four kinds of residuals), devcomp."""

import numpy as np
import pytest

import glmer_reference as ref

RESULT_CASES = ["cbpp_logit_agq1", "cbpp_logit_agq9", "cbpp_logit_agq0", "verbagg", "binary_slope", "gamma_log",
                "inverse_gaussian_log", "poisson_offset_argument", "binary_singular", "cbpp_proportion_weights",
                "grouseticks_poisson_centred"]


@pytest.mark.parametrize("case_id", RESULT_CASES)
def test_fit_statistics(case_id):
    spec, fit = ref.case(case_id), ref.fit(case_id)
    assert fit.nobs == spec["nobs"] and fit.ngroups == spec["ngroups"]
    assert fit.df == spec["df"] and fit.df_resid == spec["df_residual"]
    for ours, theirs in ((fit.loglik, "logLik"), (fit.aic, "AIC"), (fit.bic, "BIC"), (fit.objective, "minus_2_logLik")):
        assert ours == pytest.approx(spec[theirs], rel=1e-6)
    assert fit.deviance == pytest.approx(spec["deviance"], rel=1e-4)  # deviance(fit): not -2 logLik
    assert fit.sigma == pytest.approx(spec["sigma"], rel=1e-4)
    assert fit.singular == spec["singular"]


@pytest.mark.parametrize("case_id", RESULT_CASES)
def test_variance_components_and_covariances(case_id):
    spec, fit = ref.case(case_id), ref.fit(case_id)
    expected = ref.table(spec["varcorr"])
    assert list(fit.varcorr["grp"]) == list(expected["grp"])
    assert list(fit.varcorr["var1"].fillna("")) == list(expected["var1"].fillna(""))
    np.testing.assert_allclose(fit.varcorr["sdcor"], expected["sdcor"], rtol=1e-3, atol=1e-8)
    assert ref.relative_error(fit.vcov, ref.table(spec["vcov"])) < 1e-3  # relative to its largest entry
    np.testing.assert_allclose(np.diag(fit.vcov), np.diag(ref.table(spec["vcov"])), rtol=2e-3)
    assert list(fit.vcov.index) == list(spec["beta"])


@pytest.mark.parametrize("case_id", ["cbpp_logit_agq1", "gamma_log"])
def test_coefficient_table(case_id):
    spec, fit = ref.case(case_id), ref.fit(case_id)
    expected = ref.table(spec["coefficients"])
    table = fit.coef_table()
    assert list(table.columns) == list(expected.columns)  # "t value" for Gamma, as lme4 labels it
    np.testing.assert_allclose(table, expected, rtol=2e-3)


@pytest.mark.parametrize("case_id", RESULT_CASES)
def test_rows_at_lme4s_optimum(case_id):
    """fitted, linear predictors and the four residuals: at lme4's parameters, lme4's to its rounding."""
    spec, result = ref.case(case_id), ref.at_lme4(case_id)
    rows = np.array(spec["row_index"]) - 1
    np.testing.assert_allclose(result.fitted[rows], spec["fitted"], rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(result.linear_predictor[rows], spec["linear_predictor"], rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(result.predict(re_form="~0")[rows], spec["linear_predictor_population"], rtol=1e-9)
    for kind in ("deviance", "pearson", "response", "working"):
        np.testing.assert_allclose(result.residuals(kind)[rows], spec["residuals"][kind], rtol=1e-5, atol=1e-9)


def test_residuals_default_and_bad_type():
    fit = ref.fit("cbpp_logit_agq1")
    np.testing.assert_array_equal(fit.residuals(), fit.residuals("deviance"))
    assert float(np.sum(fit.residuals() ** 2)) == pytest.approx(fit.deviance, rel=1e-12)
    with pytest.raises(ValueError, match="residuals type must be 'deviance', 'pearson', 'response' or 'working'"):
        fit.residuals("partial")


def test_ranef_by_grouping_factor():
    fit = ref.fit("binary_slope")
    frame = fit.ranef["g"]
    assert list(frame.columns) == ["(Intercept)", "x"] and frame.shape == (60, 2)
    np.testing.assert_allclose(frame.to_numpy().ravel(), fit.b)


def test_the_result_owns_its_factor():
    """Later evaluations on the model (another result at other parameters) do not disturb a result's own
    conditional variances."""
    fit = ref.fit("verbagg")
    before = fit.ranef_table()["condsd"].to_numpy()
    ref.at_lme4("verbagg")
    fit.__dict__.pop("condvar", None)
    np.testing.assert_allclose(fit.ranef_table()["condsd"], before, rtol=1e-12)


def test_pickle_round_trip():
    import pickle

    fit = ref.fit("binary_slope")
    table = fit.ranef_table()
    again = pickle.loads(pickle.dumps(fit))
    np.testing.assert_array_equal(again.fitted, fit.fitted)
    assert str(again.summary()) == str(fit.summary())
    again.__dict__.pop("condvar", None)
    np.testing.assert_allclose(again.ranef_table()["condsd"], table["condsd"], rtol=1e-12)
    new = ref.newdata("binary_slope")
    np.testing.assert_allclose(again.predict(new, allow_new_levels=True), fit.predict(new, allow_new_levels=True))
