"""Prior weights and offsets, as lme4 1.1-31 fits them (tests/data/interface, made by make_interface.R).

weights: row i's residual variance is sigma^2 / w_i and the likelihood gains sum(log w) / 2;
offsets (the offset= argument and any number of offset() terms) join the linear predictor.
The same tolerances as test_reference_fits.py: the criterion within 1e-6 relative or lower,
every other quantity within 1e-4 of the largest entry of its vector.
"""

import json
import warnings

import numpy as np
import pandas as pd
import pytest

import reference
from reference import assert_close
import sparselmm as slmm
from sparselmm import DataError

INTERFACE = reference.ROOT / "tests" / "data" / "interface"
CASES = ["weights_reml", "weights_ml", "weights_crossed_reml", "offset_argument", "offset_in_formula",
         "offset_two_terms", "offset_and_weights", "offset_argument_and_formula"]


def load(case):
    spec = json.loads((INTERFACE / f"{case}.json").read_text())
    types = spec["column_types"]
    data = pd.read_csv(INTERFACE / spec["data"], dtype={c: str for c, kind in types.items() if kind == "factor"})
    arguments = {}
    for part in spec["lmer_args"].split(","):
        if "=" in part:
            key, value = (piece.strip() for piece in part.split("="))
            if key in ("weights", "offset"):
                arguments[key] = value
    return spec, data, arguments


@pytest.fixture(scope="module", params=CASES)
def case(request):
    spec, data, arguments = load(request.param)
    untouched = data.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", slmm.SingularFitWarning)
        fit = slmm.lmer(spec["formula"], data, REML=spec["REML"], **arguments)
    pd.testing.assert_frame_equal(data, untouched)
    return spec, data, arguments, fit


def test_the_criterion_and_likelihood_are_lme4s(case):
    spec, _, _, fit = case
    assert fit.objective <= spec["objective"] + 1e-6 * abs(spec["objective"])
    assert_close(fit.loglik, spec["logLik"], rtol=1e-6, what="logLik")
    assert_close(fit.aic, spec["AIC"], rtol=1e-6, what="AIC")


def test_estimates_are_lme4s(case):
    spec, _, _, fit = case
    assert_close(fit.theta, spec["theta"], what="theta")
    assert_close(fit.sigma, spec["sigma"], what="sigma")
    assert_close(fit.fixef.to_numpy(), list(spec["beta"].values()), what="beta")
    assert_close(fit.vcov.to_numpy(), np.array(spec["vcov"]).reshape(len(spec["beta"]), -1), what="vcov")


def test_fitted_values_include_the_offsets(case):
    spec, _, _, fit = case
    used = [i - 1 for i in spec["fitted_index"]]
    assert_close(fit.fitted[used], spec["fitted"], what="fitted")
    assert_close(fit.residuals[used], spec["residuals"], what="residuals")


def test_predictions_on_new_data_use_the_formulas_offsets_only(case):
    """lme4's predict on new data adds the formula's offset() terms, not the offset= argument."""
    spec, _, _, fit = case
    if "newdata" not in spec:
        pytest.skip("a weights case: no new data")
    types = spec["newdata_column_types"]
    newdata = pd.read_csv(INTERFACE / spec["newdata"], dtype={c: str for c, k in types.items() if k == "factor"})
    assert_close(fit.predict(newdata), spec["predict_newdata"], what="predict")
    assert_close(fit.predict(newdata, re_form="~0"), spec["predict_newdata_re_form_NA"], what="predict re_form=NA")


def test_a_weights_column_and_its_values_give_the_same_fit():
    spec, data, _ = load("weights_reml")
    by_name = slmm.lmer(spec["formula"], data, weights="w")
    by_values = slmm.lmer(spec["formula"], data, weights=data["w"].to_numpy())
    assert by_name.objective == by_values.objective
    np.testing.assert_array_equal(by_name.theta, by_values.theta)


def test_a_chunked_fit_keeps_weights_and_offsets():
    spec, data, arguments = load("offset_and_weights")
    whole = slmm.LinearMixedModel.from_formula(spec["formula"], data, **arguments).fit()
    chunks = [data.iloc[:70], data.iloc[70:130], data.iloc[130:]]
    chunked = slmm.LinearMixedModel.from_chunks(spec["formula"], chunks, **arguments).fit()
    assert chunked.objective == pytest.approx(whole.objective, rel=1e-12)
    np.testing.assert_allclose(chunked.theta, whole.theta, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(chunked.fixef, whole.fixef, rtol=1e-8)


def test_rows_missing_a_weight_are_dropped():
    spec, data, _ = load("weights_reml")
    holed = data.assign(w=data["w"].where(data.index != 5))
    fit = slmm.lmer(spec["formula"], holed, weights="w")
    assert fit.nobs == len(data) - 1 and fit.n_dropped == 1


@pytest.mark.parametrize("weights, message", [
    ("nope", "weights='nope' names no column of the data"),
    (np.ones(3), "weights has 3 values for 180 rows"),
    ("negative", "weights must be positive: 1 are zero or negative (first at row 0)"),
    ("zero", "weights must be positive: 1 are zero or negative (first at row 0)"),
])
def test_bad_weights_are_refused_with_a_way_out(weights, message):
    spec, data, _ = load("weights_reml")
    data = data.assign(negative=data["w"].where(data.index != 0, -1.0), zero=data["w"].where(data.index != 0, 0.0))
    with pytest.raises(DataError) as caught:
        slmm.lmer(spec["formula"], data, weights=weights)
    assert message in str(caught.value)


def test_chunks_need_weights_by_column_name():
    spec, data, _ = load("weights_reml")
    with pytest.raises(DataError, match="must name a column"):
        slmm.LinearMixedModel.from_chunks(spec["formula"], [data], weights=data["w"].to_numpy())


@pytest.mark.parametrize("case_id", ["weights_reml", "weights_ml", "offset_and_weights"])
def test_leverages_are_lme4s_with_weights(case_id):
    spec, data, arguments = load(case_id)
    fit = slmm.lmer(spec["formula"], data, REML=spec["REML"], **arguments)
    if "hatvalues" in spec:
        assert_close(fit.hatvalues(), spec["hatvalues"], what="hatvalues")
    assert fit.hat_trace() == pytest.approx(spec["hat_trace"], rel=1e-6)
    assert fit.hatvalues().sum() == pytest.approx(fit.hat_trace(), rel=1e-10)
