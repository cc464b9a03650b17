"""Predictions for new data and simulated responses, as lme4's ``predict`` and ``simulate``.

A prediction includes the random effects ``re_form`` names (all, none, or some terms' columns) and
follows lme4's rules on grouping values: a level the fit never saw, or a missing value, is an
error unless ``allow_new_levels``, and then adds no random effect (the population prediction).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from .data import as_data_frame
from .errors import DataError, FormulaError, NoRowsError
from .evaluate import Evaluator
from .formula import deparse, parse_formula
from .frame import MISSING
from .values import labels


def included_columns(fit, re_form) -> dict:
    """Which random effects a prediction includes: term position -> positions of its columns included.

    ``re_form`` None includes all, "~0" or "NA" none (lme4's NULL and NA); random terms such as
    "~(1 | Subject)" include the columns those terms would have, matched by model term within the
    fit's terms on the same grouping factor, as lme4 picks ``ranef(fit)[[g]][, cnms]``: on a
    ``(Days | Subject)`` fit, "~(0 + Days | Subject)" adds only Days times each subject's slope.
    """
    terms = fit.design.terms
    if re_form is None:
        return {i: np.arange(t.k) for i, t in enumerate(terms)}
    if _is_population(re_form):
        return {}
    wanted = _re_form_terms(re_form)
    groups = {t.group for t in terms}
    unknown = sorted({group for group, _ in wanted} - groups)
    if unknown:
        raise FormulaError(f"re_form names {', '.join(unknown)}, which the model does not have "
                           f"(its grouping factors: {', '.join(sorted(groups))})")
    included = {}
    for group, model_term in wanted:
        found = [(i, j) for i, t in enumerate(terms) if t.group == group
                 for j, variables in enumerate(_column_terms(t)) if variables == model_term]
        if not found:
            shown = " + ".join(sorted(model_term)) or "the intercept"
            raise FormulaError(f"re_form asks for {shown} by {group}, which the model's random effects do not have")
        for i, j in found:
            included.setdefault(i, set()).add(j)
    return {i: np.array(sorted(columns)) for i, columns in sorted(included.items())}


def _is_population(re_form) -> bool:
    if isinstance(re_form, float) and np.isnan(re_form):
        return True
    return isinstance(re_form, str) and re_form.replace(" ", "") in {"~0", "NA", "~-1", "~1"}


def _re_form_terms(re_form) -> list[tuple]:
    """(grouping factor, model term's variables) for each model term of re_form's random terms."""
    try:
        random = parse_formula("y " + re_form.strip()).random
    except (FormulaError, AttributeError) as error:
        raise FormulaError(f"re_form must be None, '~0' or random terms such as '~(1 | g)'; got {re_form!r}") from error
    return [(term.group_name, variables) for term in random
            for variables in ([frozenset()] if term.expr.intercept else [])
            + [frozenset(deparse(v) for v in t) for t in term.expr.terms]]


def _column_terms(term) -> tuple:
    """Each column's model term (recorded by the spec; from the names for a spec that has none)."""
    if term.column_terms:
        return term.column_terms
    return tuple(frozenset() if c == "(Intercept)" else frozenset(c.split(":")) for c in term.columns)


@dataclass(frozen=True)
class Included:
    """The random effects a prediction includes, apart from the fit (so that a Dask worker can get them
    whole): ``terms`` (positions in the spec's terms), per term its included ``columns`` and their random
    effects ``effects`` (levels, c)."""

    terms: tuple
    columns: tuple
    effects: tuple

    @classmethod
    def of(cls, fit, re_form) -> "Included":
        chosen = included_columns(fit, re_form)
        return cls(tuple(chosen), tuple(chosen.values()), tuple(fit.term_ranef(i)[:, c] for i, c in chosen.items()))

    def restrict(self, coded):
        """Rows coded with every term (the fit's own) as if coded with the included terms only."""
        return replace(coded, codes=tuple(coded.codes[i] for i in self.terms),
                       matrices=tuple(coded.matrices[i] for i in self.terms))

    def code(self, spec, newdata: pd.DataFrame):
        """New data coded with the included terms only (rows missing a grouping value kept, coded -2)."""
        return spec.code(newdata, with_response=False, terms=list(self.terms))

    def random_part(self, coded) -> np.ndarray:
        """Each row's included term columns times its level's b, over rows coded with the included terms. A new
        level or a missing grouping value (allowed by allow_new_levels) adds 0, the population prediction."""
        total = np.zeros(coded.nobs)
        for level, matrix, columns, b in zip(coded.codes, coded.matrices, self.columns, self.effects):
            known = level >= 0
            total[known] += np.sum(matrix[known][:, columns] * b[level[known]], axis=1)
        return total

    def refuse_new_levels(self, spec, coded, newdata) -> None:
        """lme4's errors: a missing grouping value, or a level the fit never saw, without allow_new_levels."""
        for index, level in zip(self.terms, coded.codes):
            term = spec.terms[index]
            if np.any(level == MISSING):
                raise DataError(
                    f"NAs are not allowed in prediction data for grouping variables unless allow_new_levels=True "
                    f"('{term.group}' is missing in newdata rows {_rows(coded, level == MISSING)}; with "
                    "allow_new_levels=True they are predicted at the population level, as lme4 does)"
                )
            if np.any(level < 0):
                new = _group_values(term, newdata, coded.rows[level < 0])
                raise DataError(
                    f"new levels detected in newdata: {', '.join(new[:5])} (new levels of '{term.group}', rows "
                    f"{_rows(coded, level < 0)}); pass allow_new_levels=True to predict them at the population "
                    "level (random effect 0), as lme4 does"
                )


@dataclass(frozen=True)
class PredictionRows:
    """Rows coded for a prediction with the ``included`` terms only, and ``nrows``, the rows of newdata (None
    for the fit's own)."""

    coded: object
    included: Included
    nrows: int | None


def prediction_rows(fit, newdata, re_form, allow_new_levels: bool) -> PredictionRows:
    """``newdata`` (default: the fit's rows) coded for a prediction, lme4's rules on levels checked."""
    included = Included.of(fit, re_form)
    if newdata is None:
        fit.design.require_rows("predictions without newdata")
        return PredictionRows(included.restrict(fit.design.coded), included, None)
    newdata = as_data_frame(newdata, "newdata")
    coded = included.code(fit.design.spec, newdata)
    if not allow_new_levels:
        included.refuse_new_levels(fit.design.spec, coded, newdata)
    return PredictionRows(coded, included, len(newdata))


def predict(fit, newdata=None, re_form=None, allow_new_levels: bool = False) -> np.ndarray:
    """Fitted means for ``newdata`` (default: the rows fitted), NaN where a used column is missing."""
    try:
        rows = prediction_rows(fit, newdata, re_form, allow_new_levels)
    except NoRowsError:  # every row of newdata lacks a value the prediction uses
        return np.full(len(as_data_frame(newdata, "newdata")), np.nan)
    values = linear_predictor(fit.solution.beta, rows.coded) + rows.included.random_part(rows.coded)
    return values if rows.nrows is None else spread(values, rows)


def spread(values: np.ndarray, rows: PredictionRows) -> np.ndarray:
    """Values over the rows coded, placed on all rows of newdata (NaN where a used column is missing)."""
    out = np.full(rows.nrows, np.nan)
    out[rows.coded.rows] = values
    return out


def linear_predictor(beta: np.ndarray, coded) -> np.ndarray:
    """X beta plus the offsets: the formula's offset() terms always, lmer's offset= only on the fit's rows
    (lme4's predict on new data leaves that argument out)."""
    values = coded.X @ beta
    return values if coded.offset is None else values + coded.offset


def _rows(coded, mask: np.ndarray) -> str:
    return ", ".join(map(str, coded.rows[np.flatnonzero(mask)[:3]]))


def _group_values(term, newdata, positions) -> list[str]:
    """The grouping factor's values at some rows of newdata, as level labels (a:b for interactions)."""
    evaluate = Evaluator(newdata)
    parts = [np.asarray(evaluate(g), dtype=object)[positions] for g in term.source.group]
    return list(dict.fromkeys(":".join(labels([p[i]])[0] for p in parts) for i in range(len(positions))))


def simulate(fit, nsim: int = 1, seed=None) -> pd.DataFrame:
    """Responses drawn from the fitted model with new random effects, (n, nsim) columns sim_1.. (lme4's)."""
    if not isinstance(nsim, (int, np.integer)) or nsim < 1:
        raise ValueError(f"nsim must be a positive integer, not {nsim!r}")
    rng = np.random.default_rng(seed)
    q, n = fit.b.shape[0], fit.nobs
    ZLambda = fit.design.Z @ fit.model.covariance.lambda_matrix(fit.theta)
    mean = linear_predictor(fit.solution.beta, fit.design.coded)
    u = rng.standard_normal((q, nsim)) * fit.sigma
    noise = rng.standard_normal((n, nsim)) * fit.sigma
    if fit.design.weights is not None:  # row i's residual variance is sigma^2 / w_i
        noise /= np.sqrt(fit.design.weights)[:, None]
    draws = mean[:, None] + ZLambda @ u + noise
    return pd.DataFrame(draws, columns=[f"sim_{i + 1}" for i in range(nsim)])
