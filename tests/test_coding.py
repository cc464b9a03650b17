"""model_matrix: R's treatment contrasts, coding rules and column names.

Every expected list of names below is R's output,
``colnames(model.matrix(~ rhs, data))`` on the same data (R 4.2).
"""

import numpy as np
import pandas as pd
import pytest

from sparselmm import DataError
from sparselmm.coding import model_matrix
from sparselmm.formula import parse_formula
from sparselmm.frame import model_frame


@pytest.fixture
def data():
    return pd.DataFrame({
        "y": [1.0, 2, 3, 4, 5, 6],
        "a": ["a1", "a2", "a3", "a1", "a2", "a3"],
        "b": ["b1", "b2", "b1", "b2", "b1", "b2"],
        "x": [1.0, 2, 3, 4, 5, 7],
        "z": [2.0, 1, 4, 3, 6, 5],
        "flag": [True, False, True, True, False, False],
        "recipe": ["A", "B", "C", "A", "B", "C"],
        "temp": [175.0, 185, 195, 205, 215, 225],
        "service": ["0", "1", "0", "1", "1", "0"],
        "g": ["p", "p", "q", "q", "r", "r"],
    })


def fixed_matrix(rhs, data):
    formula = parse_formula(f"y ~ {rhs} + (1 | g)")
    mf = model_frame(formula, data)
    return model_matrix(formula.fixed, mf.variables, mf.nobs)


def names(rhs, data):
    return fixed_matrix(rhs, data)[1]


@pytest.mark.parametrize(
    "rhs, r_names",
    [  # R: colnames(model.matrix(~ rhs, d))
        ("a", ["(Intercept)", "aa2", "aa3"]),
        ("a*x", ["(Intercept)", "aa2", "aa3", "x", "aa2:x", "aa3:x"]),
        ("0 + a", ["aa1", "aa2", "aa3"]),
        ("0 + a + b", ["aa1", "aa2", "aa3", "bb2"]),
        ("a + a:x", ["(Intercept)", "aa2", "aa3", "aa1:x", "aa2:x", "aa3:x"]),
        ("a/x", ["(Intercept)", "aa2", "aa3", "aa1:x", "aa2:x", "aa3:x"]),
        ("a:b", ["(Intercept)", "aa1:bb1", "aa2:bb1", "aa3:bb1", "aa1:bb2", "aa2:bb2", "aa3:bb2"]),
        ("a*b", ["(Intercept)", "aa2", "aa3", "bb2", "aa2:bb2", "aa3:bb2"]),
        ("x:a", ["(Intercept)", "x:aa1", "x:aa2", "x:aa3"]),
        ("0 + x + a", ["x", "aa1", "aa2", "aa3"]),
        ("0 + a:x", ["aa1:x", "aa2:x", "aa3:x"]),
        ("0 + z + x:a + z:b", ["z", "x:aa1", "x:aa2", "x:aa3", "z:bb2"]),
        ("0 + x:a + a", ["aa1", "aa2", "aa3", "x:aa1", "x:aa2", "x:aa3"]),
        ("0 + b:a", ["bb1:aa1", "bb2:aa1", "bb1:aa2", "bb2:aa2", "bb1:aa3", "bb2:aa3"]),
        ("b + a:b", ["(Intercept)", "bb2", "bb1:aa2", "bb2:aa2", "bb1:aa3", "bb2:aa3"]),
        ("a:b:x", ["(Intercept)", "aa1:bb1:x", "aa2:bb1:x", "aa3:bb1:x", "aa1:bb2:x", "aa2:bb2:x", "aa3:bb2:x"]),
        ("x*a*b", ["(Intercept)", "x", "aa2", "aa3", "bb2", "x:aa2", "x:aa3", "x:bb2", "aa2:bb2", "aa3:bb2",
                   "x:aa2:bb2", "x:aa3:bb2"]),
        ("flag", ["(Intercept)", "flagTRUE"]),
        ("0 + flag + a", ["flagFALSE", "flagTRUE", "aa2", "aa3"]),
        ("recipe * temp + service", ["(Intercept)", "recipeB", "recipeC", "temp", "service1", "recipeB:temp",
                                     "recipeC:temp"]),
        ("recipe:service", ["(Intercept)", "recipeA:service0", "recipeB:service0", "recipeC:service0",
                            "recipeA:service1", "recipeB:service1", "recipeC:service1"]),
        ("log(x) + I(x^2)", ["(Intercept)", "log(x)", "I(x^2)"]),
    ],
)
def test_column_names_are_r_names(rhs, r_names, data):
    assert names(rhs, data) == r_names


def test_treatment_contrast_values(data):
    X, _ = fixed_matrix("recipe * temp + service", data)
    # R: model.matrix(~ recipe * temp + service, d)
    expected = np.array([
        [1, 0, 0, 175, 0, 0, 0],
        [1, 1, 0, 185, 1, 185, 0],
        [1, 0, 1, 195, 0, 0, 195],
        [1, 0, 0, 205, 1, 0, 0],
        [1, 1, 0, 215, 1, 215, 0],
        [1, 0, 1, 225, 0, 0, 225],
    ], dtype=float)
    np.testing.assert_array_equal(X, expected)


def test_factor_slopes_without_contrasts(data):
    X, names_ = fixed_matrix("a + a:x", data)
    # R: model.matrix(~ a + a:x, d); each level gets its own slope
    assert names_ == ["(Intercept)", "aa2", "aa3", "aa1:x", "aa2:x", "aa3:x"]
    np.testing.assert_array_equal(X[:, 3:], [[1, 0, 0], [0, 2, 0], [0, 0, 3], [4, 0, 0], [0, 5, 0], [0, 0, 7]])


def test_interaction_first_variable_varies_fastest(data):
    X, names_ = fixed_matrix("0 + a:b", data)
    assert names_[:3] == ["aa1:bb1", "aa2:bb1", "aa3:bb1"]
    a_codes, b_codes = np.array([0, 1, 2, 0, 1, 2]), np.array([0, 1, 0, 1, 0, 1])
    np.testing.assert_array_equal(X.argmax(axis=1), a_codes + 3 * b_codes)


def test_random_term_left_side_uses_full_dummy_coding_without_intercept(data):
    formula = parse_formula("y ~ 1 + (0 + a | g) + (1 + flag | g)")
    mf = model_frame(formula, data)
    assert model_matrix(formula.random[0].expr, mf.variables, mf.nobs)[1] == ["aa1", "aa2", "aa3"]
    assert model_matrix(formula.random[1].expr, mf.variables, mf.nobs)[1] == ["(Intercept)", "flagTRUE"]


def test_intercept_only(data):
    X, names_ = fixed_matrix("1", data)
    assert names_ == ["(Intercept)"]
    np.testing.assert_array_equal(X, np.ones((6, 1)))


@pytest.mark.parametrize("rhs", ["k", "0 + k", "x + x:k"])
def test_single_level_factor_is_refused_as_r_does(rhs, data):
    # R: "contrasts can be applied only to factors with 2 or more levels"
    with pytest.raises(DataError, match="factor 'k' has a single level"):
        fixed_matrix(rhs, data.assign(k="only"))
