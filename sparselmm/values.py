"""What a variable of the model frame holds: a numeric vector, a categorical one (levels sorted and
named as R sorts and prints them), or several columns (poly, ns, dummy)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .errors import DataError

_NUMERIC_OBJECTS = {"integer", "floating", "mixed-integer-float", "decimal"}


class Columns:
    """A matrix-valued variable (poly, ns, dummy): ``values`` (n, k) and the suffixes R gives its columns
    (one column: the variable's own name, as R names a one-column matrix)."""

    def __init__(self, values: np.ndarray, names: tuple):
        self.values, self.names = np.asarray(values, dtype=float), tuple(names)

    def __len__(self) -> int:
        return len(self.values)

    def take(self, rows: np.ndarray) -> "Columns":
        return Columns(self.values[rows], self.names)

    def column_names(self, key: str) -> list[str]:
        return [key] if len(self.names) == 1 else [key + name for name in self.names]


def scale_parameters(value: np.ndarray) -> tuple[float, float]:
    """(mean, sd) of the values present: scale()'s centre and spread (:mod:`sparselmm.transforms`)."""
    present = value[~np.isnan(value)]
    with np.errstate(all="ignore"):
        center = float(present.mean()) if present.size else np.nan
        spread = float(present.std(ddof=1)) if present.size > 1 else np.nan
    return center, spread


def is_categorical(values) -> bool:
    """Factors are categories, booleans and text; an object column holding only numbers is numeric."""
    if np.isscalar(values) or isinstance(values, Columns):
        return False
    dtype = getattr(values, "dtype", np.asarray(values).dtype)
    if pd.api.types.is_object_dtype(dtype):
        return pd.api.types.infer_dtype(values, skipna=True) not in _NUMERIC_OBJECTS
    return (
        isinstance(dtype, pd.CategoricalDtype)
        or pd.api.types.is_bool_dtype(dtype)
        or pd.api.types.is_string_dtype(dtype)
    )


def as_float(key: str, values) -> np.ndarray:
    """A column as floats, or a DataError naming it when it holds dates, times or complex numbers."""
    dtype = getattr(values, "dtype", None)
    if dtype is not None and (pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_timedelta64_dtype(dtype)):
        raise DataError(
            f"the column '{key}' holds dates or times; convert it to a number (e.g. days since a start date) "
            "or to a category before fitting"
        )
    if dtype is not None and pd.api.types.is_complex_dtype(dtype):
        raise DataError(f"the column '{key}' is complex-valued; lmer needs real numbers")
    return np.asarray(pd.to_numeric(pd.Series(values) if not isinstance(values, pd.Series) else values), dtype=float)


def labels(levels) -> tuple:
    """The levels' names as R prints them: TRUE/FALSE, 3 rather than 3.0 (text as it is)."""
    if all(isinstance(level, str) for level in levels):
        return tuple(levels)
    return tuple(_label(level) for level in levels)


def sorted_levels(series: pd.Series) -> list:
    """The distinct values present, sorted as R sorts a factor's levels (numbers by value, text by code point:
    R's C locale; an object column of mixed types as text)."""
    unique = pd.unique(series)
    try:
        return sorted(unique)
    except TypeError:  # mixed types in an object column: sort as text, as R does
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return sorted(unique, key=str)


def _label(level) -> str:
    """The level's name as R prints it: TRUE/FALSE, 3 rather than 3.0."""
    if isinstance(level, (bool, np.bool_)):
        return "TRUE" if level else "FALSE"
    if isinstance(level, (float, np.floating)) and float(level).is_integer():
        return str(int(level))
    return str(level)
