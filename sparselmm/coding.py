"""Model matrices with R's coding rules and R's column names.

R codes a factor in a term by treatment contrasts (dropping the first level)
when the term's margin, the term without that factor, is already in the model;
otherwise by one indicator column per level. A main effect's margin is the
intercept, which counts as present; without an intercept the first factor of
the model (in term order) gets all its levels, whatever its margin. In an
interaction the first variable varies fastest and names join with ``:``
(``recipeB:temp``).
"""

from __future__ import annotations

import numpy as np

from .errors import DataError
from .formula import TermList, deparse
from .frame import Categorical


def model_matrix(terms: TermList, variables: dict, nobs: int) -> tuple[np.ndarray, list[str]]:
    """Dense model matrix (nobs, p) and its column names for one formula part."""
    blocks = term_columns(terms, variables, nobs)
    return (np.column_stack([c for _, columns, _ in blocks for c in columns]),
            [name for _, _, names in blocks for name in names])


def term_columns(terms: TermList, variables: dict, nobs: int) -> list[tuple[str, list, list[str]]]:
    """Per model term, in order (the intercept first): R's term label, its columns (nobs,) and their names.

    The labels of a model matrix's columns are R's ``attr(X, "assign")`` mapped to term labels
    (``"(Intercept)"``, ``"Product"``, ``"Product:Information"``): what type II and III tests group by.
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
                parts.append(_factor_columns(key, value, full))
            else:
                parts.append(([value], [key]))
        blocks.append((":".join(keys), *_interact(parts)))
        previous.append(frozenset(keys))
    return blocks


def _factor_columns(key: str, factor: Categorical, full: bool) -> tuple[list, list]:
    if len(factor.levels) < 2:  # R: "contrasts can be applied only to factors with 2 or more levels"
        raise DataError(
            f"the factor '{key}' has a single level ({factor.levels[0]!r}) in the rows used; "
            "a factor needs at least 2 levels: drop it from the formula"
        )
    start = 0 if full else 1
    columns = [(factor.codes == j).astype(float) for j in range(start, len(factor.levels))]
    return columns, [key + level for level in factor.levels[start:]]


def _interact(parts: list) -> tuple[list, list]:
    """Columns of an interaction: all products, the first variable varying fastest."""
    columns, names = parts[0]
    for next_columns, next_names in parts[1:]:
        columns = [a * b for b in next_columns for a in columns]
        names = [f"{na}:{nb}" for nb in next_names for na in names]
    return columns, names
