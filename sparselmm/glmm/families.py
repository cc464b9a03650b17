"""GLM families as lme4's glmer uses them: variance, deviance residuals, the aic() term, starting values.

Each family follows R's ``family`` object and lme4's C++ (``glmFamily.cpp``),
which is what the Laplace deviance is made of:

    binomial          V(mu) = max(eps, mu (1 - mu))   dev = 2 w (y log(y/mu) + (1-y) log((1-y)/(1-mu)))
    poisson           V(mu) = mu                       dev = 2 w (y log(y/mu) - (y - mu))
    Gamma             V(mu) = mu^2                     dev = -2 w (log(y/mu) - (y - mu)/mu)
    inverse.gaussian  V(mu) = mu^3                     dev = w (y - mu)^2 / (y mu^2)

``aic(y, n, mu, w, dev)`` is -2 sum log p(y | mu) over the rows (binomial and
poisson with their normalising constants; Gamma and inverse Gaussian with the
dispersion dev / sum(w) and R's ``+ 2`` for it): lme4's Laplace deviance is
aic + |u|^2 + log|L|^2. ``start`` is R's ``family$initialize`` (mustart), with
its checks of the response and lme4's words for them.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from ..errors import DataError, FormulaError
from .links import EPS, Link, make_link

LOG_2PI = np.log(2.0 * np.pi)


def _y_log_y(y: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """y log(y / mu), 0 where y is 0 (lme4's Y_log_Y)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return special.xlogy(y, y / mu)


def _first_rows(bad: np.ndarray, rows: np.ndarray | None) -> str:
    """ "row 4" or "rows 0, 3, 7": the first offending rows, as positions in the caller's data."""
    where = np.flatnonzero(bad)[:3]
    shown = rows[where] if rows is not None else where
    return ("row " if len(shown) == 1 else "rows ") + ", ".join(str(int(i)) for i in shown)


class Family:
    """A GLM family with its link. ``dispersion`` says whether it has a scale parameter (lme4's useSc)."""

    name = "family"
    default_link = "identity"
    links = ()
    dispersion = False

    def __init__(self, link: str | Link | None = None):
        self.link = make_link(self.default_link if link is None else link)
        if self.links and self.link.name not in self.links:
            raise FormulaError(
                f"the link '{self.link.name}' is not available for the {self.name} family; "
                f"use one of {', '.join(repr(name) for name in self.links)}"
            )

    def __repr__(self) -> str:
        return f"Family: {self.name} (link = {self.link.name!r})"

    def __eq__(self, other) -> bool:
        return isinstance(other, Family) and (other.name, other.link) == (self.name, self.link)

    def __hash__(self) -> int:
        return hash((self.name, self.link.name))

    # ------------------------------------------------------------ the distribution
    def variance(self, mu: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def dev_resids(self, y, mu, wt) -> np.ndarray:
        raise NotImplementedError

    def aic(self, y, n, mu, wt, dev: float) -> float:
        raise NotImplementedError

    def aic_function(self, y, n, wt):
        """``aic(mu, dev)`` for fixed y, n and weights (what can be, computed once)."""
        return lambda mu, dev: self.aic(y, n, mu, wt, dev)

    def dev_resids_function(self, y, wt):
        """``dev_resids(mu)`` for fixed y and weights."""
        return lambda mu: self.dev_resids(y, mu, wt)

    def check(self, y: np.ndarray, rows: np.ndarray | None = None) -> None:
        """Refuse a response outside the family's support (R's family$initialize)."""

    def start(self, y: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """mustart, R's family$initialize."""
        return y.astype(float).copy()

    def simulate(self, mu: np.ndarray, weights: np.ndarray, trials: np.ndarray, sigma: float,
                 rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError

    # ------------------------------------------------------------ lme4's working quantities
    def working_weights(self, eta: np.ndarray, mu: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """W = w (dmu/deta)^2 / V(mu): the square of lme4's sqrtWrkWt."""
        mu_eta = self.link.mu_eta(eta)
        return mu_eta * mu_eta * (weights / self.variance(mu))


class Binomial(Family):
    name = "binomial"
    default_link = "logit"
    links = ("logit", "probit", "cloglog", "cauchit", "log")

    def variance(self, mu):
        return np.maximum(mu * (1.0 - mu), EPS)

    def dev_resids(self, y, mu, wt):
        return 2.0 * wt * (_y_log_y(y, mu) + _y_log_y(1.0 - y, 1.0 - mu))

    def dev_resids_function(self, y, wt):
        """For 0/1 outcomes -2 w log(mu) or -2 w log(1 - mu), one logarithm per row; otherwise lme4's formula."""
        if not np.all((y == 0) | (y == 1)):
            return super().dev_resids_function(y, wt)
        success, twice = y == 1, 2.0 * wt

        def dev_resids(mu):
            with np.errstate(divide="ignore"):
                return -twice * np.log(np.where(success, mu, 1.0 - mu))

        return dev_resids

    def aic(self, y, n, mu, wt, dev):
        return self.aic_function(y, n, wt)(mu, dev)

    def aic_function(self, y, n, wt):
        """-2 sum (w / m) log dbinom(round(m y), round(m), mu) with m the trials (or the weights, when no
        trial count exceeds 1), as lme4's binomialDist::aic; the binomial coefficients computed once. For 0/1
        outcomes of weight 1 that is the deviance itself."""
        if np.all((y == 0) | (y == 1)) and np.all(wt == 1) and np.all(n == 1):
            return lambda mu, dev: float(dev)
        m = n if np.any(n > 1) else wt
        successes = np.rint(m * y)
        m = np.rint(m)
        failures = m - successes
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(m > 0, wt / np.where(m > 0, m, 1.0), 0.0)
            constant = float(np.sum(share * (special.gammaln(m + 1.0) - special.gammaln(successes + 1.0)
                                             - special.gammaln(failures + 1.0))))
        s_share, f_share = share * successes, share * failures

        def aic(mu, dev):
            with np.errstate(divide="ignore", invalid="ignore"):
                log_p = special.xlogy(s_share, mu) + special.xlog1py(f_share, -mu)
            return float(-2.0 * (constant + np.sum(log_p)))

        return aic

    def check(self, y, rows=None):
        bad = (y < 0) | (y > 1)
        if bad.any():
            raise DataError(
                f"y values must be 0 <= y <= 1 (lme4's words): the binomial response has {int(bad.sum())} value(s) "
                f"outside [0, 1] (first at {_first_rows(bad, rows)}); give 0/1 outcomes, "
                "cbind(successes, failures), or proportions with weights = the numbers of trials"
            )

    def start(self, y, weights):
        return (weights * y + 0.5) / (weights + 1.0)

    def simulate(self, mu, weights, trials, sigma, rng):
        size = np.rint(weights).astype(np.int64)
        size = np.maximum(size, 1)
        return rng.binomial(size, np.clip(mu, 0.0, 1.0)) / size


class Poisson(Family):
    name = "poisson"
    default_link = "log"
    links = ("log", "identity", "sqrt")

    def variance(self, mu):
        return mu

    def dev_resids(self, y, mu, wt):
        return 2.0 * wt * (_y_log_y(y, mu) - (y - mu))

    def aic(self, y, n, mu, wt, dev):
        return self.aic_function(y, n, wt)(mu, dev)

    def aic_function(self, y, n, wt):
        """-2 sum w log dpois(y, mu), log(y!) computed once."""
        constant = float(np.sum(wt * special.gammaln(y + 1.0)))
        wy = wt * y

        def aic(mu, dev):
            with np.errstate(divide="ignore", invalid="ignore"):
                return float(-2.0 * (np.sum(special.xlogy(wy, mu) - wt * mu) - constant))

        return aic

    def check(self, y, rows=None):
        negative = y < 0
        if negative.any():
            raise DataError(
                f"negative values not allowed for the 'Poisson' family (lme4's words): {int(negative.sum())} "
                f"negative count(s), first at {_first_rows(negative, rows)}; a Poisson response counts events"
            )
        fractional = np.abs(y - np.rint(y)) > 0
        if fractional.any():
            first = float(y[np.argmax(fractional)])
            raise DataError(
                f"the Poisson family needs whole counts: {int(fractional.sum())} value(s) are not integers "
                f"(first at {_first_rows(fractional, rows)}: {first:g}); lme4 fits them with the warning "
                "'non-integer x' and a log-likelihood of -Inf. Round the counts, or model rates with the counts as "
                "response and log(exposure) as offset"
            )

    def start(self, y, weights):
        return y + 0.1

    def simulate(self, mu, weights, trials, sigma, rng):
        return rng.poisson(mu).astype(float)


class Gamma(Family):
    name = "Gamma"
    default_link = "inverse"
    links = ("inverse", "identity", "log")
    dispersion = True

    def variance(self, mu):
        return mu * mu

    def dev_resids(self, y, mu, wt):
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = y / mu
            log_ratio = np.where(ratio != 0, np.log(np.where(ratio != 0, ratio, 1.0)), 0.0)
        return -2.0 * wt * (log_ratio - (y - mu) / mu)

    def aic(self, y, n, mu, wt, dev):
        disp = dev / np.sum(wt)
        shape, scale = 1.0 / disp, mu * disp
        with np.errstate(divide="ignore", invalid="ignore"):
            log_density = (shape - 1.0) * np.log(y) - y / scale - special.gammaln(shape) - shape * np.log(scale)
        return float(-2.0 * np.sum(wt * log_density) + 2.0)

    def check(self, y, rows=None):
        bad = y <= 0
        if bad.any():
            raise DataError(
                f"non-positive values not allowed for the 'Gamma' family (lme4's words): {int(bad.sum())} value(s) "
                f"<= 0, first at {_first_rows(bad, rows)}; the Gamma family is for positive responses"
            )

    def simulate(self, mu, weights, trials, sigma, rng):
        shape = weights / sigma**2
        return rng.gamma(shape, mu / shape)


class InverseGaussian(Family):
    name = "inverse.gaussian"
    default_link = "1/mu^2"
    links = ("1/mu^2", "inverse", "identity", "log")
    dispersion = True

    def variance(self, mu):
        return mu**3

    def dev_resids(self, y, mu, wt):
        return wt * (y - mu) ** 2 / (y * mu * mu)

    def aic(self, y, n, mu, wt, dev):
        total = np.sum(wt)
        return float(total * (np.log(dev / total * 2.0 * np.pi) + 1.0) + 3.0 * np.sum(np.log(y) * wt) + 2.0)

    def check(self, y, rows=None):
        bad = y <= 0
        if bad.any():
            raise DataError(
                f"positive values only are allowed for the 'inverse.gaussian' family (lme4's words): "
                f"{int(bad.sum())} value(s) <= 0, first at {_first_rows(bad, rows)}"
            )

    def simulate(self, mu, weights, trials, sigma, rng):
        return rng.wald(mu, weights / sigma**2)  # shape lambda = 1 / dispersion, the dispersion sigma^2 / w


FAMILIES = {"binomial": Binomial, "poisson": Poisson, "Gamma": Gamma, "inverse.gaussian": InverseGaussian}
ALIASES = {"gamma": "Gamma", "inverse_gaussian": "inverse.gaussian", "inverse.gaussian": "inverse.gaussian",
           "inversegaussian": "inverse.gaussian"}


def binomial(link: str | Link = "logit") -> Binomial:
    """R's ``binomial(link)``."""
    return Binomial(link)


def poisson(link: str | Link = "log") -> Poisson:
    """R's ``poisson(link)``."""
    return Poisson(link)


def gamma(link: str | Link = "inverse") -> Gamma:
    """R's ``Gamma(link)``."""
    return Gamma(link)


def inverse_gaussian(link: str | Link = "1/mu^2") -> InverseGaussian:
    """R's ``inverse.gaussian(link)``."""
    return InverseGaussian(link)


def make_family(family, link=None) -> Family:
    """A Family from glmer's ``family=`` (a name such as "binomial", "poisson", "Gamma", "inverse.gaussian",
    or a Family) and ``link=`` (a link's name, or None for the family's default)."""
    if isinstance(family, Family):
        if link is not None and make_link(link) != family.link:
            return type(family)(link)
        return family
    if isinstance(family, type) and issubclass(family, Family):
        return family(link)
    if not isinstance(family, str):
        raise FormulaError(f"family must be a name such as 'binomial' or a family object, not {type(family).__name__}")
    key = family if family in FAMILIES else ALIASES.get(family.lower())
    if key is None:
        if family.lower() == "gaussian":
            raise FormulaError(
                "glmer with the gaussian family and identity link is a linear mixed model: use slmm.lmer "
                "(lme4 deprecates this shortcut)"
            )
        raise FormulaError(f"unknown family {family!r}; the families are {', '.join(repr(f) for f in FAMILIES)}")
    return FAMILIES[key](link)
