"""The Optimizer interface: minimise a function of theta within bounds.

An optimizer sees an :class:`OptimizationProblem` only: the objective, a
start and bounds, plus two optional pieces some algorithms use (the GLS
estimate of beta at a given theta, and the objective with beta held fixed).
Where the model has its gradient in closed form, the problem carries it too.
It knows nothing of formulas, designs or factorizations.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np


@dataclass
class OptimizationProblem:
    objective: Callable[[np.ndarray], float]
    x0: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    beta_given_theta: Optional[Callable[[np.ndarray], np.ndarray]] = None
    objective_given_beta: Optional[Callable[[np.ndarray, np.ndarray], float]] = None
    objective_and_gradient: Optional[Callable[[np.ndarray], tuple]] = None  # (value, gradient) where exact
    # (value, gradient, average information (t, t)) where the gradient is exact
    objective_gradient_information: Optional[Callable[[np.ndarray], tuple]] = None
    # the gradient at x exact at least in its entries j, j + 1, ... (j given): a Hessian column's differences
    gradient_from: Optional[Callable[[np.ndarray, int], np.ndarray]] = None
    scale: Optional[np.ndarray] = None  # each parameter's typical size, for optimizers that rescale (None: 1)


@dataclass
class OptimizeResult:
    x: np.ndarray
    fun: float
    nfev: int
    converged: bool
    message: str
    optimizer: str
    history: list = field(default_factory=list)


class Optimizer(ABC):
    name = "optimizer"
    uses_gradient = False  # whether it steers by problem.objective_and_gradient

    @abstractmethod
    def minimize(self, problem: OptimizationProblem) -> OptimizeResult:
        """Minimise ``problem.objective`` over the box [lower, upper]."""
