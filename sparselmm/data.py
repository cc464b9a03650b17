"""Data containers: any data frame a user has, as the pandas DataFrame the model frame reads.

- a pandas DataFrame is used as it is (never copied, never modified);
- a polars DataFrame, a pyarrow Table or RecordBatch, and any other object offering the Arrow
  PyCapsule stream (``__arrow_c_stream__``) or the dataframe interchange protocol
  (``__dataframe__``) is converted by ``pandas.api.interchange.from_dataframe``, which reads the
  Arrow stream first and the interchange protocol otherwise. Both keep missing values, and a
  categorical column's ordered flag: a polars Enum (or an ordered Arrow dictionary) arrives as
  an ordered factor in its own order, so contr.poly codes it by default as R codes an ordered
  factor; an unordered one (a polars Categorical, an Arrow dictionary) as a factor whose levels
  are sorted, as R's factor() sorts them (its dictionary's order is only the order values were
  met in). This needs no dependency beyond pandas, which is why it is used rather than narwhals;
- a dict (or other mapping) of equally long one-dimensional columns becomes a DataFrame.

Row-level results (fitted values, residuals, predictions) are indexed by the pandas frame's
index: the caller's own for a pandas DataFrame, 0..n-1 for the other containers.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping

import numpy as np
import pandas as pd

from .errors import DataError


def as_data_frame(data, what: str = "data") -> pd.DataFrame:
    """``data`` as a pandas DataFrame (the same object for a pandas one), or a DataError naming its type."""
    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, Mapping):
        return _from_mapping(data, what)
    dask_frames = sys.modules.get("dask.dataframe")  # a Dask DataFrame offers __dataframe__: reading it would
    if dask_frames is not None and isinstance(data, dask_frames.DataFrame):  # bring every row to this process
        raise DataError(
            f"{what} is a Dask DataFrame, whose rows stay in its partitions, and this needs them in memory: "
            "lmer(data=ddf) and predict(newdata=ddf) (without se_fit or interval) work on the partitions; "
            "otherwise pass ddf.compute() if it fits in memory"
        )
    if hasattr(data, "__arrow_c_stream__") or hasattr(data, "__dataframe__"):
        try:
            frame = pd.api.interchange.from_dataframe(data, allow_copy=True)
        except Exception as error:  # the producer's own error: say which container and why
            raise DataError(f"{what} of type {_type_name(data)} could not be read as a data frame: {error}") from error
        return _sorted_categories(frame)
    raise DataError(
        f"{what} must be a pandas or polars DataFrame, a pyarrow Table or a dict of columns, not {_type_name(data)}"
    )


def _sorted_categories(frame: pd.DataFrame) -> pd.DataFrame:
    """Unordered categorical columns with their categories sorted (R's factor levels); ordered ones as they are."""
    for name in frame.columns:
        dtype = frame[name].dtype
        if isinstance(dtype, pd.CategoricalDtype) and not dtype.ordered:
            try:
                frame[name] = frame[name].cat.reorder_categories(sorted(dtype.categories))
            except TypeError:  # categories of mixed types: sorted as text, as R does
                frame[name] = frame[name].cat.reorder_categories(sorted(dtype.categories, key=str))
    return frame


def row_index(data) -> pd.Index:
    """The rows of a container as row-level results index them: a pandas frame's own index, 0..n-1 otherwise."""
    if isinstance(data, pd.DataFrame):
        return data.index
    return pd.RangeIndex(len(next(iter(data.values()))) if isinstance(data, Mapping) and data else len(data))


def _from_mapping(data: Mapping, what: str) -> pd.DataFrame:
    """A dict of columns: each one-dimensional, all of one length."""
    lengths = {}
    for name, column in data.items():
        shape = np.shape(column)
        if len(shape) != 1:
            raise DataError(f"{what}[{name!r}] must be one-dimensional (one value per row), not of shape {shape}")
        lengths[name] = shape[0]
    if len(set(lengths.values())) > 1:
        shown = ", ".join(f"{name!r}: {length}" for name, length in lengths.items())
        raise DataError(f"the columns of {what} must have one length; they have {shown}")
    return pd.DataFrame({name: _column(column) for name, column in data.items()})


def _column(column):
    """A pandas Series as it is (its dtype kept), anything else as its values."""
    return column.reset_index(drop=True) if isinstance(column, pd.Series) else column


def _type_name(data) -> str:
    kind = type(data)
    return f"{kind.__module__}.{kind.__qualname__}"
