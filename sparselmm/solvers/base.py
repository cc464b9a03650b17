"""The Solver interface: A(theta) = Lambda' Z'Z Lambda + I, factored at one theta at a time.

Every evaluation of the criterion happens behind this interface. A solver is
created with its settings only (``CholmodSolver(ordering="amd")``); a model
``bind``s it to its cross-products and covariance structure, which analyses the
structure once and returns a new, bound solver. Then, for each theta,

    solver.with_products(cp) the same structure with new values of Z'Z (a GLMM's Z'WZ)
    solver.update(theta)      factor A(theta) = L L' (with a fill-reducing permutation P)
    solver.logdet()           log |A|
    solver.solve_L(B)         L^-1 P B            (B of shape (q, r))
    solver.solve_Lt(C)        P' L^-T C
    solver.logdet_gradient()  per term t, the k x k matrix sum_j (A^-1 Lambda' Z'Z)_jj over
                              its levels j: d log|A| / d T_t[a, b] = 2 times its entry [b, a]
    solver.inverse()          the parts of A^-1 the post-fit quantities need

``logdet_gradient`` and ``inverse`` may spend the factor (reuse its memory for
A^-1): solve first, then ask for them. Implementations: ``BlockedSolver`` (the
first term's blocks, then the later terms dense, as MixedModels.jl), the default
wherever the later terms fit in memory; ``CholmodSolver`` (sparse, for later terms
too wide to hold dense); ``DenseSolver`` (tiny models and cross-checks).
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from .._threads import blas_threads


class Solver(ABC):
    """Factor A(theta) and solve with its Cholesky factor."""

    name = "solver"

    def __init__(self):
        self.theta = None
        self._spent = False

    @abstractmethod
    def bind(self, crossprods, covariance) -> "Solver":
        """A new solver with these settings, analysed for one model's structure."""

    @abstractmethod
    def with_products(self, crossprods) -> "Solver":
        """A bound solver for new values of Z'Z on this one's pattern (what a GLMM's PIRLS steps need: Z'WZ
        with new weights), reusing what the structure allows."""

    def update(self, theta: np.ndarray) -> "Solver":
        """Factor A at ``theta`` (MixedModels.jl's updateL!); returns the solver. A factorization that fails
        leaves no factor (nothing to solve with, and :meth:`holds` no theta)."""
        theta = np.array(theta, dtype=float)
        self.theta = None
        self._factor(theta)
        self.theta, self._spent = theta, False
        return self

    @abstractmethod
    def _factor(self, theta: np.ndarray) -> None:
        """The numeric factorization at theta."""

    @abstractmethod
    def logdet(self) -> float:
        """log |A| = log |L|^2."""

    @abstractmethod
    def solve_L(self, B: np.ndarray) -> np.ndarray:
        """L^-1 P B for B of shape (q, r)."""

    @abstractmethod
    def solve_Lt(self, C: np.ndarray) -> np.ndarray:
        """P' L^-T C for C of shape (q, r)."""

    def threads(self):
        """The BLAS thread context an evaluation on this solver runs in: by default one thread for every pool,
        which is never far from the fastest and never the hundredfold slowdown of threads that wait for a core
        another process holds (see sparselmm._threads)."""
        return blas_threads(lapack=False)

    def solve(self, B: np.ndarray) -> np.ndarray:
        """A^-1 B."""
        return self.solve_Lt(self.solve_L(B))

    @property
    def has_gradient(self) -> bool:
        """Whether :meth:`logdet_gradient` is available."""
        return True

    @abstractmethod
    def logdet_gradient(self, skip_first: bool = False) -> list[np.ndarray]:
        """Per term, sum over its levels of the k x k diagonal blocks of A^-1 Lambda' Z'Z (may spend the factor).
        ``skip_first``: the first term's block is not needed (a solver may then return None for it)."""

    @abstractmethod
    def inverse(self):
        """The parts of A^-1 at the current theta that post-fit quantities need (may spend the factor)."""

    def holds(self, theta) -> bool:
        """Whether the solver holds an unspent factor at ``theta``."""
        return self.theta is not None and not self._spent and np.array_equal(self.theta, theta)

    def _require_factor(self) -> None:
        if self.theta is None:
            raise RuntimeError("update(theta) first: no factor yet")
        if self._spent:
            raise RuntimeError("this factor's memory now holds A^-1 (logdet_gradient or inverse); update again")
