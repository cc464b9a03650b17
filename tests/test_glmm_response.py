"""The response forms glmer takes, coded as lme4 codes them, and lme4's bad-input errors (errors.json) with ours."""

import numpy as np
import pandas as pd
import pytest

import glmer_reference as ref
import sparselmm as slmm
from sparselmm.errors import DataError, FormulaError, SingularFitWarning
from sparselmm.formula import parse_formula
from sparselmm.glmm.families import make_family
from sparselmm.glmm.response import NonIntegerCountsWarning, evaluate_response

ERRORS = {c["id"]: c for c in __import__("json").loads((ref.DATA / "errors.json").read_text())["cases"]}
CBPP_FORMULA = "cbind(incidence, size - incidence) ~ period + (1 | herd)"


def cbpp():
    return ref.read("cbpp.csv", ref.case("cbpp_logit_agq1")["column_types"])


def positive():
    return ref.read("positive.csv", ref.case("gamma_log")["column_types"])


def response(formula, data, family="binomial"):
    return evaluate_response(parse_formula(formula).response, data, make_family(family))


# ------------------------------------------------------------------ the forms, coded as lme4 codes them
@pytest.mark.parametrize("case_id", ["cbpp_logit_agq1", "cbpp_proportion_weights", "binary_numeric",
                                     "binary_logical", "binary_factor", "poisson_offset_formula", "gamma_log"])
def test_coded_response_and_prior_weights_are_lme4s(case_id):
    spec, fit = ref.case(case_id), ref.fit(case_id)
    rows = np.array(spec["row_index"]) - 1
    np.testing.assert_allclose(fit.y[rows], spec["response_y"], rtol=1e-13)
    np.testing.assert_allclose(fit.weights[rows], spec["prior_weights"], rtol=1e-13)
    np.testing.assert_allclose(fit.model.offset[rows], spec["model_offset"], rtol=1e-13)


def test_cbind_is_proportions_and_trials():
    coded = response(CBPP_FORMULA, cbpp())
    data = cbpp()
    np.testing.assert_array_equal(coded.trials, data["size"])
    np.testing.assert_allclose(coded.y, data["incidence"] / data["size"])
    assert coded.kind == "cbind" and coded.text == "cbind(incidence, size - incidence)"


def test_factor_first_level_is_failure_and_logical_true_is_success():
    frame = pd.DataFrame({"f": pd.Categorical(["b", "a", "c", None], categories=["c", "a", "b"]),
                          "t": ["yes", "no", "no", "yes"], "l": [True, False, None, True]})
    categorical = response("f ~ 1 + (1 | g)", frame)  # the categories' order, not the values': c is the failure
    np.testing.assert_array_equal(categorical.y[:3], [1.0, 1.0, 0.0])
    assert np.isnan(categorical.y[3]) and categorical.levels == ("c", "a", "b")
    text = response("t ~ 1 + (1 | g)", frame)  # text: sorted as R's factor() sorts, "no" first
    np.testing.assert_array_equal(text.y, [1.0, 0.0, 0.0, 1.0])
    logical = response("l ~ 1 + (1 | g)", frame)
    np.testing.assert_array_equal(logical.y[[0, 1, 3]], [1.0, 0.0, 1.0])
    assert np.isnan(logical.y[2])


def test_missing_responses_drop_their_rows():
    data = cbpp()
    data.loc[[0, 5], "incidence"] = np.nan
    fit = slmm.glmer(CBPP_FORMULA, data, "binomial")
    assert fit.nobs == 54 and fit.n_dropped == 2 and list(fit.rows[:5]) == [1, 2, 3, 4, 6]


def test_a_column_named_like_the_placeholder_is_left_alone():
    data = cbpp().assign(**{".glmer.response": 1.0})
    fit = slmm.glmer(CBPP_FORMULA, data, "binomial")
    assert fit.loglik == pytest.approx(ref.fit("cbpp_logit_agq1").loglik, rel=1e-12)


