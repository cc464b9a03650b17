"""Nelder-Mead within bounds: lme4's ``Nelder_Mead`` optimizer, on NLopt's implementation.

lme4's own Nelder-Mead (``lmerControl(optimizer = "Nelder_Mead")``, lme4's default before
1.1-0) stops at FtolAbs = 1e-5, FtolRel = 1e-15, XtolRel = 1e-7 or 10,000 evaluations, from
initial steps of 0.02 per parameter. NLopt's ``LN_NELDERMEAD`` (Box's bounded variant) is run
with those settings; it is also what lme4's allFit calls ``nloptwrap.NLOPT_LN_NELDERMEAD``. Its
paths differ from lme4's C++ simplex, so a fit ends at the same optimum, not the same digits;
the fit's finishing steps (sparselmm.fitting) then polish it as they do any optimizer's end.
"""

from __future__ import annotations

import nlopt
import numpy as np

from .base import OptimizationProblem, OptimizeResult, Optimizer
from .nlopt_run import run_nlopt


class NelderMeadOptimizer(Optimizer):
    """NLopt's Nelder-Mead with lme4's Nelder_Mead tolerances."""

    name = "nelder_mead"

    def __init__(self, ftol_abs: float = 1e-5, ftol_rel: float = 1e-15, xtol_rel: float = 1e-7,
                 maxeval: int = 10_000, initial_step: float = 0.02):
        self.ftol_abs, self.ftol_rel, self.xtol_rel = ftol_abs, ftol_rel, xtol_rel
        self.maxeval, self.initial_step = maxeval, initial_step

    def minimize(self, problem: OptimizationProblem) -> OptimizeResult:
        def configure(opt):
            opt.set_ftol_abs(self.ftol_abs)
            opt.set_ftol_rel(self.ftol_rel)
            opt.set_xtol_rel(self.xtol_rel)
            opt.set_maxeval(self.maxeval)
            opt.set_initial_step(np.full(len(problem.x0), self.initial_step))

        return run_nlopt(nlopt.LN_NELDERMEAD, problem, self.name, configure)
