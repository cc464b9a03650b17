"""The model frame: the formula's variables evaluated on the data, rows with missing values dropped.

This is R's ``model.frame`` with ``subset`` and ``na.action = na.omit`` (na.exclude is
the same frame, laid out differently afterwards: sparselmm.rows). Every expression the
formula uses (``x``, ``log(x)``, ``I(x^2)``, a grouping column) is evaluated on
the caller's DataFrame without modifying it, and comes out either numeric (a
float array) or categorical (integer codes into a list of level labels, levels
sorted as R sorts a factor's levels and restricted to those observed).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from .errors import DataError, FormulaError, NoRowsError
from .evaluate import Evaluator
from .formula import Formula, deparse, names_in
from .values import Columns, as_float, is_categorical, labels, sorted_levels


@dataclass(frozen=True)
class Categorical:
    """A factor: ``codes`` (n,) int index into ``levels``; ``raw`` holds the levels' original values.

    ``numeric`` (n,) is set when a numeric column is both a grouping factor and a
    predictor, as in ``y ~ x + (1 | x)``: lme4 groups by ``factor(x)`` but keeps
    ``x`` numeric in the model matrices, so terms use these values, not the codes.
    """

    codes: np.ndarray
    levels: tuple
    raw: tuple | None = None
    numeric: np.ndarray | None = None
    ordered: bool = False  # an ordered factor (pandas' ordered Categorical): contr.poly by default, as in R


@dataclass(frozen=True)
class ModelFrame:
    """The evaluated variables over the rows kept.

    ``variables`` maps each expression's text (``"log(x)"``) to a float array (n,)
    or a :class:`Categorical`; ``rows`` are the positions of the kept rows in the
    caller's DataFrame, so that fitted values can be matched back to it.
    """

    response: np.ndarray
    variables: dict
    rows: np.ndarray
    n_dropped: int
    transforms: dict  # expression text -> the parameters of its data-dependent transform (scale())
    weights: np.ndarray | None = None  # (n,) prior weights: residual variance sigma^2 / w
    offset: np.ndarray | None = None  # (n,) the offsets' sum: part of the linear predictor, not estimated

    @property
    def nobs(self) -> int:
        return len(self.rows)

    def levels(self) -> dict:
        """The levels of every factor, by expression: how new data must be coded to match."""
        return {key: value.levels for key, value in self.variables.items() if isinstance(value, Categorical)}


def model_frame(formula: Formula, data, levels: dict | None = None, with_response: bool = True,
                transforms: dict | None = None, weights=None, offset=None, subset=None,
                missing_groups_ok: bool = False) -> ModelFrame:
    """Evaluate every variable of ``formula`` on ``data`` and drop incomplete rows.

    Without ``levels`` the factors' levels are learned from the data. With
    ``levels`` (a fit's :meth:`ModelFrame.levels`) the data are coded as that fit
    coded them: variables named there are factors with exactly those levels (a
    value not among them gets code -1), all others are numeric. ``transforms``
    are the parameters of data-dependent transforms (scale()'s centres) to apply;
    without them they are learned (the frame's ``transforms``). New data for
    prediction need no response (``with_response=False``). ``weights`` and
    ``offset`` (lmer's arguments: a column's name or one value per row) join the
    formula's ``offset()`` terms; rows missing any of them are dropped too. ``subset``
    (n,) bools keeps only those rows, after every variable was evaluated on all rows (as R's
    model.frame, so that scale() and poly() learn from all of them). ``missing_groups_ok``
    (predictions) keeps rows whose grouping value is missing, coded -2, for lme4's rules on them.
    """
    _check_data(formula, data, with_response)
    grouping = {deparse(g) for term in formula.random for g in term.group}
    expressions = formula.predictors()
    predictors = set(expressions)
    expressions.update((deparse(g), g) for r in formula.random for g in r.group)

    evaluate = Evaluator(data, transforms)
    raw = {key: evaluate(node) for key, node in expressions.items()}
    outcome = evaluate(formula.response) if with_response else None  # evaluated apart: y ~ (1 | y) is legal
    extras = {"weights": _argument(data, weights, "weights"), "offset": _argument(data, offset, "offset")}
    offsets = [evaluate.numeric(node) for node in formula.offsets]
    tolerated = grouping - predictors if missing_groups_ok else set()
    complete = np.ones(len(data), dtype=bool) if subset is None else np.asarray(subset, dtype=bool).copy()
    in_subset = int(complete.sum())
    if subset is not None and in_subset == 0:
        raise DataError(f"subset keeps none of the {len(data)} rows: check the condition or the values given")
    checked = [value for key, value in raw.items() if key not in tolerated]
    for values in checked + ([outcome] if with_response else []) + offsets + list(extras.values()):
        if values is not None:
            complete &= ~missing(values)
    rows = np.flatnonzero(complete)
    if len(rows) == 0:
        columns = formula.columns(response=with_response) + [str(v) for v in (weights, offset) if isinstance(v, str)]
        among = f"all {len(data)} rows" if subset is None else f"all {in_subset} rows of the subset"
        raise NoRowsError(
            f"no rows left to {'fit' if with_response else 'predict'}: {among} have a missing value in one of the "
            f"columns {', '.join(dict.fromkeys(columns))}"
        )
    variables = {}
    for key, values in raw.items():
        if levels is not None:
            as_factor = key in levels
        else:
            as_factor = key in grouping or is_categorical(values)
        if isinstance(values, Columns):
            variables[key] = Columns(_numeric(key, values.values, rows), values.names)
        elif not as_factor:
            variables[key] = _numeric(key, values, rows)
        elif levels is not None:
            variables[key] = _coded_as(values, rows, levels[key])
        else:
            variables[key] = _categorical(values, rows)
        if isinstance(variables[key], Categorical) and key in predictors and not is_categorical(values):
            variables[key] = replace(variables[key], numeric=_numeric(key, values, rows))  # y ~ x + (1 | x)
    response = _response(deparse(formula.response), outcome, rows) if with_response else None
    prior = _weights(extras["weights"], rows)
    shifts = [_numeric(f"offset({deparse(node)})", value, rows) for node, value in zip(formula.offsets, offsets)]
    if extras["offset"] is not None:
        shifts.append(_numeric("offset", extras["offset"], rows))
    total = np.sum(shifts, axis=0) if shifts else None
    return ModelFrame(response, variables, rows, in_subset - len(rows), evaluate.transforms, prior, total)


def missing(values) -> np.ndarray:
    """(n,) bools: the rows where a variable is missing (any column of a matrix-valued one)."""
    if isinstance(values, Columns):
        return np.isnan(values.values).any(axis=1)
    return np.asarray(pd.isna(values))


def _argument(data: pd.DataFrame, value, what: str):
    """lmer's ``weights`` or ``offset``: a column's name, or one number per row of the data (None: absent)."""
    if value is None:
        return None
    if isinstance(value, str):
        if value not in list(map(str, data.columns)):
            raise DataError(f"{what}={value!r} names no column of the data; give a column's name or one value per row")
        column = data.iloc[:, list(map(str, data.columns)).index(value)]
        if is_categorical(column):
            raise DataError(f"{what}={value!r} names a column that is not numeric; {what} must be numbers")
        return column
    values = np.asarray(value)
    if values.ndim != 1 or len(values) != len(data):
        raise DataError(f"{what} has {values.size} values for {len(data)} rows; give one per row or a column's name")
    if is_categorical(values):
        raise DataError(f"{what} must be numeric")
    return pd.Series(values, index=data.index)


def _weights(values, rows: np.ndarray) -> np.ndarray | None:
    """Prior weights over the rows kept: positive and finite (lme4 allows zero and then reports logLik -Inf)."""
    if values is None:
        return None
    weights = _numeric("weights", values, rows)
    bad = weights <= 0
    if bad.any():
        raise DataError(
            f"weights must be positive: {bad.sum()} are zero or negative (first at row {rows[np.argmax(bad)]}); "
            "a zero weight removes its row, so drop such rows instead"
        )
    return weights


def _response(key: str, values, rows: np.ndarray) -> np.ndarray:
    """The response over the rows kept, (n,) floats: lmer needs a numeric one."""
    if is_categorical(values):
        raise DataError(f"the response '{key}' is not numeric; lmer needs a numeric response")
    if isinstance(values, Columns):
        raise DataError(f"the response '{key}' is a matrix of {len(values.names)} columns; lmer needs one numeric column")
    return _numeric(key, values, rows)


def _check_data(formula: Formula, data, with_response: bool = True) -> None:
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"data must be a pandas DataFrame, not {type(data).__name__}")
    if len(data) == 0:
        raise DataError("the data frame has no rows")
    columns = list(map(str, data.columns))
    response = set(names_in(formula.response)) - set(
        n for t in formula.fixed.terms for v in t for n in names_in(v)
    )
    for name in formula.columns():
        if not with_response and name in response:
            continue
        if name == "." and name not in columns:
            raise FormulaError(f"the '.' in {formula.text!r} stands for the data's other columns and is expanded "
                               "where a fit learns its design; write the columns out here")
        if name not in columns:
            close = [c for c in columns if c.lower() == name.lower()]
            hint = f" Did you mean '{close[0]}'?" if close else f" The data has columns: {', '.join(columns[:20])}."
            raise DataError(f"unknown column '{name}' in the formula.{hint}")
        if columns.count(name) > 1:
            raise DataError(f"the data has {columns.count(name)} columns named '{name}'; rename all but one")


HUGE = 1e150  # beyond this magnitude squares and cross-products overflow double precision


def _numeric(key: str, values, rows: np.ndarray) -> np.ndarray:
    """The values over the rows kept, (n,) floats, all finite and of a magnitude whose squares are finite."""
    if np.isscalar(values):
        kept = np.full(len(rows), float(values))
    else:  # a matrix-valued variable's (n, k) values are floats already
        kept = values[rows] if getattr(values, "ndim", 1) == 2 else as_float(key, values)[rows]
    bad = ~np.isfinite(kept).reshape(len(rows), -1).all(axis=1)
    if bad.any():
        raise DataError(
            f"'{key}' has {bad.sum()} infinite value(s) (first at row {rows[np.argmax(bad)]}); "
            "remove or replace them before fitting"
        )
    huge = (np.abs(kept) > HUGE).reshape(len(rows), -1).any(axis=1)
    if huge.any():
        raise DataError(
            f"'{key}' has {huge.sum()} value(s) beyond {HUGE:g} in magnitude (first at row {rows[np.argmax(huge)]}); "
            "their squares overflow double precision: rescale the column before fitting"
        )
    return kept


def _categorical(values, rows: np.ndarray) -> Categorical:
    """A factor of the rows kept, with R's levels: a categorical's categories in order, otherwise the values
    sorted; only levels that occur. One hash pass over the values (pandas' factorize)."""
    series = values if isinstance(values, pd.Series) else pd.Series(values)
    kept = series if len(rows) == len(series) else series.iloc[rows]
    ordered = bool(getattr(series.dtype, "ordered", False))
    if isinstance(series.dtype, pd.CategoricalDtype):
        codes, categories = kept.cat.codes.to_numpy().astype(np.int64), series.cat.categories.tolist()
    elif not pd.api.types.is_object_dtype(series.dtype):  # one type: pandas sorts as R (code points, numbers)
        codes, uniques = pd.factorize(kept, sort=True)
        categories = uniques.tolist()  # list() would step through an Arrow array in Python: 10 times slower
    else:
        codes, uniques = pd.factorize(kept, sort=False)
        categories = sorted_levels(pd.Series(uniques, dtype=uniques.dtype))
        order = pd.Index(uniques).get_indexer(pd.Index(categories, dtype=uniques.dtype))
        position = np.empty(len(uniques), dtype=np.int64)
        position[order] = np.arange(len(order))
        codes = position[codes]
    used = np.flatnonzero(np.bincount(codes, minlength=len(categories)))
    relabel = np.full(len(categories), -1, dtype=np.int64)
    relabel[used] = np.arange(len(used))
    raw = [categories[i] for i in used]
    return Categorical(relabel[codes], labels(raw), tuple(raw), ordered=ordered)


def _coded_as(values, rows: np.ndarray, levels: tuple) -> Categorical:
    """Code ``values`` by a fit's ``levels``; values the fit never saw get code -1."""
    series = values if isinstance(values, pd.Series) else pd.Series(values)
    uniques_codes, uniques = pd.factorize(series if len(rows) == len(series) else series.iloc[rows])
    index = {label: i for i, label in enumerate(levels)}
    table = np.array([index.get(label, -1) for label in labels(list(uniques))] + [MISSING], dtype=np.int64)
    return Categorical(table[uniques_codes], tuple(levels))  # factorize's -1 (missing) picks MISSING


MISSING = -2  # the code of a missing grouping value kept for prediction (an unseen level is -1)


def merge_levels(raw_values: list) -> tuple:
    """Labels of the union of several chunks' raw level values, sorted as one column's would be."""
    unique = pd.unique(pd.Series(list(raw_values), dtype=object))
    return labels(sorted_levels(pd.Series(unique, dtype=object)))
