"""Persistence: a fit survives pickle and JSON with identical numbers, and its tidy tables are lme4's.

Every reference case is fitted once; the round trips are compared with the
fit itself (exactly), the tables and JSON fields with lme4's own numbers in
the reference files (to the tolerances of test_reference_fits.py).
"""

import dataclasses
import json
import math
import pickle
import warnings

import numpy as np
import pandas as pd
import pytest

import reference
from reference import assert_close
import sparselmm as slmm
from sparselmm import DataError, FitRecord, load_json
from sparselmm.export import fit_record, to_json



def as_list(value):
    return value if isinstance(value, list) else [value]


@pytest.fixture(scope="module", params=reference.case_ids())
def case(request):
    """(lme4's spec, the fit, a pickled copy taken before anything was computed on the fit).

    Where lme4 stopped short of its optimum the fit is ours at lme4's theta (see test_reference_fits).
    """
    spec = reference.load_case(request.param)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = reference.at_lme4s_theta(spec, slmm.lmer(spec["formula"], reference.data(request.param),
                                                       REML=spec["REML"]))
    clone = pickle.loads(pickle.dumps(fit))
    return spec, fit, clone


@pytest.fixture(scope="module")
def sleepstudy():
    spec = reference.load_case("sleepstudy_reml")
    return slmm.lmer(spec["formula"], reference.data("sleepstudy_reml"), REML=spec["REML"])


def assert_same_numbers(got, fit):
    """Exactly the fit's numbers: estimates, tables, statistics."""
    np.testing.assert_array_equal(got.theta, fit.theta)
    assert got.sigma == fit.sigma
    pd.testing.assert_series_equal(got.fixef, fit.fixef, check_exact=True)
    pd.testing.assert_frame_equal(got.vcov, fit.vcov, check_exact=True)
    pd.testing.assert_frame_equal(got.varcorr, fit.varcorr, check_exact=True)
    assert list(got.ranef) == list(fit.ranef)
    for group in fit.ranef:
        pd.testing.assert_frame_equal(got.ranef[group], fit.ranef[group], check_exact=True)
    # conditional sds come from a factor rebuilt after unpickling, which may run LAPACK on another number
    # of threads: the same numbers to rounding
    pd.testing.assert_frame_equal(got.ranef_table(), fit.ranef_table(), check_exact=False, rtol=1e-12)
    for name in ("objective", "loglik", "aic", "bic", "nobs", "ngroups", "df", "singular", "REML"):
        assert getattr(got, name) == getattr(fit, name), name
    assert got.hat_trace() == fit.hat_trace()


# ------------------------------------------------------------------ pickle


def test_pickle_round_trip_gives_identical_numbers(case):
    _, fit, clone = case
    assert_same_numbers(clone, fit)
    np.testing.assert_array_equal(clone.fitted, fit.fitted)
    np.testing.assert_array_equal(clone.residuals, fit.residuals)
    assert str(clone.summary()) == str(fit.summary())


def test_a_pickled_fit_still_predicts(sleepstudy):
    clone = pickle.loads(pickle.dumps(sleepstudy))
    new = reference.data("sleepstudy_reml").iloc[:5]
    np.testing.assert_array_equal(clone.predict(new), sleepstudy.predict(new))


# ------------------------------------------------------------------ tidy tables vs lme4


def test_tidy_fixef_is_lmers_coefficient_table(case):
    spec, fit, _ = case
    table = fit.tidy_fixef()
    assert list(table.columns) == ["term", "estimate", "std_error", "t_value"]
    assert table["term"].tolist() == list(spec["beta"])
    assert_close(table["estimate"], list(spec["beta"].values()), what="estimate")
    assert_close(table["std_error"], as_list(spec["stderr"]), what="std_error")
    t_lme4 = np.array(list(spec["beta"].values())) / np.array(as_list(spec["stderr"]))
    assert_close(table["t_value"], t_lme4, what="t value")


def test_tidy_varcorr_is_lmes_varcorr_frame(case):
    spec, fit, _ = case
    table, expected = fit.tidy_varcorr(), pd.DataFrame(spec["varcorr"])
    assert list(table.columns) == ["grp", "var1", "var2", "vcov", "sdcor"]
    for column in ("grp", "var1", "var2"):
        assert table[column].fillna("NA").tolist() == expected[column].fillna("NA").tolist()
    assert_close(table["vcov"], expected["vcov"], what="vcov")
    assert_close(table["sdcor"], expected["sdcor"], what="sdcor")


