"""A Dask DataFrame's design and cross-products, each partition's share summed where it lives (the steps are
those of :mod:`sparselmm.distributed`)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from ..chunks import _scale_keys, _scale_of, _scale_sums, _spec, design_of_sums, require_named_columns
from ..crossprod import Accumulator
from ..design import Design
from ..errors import DataError, NoRowsError
from ..formula import Formula, deparse, parse_formula
from ..frame import Categorical, merge_levels, model_frame
from ..values import labels
from ..spec import TermSpec
from . import graph
from .graph import is_dask_dataframe
from .rows import DistributedRows


@dataclass(frozen=True)
class DaskDesign(Design):
    """The design of a fit from a Dask DataFrame: no rows in memory, a reference to the DataFrame instead.

    Row-level results are Dask Series computed from ``data`` (:class:`DistributedRows`).
    """

    data: object = None  # the Dask DataFrame the fit was made on

    def require_rows(self, what: str) -> None:
        raise DataError(
            f"{what} need the rows in memory, and this model was fitted from a Dask DataFrame, whose rows stay "
            "in its partitions: fit.fitted, fit.residuals, fit.hatvalues() and fit.predict(newdata=ddf) are "
            "Dask Series computed there"
        )

    def dask_rows(self, fit) -> "DistributedRows":
        """The fit's row-level results, as Dask Series over :attr:`data`."""
        return DistributedRows(fit)


@dataclass
class _Plan:
    """What every task needs, sent to each worker once: the formula, the expected column types, and once
    known the spec, the Accumulator's terms (levels as ranges: only their number travels) and the shift."""

    formula: Formula
    weights: str | None
    offset: str | None
    kinds: dict  # column -> (kind, dtype text) the meta declares
    known: dict  # column -> its declared categories (raw values), for columns of known categories
    spec: object = None
    terms: tuple = ()
    shift: tuple | None = None


@dataclass
class _Levels:
    """One partition's (or a merge's) share of the levels pass."""

    raw: dict = field(default_factory=dict)  # factor -> set of raw values seen
    combos: dict = field(default_factory=dict)  # interaction grouping factor -> set of level tuples seen
    scale: dict = field(default_factory=dict)  # scale()'s argument -> [(count, sum, sum of squares)]
    kinds: dict = field(default_factory=dict)  # expression -> (factor or numeric, first partition judged so)
    rows: dict = field(default_factory=dict)  # partition -> complete rows


@dataclass
class _Partial:
    """One partition's (or a merge's) cross-products, rows used and dropped, and per factor of known categories
    the rows of each category (to drop the unused, as lme4 does)."""

    sums: Accumulator | None
    nobs: int = 0
    dropped: int = 0
    counts: dict = field(default_factory=dict)


def from_dask(formula, ddf, weights: str | None = None, offset: str | None = None):
    """The design and cross-products of a Dask DataFrame (``LinearMixedModel.from_dask`` fits them).

    ``weights`` and ``offset`` name columns (each partition carries its own values).
    """
    dask = graph.dask_module()
    if not is_dask_dataframe(ddf):
        raise DataError(f"from_dask needs a Dask DataFrame, not {type(ddf).__name__}")
    require_named_columns(weights, offset, "a Dask fit", "partition")
    formula = formula if isinstance(formula, Formula) else parse_formula(formula)
    if ddf.npartitions == 0 or len(ddf.columns) == 0:
        raise DataError("the Dask DataFrame has no partitions or no columns")
    plan = _plan(formula, ddf, weights, offset)
    parts = ddf.to_delayed()
    factors = _factors(formula, ddf._meta_nonempty, weights, offset)
    needs_pass = bool(factors["transforms"]) or any(len(t.group) > 1 for t in formula.random) or any(
        key not in plan.known for key in factors["categorical"])
    if needs_pass:
        shared = graph.shared(dask, plan)
        learned = graph.compute(dask, graph.tree(dask, [dask.delayed(_partition_levels)(part, i, shared)
                                              for i, part in enumerate(parts)], _merge_levels))
        if not learned.rows or not sum(learned.rows.values()):
            raise DataError("the Dask DataFrame holds no rows to fit (every partition is empty or has a missing "
                            f"value in one of the columns {', '.join(formula.columns())})")
        variable_levels, group_levels, transforms = _levels_of(formula, learned, plan.known)
        order = [i for i in sorted(learned.rows) if learned.rows[i]]
    else:
        variable_levels = {key: labels(list(plan.known[key])) for key in factors["categorical"]}
        group_levels, transforms, order = {}, {}, range(ddf.npartitions)
    while True:
        design, crossprods, unused = _accumulate(dask, plan, parts, order, variable_levels, group_levels,
                                                 transforms, counting=not needs_pass)
        if not unused:
            return DaskDesign(design.spec, design.nobs, design.n_dropped, design.fit_messages, data=ddf), crossprods
        variable_levels = {key: tuple(v for v in values if v not in unused.get(key, ()))
                           for key, values in variable_levels.items()}


