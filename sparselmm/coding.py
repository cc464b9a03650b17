"""Model matrices with R's coding rules and R's column names.

R codes a factor in a term by its contrasts (treatment, dropping the first level, unless
:mod:`sparselmm.contrasts` says otherwise) when the term's margin, the term without that
factor, is already in the model;
otherwise by one indicator column per level. A main effect's margin is the
intercept, which counts as present; without an intercept the first factor of
the model (in term order) gets all its levels, whatever its margin. In an
interaction the first variable varies fastest and names join with ``:``
(``recipeB:temp``).
"""

from __future__ import annotations

import numpy as np

from .contrasts import default_contrast
from .errors import DataError
from .values import Columns
from .formula import TermList, deparse
from .frame import Categorical


def model_matrix(terms: TermList, variables: dict, nobs: int, contrasts: dict | None = None) -> tuple[np.ndarray, list[str]]:
    """Dense model matrix (nobs, p) and its column names for one formula part."""
    blocks = term_columns(terms, variables, nobs, contrasts)
    return stack_columns(blocks, nobs), [name for _, _, names in blocks for name in names]


def stack_columns(blocks, nobs: int) -> np.ndarray:
    """The columns of ``term_columns``' blocks side by side, (nobs, p), in Fortran order: every pass over the
    rows reads one column at a time (cross-products, bincounts, checks); (nobs, 0) for a part without columns."""
    columns = [c for _, block, _ in blocks for c in block]
    out = np.empty((nobs, len(columns)), order="F")
    for j, column in enumerate(columns):
        out[:, j] = column
    return out


def term_columns(terms: TermList, variables: dict, nobs: int,
                 contrasts: dict | None = None) -> list[tuple[str, list, list[str]]]:
    """Per model term, in order (the intercept first): R's term label, its columns (nobs,) and their names.

    The labels of a model matrix's columns are R's ``attr(X, "assign")`` mapped to term labels
    (``"(Intercept)"``, ``"Product"``, ``"Product:Information"``): what type II and III tests group by.
    ``contrasts`` maps a factor's expression to its :class:`~sparselmm.contrasts.Contrast` (R's
    default, treatment or for an ordered factor poly, where it has none). A matrix-valued variable
    (``poly(x, 2)``) gives its columns, named as R names them (``poly(x, 2)1``).
    """
    blocks = [("(Intercept)", [np.ones(nobs)], ["(Intercept)"])] if terms.intercept else []
    previous = []
    full_coding_pending = not terms.intercept
    for term in terms.terms:
        keys = [deparse(v) for v in term]
        parts = []
        for key in keys:
            value = variables[key]
            if isinstance(value, Categorical) and value.numeric is not None:  # a numeric grouping column
                parts.append(([value.numeric], [key]))
            elif isinstance(value, Categorical):
                margin = frozenset(keys) - {key}
                full = full_coding_pending or (bool(margin) and margin not in previous)
                full_coding_pending = False
                parts.append(_factor_columns(key, value, full, (contrasts or {}).get(key)))
            elif isinstance(value, Columns):
                parts.append((list(value.values.T), value.column_names(key)))
            else:
                parts.append(([value], [key]))
        blocks.append((":".join(keys), *_interact(parts)))
        previous.append(frozenset(keys))
    return blocks


def _factor_columns(key: str, factor: Categorical, full: bool, contrast=None) -> tuple[list, list]:
    """All K indicator columns (``full``), or the factor's contrast: K - 1 (or the matrix's) columns."""
    if len(factor.levels) < 2:  # R: "contrasts can be applied only to factors with 2 or more levels"
        raise DataError(
            f"the factor '{key}' has a single level ({factor.levels[0]!r}) in the rows used; "
            "a factor needs at least 2 levels: drop it from the formula"
        )
    if full:
        return [(factor.codes == j).astype(float) for j in range(len(factor.levels))], [key + l for l in factor.levels]
    contrast = contrast or default_contrast(factor.levels, factor.ordered)
    if contrast.name == "contr.treatment":  # indicators: no products needed
        return [(factor.codes == j).astype(float) for j in range(1, len(factor.levels))], [key + l for l in factor.levels[1:]]
    rows = contrast.matrix[np.clip(factor.codes, 0, None)]  # (n, c); codes are valid where coding reaches here
    return list(rows.T), [key + suffix for suffix in contrast.suffixes]


def _interact(parts: list) -> tuple[list, list]:
    """Columns of an interaction: all products, the first variable varying fastest."""
    columns, names = parts[0]
    for next_columns, next_names in parts[1:]:
        columns = [a * b for b in next_columns for a in columns]
        names = [f"{na}:{nb}" for nb in next_names for na in names]
    return columns, names
