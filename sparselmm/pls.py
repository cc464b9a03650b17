"""The penalized least squares solution at a given theta, and the criteria built from it.

For fixed theta (Bates et al. 2015, section 3), with A = Lambda' Z'Z Lambda + I
factored as P A P' = L L':

    L cu  = P Lambda' Z'y              L RZX = P Lambda' Z'X
    RX'RX = X'X - RZX' RZX             RX' cbeta = X'y - RZX' cu
    RX beta = cbeta                    r2 = y'y - |cu|^2 - |cbeta|^2

r2 is the penalized residual sum of squares. The objective is a function of
these few numbers only; nothing here touches an n-length array.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg as la

from .errors import DataError

LOG_2PI = np.log(2.0 * np.pi)


@dataclass(frozen=True)
class PLSSolution:
    """Everything the fit at one theta yields, with shapes (q = random effects, p = fixed)."""

    theta: np.ndarray  # (n_theta,)
    logdet_L: float  # log |L|^2 = log |A|
    cu: np.ndarray  # (q,)
    RZX: np.ndarray  # (q, p)
    RX: np.ndarray  # (p, p) upper triangular
    cbeta: np.ndarray  # (p,)
    beta: np.ndarray  # (p,)
    r2: float
    nobs: int
    beta_ols: np.ndarray  # (p,) the part of beta removed from y with the cross-products
    log_weights: float = 0.0  # sum of log prior weights: the criterion is lower by it (lme4's constant)

    @property
    def logdet_RX(self) -> float:
        """log |RX|^2 = log |RX'RX|."""
        return 2.0 * float(np.sum(np.log(np.abs(np.diag(self.RX)))))

    def degrees(self, REML: bool) -> int:
        """n for ML, n - p for REML: the divisor of sigma^2."""
        return self.nobs - (len(self.beta) if REML else 0)

    def sigma(self, REML: bool, r2: float | None = None) -> float:
        return float(np.sqrt((self.r2 if r2 is None else r2) / self.degrees(REML)))

    def objective(self, REML: bool, r2: float | None = None) -> float:
        """REML criterion or ML deviance; ``r2`` overrides the penalized RSS (see ``r2_at``).

        With prior weights w the likelihood gains sum(log w) / 2, so the criterion is lower by sum(log w).
        """
        r2 = self.r2 if r2 is None else r2
        dof = self.degrees(REML)
        with np.errstate(divide="ignore"):  # an exact fit (r2 = 0) has criterion -inf
            value = self.logdet_L + dof * (1.0 + LOG_2PI + np.log(r2 / dof)) - self.log_weights
        return float(value + self.logdet_RX if REML else value)

    def r2_at(self, beta: np.ndarray) -> float:
        """Penalized RSS with beta held at ``beta`` and u re-optimised: r2 + |RX (beta - betahat)|^2."""
        shift = self.RX @ (np.asarray(beta) - self.beta)
        return float(self.r2 + shift @ shift)


def fixed_effects_step(crossprods, cu: np.ndarray, RZX: np.ndarray) -> tuple:
    """(RX (p, p), cbeta (p,), beta (p,), r2) from the random-effects solves cu (q,) and RZX (q, p).

    beta is that of the shifted response (add crossprods.beta_ols); r2 is at least 0.
    """
    RX = _upper_cholesky(crossprods.XtX - RZX.T @ RZX)
    cbeta = solve_upper(RX, crossprods.Xty - RZX.T @ cu, transpose=True)
    beta = solve_upper(RX, cbeta)
    r2 = max(crossprods.yty - cu @ cu - cbeta @ cbeta, 0.0)
    return RX, cbeta, beta, r2


def _upper_cholesky(matrix: np.ndarray) -> np.ndarray:
    """R with R'R = matrix (p x p). LAPACK directly: scipy.linalg's checks cost more than the work here."""
    factor, info = la.lapack.dpotrf(matrix, lower=False, clean=True)
    if info != 0:
        raise DataError(
            "the fixed effects are not identifiable given the random effects (X'X minus its random-effects "
            "part is not positive definite); remove fixed effects that are constant within every group"
        )
    return factor


def solve_upper(R: np.ndarray, b: np.ndarray, transpose: bool = False) -> np.ndarray:
    """R^-1 b, or R^-T b, for upper-triangular R (LAPACK's trtrs: no copy of a Fortran-ordered R)."""
    if R.size == 0:
        return b
    x, _ = la.lapack.dtrtrs(R, b, lower=False, trans=1 if transpose else 0)
    return x
