"""The default optimizer: BOBYQA, the bounded derivative-free method lme4 uses by default.

lme4's ``nloptwrap`` runs NLopt's BOBYQA through nloptr with xtol_abs =
ftol_abs = 1e-8, at most 100,000 evaluations, and nloptr's default xtol_rel =
1e-4. We call the same NLopt routine with the same settings, so a fit follows
lme4's path and stops where lme4 stops, to the digits lme4 prints. Set
``xtol_rel=0`` to polish the optimum further.
"""

from __future__ import annotations

import nlopt
import numpy as np

from .base import OptimizationProblem, OptimizeResult, Optimizer

_NLOPT_MESSAGES = {
    nlopt.SUCCESS: "success",
    nlopt.STOPVAL_REACHED: "stopval reached",
    nlopt.FTOL_REACHED: "ftol reached",
    nlopt.XTOL_REACHED: "xtol reached",
    nlopt.MAXEVAL_REACHED: "maximum number of evaluations reached",
    nlopt.MAXTIME_REACHED: "maximum time reached",
    nlopt.ROUNDOFF_LIMITED: "stopped by rounding errors: the criterion is flat",
}


class BobyqaOptimizer(Optimizer):
    """NLopt's BOBYQA with lme4's tolerances."""

    name = "bobyqa"

    def __init__(self, xtol_abs: float = 1e-8, ftol_abs: float = 1e-8, xtol_rel: float = 1e-4, maxeval: int = 100_000):
        self.xtol_abs = xtol_abs
        self.xtol_rel = xtol_rel
        self.ftol_abs = ftol_abs
        self.maxeval = maxeval

    def minimize(self, problem: OptimizationProblem) -> OptimizeResult:
        count, best = [0], [np.inf, np.asarray(problem.x0, dtype=float)]

        def objective(x, grad):
            count[0] += 1
            value = problem.objective(np.array(x))
            if value < best[0]:
                best[:] = [value, np.array(x)]
            return value

        opt = nlopt.opt(nlopt.LN_BOBYQA, len(problem.x0))
        opt.set_min_objective(objective)
        opt.set_lower_bounds(np.asarray(problem.lower, dtype=float))
        opt.set_upper_bounds(np.asarray(problem.upper, dtype=float))
        opt.set_xtol_abs(self.xtol_abs)
        opt.set_ftol_abs(self.ftol_abs)
        opt.set_xtol_rel(self.xtol_rel)
        opt.set_maxeval(self.maxeval)
        try:
            opt.optimize(np.asarray(problem.x0, dtype=float))
            code = opt.last_optimize_result()
        except nlopt.RoundoffLimited:  # the criterion is flat to rounding: keep the best point seen
            code = nlopt.ROUNDOFF_LIMITED
        return OptimizeResult(
            x=best[1],
            fun=float(best[0]),
            nfev=count[0],
            converged=code in (nlopt.SUCCESS, nlopt.FTOL_REACHED, nlopt.XTOL_REACHED),
            message=_NLOPT_MESSAGES.get(code, f"NLopt code {code}"),
            optimizer=self.name,
        )
