"""A fit from start to record: optimize theta, finish what the optimizer left, check as lme4 checks.

    1. the optimizer (BOBYQA on lme4's path, or scoring or L-BFGS-B on the exact gradient) from lme4's start;
    2. lme4's restart_edge (a bound that a small step off descends from: optimize again from there)
       and check.boundary (near-zero entries onto their bound where that is no worse);
    3. lme4's convergence checks (skipped for singular fits, as lme4 does);
    4. where the gradient check fails: Newton steps inside the bounds, then a restart of
       the optimizer from the best point; a warning remains only if it still fails.

Everything that happened is written into one :class:`~sparselmm.optsummary.OptSummary`.
"""

from __future__ import annotations

import time
import warnings

import numpy as np

from . import convergence
from .errors import ConvergenceWarning, SparseLMMError
from .optsummary import OptSummary
from .progress import Progress
from .results import LmerResult

BOUNDARY_TOL = 1e-5  # lme4's lmerControl(boundary.tol)
EDGE_STEP = 1e-5  # lme4's step for the one-sided gradient at a bound (restart_edge)
GRADIENT_EDGE_STEPS = (EDGE_STEP, 1e-2)  # the steps off a bound tried after a gradient optimizer


def fit_model(model, REML: bool, optimizer=None, solver=None, start=None, verbose: bool = False):
    """Fit ``model`` (see the module's steps); returns an :class:`~sparselmm.results.LmerResult`."""
    started = time.perf_counter()
    if solver is not None:
        model.bind(solver)
    criterion = model.criterion(REML)
    log = []
    progress = verbose if isinstance(verbose, Progress) else Progress() if verbose else None  # lmer's clock
    problem = model.problem(criterion, log, progress)
    optimizer = optimizer or model.default_optimizer()
    problem.x0, started_from = _starting_theta(model, problem, start, optimizer)
    summary = OptSummary(REML, criterion.solver.name, optimizer.name, np.array(problem.x0, dtype=float),
                         model.covariance.names, started_from=started_from, evaluation_log=log)
    result = optimizer.minimize(problem)
    summary.evaluations = result.nfev
    restart = _edge_restart(problem, result.x, optimizer)
    if restart is not None:
        problem.x0 = restart
        result = optimizer.minimize(problem)
        summary.evaluations += result.nfev
        summary.tried.append("restarted from the bound that a step off descends from (lme4's restart_edge)")
    summary.returnvalue, summary.optimizer_converged = result.message, result.converged
    theta = _snap_to_boundary(problem, result.x, result.fun)
    theta = _check_and_finish(model, problem, optimizer, summary, theta)
    if progress is not None:
        progress.finish(summary.returnvalue)
    solution, u, K = criterion.solved(theta)
    summary.final, summary.fmin = theta, criterion.value(solution)
    summary.seconds = time.perf_counter() - started
    for message in summary.warnings:
        warnings.warn(message, ConvergenceWarning, stacklevel=4)
    return LmerResult(model, model.release_solver(), solution, u, K, summary)


def result_at(model, theta: np.ndarray, REML: bool):
    """The result at a given theta: the PLS solution there, and a record saying theta was given."""
    criterion = model.criterion(REML)
    solution = model.guarded(lambda: criterion.solution(theta), theta)
    u, K = criterion.random_effects(solution)
    summary = OptSummary(REML, criterion.solver.name, "none", theta.copy(), model.covariance.names, final=theta.copy(),
                         fmin=criterion.value(solution), returnvalue="theta given", optimizer_converged=True)
    return LmerResult(model, model.release_solver(), solution, u, K, summary)


def _starting_theta(model, problem, start, optimizer):
    """(theta, where it came from): the caller's start, or lme4's; for an optimizer that works in units of the
    problem's scale, lme4's start in those units (identity templates of the scaled columns)."""
    if start is not None:
        return _checked_start(model, start), "the start given"
    if optimizer.uses_gradient and problem.scale is not None and not np.allclose(problem.scale, 1.0):
        return problem.x0 * problem.scale, "lme4's start in units of the random-effects columns' scales"
    return problem.x0, "lme4's start"


def _check_and_finish(model, problem, optimizer, summary: OptSummary, theta: np.ndarray) -> np.ndarray:
    """lme4's checks at theta; where the gradient check fails, finish the fit (Newton, then a restart). A
    gradient optimizer's fit is always finished by Newton steps (with the check's Hessian) until the predicted
    decrease is below lme4's ftol_abs: where L-BFGS-B creeps, one or two such steps end the fit."""
    if model.covariance.is_singular(theta):
        if not summary.optimizer_converged:
            summary.warnings.append(f"convergence failure: the optimizer stopped with '{summary.returnvalue}'")
        return theta
    value, gradient, hessian = _derivatives(problem, theta)
    unfinished = convergence.gradient_messages(gradient, hessian) or optimizer.uses_gradient
    if unfinished and problem.objective_and_gradient is not None:
        theta, value, gradient, hessian = _newton(problem, summary, theta, value, gradient, hessian)
    if convergence.gradient_messages(gradient, hessian):
        theta, value, gradient, hessian = _restart(problem, optimizer, summary, theta, value, gradient, hessian)
    summary.gradient, summary.hessian = gradient, hessian
    summary.scaled_gradient = convergence.scaled_gradient(gradient, hessian)
    messages = convergence.gradient_messages(gradient, hessian)
    if messages and summary.tried:
        messages = [f"{messages[0]}, after {'; '.join(summary.tried)}"]
    if messages and not summary.optimizer_converged:
        messages.insert(0, f"convergence failure: the optimizer stopped with '{summary.returnvalue}'")
    summary.warnings += messages + convergence.hessian_messages(hessian)
    return theta


