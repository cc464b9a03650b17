"""The response of a GLMM in the forms glmer takes it, coded as lme4 codes it.

    y ~ ...                       numbers (0/1, counts, positive values)
    y ~ ... with y True/False     a logical: FALSE = 0, TRUE = 1
    y ~ ... with y categorical    a factor: its first level (R's order) is 0, every other level 1
    cbind(s, f) ~ ...             successes and failures: y = s / (s + f), prior weights s + f
    s / n ~ ..., weights = n      proportions with the numbers of trials as prior weights

The response is evaluated here, once, on the caller's data; the model frame then
sees it as a numeric column (so that its missing values drop rows together with
the other variables'), under a name the data do not use.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import DataError, FormulaError
from ..evaluate import Evaluator
from ..formula import Call, deparse, names_in
from ..values import is_categorical, labels

PLACEHOLDER = ".glmer.response"


class NonIntegerCountsWarning(UserWarning):
    """Binomial counts that are not whole numbers (lme4: "non-integer counts in a binomial glm!")."""


@dataclass(frozen=True)
class Response:
    """The coded response over every row of the data (NaN where missing): y, and the numbers of trials
    (cbind's s + f; 1 otherwise) that multiply the prior weights."""

    y: np.ndarray
    trials: np.ndarray
    kind: str  # "numeric", "logical", "factor", "cbind"
    text: str  # the response as R deparses it
    levels: tuple = ()  # a factor's levels: the first is 0

    def frame_column(self) -> np.ndarray:
        """The values the model frame sees: y, NaN where y or the trials are missing."""
        return np.where(np.isnan(self.trials), np.nan, self.y)


def placeholder_name(data: pd.DataFrame) -> str:
    """A column name the data do not use."""
    name, taken = PLACEHOLDER, set(map(str, data.columns))
    while name in taken:
        name += "_"
    return name


def evaluate_response(node, data: pd.DataFrame, family) -> Response:
    """The response of ``node`` (the formula's left-hand side) on ``data``, checked for ``family``."""
    _check_columns(node, data)
    text = deparse(node)
    evaluate = Evaluator(data)
    if isinstance(node, Call) and node.func == "cbind":
        return _cbind(node, evaluate, family, text)
    value = evaluate(node)
    if np.isscalar(value):
        raise FormulaError(f"the response '{text}' is a constant; it must be a column of the data or a function of one")
    if is_categorical(value):
        if family.name != "binomial":
            raise DataError(
                f"response must be numeric (lme4's words): '{text}' is categorical, which only the binomial family "
                f"takes (first level = failure); the {family.name} family needs numbers"
            )
        return _categorical(value, text)
    y = np.asarray(pd.to_numeric(pd.Series(np.asarray(value))), dtype=float)
    _check_finite(y, text)
    return Response(y, np.where(np.isnan(y), np.nan, 1.0), "numeric", text)


def _check_finite(values: np.ndarray, text: str) -> None:
    """lme4's "NA/NaN/Inf in 'y'" for infinite values, naming the response (missing values drop their rows)."""
    infinite = np.isinf(values)
    if infinite.any():
        raise DataError(
            f"NA/NaN/Inf in 'y' (lme4's words): '{text}' in the response has {int(infinite.sum())} infinite value(s), "
            f"first at row {int(np.argmax(infinite))}; remove or replace them before fitting"
        )


def _check_columns(node, data: pd.DataFrame) -> None:
    columns = list(map(str, data.columns))
    for name in names_in(node):
        if name not in columns:
            close = [c for c in columns if c.lower() == name.lower()]
            hint = f" Did you mean '{close[0]}'?" if close else f" The data has columns: {', '.join(columns[:20])}."
            raise DataError(f"unknown column '{name}' in the response.{hint}")


def _categorical(value, text: str) -> Response:
    series = value if isinstance(value, pd.Series) else pd.Series(value)
    missing = series.isna().to_numpy()
    if pd.api.types.is_bool_dtype(series.dtype) or _all_bool(series):
        y = np.where(missing, np.nan, series.fillna(False).astype(bool).to_numpy().astype(float))
        return Response(y, np.where(missing, np.nan, 1.0), "logical", text, ("FALSE", "TRUE"))
    if isinstance(series.dtype, pd.CategoricalDtype):
        levels = list(series.cat.categories)
        codes = series.cat.codes.to_numpy()
    else:
        levels = sorted(pd.unique(series[~missing]), key=lambda v: (str(type(v)), v) if not isinstance(v, str) else
                        ("", v))
        codes = pd.Index(levels).get_indexer(series)
    if len(levels) < 2:
        raise DataError(
            f"the response '{text}' has only {len(levels)} level ({', '.join(map(str, levels))}); a binomial "
            "response needs two outcomes"
        )
    y = np.where(codes < 0, np.nan, (codes > 0).astype(float))
    return Response(y, np.where(np.isnan(y), np.nan, 1.0), "factor", text, labels(levels))


def _all_bool(series: pd.Series) -> bool:
    present = series.dropna()
    return len(present) > 0 and all(isinstance(v, (bool, np.bool_)) for v in present)


def _cbind(node: Call, evaluate: Evaluator, family, text: str) -> Response:
    if family.name != "binomial":
        raise FormulaError(
            f"'{text}': cbind(successes, failures) is a binomial response; the {family.name} family takes one "
            "numeric column"
        )
    if len(node.args) != 2:
        raise FormulaError(f"'{text}': cbind() takes two columns, the successes and the failures")
    successes, failures = (np.asarray(evaluate.numeric(arg), dtype=float) * np.ones(len(evaluate.data))
                           for arg in node.args)
    _check_finite(successes, deparse(node.args[0]))
    _check_finite(failures, deparse(node.args[1]))
    missing = np.isnan(successes) | np.isnan(failures)
    s, f = np.where(missing, 0.0, successes), np.where(missing, 0.0, failures)
    names = [deparse(arg) for arg in node.args]
    for label, values in (("successes", s), ("failures", f)):
        bad = values < 0
        if bad.any():
            first = int(np.argmax(bad))
            more = "" if label == "successes" else " (more successes than trials)"
            raise DataError(
                f"{text}: {int(bad.sum())} row(s) have negative {label} '{names[label == 'failures']}'{more}, "
                f"first at row {first} ({values[first]:g}); successes and failures must be counts >= 0, "
                "the failures being trials minus successes"
            )
    trials = s + f
    empty = (trials == 0) & ~missing
    if empty.any():
        raise DataError(
            f"{text}: {int(empty.sum())} row(s) have no trials (successes + failures = 0), first at row "
            f"{int(np.argmax(empty))}; they carry no information: drop them before fitting"
        )
    if np.any(np.abs(np.concatenate([s, f]) - np.rint(np.concatenate([s, f]))) > 1e-3):
        warnings.warn("non-integer counts in a binomial glm!", NonIntegerCountsWarning, stacklevel=4)
    with np.errstate(invalid="ignore", divide="ignore"):
        y = np.where(missing, np.nan, s / np.where(trials > 0, trials, 1.0))
    return Response(y, np.where(missing, np.nan, trials), "cbind", text)


def check_binomial_successes(y: np.ndarray, weights: np.ndarray) -> None:
    """R's binomial initialize on proportions: a warning when weights x y are not whole numbers."""
    m = weights * y
    if np.any(np.abs(m - np.rint(m)) > 1e-3):
        warnings.warn("non-integer #successes in a binomial glm!", NonIntegerCountsWarning, stacklevel=4)