def test_tidy_ranef_has_lmes_conditional_modes_and_sds(case):
    spec, fit, _ = case
    table, expected = fit.tidy_ranef(), pd.DataFrame(spec["ranef_long"])
    assert list(table.columns) == ["grpvar", "term", "grp", "condval", "condsd"]
    for column in ("grpvar", "term", "grp"):
        assert table[column].tolist() == expected[column].tolist()
    assert_close(table["condval"], expected["condval"], what="condval")
    assert_close(table["condsd"], expected["condsd"], what="condsd")


def test_fit_statistics_are_lmes(case):
    spec, fit, _ = case
    stats = fit.fit_statistics()
    assert stats.shape == (1, 10)
    row = stats.iloc[0]
    assert row["nobs"] == spec["nobs"] and row["df"] == spec["df"]
    assert bool(row["REML"]) == spec["REML"] and bool(row["singular"]) == spec["singular"]
    assert row["criterion"] == ("REML criterion" if spec["REML"] else "deviance")
    assert row["objective"] <= spec["objective"] + 1e-6 * abs(spec["objective"])
    for ours, theirs in [("loglik", "logLik"), ("aic", "AIC"), ("bic", "BIC")]:
        assert_close(row[ours], spec[theirs], rtol=1e-6, what=theirs)
    assert_close(row["sigma"], spec["sigma"], what="sigma")


def test_tidy_tables_are_copies(sleepstudy):
    varcorr, ranef = sleepstudy.tidy_varcorr(), sleepstudy.tidy_ranef()
    varcorr.loc[0, "vcov"] = -1.0
    ranef.loc[0, "condval"] = -1.0
    assert sleepstudy.varcorr.loc[0, "vcov"] > 0
    assert sleepstudy.ranef_table().loc[0, "condval"] != -1.0


# ------------------------------------------------------------------ JSON


def test_json_round_trip_gives_identical_numbers(case):
    _, fit, _ = case
    text = fit.to_json()
    record = load_json(text)
    assert isinstance(record, FitRecord)
    assert record.formula == fit.design.formula.text
    assert record.theta_names == tuple(fit.model.covariance.names)
    assert_same_numbers(record, fit)
    assert to_json(record) == text  # reading and writing again changes nothing
    pd.testing.assert_frame_equal(record.tidy_fixef(), fit.tidy_fixef(), check_exact=True)
    pd.testing.assert_frame_equal(record.fit_statistics(), fit.fit_statistics(), check_exact=True)


def test_json_fields_are_lme4s(case):
    """Our JSON under lme4's names holds lme4's numbers (the reference files use the same names)."""
    spec, fit, _ = case
    ours = json.loads(fit.to_json())
    for key in ("formula", "REML", "nobs", "ngroups", "df", "singular"):
        assert ours[key] == spec[key], key
    assert ours["theta_names"] == as_list(spec["theta_names"])
    assert list(ours["beta"]) == list(spec["beta"])
    for key in ("theta", "sigma", "vcov"):
        assert_close(ours[key], np.reshape(as_list(spec[key]), np.shape(ours[key])), what=key)
    assert_close(list(ours["beta"].values()), list(spec["beta"].values()), what="beta")
    for key in ("logLik", "AIC", "BIC", "hat_trace"):
        assert_close(ours[key], spec[key], rtol=1e-6, what=key)
    assert [(r["grp"], r["var1"], r["var2"]) for r in ours["varcorr"]] == [
        (r["grp"], r["var1"], r["var2"]) for r in spec["varcorr"]
    ]
    assert_close([r["sdcor"] for r in ours["varcorr"]], [r["sdcor"] for r in spec["varcorr"]], what="sdcor")
    for mine, theirs in zip(ours["ranef"], spec["ranef"], strict=True):
        assert (mine["group"], mine["levels"], mine["columns"]) == (
            theirs["group"], as_list(theirs["levels"]), as_list(theirs["columns"]))
        assert_close(mine["values"], theirs["values"], what=f"ranef {theirs['group']}")
    assert_close(ours["ranef_long"]["condsd"], spec["ranef_long"]["condsd"], what="condsd")