def _plan(formula: Formula, ddf, weights, offset) -> _Plan:
    columns = list(map(str, ddf.columns))
    used = [c for c in formula.columns() + [weights, offset] if c is not None and c in columns]
    dtypes = {str(k): v for k, v in ddf.dtypes.items()}
    kinds = {c: (_kind(dtypes[c]), str(dtypes[c])) for c in used}
    from dask.dataframe.utils import has_known_categories

    known = {c: tuple(ddf._meta[c].cat.categories) for c in used
             if isinstance(dtypes[c], pd.CategoricalDtype) and has_known_categories(ddf[c])}
    return _Plan(formula, weights, offset, kinds, known)


def _factors(formula: Formula, sample: pd.DataFrame, weights, offset) -> dict:
    """Which expressions are factors and which need scale()'s parameters, judged on Dask's stand-in rows of
    the meta (the formula's columns and types checked as an in-memory fit checks them)."""
    sample = sample.copy()
    for column in sample.columns:  # Dask's stand-in rows repeat one number and leave text missing in one
        values = sample[column]
        if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
            sample[column] = np.arange(1, len(sample) + 1).astype(values.dtype)  # scale() needs two values
        elif values.isna().any() and values.notna().any():
            sample[column] = values.fillna(values[values.notna()].iloc[0])
    frame = model_frame(formula, sample, weights=weights, offset=offset)
    categorical = [key for key, value in frame.variables.items() if isinstance(value, Categorical)]
    return {"categorical": categorical, "transforms": dict(frame.transforms)}


def _kind(dtype) -> str:
    if isinstance(dtype, pd.CategoricalDtype):
        return "categories"
    if pd.api.types.is_bool_dtype(dtype):
        return "booleans"
    if pd.api.types.is_numeric_dtype(dtype):
        return "numbers"
    if pd.api.types.is_string_dtype(dtype) or pd.api.types.is_object_dtype(dtype):
        return "text"
    return str(dtype)


def _checked(part: pd.DataFrame, index: int, plan: _Plan) -> pd.DataFrame:
    """The partition, once its columns have the meta's types and its known categories hold all its values."""
    columns = {str(c): c for c in part.columns}
    for column, (kind, dtype) in plan.kinds.items():
        if column not in columns:
            raise DataError(f"partition {index} of the Dask DataFrame has no column '{column}', which its meta "
                            "(ddf.columns) declares: give every partition the same columns")
        actual = part[columns[column]].dtype
        if _kind(actual) != kind:
            suggestion = {"numbers": "float", "booleans": "bool"}.get(kind, "str")
            raise DataError(
                f"the partitions of the Dask DataFrame disagree on the type of column '{column}': partition "
                f"{index} holds {_kind(actual)} ({actual}) where the DataFrame's meta (ddf.dtypes) declares "
                f"{kind} ({dtype}). Give the column one type in every partition, e.g. "
                f"dd.read_csv(..., dtype={{'{column}': {suggestion}}}) or ddf.astype({{'{column}': {suggestion}}})"
            )
    for column, categories in plan.known.items():
        values = part[columns[column]]
        if values.cat.categories.equals(pd.Index(categories)):
            continue
        codes = values.cat.codes.to_numpy()
        seen = values.cat.categories[np.bincount(codes[codes >= 0], minlength=len(values.cat.categories)) > 0]
        outside = seen[~seen.isin(list(categories))]
        if len(outside):
            shown = ", ".join(map(str, list(outside[:3])))
            raise DataError(
                f"partition {index} of the Dask DataFrame holds values of '{column}' outside its declared "
                f"categories ({shown}): the DataFrame's known categories of '{column}' are incomplete. Declare "
                f"all of them (ddf = ddf.categorize(columns=['{column}']) learns them from every partition), or "
                f"leave them unknown (ddf['{column}'] = ddf['{column}'].cat.as_unknown()) so that the fit learns "
                "the levels in one pass"
            )
    return part


