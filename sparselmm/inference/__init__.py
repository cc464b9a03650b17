"""Inference on a fitted linear mixed model: what lmerTest, pbkrtest, lme4 and emmeans give an analysis.

:class:`Inference` is a mixin of :class:`~sparselmm.results.LmerResult`; each method is a thin
entry point to one module:

    varpar            lmerTest's deviance in (theta, sigma): Hessian, vcov_varpar, vcov(beta)'s Jacobian
    satterthwaite     Satterthwaite's df for t and F tests (lmerTest's contest1D / contestMD)
    kenward_roger     pbkrtest's vcovAdj and Kenward-Roger df, through A^-1 (no n x n matrix)
    kr_blocked        its traces for scalar-term models, the first term eliminated level by level
    contrasts         type I/II/III and marginal hypothesis matrices, as lmerTest builds them
    tables            coef_table, anova, drop1
    likelihood_ratio  lme4's anova(fit0, fit1, ...) and lmerTest's ranova
    profile           lme4's profile and profile confidence intervals
    intervals         confint: profile, Wald and bootstrap intervals
    bootstrap         lme4's bootMer (parametric) on every core, and percentile intervals
    emmeans           emmeans' marginal means and pairwise comparisons

The quantities every test needs (vcov_varpar and the Jacobian; vcovAdj) are computed once per fit
and kept on it.
"""

from __future__ import annotations

from .bootstrap import bootstrap
from .emmeans import emmeans, pairs
from .intervals import confint
from .kenward_roger import vcov_adjusted
from .likelihood_ratio import ranova
from .profile import profile
from .tables import SATTERTHWAITE, anova_table, coef_table, drop1_table
from .varpar import varpar_derivatives


class Inference:
    """Tests, intervals and comparisons of a fitted model (lmerTest / pbkrtest / lme4 / emmeans)."""

    def _cached(self, key: str, compute):
        cache = self.__dict__.setdefault("_inference_cache", {})
        if key not in cache:
            cache[key] = compute()
        return cache[key]

    def _varpar(self):
        """lmerTest's vcov_varpar, Jac_list and vcov_beta (a :class:`~.varpar.VarparDerivatives`)."""
        return self._cached("varpar", lambda: varpar_derivatives(self))

    def _vcov_adjusted(self):
        """pbkrtest's vcovAdj (an :class:`~.kenward_roger.AdjustedCovariance`)."""
        return self._cached("vcov_adjusted", lambda: vcov_adjusted(self))

    # ------------------------------------------------------------ t and F tests
    def coef_table(self, ddf=SATTERTHWAITE):
        """lmerTest's coefficient table: Estimate, Std. Error, df, t value, Pr(>|t|), rows the fixed effects.

        ``ddf``: "Satterthwaite", "Kenward-Roger" (standard errors from pbkrtest's adjusted
        covariance) or None (lme4's Estimate, Std. Error, t value).
        """
        return coef_table(self, ddf)

    def anova(self, type=3, ddf=SATTERTHWAITE):
        """lmerTest's F tests of the fixed-effect terms, type 1, 2 or 3: Sum Sq, Mean Sq, NumDF, DenDF,
        F value, Pr(>F), rows R's term labels."""
        return anova_table(self, type, ddf)

    def drop1(self, ddf=SATTERTHWAITE):
        """lmerTest's drop1: marginal F tests of the terms that can be dropped (the anova columns)."""
        return drop1_table(self, ddf)

    # ------------------------------------------------------------ likelihood ratios
    def ranova(self, reduce_terms: bool = True):
        """lmerTest's ranova: likelihood-ratio tests of the random-effects terms (rows ``<none>``, then each
        term reduced, ``(1 + x | g)`` to ``(1 | g)``, or removed); npar, logLik, AIC, LRT, Df, Pr(>Chisq)."""
        return ranova(self, reduce_terms)

    # ------------------------------------------------------------ intervals
    def profile(self, which=None, alpha_max: float = 0.01, n_points: int = 12):
        """lme4's profile: a tidy DataFrame (parameter, value, zeta) with a ``plot`` method.

        ``which``: parameter names (``.sig01``, ..., ``.sigma``, fixed effects), default all.
        """
        return profile(self, which, alpha_max, n_points)

    def confint(self, parm=None, level: float = 0.95, method: str = "profile", nsim: int = 500, seed=None,
                n_jobs=None):
        """lme4's confint: rows .sig01, ..., .sigma, then the fixed effects; columns named for ``level``.

        ``method``: "profile" (likelihood-ratio intervals), "Wald" (fixed effects only; NaN for the
        variance parameters, as lme4) or "boot" (percentile intervals of :meth:`bootstrap`).
        """
        return confint(self, parm, level, method, nsim, seed, n_jobs)

    def bootstrap(self, nsim: int, func=None, seed=None, n_jobs=None, progress: bool = True):
        """lme4's bootMer, parametric: simulate from the fit, refit, collect ``func(refit)`` (default: the
        parameters of confint's rows). Every core (joblib, ``n_jobs``); the same ``seed`` gives the same
        replicates whatever ``n_jobs``. Returns a :class:`~.bootstrap.BootResult`."""
        return bootstrap(self, nsim, func, seed, n_jobs, progress)

    # ------------------------------------------------------------ marginal means
    def emmeans(self, specs, ddf=SATTERTHWAITE, level: float = 0.95):
        """emmeans' marginal means over ``specs`` ("Product", "~ Product | Information", ["A", "B"]):
        the factor columns, emmean, SE, df, lower.CL, upper.CL."""
        return emmeans(self, specs, ddf, level)

    def pairs(self, specs, ddf=SATTERTHWAITE, adjust: str = "tukey"):
        """emmeans' pairwise comparisons of the means over ``specs``: contrast, estimate, SE, df, t.ratio,
        p.value; ``adjust``: "tukey", "bonferroni", "holm" or "none" (within each ``|`` group)."""
        return pairs(self, specs, ddf, adjust)
