"""Predictions for new data and simulated responses, as lme4's ``predict`` and ``simulate``."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .distributed import DistributedRows, is_dask_dataframe
from .errors import DataError, FormulaError
from .formula import parse_formula

POPULATION = {"~0", "~ 0", "NA"}


def included_groups(fit, re_form) -> set:
    """The terms' grouping factors a prediction includes: all (None), none ("~0"), or those named."""
    groups = {t.group for t in fit.design.terms}
    if re_form is None:
        return groups
    if isinstance(re_form, str) and re_form.strip() in POPULATION:
        return set()
    try:
        named = {t.group_name for t in parse_formula("y " + re_form.strip()).random}
    except (FormulaError, AttributeError) as error:
        raise FormulaError(f"re_form must be None, '~0' or random terms such as '~(1 | g)'; got {re_form!r}") from error
    unknown = named - groups
    if unknown:
        raise FormulaError(f"re_form names {', '.join(sorted(unknown))}, which the model does not have")
    return named


def predict(fit, newdata=None, re_form=None, allow_new_levels: bool = False) -> np.ndarray:
    """Fitted means for ``newdata`` (default: the rows fitted), NaN where a used column is missing."""
    if is_dask_dataframe(newdata) or (newdata is None and hasattr(fit.design, "dask_rows")):
        return DistributedRows(fit).predict(newdata, re_form, allow_new_levels)  # a Dask Series, lazily
    groups = included_groups(fit, re_form)
    if newdata is None:
        fit.design.require_rows("predictions without newdata")
        coded = fit.design.coded
        return _linear_predictor(fit, coded) + _random_part(fit, groups, coded.nobs, coded.codes, coded.matrices)
    coded = fit.design.spec.code(newdata, with_response=False)
    if groups and not allow_new_levels:
        _refuse_new_levels(fit, coded, groups, newdata)
    values = _linear_predictor(fit, coded)
    if groups:
        values = values + _random_part(fit, groups, len(values), coded.codes, coded.matrices)
    out = np.full(len(newdata), np.nan)
    out[coded.rows] = values
    return out


def _linear_predictor(fit, coded) -> np.ndarray:
    """X beta plus the offsets: the formula's offset() terms always, lmer's offset= only on the fit's rows
    (lme4's predict on new data leaves that argument out)."""
    values = coded.X @ fit.solution.beta
    return values if coded.offset is None else values + coded.offset


def _random_part(fit, groups: set, n: int, codes, matrices) -> np.ndarray:
    """sum over included terms of each row's term columns times its level's b; new levels add 0."""
    total = np.zeros(n)
    for index, (term, level, matrix) in enumerate(zip(fit.design.terms, codes, matrices)):
        if term.group in groups:
            b = fit.term_ranef(index)
            known = level >= 0
            total[known] += np.sum(matrix[known] * b[level[known]], axis=1)
    return total


def _refuse_new_levels(fit, coded, groups: set, newdata) -> None:
    for term, level in zip(fit.design.terms, coded.codes):
        if term.group in groups and np.any(level < 0):
            rows = coded.rows[np.flatnonzero(level < 0)[:3]]
            raise DataError(
                f"new levels of '{term.group}' in newdata (rows {', '.join(map(str, rows))}); pass "
                "allow_new_levels=True to predict them at the population level (random effect 0), as lme4 does"
            )


def simulate(fit, nsim: int = 1, seed=None) -> pd.DataFrame:
    """Responses drawn from the fitted model with new random effects, (n, nsim) columns sim_1.. (lme4's)."""
    if not isinstance(nsim, (int, np.integer)) or nsim < 1:
        raise ValueError(f"nsim must be a positive integer, not {nsim!r}")
    rng = np.random.default_rng(seed)
    q, n = fit.b.shape[0], fit.nobs
    ZLambda = fit.design.Z @ fit.model.covariance.lambda_matrix(fit.theta)
    mean = _linear_predictor(fit, fit.design.coded)
    u = rng.standard_normal((q, nsim)) * fit.sigma
    noise = rng.standard_normal((n, nsim)) * fit.sigma
    if fit.design.weights is not None:  # row i's residual variance is sigma^2 / w_i
        noise /= np.sqrt(fit.design.weights)[:, None]
    draws = mean[:, None] + ZLambda @ u + noise
    return pd.DataFrame(draws, columns=[f"sim_{i + 1}" for i in range(nsim)])
