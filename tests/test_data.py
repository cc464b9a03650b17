"""sparselmm.data: pandas, polars and pyarrow frames and dicts of columns give identical fits.

polars and pyarrow are in the dev extra (``make test`` installs them); without them the tests that need
them are skipped by ``pytest.importorskip``.
"""

import re

import numpy as np
import pandas as pd
import pytest

import interface_reference as ir
import sparselmm as slmm
from sparselmm import DataError
from sparselmm.data import as_data_frame

pl = pytest.importorskip("polars")
pa = pytest.importorskip("pyarrow")

FORMULA = "y ~ Type + dose + x + (1 | g)"  # an ordered factor, a text factor, a number, a grouping factor
LEVELS = ["none", "low", "medium", "high", "extreme"]


@pytest.fixture(scope="module")
def frames():
    """The same data in every container, ordered factors as each expresses them."""
    data = ir.data("ordered_default_poly")
    holed = data.assign(x=data["x"].where(data.index % 17 != 3))  # missing values travel too
    plain = {name: holed[name].astype(object).where(holed[name].notna(), None).tolist() for name in holed.columns}
    return {
        "pandas": holed,
        "polars": pl.DataFrame(plain).with_columns(pl.col("Type").cast(pl.Enum(LEVELS))),
        "pyarrow": pa.Table.from_pandas(holed, preserve_index=False),
        "dict of Series": {name: holed[name] for name in holed.columns},
    }


@pytest.fixture(scope="module")
def fits(frames):
    return {name: slmm.lmer(FORMULA, frame) for name, frame in frames.items()}


@pytest.mark.parametrize("container", ["polars", "pyarrow", "dict of Series"])
def test_every_container_gives_the_pandas_fit_exactly(fits, container):
    ours, pandas = fits[container], fits["pandas"]
    assert ours.objective == pandas.objective
    np.testing.assert_array_equal(ours.theta, pandas.theta)
    pd.testing.assert_series_equal(ours.fixef, pandas.fixef)
    assert list(ours.fixef.index)[1:5] == ["Type.L", "Type.Q", "Type.C", "Type^4"]  # ordered: contr.poly
    np.testing.assert_array_equal(ours.fitted.to_numpy(), pandas.fitted.to_numpy())
    assert ours.nobs == pandas.nobs < 240


def test_row_results_of_other_containers_are_on_their_row_numbers(fits, frames):
    kept = frames["pandas"]["x"].notna().to_numpy()
    assert list(fits["polars"].fitted.index) == list(np.flatnonzero(kept))


def test_an_unordered_categorical_from_arrow_has_rs_sorted_levels():
    table = pa.table({"f": pa.array(["b", "c", "a", "b"]).dictionary_encode()})
    assert list(as_data_frame(table)["f"].cat.categories) == ["a", "b", "c"]
    assert list(as_data_frame(pl.DataFrame({"f": ["b", "c", "a"]}, schema={"f": pl.Categorical}))["f"].cat.categories) \
        == ["a", "b", "c"]


def test_a_pandas_frame_is_used_as_it_is():
    data = ir.data("no_fixed_effects")
    assert as_data_frame(data) is data


def test_a_dict_of_arrays():
    data = ir.data("no_fixed_effects")
    fit = slmm.lmer("Yield ~ 1 + (1 | Batch)", {"Yield": data["Yield"].to_numpy(), "Batch": data["Batch"].to_numpy()})
    assert fit.objective == slmm.lmer("Yield ~ 1 + (1 | Batch)", data).objective


@pytest.mark.parametrize("data, message", [
    (np.zeros((3, 2)), "data must be a pandas or polars DataFrame, a pyarrow Table or a dict of columns, "
                       "not numpy.ndarray"),
    ([{"y": 1}], "not builtins.list"),
    ({"y": [1, 2, 3], "g": [1, 2]}, "the columns of data must have one length; they have 'y': 3, 'g': 2"),
    ({"y": np.zeros((3, 2))}, "data['y'] must be one-dimensional (one value per row), not of shape (3, 2)"),
])
def test_unsupported_data_are_named_with_their_type(data, message):
    with pytest.raises(DataError, match=re.escape(message)):
        slmm.lmer("y ~ 1 + (1 | g)", data)
