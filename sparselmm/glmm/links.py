"""Link functions: eta = g(mu), mu = g^-1(eta) and dmu/deta, as lme4 evaluates them.

lme4's glmer does not call R's ``make.link`` for the common links: its C++
(``glmFamily.cpp``) clamps the inverse links and their derivatives away from the
ends of the range, and those clamps decide what happens to a fit whose linear
predictor runs off (a quasi-separated binary model). Each link here is lme4's:

    logit     mu = max(eps, min(1 - eps, plogis(eta)))      dmu/deta = max(eps, dlogis(eta))
    probit    mu = min(1 - eps, pnorm(eta))                  dmu/deta = dnorm(eta)
    cloglog   mu = max(eps, min(1 - eps, 1 - exp(-exp(eta)))) dmu/deta = max(eps, exp(eta - exp(eta)))
    cauchit   mu = min(1 - eps, pcauchy(eta))                dmu/deta = dcauchy(eta)
    log       mu = max(eps, exp(eta))                        dmu/deta = max(eps, exp(eta))
    inverse   mu = 1 / eta                                   dmu/deta = -1 / eta^2
    identity, sqrt and 1/mu^2 as R's make.link (lme4 calls R for these)

with eps = DBL_EPSILON. ``linkfun`` is R's (lme4 uses it only for the starting value).
"""

from __future__ import annotations

import numpy as np
from scipy import special

EPS = np.finfo(float).eps


class Link:
    """A link function g: ``linkfun`` (mu -> eta), ``linkinv`` (eta -> mu), ``mu_eta`` (dmu/deta at eta)."""

    name = "link"

    def linkfun(self, mu: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def linkinv(self, eta: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def mu_eta(self, eta: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def valid_eta(self, eta: np.ndarray) -> bool:
        return bool(np.all(np.isfinite(eta)))

    def __repr__(self) -> str:
        return f"<link {self.name}>"

    def __eq__(self, other) -> bool:
        return isinstance(other, Link) and other.name == self.name

    def __hash__(self) -> int:
        return hash(self.name)


def _dlogis(eta: np.ndarray) -> np.ndarray:
    """R's dlogis: e / (1 + e)^2 with e = exp(-|x|)."""
    e = np.exp(-np.abs(eta))
    return e / ((1.0 + e) * (1.0 + e))


class Logit(Link):
    name = "logit"

    def linkfun(self, mu):
        return special.logit(mu)

    def linkinv(self, eta):
        with np.errstate(over="ignore"):
            mu = np.exp(-eta)  # 1 / (1 + exp(-eta)): R's plogis, accurate in relative terms everywhere
        mu += 1.0
        np.reciprocal(mu, out=mu)
        return np.clip(mu, EPS, 1.0 - EPS, out=mu)

    def mu_eta(self, eta):
        return np.maximum(_dlogis(eta), EPS)


class Probit(Link):
    name = "probit"

    def linkfun(self, mu):
        return special.ndtri(mu)

    def linkinv(self, eta):
        return np.minimum(special.ndtr(eta), 1.0 - EPS)

    def mu_eta(self, eta):
        return np.exp(-0.5 * eta * eta) / np.sqrt(2.0 * np.pi)


class Cloglog(Link):
    name = "cloglog"

    def linkfun(self, mu):
        return np.log(-np.log1p(-mu))

    def linkinv(self, eta):
        return np.clip(-np.expm1(-np.exp(eta)), EPS, 1.0 - EPS)

    def mu_eta(self, eta):
        with np.errstate(over="ignore"):
            return np.maximum(np.exp(eta - np.exp(eta)), EPS)


class Cauchit(Link):
    name = "cauchit"

    def linkfun(self, mu):
        return np.tan(np.pi * (mu - 0.5))

    def linkinv(self, eta):
        return np.minimum(0.5 + np.arctan(eta) / np.pi, 1.0 - EPS)

    def mu_eta(self, eta):
        return 1.0 / (np.pi * (1.0 + eta * eta))


class Log(Link):
    name = "log"

    def linkfun(self, mu):
        return np.log(mu)

    def linkinv(self, eta):
        with np.errstate(over="ignore"):
            return np.maximum(np.exp(eta), EPS)

    def mu_eta(self, eta):
        with np.errstate(over="ignore"):
            return np.maximum(np.exp(eta), EPS)


class Inverse(Link):
    name = "inverse"

    def linkfun(self, mu):
        return 1.0 / mu

    def linkinv(self, eta):
        with np.errstate(divide="ignore"):
            return 1.0 / eta

    def mu_eta(self, eta):
        with np.errstate(divide="ignore"):
            return -1.0 / (eta * eta)


class Identity(Link):
    name = "identity"

    def linkfun(self, mu):
        return np.asarray(mu, dtype=float)

    def linkinv(self, eta):
        return np.asarray(eta, dtype=float)

    def mu_eta(self, eta):
        return np.ones_like(eta, dtype=float)


class Sqrt(Link):
    name = "sqrt"

    def linkfun(self, mu):
        return np.sqrt(mu)

    def linkinv(self, eta):
        return eta * eta

    def mu_eta(self, eta):
        return 2.0 * eta


class InverseSquare(Link):
    """R's ``1/mu^2``, the inverse Gaussian's default: NaN where eta <= 0 (lme4: "PIRLS loop resulted in NaN")."""

    name = "1/mu^2"

    def linkfun(self, mu):
        return 1.0 / (mu * mu)

    def linkinv(self, eta):
        with np.errstate(invalid="ignore", divide="ignore"):
            return 1.0 / np.sqrt(eta)

    def mu_eta(self, eta):
        with np.errstate(invalid="ignore", divide="ignore"):
            return -1.0 / (2.0 * eta**1.5)


LINKS = {cls.name: cls for cls in (Logit, Probit, Cloglog, Cauchit, Log, Inverse, Identity, Sqrt, InverseSquare)}


def make_link(link) -> Link:
    """A Link from its R name ("logit", "probit", "cloglog", "cauchit", "log", "inverse", "identity", "sqrt",
    "1/mu^2") or a Link itself."""
    if isinstance(link, Link):
        return link
    if isinstance(link, str) and link in LINKS:
        return LINKS[link]()
    from ..errors import FormulaError

    raise FormulaError(f"unknown link {link!r}; the links are {', '.join(repr(name) for name in LINKS)}")
