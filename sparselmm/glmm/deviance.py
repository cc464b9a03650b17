"""The functions glmer optimises: lme4's ``devfun`` of a GLMM at nAGQ = 0, 1 and > 1.

    nAGQ = 0   theta only: u and beta both at their joint PIRLS mode,
               aic(y | mu) + |u|^2 + log|L|^2
    nAGQ = 1   (theta, beta): u at its PIRLS mode given beta (the Laplace approximation),
               aic(y | mu) + |u|^2 + log|L|^2
    nAGQ > 1   (theta, beta), a single scalar term: adaptive Gauss-Hermite quadrature,
               sum_j [|u_j|^2 + dev_j] + log|L|^2 - 2 sum_j log(sum_k w_k exp(-(devc_jk - devc_j) / 2 - log phi(z_k)))

Every evaluation starts its PIRLS from the same linear predictor (lme4's lp0, the end
of the previous stage), so each is a function of its parameters alone. As lme4 does,
the quadrature deviance is built from the deviance residuals (relative to the
saturated model), the Laplace one from the family's aic: at nAGQ > 1 the deviance and
the log-likelihood are on another scale (for binomial counts they differ by -2 x the
saturated log-likelihood, a constant).
"""

from __future__ import annotations

import numpy as np

from ..errors import DataError

from .pirls import TOL_PWRSS, VALUE_TOL, FirstStep, Pirls, PirlsState
from .quadrature import gauss_hermite


class GlmmDeviance:
    """lme4's devfun of ``model`` for ``nAGQ``.

    As lme4's, every evaluation's PIRLS starts from the same linear predictor, ``start``'s (the end of the
    previous stage: lme4's lp0), and stops at lme4's rule (``tol``), so each value is a function of the
    parameters alone and lme4's own. With ``exact`` it starts from the previous evaluation's modes instead
    and goes on until the deviance is steady to 1e-12: the approximation at the modes themselves.
    """

    def __init__(self, model, nAGQ: int, start: PirlsState, tol: float = TOL_PWRSS, exact: bool = False):
        self.model, self.nAGQ = model, int(nAGQ)
        self.start, self.exact = start, exact
        self.pirls = Pirls(model, tol=tol, value_tol=VALUE_TOL if exact else None)
        self.rule = gauss_hermite(self.nAGQ) if self.nAGQ > 1 else None
        self._first = None  # the first step's products, the same for every evaluation (lme4's way)
        self.last: PirlsState | None = None
        self.evaluations = 0

    @property
    def n_theta(self) -> int:
        return self.model.n_theta

    def state(self, pars: np.ndarray, start: PirlsState | None = None) -> PirlsState:
        """The PIRLS modes at ``pars`` (theta for nAGQ = 0, else theta then beta)."""
        pars = np.asarray(pars, dtype=float)
        theta = pars[: self.n_theta]
        if self.exact:  # from the modes of the last evaluation (the value does not depend on them)
            start = start or self.last or self.start
            eta = None
        else:  # lme4: from the stage's linear predictor, every time
            start = self.start
            eta = start.eta
            if self._first is None:
                with self.model.threads():
                    self._first = FirstStep(self.model, eta)
        beta = start.beta if self.nAGQ == 0 else pars[self.n_theta:]
        return self.pirls.run(theta, start.u, beta, joint=self.nAGQ == 0, eta=eta,
                              first=None if self.exact else self._first)

    def __call__(self, pars: np.ndarray) -> float:
        self.evaluations += 1
        try:
            state = self.state(pars)
        except DataError:
            if not self.exact or self.last is None:
                raise
            state = self.state(pars, self.start)  # a far jump: start again from the stage's modes
        self.last = state
        return self.value(state)

    def value(self, state: PirlsState) -> float:
        """The deviance at a PIRLS state."""
        if self.rule is not None:
            return self.quadrature(state)
        return laplace(self.model, state)

    def quadrature(self, state: PirlsState) -> float:
        """lme4's glmerAGQ at the modes of ``state`` (a single scalar term)."""
        model = self.model
        codes, column = model.products.codes[0], model.products.matrices[0][:, 0]
        m = model.design.terms[0].m
        theta = float(state.theta[0])
        sd = 1.0 / np.sqrt(1.0 + theta * theta * state.ZtWZ_diagonal)  # 1 / diag(L)
        devc0 = state.u**2 + np.bincount(codes, weights=state.dev_resid, minlength=m)
        scale = theta * column
        fixed = state.eta - scale * state.u[codes]  # offset + X beta
        multiplier = np.zeros(m)
        for z, weight, log_density in self.rule:
            u = state.u + z * sd
            mu = model.family.link.linkinv(fixed + scale * u[codes])
            with np.errstate(all="ignore"):
                dev = model.dev_resids(mu)
            devc = u**2 + np.bincount(codes, weights=dev, minlength=m)
            multiplier += np.exp(-0.5 * (devc - devc0) - log_density) * weight / np.sqrt(2.0 * np.pi)
        return float(devc0.sum() + state.logdet - 2.0 * np.sum(np.log(multiplier)))


def laplace(model, state: PirlsState) -> float:
    """aic(y | mu) + |u|^2 + log|L|^2 at the modes of ``state`` (lme4's glmResp::Laplace)."""
    return state.laplace


def initial_state(model, theta: np.ndarray, tol: float = TOL_PWRSS) -> PirlsState:
    """lme4's first PIRLS (mkGlmerDevfun): u and beta together at the starting theta, from the family's mustart."""
    mu = model.family.start(model.y, model.weights)
    eta = model.family.link.linkfun(mu) + model.offset
    return Pirls(model, tol=tol).run(theta, np.zeros(model.q), np.zeros(model.p), joint=True, eta=eta)
