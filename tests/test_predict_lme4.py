"""predict as lme4's predict.merMod on a random-slopes fit (make_interface.R's predict_re_form case):
partial re_form terms, new levels and missing grouping values in new data."""

import re

import numpy as np
import pandas as pd
import pytest

import interface_reference as ir
import sparselmm as slmm
from sparselmm import DataError, FormulaError

SPEC = ir.load("predict_re_form")
RE_FORMS = {key: (None if text == "NULL" else text) for key, text in SPEC["re_forms"].items()}


@pytest.fixture(scope="module")
def fit():
    return slmm.lmer(SPEC["formula"], ir.data("predict_re_form"))


@pytest.mark.parametrize("key", list(RE_FORMS))
def test_each_re_form_on_the_fits_rows_is_lme4s(fit, key):
    """~(1 | Subject) adds only the intercepts, ~(0 + Days | Subject) only Days times the slopes."""
    ir.assert_close(fit.predict(re_form=RE_FORMS[key]), SPEC["predict_data"][key], rtol=1e-9, what=key)


def test_the_first_rows_are_the_issues_numbers(fit):
    assert fit.predict(re_form="~(0 + Days | Subject)").iloc[0] == pytest.approx(251.4051, abs=1e-4)
    assert fit.predict(re_form="~(1 | Subject)").iloc[0] == pytest.approx(253.6637, abs=1e-4)


@pytest.mark.parametrize("key", list(RE_FORMS))
def test_new_levels_allowed_are_predicted_at_the_population_level(fit, key):
    newdata = ir.newdata("predict_re_form")
    got = fit.predict(newdata, re_form=RE_FORMS[key], allow_new_levels=True)
    ir.assert_close(got, SPEC["predict_newdata_allow_new_levels"][key], rtol=1e-9, what=key)


@pytest.mark.parametrize("key", list(RE_FORMS))
def test_a_missing_grouping_value_allowed_is_predicted_at_the_population_level(fit, key):
    newdata = ir.newdata("predict_re_form", "newdata_na")
    got = fit.predict(newdata, re_form=RE_FORMS[key], allow_new_levels=True)
    ir.assert_close(got, SPEC["predict_newdata_na_allow_new_levels"][key], rtol=1e-9, what=key)


def test_without_allow_new_levels_lme4s_errors(fit):
    assert SPEC["error_new_level_default"] == "new levels detected in newdata: 999"
    with pytest.raises(DataError, match="^new levels detected in newdata: 999 "):
        fit.predict(ir.newdata("predict_re_form"))
    lme4 = "NAs are not allowed in prediction data for grouping variables unless allow"
    assert SPEC["error_na_group_default"].startswith(lme4)
    with pytest.raises(DataError, match=f"^{lme4}_new_levels=True"):
        fit.predict(ir.newdata("predict_re_form", "newdata_na"))


def test_re_form_na_needs_no_grouping_value_at_all(fit):
    newdata = ir.newdata("predict_re_form", "newdata_na")
    ir.assert_close(fit.predict(newdata, re_form="NA"), SPEC["predict_newdata_na_re_form_NA"], rtol=1e-9, what="NA")
    ir.assert_close(fit.predict(newdata[["Days"]], re_form="~0"), SPEC["predict_newdata_na_re_form_NA"], rtol=1e-9,
                    what="without Subject")
    assert fit.predict(newdata, re_form=np.nan).notna().all()


def test_predictions_sit_on_newdatas_index(fit):
    newdata = ir.newdata("predict_re_form").set_index(pd.Index(list("abcdef")))
    got = fit.predict(newdata, allow_new_levels=True)
    assert isinstance(got, pd.Series) and list(got.index) == list("abcdef")
    holed = newdata.assign(Days=newdata["Days"].where(newdata.index != "b"))
    assert np.isnan(fit.predict(holed, allow_new_levels=True)["b"])


def test_two_terms_on_one_factor_are_picked_by_column():
    data = ir.data("dummy_random")
    fit = slmm.lmer(ir.load("dummy_random")["formula"], data)
    intercepts = fit.ranef["Worker"]["(Intercept)"]
    expected = fit.predict(re_form="~0").to_numpy() + intercepts.loc[data["Worker"]].to_numpy()
    np.testing.assert_allclose(fit.predict(re_form="~(1 | Worker)"), expected, rtol=1e-12)


@pytest.mark.parametrize("re_form, message", [
    ("~(1 | Patient)", "re_form names Patient, which the model does not have (its grouping factors: Subject)"),
    ("~(0 + x | Subject)", "re_form asks for x by Subject, which the model's random effects do not have"),
    ("(1 | Subject", "re_form must be None, '~0' or random terms such as '~(1 | g)'"),
])
def test_bad_re_forms_are_named(fit, re_form, message):
    with pytest.raises(FormulaError, match=re.escape(message)):
        fit.predict(re_form=re_form)


def test_new_data_in_another_container(fit):
    polars = pytest.importorskip("polars")
    newdata = ir.newdata("predict_re_form").iloc[:3]
    got = fit.predict(polars.from_pandas(newdata))
    np.testing.assert_array_equal(got.to_numpy(), fit.predict(newdata).to_numpy())
    assert list(got.index) == [0, 1, 2]
