"""lme4's coefficients per level and row diagnostics: coef, Pearson residuals, rstudent, cooks.distance.

From lme4 1.1-31's source (tests/data/interface/README.md quotes it), with r the Pearson residual
sqrt(w) (y - mu), h the leverage (``hatvalues``), sigma the fit's and p the rank of X:

    rstudent        r / (sigma sqrt(1 - h))          (the full fit's sigma: no leave-one-out refit)
    cooks.distance  (r / (1 - h))^2 h / (sigma^2 p)

both NaN where h = 1. ``coef`` is each grouping factor's table of fixed effect plus conditional mode
per level, for every fixed-effect column (lme4's coef.merMod: a random-effect column without a
fixed effect of that name comes first, its fixed part 0).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import postfit


def coef(fit) -> dict:
    """lme4's coef(fit): grouping factor -> DataFrame (levels x columns) of fixed plus random effects."""
    fixed = fit.fixef
    out = {}
    for group, random in fit.ranef.items():
        missing = [c for c in random.columns if c not in fixed.index]
        table = pd.DataFrame(np.tile(np.concatenate([np.zeros(len(missing)), fixed.to_numpy()]), (len(random), 1)),
                             index=random.index, columns=missing + list(fixed.index))
        for column in random.columns:
            table[column] = table[column] + random[column]
        out[group] = table
    return out


def pearson_residuals(fit) -> np.ndarray:
    """sqrt(w) (y - mu) over the rows used, (nobs,): lme4's residuals(fit, "pearson") of an LMM."""
    residuals = fit.design.y - fit.fitted_values
    weights = fit.design.weights
    return residuals if weights is None else np.sqrt(weights) * residuals


def leverages(fit) -> np.ndarray:
    """The hat matrix's diagonal over the rows used, (nobs,)."""
    return postfit.hatvalues(fit, fit._inverse)


def rstudent(fit) -> np.ndarray:
    """lme4's rstudent.merMod over the rows used, (nobs,)."""
    r, h = pearson_residuals(fit), leverages(fit)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = r / (fit.sigma * np.sqrt(1.0 - h))
    return np.where(np.isfinite(value), value, np.nan)


def cooks_distance(fit) -> np.ndarray:
    """lme4's cooks.distance.merMod over the rows used, (nobs,); p is the rank of X (its kept columns)."""
    r, h = pearson_residuals(fit), leverages(fit)
    p = len(fit.design.fixef_names)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = (r / (1.0 - h)) ** 2 * h / (fit.sigma**2 * p)
    return np.where(np.isfinite(value), value, np.nan)
