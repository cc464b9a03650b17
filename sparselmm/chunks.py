"""Fitting from chunks of rows: data handed over in pieces, or larger than memory.

The fit needs the data only through their cross-products, and those are sums
over rows. Once the levels of every factor are known (given, or learned in a
first pass over the chunks) each chunk is coded exactly as the whole data
would be, its products are added up, and the chunk is dropped. The model that
results fits to the same numbers as the in-memory one; it keeps no rows, so
row-level results (fitted values, residuals, leverages) come from
``predict(newdata=chunk)`` instead.

A source is a list of DataFrames, a callable returning a fresh iterator of
them, a CSV or Parquet path (read in chunks), or a one-shot iterator when
``levels`` are given.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .coding import model_matrix
from .crossprod import Accumulator
from .design import RANK_TOLERANCE, Design, ReTerm, check_fixed, check_terms, rank_deficiency_message, term_codes
from .errors import DataError, RankDeficiencyWarning
from .formula import Formula, deparse, parse_formula
from .frame import Categorical, merge_levels, model_frame

CHUNK_ROWS = 500_000


def from_chunks(formula, source, levels: dict | None = None, read_options: dict | None = None):
    """The design and cross-products of data in chunks of rows (``LinearMixedModel.from_chunks`` fits them).

    ``levels`` maps each factor (a column such as ``"user"``, or an interaction
    grouping factor such as ``"dept:service"``) to its levels; without it a first
    pass learns them. ``read_options`` go to ``pandas.read_csv`` for a CSV path
    (e.g. ``{"dtype": {"user": str}}``).
    """
    formula = formula if isinstance(formula, Formula) else parse_formula(formula)
    chunks = _chunk_source(source, read_options or {}, one_pass_ok=levels is not None)
    variable_levels, group_levels = _learn(formula, chunks()) if levels is None else _split_given(formula, levels)
    return _accumulate(formula, chunks(), variable_levels, group_levels)


def _chunk_source(source, read_options: dict, one_pass_ok: bool):
    """A function returning a fresh iterator of DataFrames."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.exists():
            raise DataError(f"no such file: {path}")
        if path.suffix == ".parquet":
            return lambda: _parquet_chunks(path)
        return lambda: pd.read_csv(path, chunksize=read_options.pop("chunksize", CHUNK_ROWS), **read_options)
    if isinstance(source, pd.DataFrame):
        return lambda: iter([source])
    if callable(source):
        return source
    if isinstance(source, (list, tuple)):
        return lambda: iter(source)
    if not one_pass_ok:
        raise DataError(
            "a one-shot iterator of chunks can be read only once: pass levels= (every factor's levels), "
            "or a list, a file path, or a function returning a fresh iterator"
        )
    used = []

    def once():
        if used:
            raise DataError("the iterator of chunks was already consumed")
        used.append(True)
        return iter(source)

    return once


def _parquet_chunks(path: Path):
    import pyarrow.parquet as pq  # optional: only Parquet sources need it

    for batch in pq.ParquetFile(path).iter_batches(batch_size=CHUNK_ROWS):
        yield batch.to_pandas()


def _learn(formula: Formula, chunks) -> tuple[dict, dict]:
    """First pass: every factor's levels and every interaction grouping factor's observed combinations."""
    raw, combos = {}, {term.group_name: set() for term in formula.random if len(term.group) > 1}
    for chunk in chunks:
        frame = model_frame(formula, chunk)
        for key, value in frame.variables.items():
            if isinstance(value, Categorical):
                raw.setdefault(key, set()).update(value.raw)
        for term in formula.random:
            if len(term.group) > 1:
                parts = [frame.variables[deparse(g)] for g in term.group]
                rows = np.unique(np.column_stack([p.codes for p in parts]), axis=0)
                combos[term.group_name].update(tuple(p.levels[c] for p, c in zip(parts, row)) for row in rows)
    if not raw:
        raise DataError("the chunks held no rows")
    variable_levels = {key: merge_levels(values) for key, values in raw.items()}
    group_levels = {}
    for term in formula.random:
        if len(term.group) > 1:
            orders = [{label: i for i, label in enumerate(variable_levels[deparse(g)])} for g in term.group]
            ordered = sorted(combos[term.group_name], key=lambda c: [o[part] for o, part in zip(orders, c)])
            group_levels[term.group_name] = tuple(":".join(c) for c in ordered)
    return variable_levels, group_levels


