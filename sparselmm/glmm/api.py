"""``glmer()``: lme4's entry point for generalized linear mixed models."""

from __future__ import annotations

import warnings

from ..errors import FormulaError, SingularFitWarning
from .fit import GlmerFit
from .model import GlmmModel
from .pirls import TOL_PWRSS
from .quadrature import MAX_NAGQ


def glmer(formula: str, data, family="binomial", link=None, nAGQ: int = 1, weights=None, offset=None, start=None,
          verbose: bool = False, tol_pwrss: float = TOL_PWRSS, exact_modes: bool = False, solver=None):
    """Fit a generalized linear mixed model as ``lme4::glmer(formula, data, family, nAGQ, weights, offset)`` does.

    ``family``: "binomial" (links "logit", "probit", "cloglog", "cauchit", "log"), "poisson" ("log",
    "identity", "sqrt"), "Gamma" or "inverse.gaussian" ("log", "inverse", "identity"; the latter's default
    "1/mu^2"), or a family object (``sparselmm.glmm.families.binomial("probit")``); ``link`` overrides its link.
    Binomial responses are 0/1 numbers, booleans, two-level categoricals (the first level is failure),
    ``cbind(successes, failures)`` or proportions with ``weights`` the numbers of trials.
    ``nAGQ``: 1 the Laplace approximation (default), 0 the faster fit with beta inside PIRLS, 2 to 25
    adaptive Gauss-Hermite quadrature (a single scalar random-effects term only). ``weights`` and ``offset``
    are a column's name or one value per row; ``offset`` may also be an expression such as "log(exposure)"
    (``offset(...)`` terms in the formula add to it). ``start`` is a starting theta.
    ``tol_pwrss`` is glmerControl's tolPwrss (PIRLS stops when the penalized deviance changes by less,
    relative). lme4 then takes log|L|^2 from the factor of the step before the last, which its estimates
    and standard errors inherit (about 1e-4 in the deviance and 1% in the standard errors of cbpp):
    the fit follows it, to give lme4's numbers. ``exact_modes=True`` evaluates the approximation at the
    modes themselves instead (PIRLS until the deviance is steady to 1e-12). ``solver`` replaces the default
    Solver (BlockedSolver where the later terms fit in memory, CholmodSolver otherwise).
    The fit keeps a reference to ``data`` (``fit.data``).
    """
    if isinstance(nAGQ, bool) or not isinstance(nAGQ, (int, float)) or nAGQ != int(nAGQ) or not 0 <= nAGQ <= MAX_NAGQ:
        raise FormulaError(f"nAGQ must be a whole number from 0 to {MAX_NAGQ}, not {nAGQ!r}")
    model = GlmmModel.from_formula(formula, data, family, link, weights, offset, solver)
    if nAGQ > 1 and not model.scalar_single_term:
        terms = ", ".join(f"({' + '.join(t.columns)} | {t.group})" for t in model.design.terms)
        raise FormulaError(
            "nAGQ > 1 is only available for models with a single, scalar random-effects term (lme4's words); "
            f"this model has {terms}: use nAGQ = 1 (the Laplace approximation)"
        )
    fit = GlmerFit(model, int(nAGQ), start, verbose, tol_pwrss, exact_modes).run()
    fit.data = data
    if fit.singular:
        warnings.warn("boundary (singular) fit: see help('isSingular')", SingularFitWarning, stacklevel=2)
    return fit