def _in_partition(error: DataError, index: int) -> DataError:
    return DataError(f"partition {index} of the Dask DataFrame: {error}")


# ---------------------------------------------------------------- pass 1: the levels
def _partition_levels(part: pd.DataFrame, index: int, plan: _Plan) -> _Levels:
    """One partition's factor values, grouping combinations and scale() sums (model_frame learns them)."""
    out = _Levels(rows={index: 0})
    if len(part) == 0:
        return out
    _checked(part, index, plan)
    formula = plan.formula
    try:
        frame = model_frame(formula, part, weights=plan.weights, offset=plan.offset)
    except NoRowsError:  # no complete row: no levels, but scale() learns from every row, as in memory
        out.scale = {key: [_scale_sums(formula, part, key)] for key in _scale_keys(formula)}
        return out
    except DataError as error:
        raise _in_partition(error, index) from error
    out.rows[index] = frame.nobs
    for key, value in frame.variables.items():
        factor = isinstance(value, Categorical)
        out.kinds[key] = (factor, index)
        if factor:
            out.raw[key] = set(value.raw)
    for term in formula.random:
        if len(term.group) > 1:
            parts = [frame.variables[deparse(g)] for g in term.group]
            rows = np.unique(np.column_stack([p.codes for p in parts]), axis=0)
            out.combos[term.group_name] = {tuple(p.levels[c] for p, c in zip(parts, row)) for row in rows}
    for key in frame.transforms:
        out.scale[key] = [_scale_sums(formula, part, key)]
    return out


def _merge_levels(*shares: _Levels) -> _Levels:
    out = _Levels()
    for share in shares:
        for key, (factor, index) in share.kinds.items():
            if key in out.kinds and out.kinds[key][0] != factor:
                first = out.kinds[key]
                kind = {True: "a factor (text or categories)", False: "numeric"}
                raise DataError(
                    f"the partitions of the Dask DataFrame disagree on '{key}': it is {kind[first[0]]} in "
                    f"partition {first[1]} and {kind[factor]} in partition {index}. Give the column one type in "
                    f"every partition (e.g. ddf.astype({{'{key}': str}}) for a factor, or float for a number)"
                )
            out.kinds.setdefault(key, (factor, index))
        for target, source in ((out.raw, share.raw), (out.combos, share.combos)):
            for key, values in source.items():
                target.setdefault(key, set()).update(values)
        for key, sums in share.scale.items():
            out.scale.setdefault(key, []).extend(sums)
        out.rows.update(share.rows)
    return out


def _levels_of(formula: Formula, learned: _Levels, known: dict) -> tuple[dict, dict, dict]:
    """Every factor's levels (a column of known categories: in their order; others sorted as R sorts them), each
    interaction's observed combinations in R's order, and scale()'s parameters, as chunks._learn finds them."""
    variable_levels = {}
    for key, values in learned.raw.items():
        if key in known:
            variable_levels[key] = labels([c for c in known[key] if c in values])
        else:
            variable_levels[key] = merge_levels(values)
    group_levels = {}
    for term in formula.random:
        if len(term.group) > 1:
            orders = [{label: i for i, label in enumerate(variable_levels[deparse(g)])} for g in term.group]
            ordered = sorted(learned.combos.get(term.group_name, ()),
                             key=lambda c: [o[part] for o, part in zip(orders, c)])
            group_levels[term.group_name] = tuple(":".join(c) for c in ordered)
    return variable_levels, group_levels, {key: _scale_of(sums) for key, sums in learned.scale.items()}


