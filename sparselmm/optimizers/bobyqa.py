"""The default optimizer: BOBYQA, the bounded derivative-free method lme4 uses by default.

lme4's ``nloptwrap`` runs NLopt's BOBYQA through nloptr with xtol_abs =
ftol_abs = 1e-8, at most 100,000 evaluations, and nloptr's default xtol_rel =
1e-4. We call the same NLopt routine with the same settings, so a fit follows
lme4's path and stops where lme4 stops, to the digits lme4 prints. Set
``xtol_rel=0`` to polish the optimum further.
"""

from __future__ import annotations

import nlopt

from .base import OptimizationProblem, OptimizeResult, Optimizer
from .nlopt_run import run_nlopt


class BobyqaOptimizer(Optimizer):
    """NLopt's BOBYQA with lme4's tolerances."""

    name = "bobyqa"

    def __init__(self, xtol_abs: float = 1e-8, ftol_abs: float = 1e-8, xtol_rel: float = 1e-4, maxeval: int = 100_000):
        self.xtol_abs = xtol_abs
        self.xtol_rel = xtol_rel
        self.ftol_abs = ftol_abs
        self.maxeval = maxeval

    def minimize(self, problem: OptimizationProblem) -> OptimizeResult:
        def configure(opt):
            opt.set_xtol_abs(self.xtol_abs)
            opt.set_ftol_abs(self.ftol_abs)
            opt.set_xtol_rel(self.xtol_rel)
            opt.set_maxeval(self.maxeval)

        return run_nlopt(nlopt.LN_BOBYQA, problem, self.name, configure)