def test_json_is_strict_and_versioned(sleepstudy):
    fields = json.loads(sleepstudy.to_json(), parse_constant=lambda c: pytest.fail(f"non-standard JSON {c}"))
    assert fields["format"] == "sparselmm.fit" and fields["version"] == 1
    assert fields["sparselmm_version"] == slmm.__version__
    assert json.loads(sleepstudy.to_json(indent=2)) == fields


def test_non_finite_floats_survive(sleepstudy):
    record = fit_record(sleepstudy)
    vcov, varcorr, ranef = record.vcov.copy(), record.varcorr.copy(), {k: v.copy() for k, v in record.ranef.items()}
    table = record.ranef_table()
    vcov.iloc[0, 1] = np.nan
    varcorr.loc[2, "sdcor"] = np.nan
    ranef["Subject"].iloc[3, 1] = -np.inf
    table.loc[1, "condsd"] = np.inf
    odd = dataclasses.replace(
        record, theta=np.array([np.nan, np.inf, -np.inf]), sigma=np.inf, objective=-np.inf, aic=np.nan,
        hat_trace_value=np.nan, vcov=vcov, varcorr=varcorr, ranef=ranef, ranef_long=table,
        fixef=record.fixef.where(record.fixef.index != "Days", np.nan),
    )
    text = odd.to_json()
    assert "NaN" in text and "Infinity" in text
    json.loads(text, parse_constant=lambda c: pytest.fail(f"non-standard JSON {c}"))
    back = load_json(text)
    np.testing.assert_array_equal(back.theta, [np.nan, np.inf, -np.inf])
    assert back.sigma == math.inf and back.objective == -math.inf
    assert math.isnan(back.aic) and math.isnan(back.hat_trace())
    assert math.isnan(back.fixef["Days"])
    pd.testing.assert_frame_equal(back.vcov, vcov)
    pd.testing.assert_frame_equal(back.varcorr, varcorr)
    pd.testing.assert_frame_equal(back.ranef["Subject"], ranef["Subject"])
    pd.testing.assert_frame_equal(back.ranef_table(), table)


def test_level_labels_that_look_like_non_finite_numbers_stay_text():
    rng = np.random.default_rng(1)
    data = pd.DataFrame({"y": rng.normal(size=30), "g": np.repeat(["NaN", "Infinity", "-Infinity"], 10)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = slmm.lmer("y ~ 1 + (1 | g)", data)
    record = load_json(fit.to_json())
    assert list(record.ranef["g"].index) == ["-Infinity", "Infinity", "NaN"]
    assert record.ranef_table()["grp"].tolist() == ["-Infinity", "Infinity", "NaN"]


def test_duplicated_fixed_effect_names_are_all_kept():
    """A factor 'a' with level '2' and a column 'a2' both name a coefficient 'a2' (as in R)."""
    rng = np.random.default_rng(2)
    data = pd.DataFrame({"y": rng.normal(size=40), "a": np.tile(["1", "2"], 20), "a2": rng.normal(size=40),
                         "g": np.repeat(list("abcd"), 10)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = slmm.lmer("y ~ a + a2 + (1 | g)", data)
    assert list(fit.fixef.index) == ["(Intercept)", "a2", "a2"]
    record = load_json(fit.to_json())
    pd.testing.assert_series_equal(record.fixef, fit.fixef, check_exact=True)


def test_the_record_is_read_only(sleepstudy):
    record = load_json(sleepstudy.to_json())
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.sigma = 1.0
    with pytest.raises(ValueError):
        record.theta[0] = 1.0
    assert "FitRecord" in repr(record) and "REML" in repr(record)


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("{not json", "not a JSON fit record"),
        ("[1, 2]", "not a sparselmm fit record"),
        ('{"format": "sparselmm.fit", "version": 99}', "version 99 is not supported"),
        ('{"format": "sparselmm.fit", "version": 1, "formula": "y ~ (1 | g)"}', "malformed sparselmm fit record"),
    ],
)
def test_load_json_refuses_what_is_not_a_record(text, fragment):
    with pytest.raises(DataError, match=fragment):
        load_json(text)


def test_a_bad_number_in_a_record_is_refused(sleepstudy):
    fields = json.loads(sleepstudy.to_json())
    fields["sigma"] = "big"
    with pytest.raises(DataError, match="'big' is not a number"):
        load_json(json.dumps(fields))
