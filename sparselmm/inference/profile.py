"""lme4's likelihood profiles and the profile confidence intervals from them.

lme4 profiles the ML deviance (a REML fit is refitted by ML first: ``devfun2`` calls refitML) over
its parameters on their natural scale: ``.sig01``, ``.sig02``, ... the random effects' standard
deviations and correlations in theta's order (a template's diagonal entry gives the sd of its
column, an off-diagonal one the correlation), then ``.sigma``, then the fixed effects. For each
parameter the deviance is minimised over all the others at each of its values, and

    zeta(x) = sign(x - x_hat) sqrt(dev(x) - dev_min),

whose crossings of -+ qnorm((1 + level) / 2) are the interval's ends (lme4 interpolates them with
a spline through its profile points; here they are found by Brent's method on zeta itself).

- A fixed effect's profile needs no refit: with beta_j fixed at b and the others free,
  r2_j(theta) = r2(theta) + (b - beta_j(theta))^2 / [(RX'RX)^-1]_jj, and sigma is profiled out, so
  dev = min over theta of log|A| + n (1 + log(2 pi r2_j / n)) (BOBYQA over theta).
- A variance parameter's profile minimises D(sds, cors, sigma) = log|A| + r2 / sigma^2 + n log(2 pi sigma^2)
  (theta from the sds and correlations over sigma by a Cholesky factor) over the other parameters
  (BOBYQA, tolerance 1e-9 on the deviance: zeta is good to about 1e-6 where it matters).
- Bounds: a standard deviation's interval stops at 0, a correlation's at -+1, where zeta does not
  reach the level (as lme4's ``lower``/``upper`` do).
"""

from __future__ import annotations

import nlopt
import numpy as np
import pandas as pd
from scipy import optimize, stats

from ..covariance import lower_triangle
from ..errors import SparseLMMError
from ..pls import LOG_2PI
from .likelihood_ratio import ml_fit

INNER_FTOL = 1e-9


def sv_names(fit) -> list:
    """lme4's profile names: .sig01, .sig02, ... (theta's order), then .sigma."""
    t = fit.model.covariance.n_theta
    return [f".sig{i + 1:02d}" for i in range(t)] + [".sigma"]


def _is_sd(covariance) -> np.ndarray:
    """Per theta position: True for a template's diagonal entry (an sd), False for a correlation."""
    return np.array([i == j for term in covariance.terms for i, j in lower_triangle(term.k)])


def theta_to_sv(covariance, theta: np.ndarray, sigma: float) -> np.ndarray:
    """(sds and correlations in theta's order, then sigma): lme4's Cv_to_Sv."""
    out = []
    for T, term in zip(covariance.templates(theta), covariance.terms):
        C = T @ T.T
        sd = np.sqrt(np.diag(C))
        for i, j in lower_triangle(term.k):
            out.append(sigma * sd[i] if i == j else (C[i, j] / (sd[i] * sd[j]) if sd[i] * sd[j] > 0 else 0.0))
    return np.array(out + [sigma])


def sv_to_theta(covariance, sv: np.ndarray) -> np.ndarray:
    """lme4's Sv_to_Cv: theta from (sds, correlations, sigma), through a Cholesky factor that allows zero sds."""
    sigma, theta, position = sv[-1], [], 0
    for term in covariance.terms:
        entries = lower_triangle(term.k)
        values = sv[position:position + len(entries)]
        sd, R = np.zeros(term.k), np.eye(term.k)
        for (i, j), v in zip(entries, values):
            if i == j:
                sd[i] = v / sigma
            else:
                R[i, j] = R[j, i] = v
        T = _cholesky(R * np.outer(sd, sd))
        theta += [T[i, j] for i, j in entries]
        position += len(entries)
    return np.array(theta)


def _cholesky(C: np.ndarray) -> np.ndarray:
    """Lower Cholesky factor of a positive semi-definite C; a zero pivot gives a zero column."""
    k = C.shape[0]
    L = np.zeros((k, k))
    for j in range(k):
        pivot = C[j, j] - L[j, :j] @ L[j, :j]
        if pivot <= 1e-14 * max(C[j, j], 1e-300):
            continue
        L[j, j] = np.sqrt(pivot)
        L[j + 1:, j] = (C[j + 1:, j] - L[j + 1:, :j] @ L[j, :j]) / L[j, j]
    return L