# ---------------------------------------------------------------- pass 2: the cross-products
def _accumulate(dask, plan: _Plan, parts: list, order, variable_levels: dict, group_levels: dict,
                transforms: dict, counting: bool):
    """The spec and shift from the first partition with rows, the others' sums by a tree of tasks, lme4's
    checks; and the categories of known-category factors that no row used (to drop and go again)."""
    plan = replace(plan, spec=None, shift=None)
    shared = graph.shared(dask, (plan, variable_levels, group_levels, transforms))
    first = None
    for index in order:  # with a levels pass, the first partition with rows; otherwise usually partition 0
        first = graph.compute(dask, dask.delayed(_first_partition)(parts[index], index, shared, counting))
        if first is not None:
            break
    if first is None:
        raise DataError("the Dask DataFrame holds no rows to fit (every partition is empty or has a missing "
                        f"value in one of the columns {', '.join(plan.formula.columns())})")
    spec, shift, partial = first
    plan = replace(plan, spec=spec, terms=_light(spec.terms), shift=shift)
    shared = graph.shared(dask, plan)
    rest = [dask.delayed(_partition_sums)(part, i, shared, counting) for i, part in enumerate(parts) if i != index]
    if rest:  # the partitions before the first with rows may still have dropped some
        partial = _merge_partials(partial, graph.compute(dask, graph.tree(dask, rest, _merge_partials)))
    unused = {key: {label for label, n in zip(variable_levels[key], counts) if n == 0}
              for key, counts in partial.counts.items() if not np.all(counts)}
    if unused:
        return None, None, unused
    design, crossprods = design_of_sums(spec, partial.sums.result(), partial.nobs, partial.dropped)
    return design, crossprods, {}


def _light(terms) -> tuple:
    """The terms as the Accumulator needs them (columns and the number of levels), cheap to send."""
    return tuple(TermSpec(t.group, t.columns, range(t.m), t.source) for t in terms)


def _first_partition(part, index, shared: tuple, counting: bool):
    """The spec (its columns' names from these rows), the shift (their OLS fit) and their sums; None if the
    partition has no complete row."""
    plan, variable_levels, group_levels, transforms = shared
    if len(part) == 0:
        return None
    _checked(part, index, plan)
    try:
        spec = _spec(plan.formula, part, variable_levels, group_levels, transforms)
    except NoRowsError:
        return None
    except DataError as error:
        raise _in_partition(error, index) from error
    spec = replace(spec, weights=plan.weights, offset=plan.offset)
    sums = Accumulator(_light(spec.terms))
    partial = _sums_of(part, index, replace(plan, spec=spec), sums, counting)
    return spec, sums.shift, partial


def _partition_sums(part, index, plan: _Plan, counting: bool) -> _Partial:
    """One partition's cross-products, with the shared shift."""
    if len(part) == 0:
        return _Partial(None)
    _checked(part, index, plan)
    return _sums_of(part, index, plan, Accumulator(plan.terms, shift=plan.shift), counting)


def _sums_of(part, index, plan: _Plan, sums: Accumulator, counting: bool) -> _Partial:
    spec = plan.spec
    try:
        coded = spec.code(part, all_columns=True, weights=spec.weights, offset=spec.offset)
    except NoRowsError:
        return _Partial(None, 0, len(part))
    except DataError as error:
        raise _in_partition(error, index) from error
    for term, codes in zip(spec.terms, coded.codes):
        if np.any(codes < 0):
            raise DataError(
                f"partition {index} of the Dask DataFrame holds a level of '{term.group}' that the levels pass "
                "did not see: the partitions changed between the passes. Make them deterministic (a seeded "
                "generator, files that do not change) or ddf.persist() them before fitting"
            )
    sums.add(coded)
    counts = {}
    if counting:  # rows per declared category: lme4 drops the levels no row uses
        for key in (key for key in plan.known if key in spec.variable_levels):
            values = part[key].iloc[coded.rows]
            levels = pd.Index(spec.variable_levels[key])
            if values.cat.categories.equals(pd.Index(plan.known[key])) and len(levels) == len(plan.known[key]):
                position = np.arange(len(levels))  # the declared categories, all of them levels, in order
            else:
                position = levels.get_indexer(labels(list(values.cat.categories)))
            codes = values.cat.codes.to_numpy()
            counts[key] = np.bincount(position[codes[codes >= 0]], minlength=len(spec.variable_levels[key]))
    return _Partial(sums, coded.nobs, coded.n_dropped, counts)


def _merge_partials(*partials: _Partial) -> _Partial:
    out = _Partial(None)
    for partial in partials:
        if partial.sums is not None:
            out.sums = partial.sums if out.sums is None else out.sums.merge(partial.sums)
        out.nobs += partial.nobs
        out.dropped += partial.dropped
        for key, counts in partial.counts.items():
            out.counts[key] = counts if key not in out.counts else out.counts[key] + counts
    return out
