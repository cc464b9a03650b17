"""Convergence diagnostics of a fit, with lme4's checks, thresholds and words.

After the optimiser stops, lme4 (``checkConv``) looks at the criterion around
the solution: central finite differences (step 1e-4) give its gradient and
Hessian in theta; unless the fit is singular, a scaled gradient
max(min(|H^-1/2 g|, |g|)) above 0.002 means the optimiser stopped short, and
the Hessian's eigenvalues flag degenerate or nearly unidentifiable models.
The derivatives cost 2 t^2 + 1 evaluations for t parameters, so they are
skipped for more than 10,000 observations or more than 10 parameters.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

from .errors import ConvergenceWarning

GRADIENT_TOL = 2e-3  # lme4's check.conv.grad
HESSIAN_TOL = 1e-6  # lme4's check.conv.hess
STEP = 1e-4  # lme4's deriv12 delta
MAX_NOBS, MAX_THETA = 10_000, 10


@dataclass
class Convergence:
    """What happened in a fit: who optimised, how long, whether and how it converged."""

    optimizer: str
    evaluations: int
    seconds: float
    converged: bool
    message: str
    gradient: np.ndarray | None = None  # (t,) of the criterion in theta, where computed
    hessian: np.ndarray | None = None  # (t, t)
    scaled_gradient: np.ndarray | None = None
    warnings: list = field(default_factory=list)

    @property
    def code(self) -> int:
        """0 when the optimiser reported convergence, as lme4's optimizer code."""
        return 0 if self.converged else 1


def diagnose(objective, theta: np.ndarray, value: float, optimization, singular: bool, nobs: int,
             seconds: float) -> Convergence:
    """Run lme4's checks at the solution and warn (ConvergenceWarning) about each problem found."""
    report = Convergence(optimization.optimizer, optimization.nfev, seconds, optimization.converged,
                         optimization.message)
    if not optimization.converged:
        report.warnings.append(f"convergence failure: the optimizer stopped with '{optimization.message}'")
    if not singular and nobs <= MAX_NOBS and len(theta) <= MAX_THETA:
        report.gradient, report.hessian = derivatives(objective, theta, value)
        report.warnings += _gradient_messages(report) + hessian_messages(report.hessian)
    for message in report.warnings:
        warnings.warn(message, ConvergenceWarning, stacklevel=4)
    return report


def derivatives(objective, x: np.ndarray, fx: float, delta: float = STEP) -> tuple[np.ndarray, np.ndarray]:
    """lme4's deriv12: gradient (t,) and Hessian (t, t) by central differences."""
    t = len(x)
    gradient, hessian = np.zeros(t), np.zeros((t, t))
    step = np.eye(t) * delta
    for j in range(t):
        f_add, f_sub = objective(x + step[j]), objective(x - step[j])
        hessian[j, j] = (f_add - 2 * fx + f_sub) / delta**2
        gradient[j] = (f_add - f_sub) / (2 * delta)
        for i in range(j):
            corners = [objective(x + si * step[i] + sj * step[j]) for si, sj in ((1, 1), (1, -1), (-1, 1), (-1, -1))]
            hessian[i, j] = hessian[j, i] = (corners[0] - corners[1] - corners[2] + corners[3]) / (4 * delta**2)
    return gradient, hessian


def _gradient_messages(report: Convergence) -> list[str]:
    try:
        upper = np.linalg.cholesky(report.hessian).T  # R with R'R = H, as R's chol()
        report.scaled_gradient = np.linalg.solve(upper, report.gradient)
    except np.linalg.LinAlgError:
        return ["unable to evaluate scaled gradient"]
    smallest = np.minimum(np.abs(report.scaled_gradient), np.abs(report.gradient))
    if smallest.max() > GRADIENT_TOL:
        return [f"Model failed to converge with max|grad| = {smallest.max():.6g} "
                f"(tol = {GRADIENT_TOL:g}, component {int(np.argmax(smallest)) + 1})"]
    return []


def hessian_messages(hessian: np.ndarray, tol: float = HESSIAN_TOL) -> list[str]:
    """lme4's checkHess: negative, zero or badly spread eigenvalues of the Hessian."""
    if not np.all(np.isfinite(hessian)):
        return ["Problem with Hessian check (infinite or missing values?)"]
    eigenvalues = np.linalg.eigvalsh(hessian)
    negative = int(np.sum(eigenvalues < -tol))
    if negative:
        return [f"Model failed to converge: degenerate Hessian with {negative} negative eigenvalues"]
    if np.any(np.abs(eigenvalues) < tol):
        return ["Hessian is numerically singular: parameters are not uniquely determined"]
    messages = []
    if eigenvalues.max() * tol > 1:
        messages.append("Model is nearly unidentifiable: very large eigenvalue - Rescale variables?")
    if eigenvalues.min() / eigenvalues.max() < tol:
        messages.append("Model is nearly unidentifiable: large eigenvalue ratio - Rescale variables?")
    return messages