class ProfiledDeviance:
    """The ML deviance of a fit as lme4's profile sees it: over (sds, cors, sigma) and with one beta fixed."""

    def __init__(self, fit):
        self.ml = ml_fit(fit) if fit.REML else fit
        self.model = self.ml.model
        self.covariance = self.model.covariance
        self.criterion = self.model.criterion(REML=False)
        self.n = self.ml.nobs
        self.base = float(self.ml.objective)
        self.sv_hat = theta_to_sv(self.covariance, self.ml.theta, self.ml.sigma)
        self.beta_hat = self.ml.solution.beta.copy()
        self.is_sd = np.append(_is_sd(self.covariance), True)  # sigma is a standard deviation too
        self.names = sv_names(fit) + list(fit.design.fixef_names)

    # ------------------------------------------------------------ deviances
    def deviance_sv(self, sv: np.ndarray) -> float:
        sigma = sv[-1]
        if sigma <= 0.0:  # the residual sd's bound: the likelihood of a model without noise is 0
            return np.inf
        solution = self.criterion.solution(sv_to_theta(self.covariance, sv))
        return float(solution.logdet_L + solution.r2 / sigma**2 + self.n * (LOG_2PI + 2.0 * np.log(sigma)))

    def deviance_beta(self, j: int, b: float, theta: np.ndarray) -> float:
        solution = self.criterion.solution(theta)
        RX_inv = np.linalg.inv(solution.RX)
        r2 = solution.r2 + (b - solution.beta[j]) ** 2 / float(RX_inv[j] @ RX_inv[j])
        return float(solution.logdet_L + self.n * (1.0 + LOG_2PI + np.log(r2 / self.n)))

    # ------------------------------------------------------------ profiles
    def profiled(self, index: int, value: float, start: np.ndarray | None = None) -> tuple[float, np.ndarray]:
        """(min deviance with parameter ``index`` at ``value``, the minimiser of the others)."""
        t1 = len(self.sv_hat)
        if index >= t1:
            j = index - t1
            x0 = self.ml.theta if start is None else start
            return _bobyqa(lambda theta: self.deviance_beta(j, value, theta), x0, self.covariance.lower,
                           np.full(len(x0), np.inf))
        free = [i for i in range(t1) if i != index]
        lower = np.where(self.is_sd, 0.0, -1.0)
        lower[-1] = 1e-8 * self.sv_hat[-1]  # sigma stays positive
        lower, upper = lower[free], np.where(self.is_sd, np.inf, 1.0)[free]
        x0 = self.sv_hat[free] if start is None else start

        def deviance(x):
            sv = np.empty(t1)
            sv[free], sv[index] = x, value
            return self.deviance_sv(sv)

        if not free:
            return deviance(np.zeros(0)), np.zeros(0)
        return _bobyqa(deviance, np.clip(x0, lower, upper), lower, upper)

    def estimate(self, index: int) -> float:
        t1 = len(self.sv_hat)
        return float(self.sv_hat[index] if index < t1 else self.beta_hat[index - t1])

    def bounds(self, index: int) -> tuple[float, float]:
        if index >= len(self.sv_hat):
            return -np.inf, np.inf
        return (0.0, np.inf) if self.is_sd[index] else (-1.0, 1.0)

    def zeta(self, index: int, value: float, start=None) -> tuple[float, np.ndarray]:
        deviance, argmin = self.profiled(index, value, start)
        return float(np.sign(value - self.estimate(index)) * np.sqrt(max(deviance - self.base, 0.0))), argmin

    def scale(self, index: int) -> float:
        """A first step along the parameter: its standard error (fixed effects), a fifth of an sd (at least 5% of
        sigma), or 0.1 for a correlation."""
        t1 = len(self.sv_hat)
        if index >= t1:
            return float(np.sqrt(self.ml.vcov.to_numpy()[index - t1, index - t1]))
        return max(0.2 * abs(self.sv_hat[index]), 0.05 * self.sv_hat[-1], 1e-3) if self.is_sd[index] else 0.1

    def crossing(self, index: int, target: float) -> float:
        """The value where zeta = target (its sign picks the side), or the bound if zeta does not get there.

        Steps out from the estimate, each step extrapolating zeta linearly (it nearly is), until zeta passes
        the target; then Brent's method between the last two points, warm-started at the inner one.
        """
        x_hat, (low, high) = self.estimate(index), self.bounds(index)
        direction, step = np.sign(target), self.scale(index) * abs(target)
        inside, start = x_hat, None
        for _ in range(40):
            x = x_hat + direction * step
            edge = low if direction < 0 else high
            if (x <= low) if direction < 0 else (x >= high):
                x = edge
            z, argmin = self.zeta(index, x, start)
            if x == edge and abs(z) < abs(target):
                return edge
            if abs(z) >= abs(target):
                break
            inside, start = x, argmin
            step *= min(max(1.1 * abs(target) / max(abs(z), 1e-3), 1.2), 4.0)
        else:
            raise SparseLMMError(f"the profile of {self.names[index]} does not reach zeta = {target:.3g}")
        tolerance = 1e-7 * max(abs(x - x_hat), 1e-12)
        return optimize.brentq(lambda v: self.zeta(index, v, start)[0] - target, inside, x, xtol=tolerance)


