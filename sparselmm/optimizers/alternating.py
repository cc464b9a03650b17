"""The seed's alternating fit, in general form.

Hold beta fixed and minimise over the variance parameters; then update beta
by generalised least squares at the new variance parameters; repeat until
neither moves. The function minimised at fixed beta is the criterion with
the penalized RSS evaluated at that beta; its minimum over beta is the
profiled criterion, so the fixed point of the alternation is the optimum
of the profiled fit (ML or REML), reached by block coordinate descent.
"""

from __future__ import annotations

import numpy as np

from .base import OptimizationProblem, OptimizeResult, Optimizer
from .bobyqa import BobyqaOptimizer


class AlternatingOptimizer(Optimizer):
    """GLS for beta, then theta at fixed beta, repeated.

    ``callback(iteration, theta, beta, objective)`` is called after each round;
    ``tol`` bounds the largest change of theta and (relative) of beta at convergence.
    """

    name = "alternating"

    def __init__(self, tol: float = 1e-7, max_iter: int = 500, inner: Optimizer | None = None, callback=None):
        self.tol = tol
        self.max_iter = max_iter
        self.inner = inner or BobyqaOptimizer(xtol_abs=1e-10, ftol_abs=1e-12, xtol_rel=0.0)
        self.callback = callback

    def minimize(self, problem: OptimizationProblem) -> OptimizeResult:
        if problem.beta_given_theta is None or problem.objective_given_beta is None:
            raise ValueError("the alternating optimizer needs beta_given_theta and objective_given_beta")
        theta = np.asarray(problem.x0, dtype=float)
        beta = problem.beta_given_theta(theta)
        nfev, history = 0, []
        for iteration in range(1, self.max_iter + 1):
            step = self.inner.minimize(self._at_fixed_beta(problem, beta, theta))
            nfev += step.nfev
            new_beta = problem.beta_given_theta(step.x)
            change = max(np.max(np.abs(step.x - theta)), np.max(np.abs(new_beta - beta) / (1.0 + np.abs(beta))))
            theta, beta = step.x, new_beta
            value = problem.objective(theta)
            history.append((iteration, theta.copy(), beta.copy(), value))
            if self.callback is not None:
                self.callback(iteration, theta, beta, value)
            if change < self.tol:
                return OptimizeResult(theta, value, nfev, True, f"converged after {iteration} rounds", self.name, history)
        return OptimizeResult(theta, problem.objective(theta), nfev, False,
                              f"no convergence in {self.max_iter} rounds", self.name, history)

    @staticmethod
    def _at_fixed_beta(problem: OptimizationProblem, beta: np.ndarray, start: np.ndarray) -> OptimizationProblem:
        return OptimizationProblem(lambda theta: problem.objective_given_beta(theta, beta), start, problem.lower, problem.upper)
