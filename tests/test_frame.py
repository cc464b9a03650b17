"""model_frame: R's model.frame with na.action = na.omit, over a pandas DataFrame."""

import numpy as np
import pandas as pd
import pytest

from sparselmm import DataError, SparseLMMError
from sparselmm.formula import parse_formula
from sparselmm.frame import Categorical, model_frame


def frame(text, data):
    return model_frame(parse_formula(text), data)


@pytest.fixture
def data():
    return pd.DataFrame({
        "y": [1.0, 2.0, np.nan, 4.0, 5.0, 6.0],
        "x": [1.0, np.nan, 3.0, 4.0, 5.0, 6.0],
        "g": ["b", "a", "c", "a", "b", None],
        "unused": [np.nan] * 6,
    })


# ------------------------------------------------------------- missing values


def test_rows_with_missing_values_are_dropped_as_na_omit(data):
    mf = frame("y ~ x + (1 | g)", data)
    # R: nrow(model.frame(y ~ x + g, d, na.action = na.omit)) == 3, na.action = c(2, 3, 6)
    assert mf.nobs == 3
    assert mf.n_dropped == 3
    np.testing.assert_array_equal(mf.rows, [0, 3, 4])
    np.testing.assert_array_equal(mf.response, [1.0, 4.0, 5.0])
    np.testing.assert_array_equal(mf.variables["x"], [1.0, 4.0, 5.0])


def test_levels_only_seen_in_dropped_rows_disappear(data):
    g = frame("y ~ x + (1 | g)", data).variables["g"]
    assert g.levels == ("a", "b")  # R: levels(factor(mf$g)); "c" was on a dropped row
    np.testing.assert_array_equal(g.codes, [1, 0, 1])


def test_columns_the_formula_does_not_use_do_not_drop_rows(data):
    mf = frame("y ~ (1 | g)", data)
    assert mf.n_dropped == 2  # rows 2 (y) and 5 (g); "x" and "unused" are ignored
    np.testing.assert_array_equal(mf.rows, [0, 1, 3, 4])


def test_transform_giving_nan_drops_the_row():
    data = pd.DataFrame({"y": [1.0, 2, 3, 4], "x": [-1.0, 1, 2, 3], "g": list("aabb")})
    mf = frame("y ~ log(x) + (1 | g)", data)
    np.testing.assert_array_equal(mf.rows, [1, 2, 3])
    np.testing.assert_allclose(mf.variables["log(x)"], np.log([1.0, 2, 3]))


def test_transforms_are_evaluated():
    data = pd.DataFrame({"y": [1.0, 2, 3, 4], "x": [1.0, 2, 3, 4], "g": list("aabb")})
    mf = frame("y ~ I(x^2) + sqrt(x) + I(x * 2 - 1) + (1 | g)", data)
    np.testing.assert_allclose(mf.variables["I(x^2)"], [1, 4, 9, 16])
    np.testing.assert_allclose(mf.variables["sqrt(x)"], np.sqrt([1, 2, 3, 4]))
    np.testing.assert_allclose(mf.variables["I(x * 2 - 1)"], [1, 3, 5, 7])


# ------------------------------------------------------------- categoricals


@pytest.mark.parametrize(
    "values, levels, codes",
    [
        (["b", "a", "c", "a"], ("a", "b", "c"), [1, 0, 2, 0]),  # str in an object column
        (pd.array(["b", "a", "c", "a"], dtype="string"), ("a", "b", "c"), [1, 0, 2, 0]),
        ([True, False, True, True], ("FALSE", "TRUE"), [1, 0, 1, 1]),  # R: levels(factor(c(TRUE, FALSE)))
        ([1, "a", 1, "a"], ("1", "a"), [0, 1, 0, 1]),  # mixed objects sort as text
    ],
)
def test_categorical_columns(values, levels, codes):
    data = pd.DataFrame({"y": [1.0, 2, 3, 4], "f": values, "g": list("aabb")})
    f = frame("y ~ f + (1 | g)", data).variables["f"]
    assert isinstance(f, Categorical)
    assert f.levels == levels
    np.testing.assert_array_equal(f.codes, codes)


def test_pandas_categorical_keeps_its_order_and_drops_unused_levels():
    values = pd.Categorical(["lo", "hi", "mid", "hi"], categories=["lo", "mid", "hi", "unused"])
    data = pd.DataFrame({"y": [1.0, 2, 3, 4], "f": values, "g": list("aabb")})
    f = frame("y ~ f + (1 | g)", data).variables["f"]
    assert f.levels == ("lo", "mid", "hi")  # R: levels(droplevels(f)), not sorted
    np.testing.assert_array_equal(f.codes, [0, 2, 1, 2])


def test_numeric_column_stays_numeric_in_fixed_part():
    data = pd.DataFrame({"y": [1.0, 2, 3, 4], "x": [3, 1, 2, 10], "g": list("aabb")})
    x = frame("y ~ x + (1 | g)", data).variables["x"]
    assert x.dtype == float
    np.testing.assert_array_equal(x, [3.0, 1.0, 2.0, 10.0])


def test_object_column_of_numbers_is_numeric():
    data = pd.DataFrame({"y": [1.0, 2, 3, 4], "x": pd.Series([3.5, 1, 2, 10], dtype=object), "g": list("aabb")})
    np.testing.assert_array_equal(frame("y ~ x + (1 | g)", data).variables["x"], [3.5, 1, 2, 10])


