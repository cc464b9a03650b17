"""lme4's methods of a fit that make or compare fits and diagnose rows: the part of LmerResult they add.

Thin wrappers; the work is in :mod:`sparselmm.refit` (update, refit, refit_ml), :mod:`sparselmm.allfit`,
:mod:`sparselmm.diagnostics` (coef, rstudent, cooks_distance) and :mod:`sparselmm.influence`.
"""

from __future__ import annotations

import pandas as pd

from .allfit import all_fit
from .diagnostics import coef, cooks_distance, pearson_residuals, rstudent
from .influence import influence
from .refit import refit, refit_ml, update


class LmerMethods:
    """Mixed into :class:`~sparselmm.results.LmerResult`."""

    def update(self, formula: str | None = None, data=None, **arguments):
        """lme4's update: the fit's lmer call again, with R's formula update (``". ~ . + x"``) and any
        argument changed (``fit.update(REML=False)``, ``fit.update(data=other, subset="Days > 2")``)."""
        return update(self, formula, data, **arguments)

    def refit(self, newresp):
        """lme4's refit: the same design fitted to a new response (one value per row used, or per row of the
        data), from this fit's theta, without reading or coding the data again."""
        return refit(self, newresp)

    def refit_ml(self):
        """lme4's refitML: this model by maximum likelihood, from this fit's theta (an ML fit is returned)."""
        return refit_ml(self)

    def all_fit(self, optimizers=None, verbose: bool = False):
        """lme4's allFit: the model refitted by every optimizer (an :class:`~sparselmm.allfit.AllFit`)."""
        return all_fit(self, optimizers, verbose)

    def coef(self) -> dict:
        """lme4's coef: per grouping factor, a DataFrame of each level's fixed plus random effects."""
        return coef(self)

    def rstudent(self) -> pd.Series:
        """lme4's rstudent: Pearson residuals over sigma sqrt(1 - h), laid out as ``fitted``."""
        return self.on_rows(rstudent(self), "rstudent")

    def cooks_distance(self) -> pd.Series:
        """lme4's cooks.distance: (r / (1 - h))^2 h / (sigma^2 p) per row, laid out as ``fitted``."""
        return self.on_rows(cooks_distance(self), "cooks_distance")

    def residuals_pearson(self) -> pd.Series:
        """lme4's residuals(fit, "pearson"): sqrt(w) (y - fitted), laid out as ``fitted``."""
        return self.on_rows(pearson_residuals(self), "pearson")

    def influence(self, groups=None, maxfun: int = 1000, n_jobs=None, progress: bool = False):
        """lme4's influence: the model refitted without each level of ``groups`` (a column), or each row,
        on every core; an :class:`~sparselmm.influence.Influence` with dfbeta, dfbetas, cooks_distance."""
        return influence(self, groups, maxfun, n_jobs, progress)
