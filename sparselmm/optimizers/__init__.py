"""Optimizers of the profiled criterion: BOBYQA (as lme4), L-BFGS-B (exact gradients), the seed's alternating fit."""

from .alternating import AlternatingOptimizer
from .base import OptimizationProblem, OptimizeResult, Optimizer
from .bobyqa import BobyqaOptimizer
from .lbfgs import LbfgsOptimizer

__all__ = ["Optimizer", "OptimizationProblem", "OptimizeResult", "BobyqaOptimizer", "LbfgsOptimizer",
           "AlternatingOptimizer"]