def _derivatives(problem, theta: np.ndarray):
    """(value, gradient, Hessian) at theta: exact gradient and its central differences, or lme4's deriv12."""
    if problem.objective_and_gradient is not None:
        value, gradient = problem.objective_and_gradient(theta)
        return value, gradient, convergence.hessian_of(lambda x: problem.objective_and_gradient(x)[1], theta,
                                                       gradient, gradient_from=problem.gradient_from)
    value = problem.objective(theta)
    gradient, hessian = convergence.derivatives(problem.objective, theta, value)
    return value, gradient, hessian


def _newton(problem, summary: OptSummary, theta, value, gradient, hessian):
    passes = lambda g, H: not convergence.gradient_messages(g, H)  # noqa: E731
    theta, value, gradient, hessian, steps = convergence.newton_polish(
        problem.objective_and_gradient, lambda x: problem.objective_and_gradient(x)[1], theta, value, gradient,
        hessian, problem.lower, passes)
    if steps:
        summary.tried.append(f"{steps} Newton step{'s' if steps > 1 else ''} inside the bounds")
    return theta, value, gradient, hessian


def _restart(problem, optimizer, summary: OptSummary, theta, value, gradient, hessian):
    """The optimizer again, with its own settings, from the best point."""
    problem.x0 = theta
    result = optimizer.minimize(problem)
    summary.evaluations += result.nfev
    summary.tried.append(f"a restart of {optimizer.name} from the best point ({result.message})")
    if result.fun < value:
        theta = result.x
        value, gradient, hessian = _derivatives(problem, theta)
        summary.optimizer_converged = summary.optimizer_converged or result.converged
    return theta, value, gradient, hessian


def _edge_restart(problem, theta: np.ndarray, optimizer) -> np.ndarray | None:
    """lme4's restart_edge: where a small step off a bound reduces the objective, the point to optimize
    again from (None where no such step does).

    lme4 restarts from theta itself. A gradient optimizer cannot leave a template's diagonal entry at 0
    from there: the criterion is even in that entry, so its derivative vanishes on the bound even where
    moving off descends (a saddle), and a descent of second order may hide below rounding at lme4's
    step. It restarts from the best of two steps off (lme4's and a larger one, in the units the gradient
    optimizer works in: ``problem.scale``) instead.
    """
    scale = np.ones(len(theta)) if problem.scale is None or not optimizer.uses_gradient else problem.scale
    near = BOUNDARY_TOL * scale if optimizer.uses_gradient else 0.0  # it approaches a bound without landing
    at_bound = np.flatnonzero(theta - problem.lower <= near)
    if len(at_bound) == 0:
        return None
    base = problem.objective(theta)
    steps = GRADIENT_EDGE_STEPS if optimizer.uses_gradient else (EDGE_STEP,)
    restart = theta.copy()
    for i in at_bound:
        steps_i = [step * scale[i] for step in steps]
        values = [problem.objective(_moved(theta, i, step)) for step in steps_i]
        if min(values) < base:
            if not optimizer.uses_gradient:
                return theta
            restart[i] = theta[i] + steps_i[int(np.argmin(values))]
    return None if np.array_equal(restart, theta) else restart


def _moved(theta: np.ndarray, i: int, step: float) -> np.ndarray:
    moved = theta.copy()
    moved[i] += step
    return moved


def _snap_to_boundary(problem, theta: np.ndarray, value: float) -> np.ndarray:
    """lme4's check.boundary: move each near-zero bounded entry onto its bound if that lowers the objective."""
    lower = problem.lower
    snapped = theta.copy()
    for i in np.flatnonzero((theta - lower > 0) & (theta - lower < BOUNDARY_TOL)):
        trial = snapped.copy()
        trial[i] = lower[i]
        if problem.objective(trial) < value:
            snapped[i] = lower[i]
    return snapped


def _checked_start(model, start) -> np.ndarray:
    start = model.checked_theta(start, "start")
    below = [name for name, value, bound in zip(model.covariance.names, start, model.covariance.lower) if value < bound]
    if below:
        raise SparseLMMError(f"start must not be negative where theta is bounded by 0: {', '.join(below)}")
    return start
