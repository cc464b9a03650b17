"""Penalized iteratively reweighted least squares: the conditional modes of u (and beta) at one theta.

lme4's ``pwrssUpdate`` (src/external.cpp), step for step. From a linear predictor
eta (the last fit's, lme4's ``lp0``), each step takes the working weights
W = w (dmu/deta)^2 / V(mu) and the working response z = eta - offset + (y - mu) / (dmu/deta),
factors A = Lambda' Z'WZ Lambda + I on the model's symbolic pattern
(``solver.with_products``: only the values of Z'WZ change) and solves the
penalized least squares problem

    min  |W^1/2 (z - X beta - Z Lambda u)|^2 + |u|^2

for u alone (beta held in the offset: lme4's nAGQ >= 1 stage) or for u and beta
together (nAGQ = 0). The penalized deviance is sum(dev residuals) + |u|^2 at the
new mu; the loop stops when it changes by less than ``tol`` (lme4's tolPwrss,
1e-7) relative, halving a step that raised it (at most 20 times). As in lme4, the
factor kept is the last step's, made with the weights of the iterate before it, and
the Laplace deviance is aic(y | mu) + |u|^2 + log|L|^2 (the nAGQ = 0 criterion is
the same, at the joint mode).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import DataError
from ..pls import fixed_effects_step

TOL_PWRSS = 1e-7  # glmerControl(tolPwrss)
MAXIT = 100  # mkGlmerDevfun's maxit
MAX_HALVINGS = 20
VALUE_TOL = 1e-12  # exact modes: the relative change of the Laplace deviance at which they are taken as found
EXTRA = 30  # steps after lme4's rule is met, at most: beyond them only rounding is left to change


@dataclass
class PirlsState:
    """The end of a PIRLS run: the modes, the linear predictor and the factor of the last step."""

    theta: np.ndarray
    u: np.ndarray  # (q,) spherical random effects at the mode
    beta: np.ndarray  # (p,) the fixed effects (given, or estimated with u)
    eta: np.ndarray  # (n,) linear predictor, offsets included
    mu: np.ndarray  # (n,)
    solver: object  # the last step's bound solver (its work arrays are shared: valid until the next factorization)
    logdet: float  # log |L|^2 of that factor (lme4's ldL2)
    ZtWZ: object  # (q, q) sparse: that step's Z'WZ
    RX: np.ndarray  # (p, p) that step's RX (R'R = X'WX - RZX'RZX)
    iterations: int
    dev_resid: np.ndarray  # (n,) each row's deviance at mu (lme4's devResid, squared residuals): they sum to it
    laplace: float  # aic(y | mu) + |u|^2 + log|L|^2
    working_weights: np.ndarray  # (n,) the W of the last step (the factor's)

    @property
    def ZtWZ_diagonal(self) -> np.ndarray:
        """(q,) the diagonal of the last step's Z'WZ (adaptive quadrature's scales)."""
        return self.ZtWZ.diagonal()

    @property
    def ussq(self) -> float:
        return float(self.u @ self.u)


class FirstStep:
    """The first PIRLS step's weights and products where every run starts from one linear predictor eta0
    (lme4's lp0): W, Z'WZ (its solver) and Z'Wz0, Z'WX, X'WX, X'Wz0 do not change between runs, since z0 =
    eta0 - offset + (y - mu0) / (dmu/deta) does not; with beta in the offset, Z'W(z0 - X beta) is
    Z'Wz0 - Z'WX beta. A run then starts with a factorization at its theta, and no pass over the rows."""

    def __init__(self, model, eta: np.ndarray):
        family = model.family
        mu = family.link.linkinv(eta)
        mu_eta = family.link.mu_eta(eta)
        self.weights = mu_eta * mu_eta * (model.weights / family.variance(mu))
        z = eta - model.offset + (model.y - mu) / mu_eta
        if not (np.all(np.isfinite(self.weights)) and np.all(np.isfinite(z))):
            raise model.pirls_error("PIRLS loop resulted in NaN value", model.covariance.theta0)
        self.products = model.products.crossproducts(self.weights, z, with_fixed=True)
        self.solver = model.base_solver.with_products(self.products)


class Pirls:
    """PIRLS for one model (a :class:`~sparselmm.glmm.model.GlmmModel`): ``run(theta, ...)``.

    By default it stops where lme4 stops: when the penalized deviance is steady to ``tol``. The factor
    (and so log|L|^2) then lags the mode by one step, an error of order 1e-4 in the deviance of an
    ordinary fit, more for links that are not canonical (their steps converge linearly); lme4's
    estimates, and its finite-difference Hessian (the standard errors), are those of this function.
    With ``value_tol`` the loop goes on until the Laplace deviance itself is steady to that relative
    change: the approximation at the modes themselves.
    """

    def __init__(self, model, tol: float = TOL_PWRSS, value_tol: float | None = None, maxit: int = MAXIT):
        self.model, self.tol, self.value_tol, self.maxit = model, tol, value_tol, maxit

    def run(self, theta: np.ndarray, u: np.ndarray, beta: np.ndarray, joint: bool, eta: np.ndarray | None = None,
            value_tol: float | None = None, first: "FirstStep | None" = None) -> PirlsState:
        """The modes at ``theta``: of u given ``beta`` (in the offset), or of u and beta together (``joint``),
        from the start (``u``, ``beta``), or from the linear predictor ``eta`` where given (lme4's first fit
        starts from the family's mustart). Step halving goes back toward the start. ``first`` holds the
        first step's products where every run starts from the same ``eta`` (see :class:`FirstStep`)."""
        model = self.model
        value_tol = self.value_tol if value_tol is None else value_tol
        value_tol = np.inf if value_tol is None else value_tol
        family, y, wt = model.family, model.y, model.weights
        offset = model.offset if joint else model.offset + model.X @ beta
        u_old, beta_old = np.asarray(u, dtype=float), np.asarray(beta, dtype=float)
        if eta is None:
            eta, mu, _ = self._predict(offset, theta, u_old, beta_old if joint else None)
        else:
            mu = family.link.linkinv(eta)
        oldpdev, old_value, steady, extra = np.finfo(float).max, np.inf, False, 0
        with model.threads():
            for iteration in range(1, self.maxit + 1):
                if iteration == 1 and first is not None:
                    w, products, solver = first.weights, first.products, first.solver
                    Zty = products.Zty if joint else products.Zty - products.ZtX @ beta
                else:
                    mu_eta = family.link.mu_eta(eta)
                    w = mu_eta * mu_eta * (wt / family.variance(mu))
                    z = eta - offset + (y - mu) / mu_eta
                    if not np.all(np.isfinite(w)) or not np.all(np.isfinite(z)):
                        raise model.pirls_error("PIRLS loop resulted in NaN value", theta)
                    products = model.products.crossproducts(w, z, with_fixed=joint)
                    solver, Zty = model.base_solver.with_products(products), products.Zty
                u_new, beta_new, RX = self._solve(theta, solver, products, Zty, joint, beta)
                eta, mu, dev = self._predict(offset, theta, u_new, beta_new if joint else None)
                pdev = float(dev.sum() + u_new @ u_new)
                steady = steady or abs((oldpdev - pdev) / pdev) < self.tol
                if not steady and (np.isnan(pdev) or pdev > oldpdev):
                    u_new, beta_new, eta, mu, dev, pdev = self._halve(theta, offset, joint, u_old, beta_old, u_new,
                                                                      beta_new, oldpdev)
                if steady:
                    value = model.aic(mu, float(dev.sum())) + u_new @ u_new \
                        + solver.logdet()
                    extra += 1
                    if abs(value - old_value) <= value_tol * abs(value) or extra > EXTRA or iteration == self.maxit:
                        return PirlsState(theta, u_new, beta_new, eta, mu, solver, solver.logdet(), products.ZtZ, RX,
                                          iteration, dev, float(value), w)
                    old_value = value
                oldpdev, u_old, beta_old = pdev, u_new, beta_new
        raise model.pirls_error(f"pwrssUpdate did not converge in (maxit) iterations ({self.maxit})", theta)

    def _halve(self, theta, offset, joint, u_old, beta_old, u_new, beta_new, oldpdev):
        """lme4's step halving: back toward the previous iterate until the penalized deviance no longer rises."""
        model = self.model
        for _ in range(MAX_HALVINGS):
            u_new = (u_old + u_new) / 2.0
            if joint:
                beta_new = (beta_old + beta_new) / 2.0
            eta, mu, dev = self._predict(offset, theta, u_new, beta_new if joint else None)
            pdev = float(dev.sum() + u_new @ u_new)
            if not (np.isnan(pdev) or pdev > oldpdev):
                break
        if np.isnan(pdev):
            raise model.pirls_error("PIRLS loop resulted in NaN value", theta)
        if pdev - oldpdev > self.tol:
            raise model.pirls_error("(maxstephalfit) PIRLS step-halvings failed to reduce deviance in pwrssUpdate",
                                    theta)
        return u_new, beta_new, eta, mu, dev, pdev

    def _solve(self, theta, solver, products, Zty, joint: bool, beta):
        """One penalized least squares step: the factor at theta of ``solver`` (bound to the step's Z'WZ), the
        right side Z'Wz (``Zty``; with X's products for the joint step)."""
        model = self.model
        try:
            solver.update(theta)
        except np.linalg.LinAlgError as error:
            raise model.pirls_error(f"the penalized system lost positive definiteness ({error})", theta) from error
        right = Zty[:, None] if not joint else np.column_stack([Zty, products.ZtX])
        solved = solver.solve_L(model.times_lambda(theta, right, transpose=True))
        if not joint:
            return solver.solve_Lt(solved[:, :1])[:, 0], beta, None
        cu, RZX = solved[:, 0], solved[:, 1:]
        try:
            RX, _, beta_new, _ = fixed_effects_step(products, cu, RZX)
        except DataError as error:
            raise model.naming_the_model(str(error)) from error
        return solver.solve_Lt((cu - RZX @ beta_new)[:, None])[:, 0], beta_new, RX

    def _predict(self, offset, theta, u, beta):
        """eta, mu and the deviance residuals at (u, beta); beta None when it is in the offset."""
        model = self.model
        eta = offset + model.products.Z_times(model.times_lambda(theta, u))
        if beta is not None:
            eta = eta + model.X @ beta
        mu = model.family.link.linkinv(eta)
        with np.errstate(all="ignore"):
            dev = model.dev_resids(mu)
        return eta, mu, dev
