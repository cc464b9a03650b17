"""Fitting from chunks of rows: data handed over in pieces, or larger than memory.

The fit needs the data only through their cross-products, and those are sums
over rows. Once the levels of every factor are known (given, or learned in a
first pass over the chunks) the spec is fixed, each chunk is coded by it exactly
as the whole data would be, its products are added up, and the chunk is
dropped. The design that results fits to the same numbers as the in-memory one;
it keeps no rows, so row-level results (fitted values, residuals, leverages)
come from ``predict(newdata=chunk)`` instead.

A source is a list of DataFrames, a callable returning a fresh iterator of
them, a CSV or Parquet path (read in chunks), or a one-shot iterator when
``levels`` are given.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from . import checks
from .coding import model_matrix, term_columns
from .crossprod import Accumulator
from .design import Design
from .errors import DataError, NoRowsError
from .evaluate import Evaluator
from .values import scale_parameters
from .formula import Formula, deparse, parse_formula
from .frame import Categorical, merge_levels, model_frame
from .spec import DesignSpec, TermSpec, lme4_term_order

CHUNK_ROWS = 500_000


def from_chunks(formula, source, levels: dict | None = None, read_options: dict | None = None,
                weights: str | None = None, offset: str | None = None, progress: bool = False):
    """The design and cross-products of data in chunks of rows (``LinearMixedModel.from_chunks`` fits them).

    ``levels`` maps each factor (a column such as ``"user"``, or an interaction
    grouping factor such as ``"dept:service"``) to its levels; without it a first
    pass learns them. ``read_options`` go to ``pandas.read_csv`` for a CSV path
    (e.g. ``{"dtype": {"user": str}}``). ``weights`` and ``offset`` name columns. ``progress``
    shows each pass over the chunks as a tqdm bar.
    """
    require_named_columns(weights, offset, "a chunked fit", "chunk")
    formula = formula if isinstance(formula, Formula) else parse_formula(formula)
    chunks = _chunk_source(source, read_options or {}, one_pass_ok=levels is not None)
    if levels is None:
        variable_levels, group_levels, transforms = _learn(formula, _bar(chunks(), "levels", progress))
    else:
        (variable_levels, group_levels), transforms = _split_given(formula, levels), None
    return _accumulate(formula, _bar(chunks(), "cross-products", progress), variable_levels, group_levels,
                       transforms, weights, offset)


def _bar(chunks, what: str, shown: bool):
    """The chunks, counted by a tqdm bar when ``shown``."""
    from tqdm.auto import tqdm

    return tqdm(chunks, desc=f"chunks: {what}", unit="chunk", disable=not shown)


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


def _learn(formula: Formula, chunks) -> tuple[dict, dict, dict]:
    """First pass: every factor's levels, every interaction grouping factor's observed combinations, and the
    parameters of scale() over all rows."""
    raw, combos = {}, {term.group_name: set() for term in formula.random if len(term.group) > 1}
    scale_inputs = {}
    for chunk in chunks:
        try:
            frame = model_frame(formula, chunk)
        except NoRowsError:  # no complete row: no levels, but scale() learns from every row, as in memory
            for key in _scale_keys(formula):
                scale_inputs.setdefault(key, []).append(_scale_sums(formula, chunk, key))
            continue
        for key, value in frame.variables.items():
            if isinstance(value, Categorical):
                raw.setdefault(key, set()).update(value.raw)
        for term in formula.random:
            if len(term.group) > 1:
                parts = [frame.variables[deparse(g)] for g in term.group]
                rows = np.unique(np.column_stack([p.codes for p in parts]), axis=0)
                combos[term.group_name].update(tuple(p.levels[c] for p, c in zip(parts, row)) for row in rows)
        for key in frame.transforms:
            if not key.startswith("scale("):
                raise DataError(f"{key} learns its basis or levels from all rows at once, which a chunked fit never "
                                "holds; compute its columns before fitting (chunked fits learn scale() only)")
            scale_inputs.setdefault(key, []).append(_scale_sums(formula, chunk, key))
    if not raw:
        raise DataError("the chunks held no rows")
    variable_levels = {key: merge_levels(values) for key, values in raw.items()}
    group_levels = {}
    for term in formula.random:
        if len(term.group) > 1:
            orders = [{label: i for i, label in enumerate(variable_levels[deparse(g)])} for g in term.group]
            ordered = sorted(combos[term.group_name], key=lambda c: [o[part] for o, part in zip(orders, c)])
            group_levels[term.group_name] = tuple(":".join(c) for c in ordered)
    return variable_levels, group_levels, {key: _scale_of(sums) for key, sums in scale_inputs.items()}


def require_named_columns(weights, offset, fit: str, piece: str) -> None:
    """weights and offset of data in pieces must be columns' names: the values travel with each piece."""
    for value, what in ((weights, "weights"), (offset, "offset")):
        if value is not None and not isinstance(value, str):
            raise DataError(f"{what} of {fit} must name a column (each {piece} carries its own values)")


