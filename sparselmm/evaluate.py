"""The value of a formula's expression on a data frame: columns, arithmetic, and R's functions.

``x``, ``log(x + 1)``, ``I(x^2)``, ``factor(g)``, ``scale(x)``, ``poly(x, 2)`` are evaluated as
R evaluates them in a model frame (the functions are :mod:`sparselmm.transforms`). A transform
whose result depends on the data it is applied to (``scale(x)``: its centre and spread;
``poly``'s basis, ``ns``'s knots) learns its parameters from the data a fit is made
on; new data (predictions, later chunks) are then transformed with the same parameters,
as R's ``makepredictcall`` keeps them. Those parameters are the ``transforms`` of an
:class:`Evaluator`: learned where it starts empty, used where they are given.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .errors import DataError, FormulaError
from .formula import BinOp, Call, Name, Number, Paren, Unary, deparse

_ARITH = {
    "+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide, "^": np.power, "%%": np.mod,
}
_NUMERIC_OBJECTS = {"integer", "floating", "mixed-integer-float", "decimal"}


class Evaluator:
    """Evaluates expressions on one data frame; ``transforms`` maps an expression's text to its learned
    parameters (filled as they are learned when the evaluator was given none)."""

    def __init__(self, data: pd.DataFrame, transforms: dict | None = None):
        self.data = data
        self.learning = transforms is None
        self.transforms = {} if transforms is None else transforms
        self._columns = {name: i for i, name in enumerate(map(str, data.columns))}

    def __call__(self, node):
        """The value of an expression: a pandas Series, a numpy array or a scalar."""
        if isinstance(node, Name):
            return self.data.iloc[:, self._columns[node.name]]
        if isinstance(node, Number):
            return node.value
        if isinstance(node, Paren):
            return self(node.inner)
        if isinstance(node, Unary):
            value = self.numeric(node.operand)
            return -value if node.op == "-" else value
        if isinstance(node, BinOp) and node.op in _ARITH:
            left, right = self.numeric(node.left), self.numeric(node.right)
            with np.errstate(all="ignore"):
                return _ARITH[node.op](left, right)
        if isinstance(node, Call):
            return self._call(node)
        raise FormulaError(f"cannot evaluate '{deparse(node)}': the operator is not arithmetic")

    def numeric(self, node):
        """The value of an expression that must be numeric: a float array or a float."""
        value = self(node)
        if np.isscalar(value):
            return float(value)
        if isinstance(value, Columns):
            raise DataError(f"'{deparse(node)}' has {len(value.names)} columns; arithmetic needs a single one")
        if is_categorical(value):
            raise DataError(f"'{deparse(node)}' is categorical; arithmetic needs a numeric column")
        return as_float(deparse(node), value)

    def _call(self, node: Call):
        from .transforms import function_of  # the functions use this module's types

        return function_of(node)(self, node)


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
