"""sparselmm.transforms: R's functions in formulas, their arguments, and what they learn from the fit's data."""

import re

import numpy as np
import pandas as pd
import pytest

import interface_reference as ir
import sparselmm as slmm
from sparselmm import DataError, FormulaError


@pytest.fixture(scope="module")
def ordered():
    return ir.data("as_numeric_factor")


def test_as_numeric_of_a_factor_gives_its_level_codes_as_r(ordered):
    spec = ir.load("as_numeric_factor")
    fit = slmm.lmer(spec["formula"], ordered)
    assert fit.design.spec.transforms["as.numeric(dose)"] == spec["dose_levels"]  # "10" < "2" < "20" < "5"
    np.testing.assert_array_equal(fit.design.X[:6], np.array(spec["X_first_rows"], dtype=float))


def test_as_numeric_codes_new_data_by_the_fits_levels(ordered):
    fit = slmm.lmer("y ~ as.numeric(dose) + (1 | g)", ordered)
    new = pd.DataFrame({"dose": ["5", "20"], "g": ["a", "a"]})
    slope = fit.fixef["as.numeric(dose)"]
    assert fit.predict(new, re_form="~0").diff().iloc[-1] == pytest.approx(-slope)  # codes 4 then 3


def test_as_numeric_of_a_number_is_the_number(ordered):
    fit = slmm.lmer("y ~ as.numeric(x) + (1 | g)", ordered)
    np.testing.assert_array_equal(fit.design.X[:, 1], ordered["x"].to_numpy())


def test_dummy_keeps_the_levels_named_or_all_but_the_first():
    data = ir.data("dummy_random")
    one = slmm.lmer('score ~ dummy(Machine, "B") + (1 | Worker)', data)
    assert list(one.fixef.index) == ["(Intercept)", 'dummy(Machine, "B")']  # one column: the call's own name
    np.testing.assert_array_equal(one.design.X[:, 1], (data["Machine"] == "B").to_numpy(dtype=float))
    default = slmm.lmer("score ~ dummy(Machine) + (1 | Worker)", data)
    assert list(default.fixef.index) == ["(Intercept)", "dummy(Machine)B", "dummy(Machine)C"]


def test_relevel_puts_the_reference_level_first():
    fit = slmm.lmer('score ~ relevel(Machine, "C") + (1 | Worker)', ir.data("relevel_factor"))
    assert list(fit.fixef.index) == ["(Intercept)", 'relevel(Machine, "C")A', 'relevel(Machine, "C")B']


def test_factor_with_levels_and_ordered(ordered):
    fit = slmm.lmer('y ~ factor(dose, levels = c("2", "5", "10", "20")) + (1 | g)', ordered)
    assert [name[-2:].lstrip(")") for name in fit.fixef.index[1:]] == ["5", "10", "20"]
    fit = slmm.lmer('y ~ ordered(dose, levels = c("2", "5", "10", "20")) + (1 | g)', ordered)
    assert list(fit.fixef.index[1:]) == [f'ordered(dose, levels = c("2", "5", "10", "20")){s}' for s in (".L", ".Q", ".C")]


def test_log_with_a_base(ordered):
    fit = slmm.lmer("y ~ log(x + 10, 2) + (1 | g)", ordered)
    np.testing.assert_allclose(fit.design.X[:, 1], np.log2(ordered["x"] + 10))


def test_poly_in_a_chunked_fit_is_refused_with_the_way_out(ordered):
    with pytest.raises(DataError, match=re.escape("poly(x, 2) learns its basis or levels from all rows at once")):
        slmm.LinearMixedModel.from_chunks("y ~ poly(x, 2) + (1 | g)", [ordered.iloc[:100], ordered.iloc[100:]])


@pytest.mark.parametrize("formula, message", [
    ("y ~ polly(x, 2) + (1 | g)", "unknown function 'polly' in 'polly(x, 2)'; did you mean 'poly'? known functions: I, "),
    ("y ~ frobnicate(x) + (1 | g)", "unknown function 'frobnicate' in 'frobnicate(x)'; known functions: I, "),
    ("y ~ poly(x, deg = 2) + (1 | g)", "'poly(x, deg = 2)': poly() has no argument 'deg'; its arguments are x, degree, "
                                       "coefs, raw"),
    ("y ~ poly(x, 2, FALSE, TRUE, 1) + (1 | g)", "poly() takes at most 4 arguments"),
    ("y ~ poly(x, 1 + 1) + (1 | g)", "the degree of poly() must be a constant such as 3, TRUE, \"a\" or c(1, 2), "
                                     "not '1 + 1'"),
    ("y ~ poly(x, 2.5) + (1 | g)", "the degree of poly() must be a whole number, not 2.5"),
    ("y ~ poly(x, 2, raw = 1) + (1 | g)", "raw of poly() must be TRUE or FALSE, not 1.0"),
    ("y ~ relevel(dose) + (1 | g)", "relevel() needs the argument 'ref'"),
    ('y ~ relevel(dose, "7") + (1 | g)', "'7' is not a level of dose; its levels are 10, 2, 20, 5"),
    ('y ~ dummy(dose, "7") + (1 | g)', "'7' is not a level of dose; its levels are 10, 2, 20, 5"),
    ("y ~ ns(x) + (1 | g)", None),
    ("y ~ ns(x, df = 0) + (1 | g)", "df = 0 is too small; it must be at least 1"),
    ("y ~ log(poly(x, 2)) + (1 | g)", "'poly(x, 2)' has 2 columns; arithmetic needs a single one"),
    ("poly(y, 2) ~ x + (1 | g)", "the response 'poly(y, 2)' is a matrix of 2 columns"),
])
def test_bad_calls_are_named_with_the_fix(ordered, formula, message):
    if message is None:  # ns(x) without df is R's ns(x, df = 1): a linear basis
        assert slmm.lmer(formula, ordered).fixef.size == 2
        return
    with pytest.raises((FormulaError, DataError), match=re.escape(message)):
        slmm.lmer(formula, ordered)
