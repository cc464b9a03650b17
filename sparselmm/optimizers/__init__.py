"""Optimizers of the profiled criterion: BOBYQA (as lme4), Nelder-Mead (lme4's Nelder_Mead), L-BFGS-B (exact
gradients), the seed's alternating fit."""

from .alternating import AlternatingOptimizer
from .base import OptimizationProblem, OptimizeResult, Optimizer
from .bobyqa import BobyqaOptimizer
from .lbfgs import LbfgsOptimizer
from .nelder_mead import NelderMeadOptimizer

__all__ = ["Optimizer", "OptimizationProblem", "OptimizeResult", "BobyqaOptimizer", "LbfgsOptimizer",
           "AlternatingOptimizer", "NelderMeadOptimizer"]
