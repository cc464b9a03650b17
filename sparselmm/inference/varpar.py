"""lmerTest's variance parameters varpar = (theta, sigma): the deviance in them, its Hessian, and vcov(beta)'s Jacobian.

lmerTest (``devfun_vp``) writes the deviance, beta profiled out at each theta, as

    D(theta, sigma) = log|A| + r2 / sigma^2 + n log(2 pi sigma^2) [+ log|RX'RX| - p log(2 pi sigma^2) for REML]

(A = Lambda'Z'Z Lambda + I, r2 the penalized residual sum of squares, RX'RX = X'V^-1 X, all at theta;
sigma the residual standard deviation). Its asymptotic covariance is ``vcov_varpar = 2 H^-1`` with H
the Hessian of D at the fit (a pseudo-inverse over eigenvalues above 1e-8, as lmerTest), and the
Satterthwaite degrees of freedom need the Jacobian of vcov(beta) = sigma^2 (RX'RX)^-1 in varpar.

Where the derivatives come from:

- the gradient of D is exact: the engine's derivatives of log|A|, r2 and log|RX'RX| in theta
  (:meth:`~sparselmm.criterion.ProfiledCriterion.derivatives`), and closed forms in sigma;
- the sigma rows of H are exact (d2D/dsigma2 = -2 nu / sigma^2 + 6 r2 / sigma^4 and
  d2D/dsigma dtheta = -2 (dr2/dtheta) / sigma^3, nu = n - p or n);
- the theta x theta block of H is the one finite difference: central differences of the exact
  gradient with one Richardson step, h = 1e-3 max(|theta_i|, 0.1 max|theta|, 1e-3), error
  O(h^4) times the fifth derivative, about 1e-10 relative on the reference cases (lmerTest's own
  numDeriv::hessian of the deviance is Richardson-extrapolated too);
- the Jacobian of vcov(beta) is exact: d vcov / d theta_i = sigma^2 RX^-1 (C_i + C_i') RX^-T with
  C_i the engine's ``cross[i]``, and d vcov / d sigma = 2 sigma (RX'RX)^-1.

At a singular fit (a theta entry at 0) the differences straddle the bound: D is even in a scalar
term's theta, so the central difference there is its second derivative, as lmerTest's.
"""

from __future__ import annotations

from dataclasses import dataclass
import numpy as np

from ..pls import LOG_2PI, solve_upper

EIGEN_TOL = 1e-8  # lmerTest's as_lmerModLT(tol): eigenvalues of H kept in the pseudo-inverse
STEP = 1e-3


@dataclass(frozen=True)
class VarparDerivatives:
    """At the fit: ``varpar`` (t + 1,), ``hessian`` H (t + 1, t + 1), ``vcov_varpar`` = 2 H^-1 (pseudo-inverse),
    ``jacobian`` (t + 1, p, p) = d vcov(beta) / d varpar_i, ``vcov_beta`` (p, p); names as lmerTest's."""

    varpar: np.ndarray
    names: list
    hessian: np.ndarray
    vcov_varpar: np.ndarray
    jacobian: np.ndarray
    vcov_beta: np.ndarray


class VarparDeviance:
    """D(theta, sigma) of one fitted model, with its exact gradient (see the module's docstring)."""

    def __init__(self, fit):
        self.fit = fit
        self.REML = fit.REML
        self.criterion = fit.model.criterion(fit.REML)
        p = len(fit.solution.beta)
        self.nu = fit.nobs - (p if fit.REML else 0)

    def value(self, theta, sigma: float) -> float:
        """D at (theta, sigma)."""
        solution = self.criterion.solution(theta)
        value = solution.logdet_L + solution.r2 / sigma**2 + self.nu * (LOG_2PI + 2.0 * np.log(sigma))
        return float(value + solution.logdet_RX if self.REML else value)

    def theta_gradient(self, theta, sigma: float) -> tuple[np.ndarray, object]:
        """(dD/dtheta (t,), the engine's Derivatives at theta)."""
        pieces = self.criterion.derivatives(theta)
        gradient = pieces.logdet_A + pieces.r2 / sigma**2
        return (gradient + pieces.logdet_RX if self.REML else gradient), pieces

    def gradient(self, theta, sigma: float) -> np.ndarray:
        """The exact gradient of D in (theta, sigma), shape (t + 1,)."""
        theta_part, pieces = self.theta_gradient(theta, sigma)
        r2 = pieces.solution.r2
        return np.append(theta_part, 2.0 * self.nu / sigma - 2.0 * r2 / sigma**3)

    def hessian(self, theta, sigma: float) -> tuple[np.ndarray, object]:
        """(H (t + 1, t + 1) at (theta, sigma), the Derivatives at theta); theta block by differences."""
        theta = np.asarray(theta, dtype=float)
        t = len(theta)
        _, pieces = self.theta_gradient(theta, sigma)
        H = np.empty((t + 1, t + 1))
        scale = max(np.abs(theta).max(initial=0.0), 1e-2)
        for i in range(t):
            h = STEP * max(abs(theta[i]), 0.1 * scale, 1e-3)
            H[:t, i] = self._richardson(theta, sigma, i, h)
        r2 = pieces.solution.r2
        H[t, :t] = H[:t, t] = -2.0 * pieces.r2 / sigma**3
        H[t, t] = -2.0 * self.nu / sigma**2 + 6.0 * r2 / sigma**4
        H[:t, :t] = (H[:t, :t] + H[:t, :t].T) / 2.0
        return H, pieces

    def _richardson(self, theta, sigma, i, h) -> np.ndarray:
        """d (dD/dtheta) / d theta_i by central differences at h and h/2, extrapolated (error O(h^4))."""
        def central(step):
            e = np.zeros_like(theta)
            e[i] = step
            upper, _ = self.theta_gradient(theta + e, sigma)
            lower, _ = self.theta_gradient(theta - e, sigma)
            return (upper - lower) / (2.0 * step)

        return (4.0 * central(h / 2.0) - central(h)) / 3.0


def vcov_jacobian(pieces, sigma: float) -> np.ndarray:
    """d vcov(beta) / d varpar_i, shape (t + 1, p, p), from the engine's exact ``cross`` (see module)."""
    RX = pieces.solution.RX
    p = RX.shape[0]
    RX_inv = solve_upper(RX, np.eye(p))
    out = np.empty((len(pieces.cross) + 1, p, p))
    for i, C in enumerate(pieces.cross):
        out[i] = sigma**2 * RX_inv @ (C + C.T) @ RX_inv.T
    out[-1] = 2.0 * sigma * RX_inv @ RX_inv.T
    return out


def pseudo_inverse(H: np.ndarray, tol: float = EIGEN_TOL) -> np.ndarray:
    """H^-1 over the eigenvalues above ``tol`` (lmerTest's treatment of a flat direction)."""
    values, vectors = np.linalg.eigh(H)
    keep = values > tol
    return (vectors[:, keep] / values[keep]) @ vectors[:, keep].T


def varpar_derivatives(fit) -> VarparDerivatives:
    """lmerTest's ``vcov_varpar``, ``Jac_list`` and ``vcov_beta`` of a fit, at (theta-hat, sigma-hat)."""
    deviance = VarparDeviance(fit)
    theta, sigma = np.asarray(fit.theta, dtype=float), float(fit.sigma)
    H, pieces = deviance.hessian(theta, sigma)
    names = list(fit.model.covariance.names) + ["sigma"]
    return VarparDerivatives(np.append(theta, sigma), names, H, 2.0 * pseudo_inverse(H),
                             vcov_jacobian(pieces, sigma), fit.vcov.to_numpy())
