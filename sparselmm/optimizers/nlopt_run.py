"""The one place an NLopt algorithm runs on a problem: evaluations counted, the best point kept (NLopt
may stop on rounding after it), NLopt's return codes said in words."""

from __future__ import annotations

from typing import Callable

import nlopt
import numpy as np

from .base import OptimizationProblem, OptimizeResult

NLOPT_MESSAGES = {
    nlopt.SUCCESS: "success",
    nlopt.STOPVAL_REACHED: "stopval reached",
    nlopt.FTOL_REACHED: "ftol reached",
    nlopt.XTOL_REACHED: "xtol reached",
    nlopt.MAXEVAL_REACHED: "maximum number of evaluations reached",
    nlopt.MAXTIME_REACHED: "maximum time reached",
    nlopt.ROUNDOFF_LIMITED: "stopped by rounding errors: the criterion is flat",
}
CONVERGED = (nlopt.SUCCESS, nlopt.FTOL_REACHED, nlopt.XTOL_REACHED)


def run_nlopt(algorithm: int, problem: OptimizationProblem, name: str, configure: Callable[[nlopt.opt], None],
              converged: tuple = CONVERGED) -> OptimizeResult:
    """Minimize ``problem.objective`` within its bounds by NLopt's ``algorithm``, its stopping rules set by
    ``configure(opt)``; the result is the best point evaluated, converged where NLopt's code is in ``converged``."""
    count, best = [0], [np.inf, np.asarray(problem.x0, dtype=float)]

    def objective(x, grad):
        count[0] += 1
        value = problem.objective(np.array(x))
        if value < best[0]:
            best[:] = [value, np.array(x)]
        return value

    opt = nlopt.opt(algorithm, len(problem.x0))
    opt.set_min_objective(objective)
    opt.set_lower_bounds(np.asarray(problem.lower, dtype=float))
    opt.set_upper_bounds(np.asarray(problem.upper, dtype=float))
    configure(opt)
    try:
        opt.optimize(np.asarray(problem.x0, dtype=float))
        code = opt.last_optimize_result()
    except nlopt.RoundoffLimited:  # the criterion is flat to rounding: keep the best point seen
        code = nlopt.ROUNDOFF_LIMITED
    return OptimizeResult(x=best[1], fun=float(best[0]), nfev=count[0], converged=code in converged,
                          message=NLOPT_MESSAGES.get(code, f"NLopt code {code}"), optimizer=name)