@pytest.mark.parametrize("values", [[3, 1, 2, 10, 3, 1], [3.0, 1.0, 2.0, 10.0, 3.0, 1.0]])
def test_numeric_grouping_column_is_a_factor_labelled_as_r_does(values):
    data = pd.DataFrame({"y": np.arange(6.0), "g": values})
    g = frame("y ~ (1 | g)", data).variables["g"]
    assert g.levels == ("1", "2", "3", "10")  # R: levels(factor(c(3, 1, 2, 10))), numeric order
    np.testing.assert_array_equal(g.codes, [2, 0, 1, 3, 2, 0])


def test_float_grouping_with_missing_values_still_labels_integers():
    data = pd.DataFrame({"y": np.arange(4.0), "g": [2.0, np.nan, 1.0, 2.0]})
    g = frame("y ~ (1 | g)", data).variables["g"]
    assert g.levels == ("1", "2")


def test_boolean_grouping_column():
    data = pd.DataFrame({"y": np.arange(4.0), "b": [True, False, False, True]})
    assert frame("y ~ (1 | b)", data).variables["b"].levels == ("FALSE", "TRUE")


# --------------------------------------------------------------- bad columns


def test_unknown_column_is_named():
    data = pd.DataFrame({"y": [1.0, 2], "x": [1.0, 2], "g": ["a", "b"]})
    with pytest.raises(DataError, match="unknown column 'z'") as caught:
        frame("y ~ z + (1 | g)", data)
    assert "y, x, g" in str(caught.value)  # lists what the data has


def test_unknown_column_with_case_mismatch_suggests_the_right_one():
    data = pd.DataFrame({"Reaction": [1.0, 2], "Days": [1.0, 2], "Subject": ["a", "b"]})
    with pytest.raises(DataError, match="unknown column 'days'.*Did you mean 'Days'"):
        frame("Reaction ~ days + (1 | Subject)", data)


def test_infinite_values_are_refused_naming_the_column():
    data = pd.DataFrame({"y": [1.0, 2, 3, 4], "x": [1.0, np.inf, 3, -np.inf], "g": list("aabb")})
    with pytest.raises(DataError, match="'x' has 2 infinite value"):
        frame("y ~ x + (1 | g)", data)


def test_infinite_response_is_refused():
    data = pd.DataFrame({"y": [1.0, np.inf, 3, 4], "g": list("aabb")})
    with pytest.raises(DataError, match="'y' has 1 infinite value"):
        frame("y ~ (1 | g)", data)


def test_datetime_column_is_refused():
    data = pd.DataFrame({"y": [1.0, 2, 3, 4], "t": pd.date_range("2020-01-01", periods=4), "g": list("aabb")})
    with pytest.raises(DataError, match="column 't' holds dates or times"):
        frame("y ~ t + (1 | g)", data)


@pytest.mark.parametrize(
    "response",
    [["a", "b", "c", "d"], pd.Categorical([1.0, 2, 3, 4]), [True, False, True, False]],
)
def test_categorical_response_is_refused(response):
    data = pd.DataFrame({"y": response, "g": list("aabb")})
    with pytest.raises(DataError, match="response 'y' is not numeric"):
        frame("y ~ (1 | g)", data)


def test_duplicated_column_names_are_refused():
    data = pd.DataFrame([[1.0, 2.0, "a"], [2.0, 3.0, "b"]], columns=["y", "y", "g"])
    with pytest.raises(DataError, match="2 columns named 'y'"):
        frame("y ~ (1 | g)", data)


def test_empty_frame_is_refused():
    data = pd.DataFrame({"y": pd.Series([], dtype=float), "g": pd.Series([], dtype=object)})
    with pytest.raises(DataError, match="no rows"):
        frame("y ~ (1 | g)", data)


def test_all_rows_missing_is_refused():
    data = pd.DataFrame({"y": [np.nan, 1.0, 2.0], "x": [1.0, np.nan, np.nan], "g": ["a", "b", "c"]})
    with pytest.raises(DataError, match="no rows left to fit: all 3 rows"):
        frame("y ~ x + (1 | g)", data)


def test_data_must_be_a_dataframe():
    with pytest.raises(DataError, match="pandas DataFrame, not dict"):
        frame("y ~ (1 | g)", {"y": [1.0, 2.0], "g": ["a", "b"]})


def test_data_errors_are_value_errors():
    assert issubclass(DataError, ValueError) and issubclass(DataError, SparseLMMError)


# ------------------------------------------------------ the caller's frame


def test_the_callers_dataframe_is_never_modified():
    data = pd.DataFrame({
        "y": [1.0, 2.0, np.nan, 4.0, 5.0],
        "x": [1, 2, 3, 4, 5],
        "g": pd.Categorical(["b", "a", "b", "a", "c"], categories=["c", "b", "a", "z"]),
        "flag": [True, False, True, False, True],
        "s": ["u", "v", "u", None, "v"],
    }, index=[10, 20, 30, 40, 50])
    copy = data.copy(deep=True)
    frame("y ~ log(x) + I(x^2) + flag + s + factor(x) + (1 + x | g) + (1 | g:s)", data)
    pd.testing.assert_frame_equal(data, copy)
    assert list(data["g"].cat.categories) == ["c", "b", "a", "z"]