def _scale_keys(formula: Formula) -> list[str]:
    """The scale() variables of the formula's terms (what a chunk without complete rows still adds to)."""
    return [key for key in formula.predictors() if key.startswith("scale(")]


def _scale_sums(formula: Formula, chunk: pd.DataFrame, key: str) -> tuple[float, float, float]:
    """(count, sum, sum of squares) of the values present of scale()'s argument in one chunk."""
    node = formula.predictors()[key]
    value = Evaluator(chunk).numeric(node.args[0])
    present = value[~np.isnan(value)]
    return float(present.size), float(present.sum()), float(present @ present)


def _scale_of(sums: list) -> tuple[float, float]:
    """scale()'s (mean, sd) over all chunks from their sums."""
    count, total, squares = np.sum(np.array(sums), axis=0)
    if count < 2:
        return scale_parameters(np.full(int(count), total))
    mean = total / count
    return float(mean), float(np.sqrt(max(squares - count * mean * mean, 0.0) / (count - 1)))


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


def _accumulate(formula: Formula, chunks, variable_levels: dict, group_levels: dict, transforms: dict,
                weights: str | None, offset: str | None):
    """Second pass: code each chunk by the spec and add up its cross-products."""
    spec, accumulator, nobs, dropped = None, None, 0, 0
    for chunk in chunks:
        try:
            if spec is None:
                spec = replace(_spec(formula, chunk, variable_levels, group_levels, transforms), weights=weights,
                               offset=offset)
                accumulator = Accumulator(spec.terms)
            coded = spec.code(chunk, all_columns=True, weights=spec.weights, offset=spec.offset)
        except NoRowsError:  # every row of the chunk lacks a value: all dropped, as a Dask partition's
            dropped += len(chunk)
            continue
        for term, codes in zip(spec.terms, coded.codes):
            if np.any(codes < 0):
                raise DataError(f"a chunk holds a level of '{term.group}' missing from levels=")
        accumulator.add(coded)
        nobs, dropped = nobs + coded.nobs, dropped + coded.n_dropped
    if spec is None:
        raise DataError("the chunks held no rows")
    return design_of_sums(spec, accumulator.result(), nobs, dropped)


def design_of_sums(spec: DesignSpec, crossprods, nobs: int, dropped: int):
    """lme4's checks on summed cross-products (the rank of X'X, the levels, the scales): the design and the
    cross-products of its kept columns. Chunked and distributed fits end here."""
    keep = checks.independent_columns_of_gram(crossprods.XtX)
    aliased = checks.dropped_columns(spec.columns, keep)
    spec = spec.with_kept(keep)
    checks.check_terms(spec.terms, nobs)
    checks.check_fixed(spec.fixef_names, nobs)
    crossprods = crossprods.keep_columns(keep)
    messages = [checks.rank_deficiency_message(len(aliased))] if aliased else []
    messages += checks.scale_messages(crossprods.column_summary)
    return Design(spec, nobs, dropped, tuple(messages)), crossprods


def _spec(formula: Formula, chunk: pd.DataFrame, variable_levels: dict, group_levels: dict,
          transforms: dict) -> DesignSpec:
    """The spec from the known levels: the columns' names from one chunk coded by them, lme4's term order."""
    frame = model_frame(formula, chunk, levels=variable_levels, transforms=transforms)
    if transforms is None and frame.transforms:
        raise DataError(
            f"{', '.join(frame.transforms)} needs every row before the fit (its centre and spread): pass the chunks "
            "as a list, a function or a file path (read twice) rather than a one-shot iterator with levels=, or "
            "transform the column before fitting"
        )
    _refuse_unknown(frame, variable_levels)
    terms = []
    for term in formula.random:
        levels = group_levels.get(term.group_name) or variable_levels[deparse(term.group[0])]
        columns = model_matrix(term.expr, frame.variables, frame.nobs)[1]
        terms.append(TermSpec(term.group_name, tuple(columns), tuple(levels), term))
    order = lme4_term_order([t.m for t in terms])
    blocks = term_columns(formula.fixed, frame.variables, frame.nobs)
    names = tuple(name for _, _, block_names in blocks for name in block_names)
    labels = tuple(label for label, columns, _ in blocks for _ in columns)
    return DesignSpec(formula, dict(variable_levels), frame.transforms, tuple(terms[i] for i in order), names,
                      labels, tuple(range(len(names))))


def _refuse_unknown(frame, variable_levels: dict) -> None:
    for key, value in frame.variables.items():
        if isinstance(value, Categorical) and np.any(value.codes < 0):
            raise DataError(f"a chunk holds a value of '{key}' missing from its levels {variable_levels[key][:10]}")
