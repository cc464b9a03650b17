"""Generalized linear mixed models: lme4's ``glmer`` on the sparse engine.

    import sparselmm as slmm
    fit = slmm.glmer("cbind(incidence, size - incidence) ~ period + (1 | herd)", cbpp, family="binomial")
    print(fit.summary())

One idea per module, each using only those above it:

    links       link functions with lme4's clamps (logit, probit, cloglog, cauchit, log, inverse, ...)
    families    binomial, poisson, Gamma, inverse.gaussian: variance, deviance residuals, aic(), mustart
    response    the response's forms: 0/1, logical, factor, cbind(successes, failures), proportions
    products    Z'WZ (on a fixed pattern), Z'WB and X'WX for new weights, by precomputed bincounts
    model       GlmmModel: design, family, coded response, the bound solver
    pirls       penalized iteratively reweighted least squares, lme4's pwrssUpdate
    quadrature  Gauss-Hermite rules (lme4's GHrule)
    deviance    lme4's devfun at nAGQ = 0, 1 (Laplace) and > 1 (adaptive quadrature)
    fit         the two stages, check.boundary, finite-difference derivatives and convergence checks
    result      GlmerResult: lme4's names; predict (prediction, simulation); summary (the printout)
    api         glmer()
"""

from .api import glmer
from .families import Binomial, Family, Gamma, InverseGaussian, Poisson, binomial, gamma, inverse_gaussian, poisson
from .links import Link, make_link
from .model import GlmmModel
from .result import GlmerResult

__all__ = ["glmer", "GlmerResult", "GlmmModel", "Family", "Link", "make_link", "Binomial", "Poisson", "Gamma",
           "InverseGaussian", "binomial", "poisson", "gamma", "inverse_gaussian"]