# ------------------------------------------------------------------ lme4's errors (errors.json), with ours
def _first_row(data, column, value):
    data = data.copy()
    data[column] = data[column].astype(float)
    data.loc[0, column] = value
    return data


@pytest.mark.parametrize("case_id, formula, family, data, weights, ours", [
    ("binomial_counts_no_weights", "incidence ~ period + (1 | herd)", "binomial", cbpp, None,
     r"y values must be 0 <= y <= 1 \(lme4's words\): the binomial response has 21 value\(s\) outside \[0, 1\] "
     r"\(first at rows 0, 1, 2\); give 0/1 outcomes, cbind\(successes, failures\), or proportions with weights"),
    ("binomial_negative_response", "y ~ period + (1 | herd)", "binomial",
     lambda: cbpp().assign(y=np.where(np.arange(56) == 0, -1.0, (cbpp()["incidence"] > 0).astype(float))), None,
     r"y values must be 0 <= y <= 1 .* 1 value\(s\) outside \[0, 1\] \(first at row 0\)"),
    ("poisson_negative_count", "incidence ~ period + (1 | herd)", "poisson",
     lambda: _first_row(cbpp(), "incidence", -1), None,
     r"negative values not allowed for the 'Poisson' family \(lme4's words\): 1 negative count\(s\), first at "
     r"row 0; a Poisson response counts events"),
    ("cbind_successes_above_trials", CBPP_FORMULA, "binomial", lambda: _first_row(cbpp(), "incidence", 20), None,
     r"cbind\(incidence, size - incidence\): 1 row\(s\) have negative failures 'size - incidence' \(more successes "
     r"than trials\), first at row 0 \(-6\); successes and failures must be counts >= 0"),
    ("proportion_above_one_weights", "incidence / size ~ period + (1 | herd)", "binomial",
     lambda: _first_row(cbpp(), "incidence", 20), "size", r"y values must be 0 <= y <= 1 .*\(first at row 0\)"),
    ("gamma_nonpositive", "y_gamma ~ x + (1 | g)", "Gamma", lambda: _first_row(positive(), "y_gamma", 0), None,
     r"non-positive values not allowed for the 'Gamma' family \(lme4's words\): 1 value\(s\) <= 0, first at row 0"),
])
def test_bad_responses_are_lme4s_errors(case_id, formula, family, data, weights, ours):
    """The same inputs as errors.json: lme4's message first where it names the problem, then ours."""
    lme4 = ERRORS[case_id]["error"]
    link = "log" if family == "Gamma" else None
    with pytest.raises(DataError, match=ours) as raised:
        slmm.glmer(formula, data(), family, link=link, weights=weights)
    if case_id != "cbind_successes_above_trials":
        assert str(raised.value).startswith(lme4)


def test_successes_above_trials_named_where_lme4_names_a_starting_value():
    """lme4 fails only later, on the starting value: 'Value 1.36667 out of range (0, 1)'. We name the row."""
    assert ERRORS["cbind_successes_above_trials"]["error"] == "Value 1.36667 out of range (0, 1)"


def test_inverse_gaussian_default_link_fails_as_in_lme4():
    assert ERRORS["inverse_gaussian_default_link"]["error"] == "PIRLS loop resulted in NaN value"
    with pytest.raises(DataError, match=r"PIRLS loop resulted in NaN value \(lme4's words\) at theta = .*link "
                                        r"'1/mu\^2'.*try link='log'.*grouping factors: 'g'"):
        slmm.glmer("y_ig ~ x + (1 | g)", positive(), "inverse.gaussian")


def test_poisson_non_integer_counts_are_refused():
    """lme4 fits them with 162 warnings 'non-integer x = 2.500000' and logLik -Inf: a fit of nothing."""
    assert ERRORS["poisson_non_integer"]["warnings"] == ["non-integer x = 2.500000"]
    with pytest.raises(DataError, match=r"the Poisson family needs whole counts: 1 value\(s\) are not integers "
                                        r"\(first at row 0: 2.5\).*Round the counts"):
        slmm.glmer("incidence ~ period + (1 | herd)", _first_row(cbpp(), "incidence", 2.5), "poisson")