def _bobyqa(objective, x0, lower, upper) -> tuple[float, np.ndarray]:
    opt = nlopt.opt(nlopt.LN_BOBYQA, len(x0))
    best = [np.inf, np.asarray(x0, dtype=float)]

    def wrapped(x, grad):
        value = objective(np.array(x))
        if value < best[0]:
            best[:] = [value, np.array(x)]
        return value

    opt.set_min_objective(wrapped)
    opt.set_lower_bounds(np.asarray(lower, dtype=float))
    opt.set_upper_bounds(np.asarray(upper, dtype=float))
    opt.set_ftol_abs(INNER_FTOL)
    opt.set_xtol_rel(1e-7)
    opt.set_maxeval(20_000)
    x0 = np.asarray(x0, dtype=float)
    step = np.where(np.isfinite(upper - lower), np.minimum(0.1, (upper - lower) / 4), np.maximum(0.1 * np.abs(x0), 1e-3))
    opt.set_initial_step(step)
    try:
        opt.optimize(x0)
    except nlopt.RoundoffLimited:
        pass
    return float(best[0]), best[1]


def parameter_indices(deviance: ProfiledDeviance, which) -> list:
    if which is None:
        return list(range(len(deviance.names)))
    which = [which] if isinstance(which, str) else list(which)
    unknown = [w for w in which if w not in deviance.names]
    if unknown:
        raise SparseLMMError(f"unknown parameter(s) {', '.join(map(str, unknown))}; the parameters are "
                             f"{', '.join(deviance.names)}")
    return [deviance.names.index(w) for w in which]


def profile_intervals(fit, parm, level: float) -> pd.DataFrame:
    """lme4's ``confint(fit, method = "profile")``: rows the parameters, columns named for ``level``."""
    deviance = ProfiledDeviance(fit)
    z = stats.norm.ppf(0.5 + level / 2.0)
    indices = parameter_indices(deviance, parm)
    rows = [[deviance.crossing(i, -z), deviance.crossing(i, z)] for i in indices]
    return pd.DataFrame(rows, index=[deviance.names[i] for i in indices], columns=interval_columns(level))


def interval_columns(level: float) -> list:
    """R's format.perc: "2.5 %", "97.5 %" for level 0.95."""
    a = (1.0 - level) / 2.0
    return [f"{_significant(100 * p)} %" for p in (a, 1.0 - a)]


def _significant(x: float) -> str:
    return f"{float(f'{x:.3g}'):g}"


class ProfileTable(pd.DataFrame):
    """lme4's profile as a tidy DataFrame: parameter, value, zeta (one row per profile point)."""

    @property
    def _constructor(self):
        return ProfileTable

    def plot(self, figsize=None):
        """zeta against each parameter's value, one panel per parameter (a matplotlib Figure), as lme4's xyplot."""
        from ..plots import _figure

        names = list(dict.fromkeys(self["parameter"]))
        figure, axes = _figure(len(names), figsize)
        for ax, name in zip(np.ravel(axes), names):
            part = self[self["parameter"] == name]
            ax.plot(part["value"], part["zeta"], "o-", markersize=3)
            ax.axhline(0.0, color="grey", linewidth=0.5)
            ax.set_title(name)
            ax.set_xlabel("value")
            ax.set_ylabel("zeta")
        return figure


def profile(fit, which=None, alpha_max: float = 0.01, n_points: int = 12) -> ProfileTable:
    """The profile of each parameter in ``which``: ``n_points`` values spanning zeta = -+ qnorm(1 - alpha_max / 2)."""
    if not 0 < alpha_max < 1:
        raise SparseLMMError(f"alpha_max={alpha_max!r} must lie between 0 and 1 (lme4's default: 0.01)")
    deviance = ProfiledDeviance(fit)
    cut = stats.norm.isf(alpha_max / 2.0)  # finite for any alpha_max > 0 (ppf(1 - a/2) is inf below 2e-16)
    rows = []
    for i in parameter_indices(deviance, which):
        low, high = deviance.crossing(i, -cut), deviance.crossing(i, cut)
        values = np.linspace(low, high, n_points)
        estimate = deviance.estimate(i)
        if np.min(np.abs(values - estimate)) > 1e-9 * (high - low):
            values = np.sort(np.append(values, estimate))
        rows += [(deviance.names[i], v, deviance.zeta(i, v)[0]) for v in values]
    return ProfileTable(rows, columns=["parameter", "value", "zeta"])
