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
from .transforms import function_of
from .values import Columns, as_float, is_categorical

_ARITH = {
    "+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide, "^": np.power, "%%": np.mod,
}


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
        return function_of(node)(self, node)