def test_cbind_non_integer_counts_warn_as_lme4_does():
    assert ERRORS["cbind_non_integer"]["warnings"] == ["non-integer counts in a binomial glm!"]
    with pytest.warns(NonIntegerCountsWarning, match="non-integer counts in a binomial glm!"):
        fit = slmm.glmer(CBPP_FORMULA, _first_row(cbpp(), "incidence", 2.5), "binomial")
    assert np.isfinite(fit.loglik)


def test_proportions_with_fractional_successes_warn():
    data = cbpp().assign(p=lambda d: (d["incidence"] + 0.3) / d["size"])
    with pytest.warns(NonIntegerCountsWarning, match=r"non-integer #successes in a binomial glm!"):
        slmm.glmer("p ~ period + (1 | herd)", data, "binomial", weights="size")


def test_three_level_factor_fits_as_in_lme4():
    """lme4: no error; levels after the first are successes."""
    assert ERRORS["binomial_three_level_factor"]["error"] is None
    with pytest.warns(SingularFitWarning):
        fit = slmm.glmer("period ~ 1 + (1 | herd)", cbpp(), "binomial")
    np.testing.assert_array_equal(fit.y, (cbpp()["period"] != "1").astype(float))


@pytest.mark.parametrize("formula, family, data, error, message", [
    ("period ~ 1 + (1 | herd)", "poisson", cbpp, DataError,
     r"response must be numeric \(lme4's words\): 'period' is categorical, which only the binomial family takes"),
    (CBPP_FORMULA, "poisson", cbpp, FormulaError, r"cbind\(successes, failures\) is a binomial response"),
    ("cbind(incidence) ~ 1 + (1 | herd)", "binomial", cbpp, FormulaError, r"cbind\(\) takes two columns"),
    ("incidenc ~ 1 + (1 | herd)", "poisson", cbpp, DataError, r"unknown column 'incidenc' in the response"),
    ("cbind(incidence, size - incidence) ~ 1 + (1 | herd)", "binomial",
     lambda: cbpp().assign(incidence=lambda d: np.where(np.arange(56) == 3, 0, d["incidence"]),
                           size=lambda d: np.where(np.arange(56) == 3, 0, d["size"])), DataError,
     r"1 row\(s\) have no trials \(successes \+ failures = 0\), first at row 3.*drop them"),
    ("y ~ 1 + (1 | herd)", "binomial", lambda: cbpp().assign(y="a"), DataError,
     r"the response 'y' has only 1 level \(a\); a binomial response needs two outcomes"),
    ("incidence ~ 1 + (1 | herd)", "gaussian", cbpp, FormulaError, r"use slmm.lmer"),
    ("incidence ~ 1 + (1 | herd)", "negbin", cbpp, FormulaError, r"unknown family 'negbin'; the families are"),
])
def test_our_own_errors(formula, family, data, error, message):
    with pytest.raises(error, match=message):
        slmm.glmer(formula, data(), family)


def test_unweighted_fractional_binomial_response_warns_as_lme4():
    """R's binomial initialize with the default weights 1: lme4 fits y = 0.5 with 'non-integer #successes'."""
    data = ref.data("binary_numeric").assign(y=lambda d: np.where(np.arange(len(d)) == 0, 0.5, d["y"]))
    with pytest.warns(NonIntegerCountsWarning, match=r"non-integer #successes in a binomial glm!"):
        slmm.glmer("y ~ x + (1 | g)", data, "binomial")


@pytest.mark.parametrize("formula, column", [("incidence ~ period + (1 | herd)", "incidence"),
                                             (CBPP_FORMULA, "incidence")])
def test_infinite_responses_are_named(formula, column):
    data = _first_row(cbpp(), column, np.inf)
    with pytest.raises(DataError, match=r"NA/NaN/Inf in 'y' \(lme4's words\): 'incidence' in the response has 1 "
                                        r"infinite value\(s\), first at row 0"):
        slmm.glmer(formula, data, "poisson" if "cbind" not in formula else "binomial")
