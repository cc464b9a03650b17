"""sparselmm.rows: lmer's subset and na_action, and row-level results on the caller's rows.

na_exclude and na_omit (make_interface.R) hold what lme4's fitted, residuals, predict, hatvalues,
rstudent and cooks.distance return under na.exclude (180 values, NA at the 12 rows dropped) and
na.omit (the 168 rows used); subset_days and subset_drop_level fit with ``subset``.
"""

import re

import numpy as np
import pandas as pd
import pytest

import interface_reference as ir
import sparselmm as slmm
from sparselmm import DataError

FORMULA = "Reaction ~ Days + (Days | Subject)"
ROW_RESULTS = {"fitted_all": lambda f: f.fitted, "residuals_all": lambda f: f.residuals,
               "predict_all": lambda f: f.predict(), "predict_re_form_NA_all": lambda f: f.predict(re_form="NA"),
               "hatvalues_all": lambda f: f.hatvalues(), "rstudent_all": lambda f: f.rstudent(),
               "cooks_distance_all": lambda f: f.cooks_distance(),
               "residuals_pearson_all": lambda f: f.residuals_pearson()}


@pytest.fixture(scope="module", params=["na_exclude", "na_omit"])
def na_case(request):
    spec = ir.load(request.param)
    return spec, slmm.lmer(FORMULA, ir.data(request.param), **ir.arguments(request.param))


@pytest.mark.parametrize("field", list(ROW_RESULTS))
def test_row_results_are_laid_out_as_lme4s(na_case, field):
    spec, fit = na_case
    got, expected = ROW_RESULTS[field](fit), np.array(spec[field], dtype=float)
    assert isinstance(got, pd.Series) and len(got) == len(expected)
    np.testing.assert_array_equal(np.isnan(got.to_numpy()), np.isnan(expected))
    ir.assert_close(np.nan_to_num(got.to_numpy()), np.nan_to_num(expected), what=field)


def test_row_results_sit_on_the_callers_index(na_case):
    spec, fit = na_case
    data = ir.data(spec["id"])
    shifted = slmm.lmer(FORMULA, data.set_index(data.index * 10 + 7), **ir.arguments(spec["id"]))
    expected = data.index * 10 + 7
    if spec["na_action_class"] == "omit":
        expected = expected.delete(np.array(spec["na_action_rows"]) - 1)
    assert list(shifted.fitted.index) == list(expected) and list(shifted.residuals.index) == list(expected)
    assert fit.n_dropped == len(spec["na_action_rows"])


def test_na_action_fail_names_the_columns_with_missing_values():
    message = ("na_action='fail' and 12 row(s) have missing values in the columns the model uses: Reaction (6), "
               "Days (4), Subject (2); drop or fill them, or use na_action='omit' or 'exclude'")
    with pytest.raises(DataError, match=re.escape(message)):
        slmm.lmer(FORMULA, ir.data("na_exclude"), na_action="fail")
    assert slmm.lmer(FORMULA, ir.data("na_exclude").dropna(), na_action="fail").nobs == 168


@pytest.mark.parametrize("na_action", ["na.omit", "na.exclude"])
def test_rs_names_of_the_actions_are_accepted(na_action):
    assert slmm.lmer(FORMULA, ir.data("na_exclude"), na_action=na_action).nobs == 168


@pytest.mark.parametrize("na_action", ["skip", None, "NA"])
def test_an_unknown_na_action_is_refused_with_the_three(na_action):
    with pytest.raises(slmm.SparseLMMError, match=re.escape(f"na_action must be one of 'omit', 'exclude', 'fail', "
                                                            f"not {na_action!r}")):
        slmm.lmer(FORMULA, ir.data("na_exclude"), na_action=na_action)


def days_at_least_two(data):
    return {"text": "Days >= 2", "mask": data["Days"] >= 2, "array": (data["Days"] >= 2).to_numpy(),
            "positions": np.flatnonzero(data["Days"] >= 2)}


@pytest.mark.parametrize("form", ["text", "mask", "array", "positions"])
def test_subset_in_every_form_gives_lme4s_fit(form):
    spec, data = ir.load("subset_days"), ir.data("subset_days")
    fit = slmm.lmer(FORMULA, data, subset=days_at_least_two(data)[form])
    assert fit.nobs == spec["nobs"] == 144
    assert fit.objective == pytest.approx(spec["objective"], rel=1e-9)
    assert list(fit.rows + 1) == spec["fitted_index"]


def test_a_subset_drops_the_levels_it_leaves_unused():
    spec = ir.load("subset_drop_level")
    fit = slmm.lmer(FORMULA, ir.data("subset_drop_level"), subset="Subject != '308'")
    assert list(fit.ranef["Subject"].index) == spec["levels_Subject_in_fit"]


def test_subset_with_na_action_exclude_pads_only_within_the_subset():
    data = ir.data("na_exclude")
    fit = slmm.lmer(FORMULA, data, subset="Days >= 2", na_action="exclude")
    within = data.index[data["Days"] >= 2]
    assert list(fit.fitted.index) == list(within)
    assert fit.fitted.isna().sum() == fit.n_dropped == (data.loc[within, ["Reaction", "Subject"]].isna().any(axis=1)
                                                         | data.loc[within, "Days"].isna()).sum()


def test_a_boolean_series_is_aligned_on_the_index_and_missing_is_false():
    data = ir.data("subset_days")
    mask = (data["Days"] >= 2).astype("boolean")
    mask.iloc[-1] = pd.NA
    shuffled = mask.sample(frac=1.0, random_state=1)
    fit = slmm.lmer(FORMULA, data, subset=shuffled)
    assert fit.nobs == 143


@pytest.mark.parametrize("subset, message", [
    ("Dayz >= 2", "subset='Dayz >= 2' cannot be evaluated on the data's columns"),
    (np.ones(3, dtype=bool), "subset has 3 values for 180 rows; give one per row"),
    (np.array([0, 500]), "subset holds row positions outside 0..179"),
    (np.ones((180, 2), dtype=bool), "subset must be one-dimensional"),
    (np.array(["a"] * 180), "subset must be booleans, row positions or an expression such as 'Days >= 2'"),
])
def test_bad_subsets_are_refused(subset, message):
    with pytest.raises(DataError, match=re.escape(message)):
        slmm.lmer(FORMULA, ir.data("subset_days"), subset=subset)