def _split_given(formula: Formula, levels: dict) -> tuple[dict, dict]:
    """The caller's levels, checked: every grouping factor must be there."""
    levels = {key: tuple(str(v) for v in values) for key, values in levels.items()}
    for term in formula.random:
        needed = [term.group_name] if len(term.group) > 1 else []
        needed += [deparse(g) for g in term.group]
        missing = [key for key in needed if key not in levels]
        if missing:
            raise DataError(f"levels= lacks the grouping factor(s) {', '.join(missing)}")
    interactions = {t.group_name for t in formula.random if len(t.group) > 1}
    return {k: v for k, v in levels.items() if k not in interactions}, {k: levels[k] for k in interactions}


def _accumulate(formula: Formula, chunks, variable_levels: dict, group_levels: dict) -> tuple[Design, object]:
    """Second pass: code each chunk with the fixed levels and add up its cross-products."""
    accumulator, nobs, dropped, names, specs = Accumulator(), 0, 0, None, None
    for chunk in chunks:
        frame = model_frame(formula, chunk, levels=variable_levels)
        _refuse_unknown(frame, variable_levels)
        X, names = model_matrix(formula.fixed, frame.variables, frame.nobs)
        terms = _terms(formula, frame, variable_levels, group_levels)
        specs = specs or [_without_rows(t) for t in terms]
        Z = sp.hstack([t.z_block() for t in terms], format="csc")
        accumulator.add(Z, X, frame.response)
        nobs, dropped = nobs + frame.nobs, dropped + frame.n_dropped
    if specs is None:
        raise DataError("the chunks held no rows")
    crossprods = accumulator.result()
    keep = _independent_columns(crossprods.XtX)
    kept, aliased = [names[j] for j in keep], [n for j, n in enumerate(names) if j not in keep]
    if aliased:
        warnings.warn(f"{rank_deficiency_message(len(aliased))}: {', '.join(aliased)}", RankDeficiencyWarning, stacklevel=3)
    check_terms(specs, nobs)
    check_fixed(kept, nobs)
    levels = dict(variable_levels)
    messages = (rank_deficiency_message(len(aliased)),) if aliased else ()
    design = Design(formula, tuple(kept), tuple(aliased), tuple(specs), levels, nobs, dropped, fit_messages=messages)
    return design, crossprods.keep_columns(keep)


def _terms(formula: Formula, frame, variable_levels: dict, group_levels: dict) -> list[ReTerm]:
    """The chunk's random-effects terms, in the order the whole data gives (levels descending)."""
    terms = []
    for term in formula.random:
        factors = [frame.variables[deparse(g)] for g in term.group]
        levels = group_levels.get(term.group_name) or variable_levels[deparse(term.group[0])]
        codes = term_codes(levels, factors)
        if np.any(codes < 0):
            raise DataError(f"a chunk holds a level of '{term.group_name}' missing from levels=")
        matrix, columns = model_matrix(term.expr, frame.variables, frame.nobs)
        terms.append(ReTerm(term.group_name, tuple(columns), tuple(levels), codes, matrix, term))
    return sorted(terms, key=lambda t: -t.m)


def _without_rows(term: ReTerm) -> ReTerm:
    return ReTerm(term.group, term.columns, term.levels, None, None, term.source)


def _refuse_unknown(frame, variable_levels: dict) -> None:
    for key, value in frame.variables.items():
        if isinstance(value, Categorical) and np.any(value.codes < 0):
            raise DataError(f"a chunk holds a value of '{key}' missing from its levels {variable_levels[key][:10]}")


def _independent_columns(XtX: np.ndarray) -> list[int]:
    """X's columns that are not combinations of earlier ones, judged from X'X as lme4 judges X by QR."""
    keep, L = [], np.zeros((0, 0))
    for j in range(XtX.shape[0]):
        cross = XtX[keep, j]
        coefficients = np.linalg.solve(L, cross) if keep else cross
        residual = XtX[j, j] - coefficients @ coefficients
        if residual > RANK_TOLERANCE**2 * max(XtX[j, j], np.finfo(float).tiny):
            L = np.block([[L, np.zeros((len(keep), 1))], [coefficients[None, :], np.sqrt([[residual]])]])
            keep.append(j)
    return keep
