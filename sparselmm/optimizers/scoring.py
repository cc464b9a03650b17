"""Newton steps with the average information (AI-REML's scoring): few evaluations where each is costly.

Each evaluation gives the criterion, its exact gradient and the average
information (:mod:`sparselmm.information`), a positive semi-definite Hessian
approximation that costs a few solves; near a REML optimum it is close to the
Hessian (1e-5 relative on the small reference fits, 3e-2 on InstEval), so the
steps converge nearly as Newton's do. A step solves AI d = -g, bounded parameters moving in
the log of their distance to the bound (see :class:`_Step`), no coordinate
further than MAX_STEP (in units of ``problem.scale``, where lme4's start is 1),
and is shortened until the criterion decreases (far from the optimum, where steps
fail now and then, a trial point's criterion is evaluated alone first and its
derivatives only where the step is taken). The fit stops when the decrease
the Newton step predicts, g'AI^-1 g / 2, is below ``ftol`` (lme4's ftol_abs,
1e-8, by default) or a step decreases the criterion by less than 1e-12 of it.

Measured against L-BFGS-B on the same models (optima equal to 1e-9 relative):
InstEval in 5 optimizer evaluations instead of 13, the 2e5-row crossed random
slopes in 7 instead of 23, the reference fits L-BFGS-B made in 255 evaluations
instead of 314 (convergence checks included). Steps in theta itself took 6 and
9 (a slope's sd thrown toward 0 by the first step climbed back over five).
With many parameters and a singular optimum it creeps: the 72-parameter Latin
square took hundreds of steps, so the default there stays L-BFGS-B
(:meth:`sparselmm.model.LinearMixedModel.default_optimizer`).
"""

from __future__ import annotations

import numpy as np

from .base import OptimizationProblem, OptimizeResult, Optimizer

MAX_STEP = 1.0  # no parameter moves further than this (in its units, where lme4's start is 1) in one step
NEAR_BOUND = 1e-3  # a parameter this close to its bound and pushed toward it goes onto the bound
TRIALS = 30  # shorter trial steps per iteration
FTOL_REL = 1e-12  # a step decreasing the criterion by less than this fraction ends the fit (L-BFGS-B's ftol)
FLOOR = 1e-10  # eigenvalues of the information below this fraction of its largest count as this
ARMIJO = 1e-4  # a step is taken when it decreases the criterion by this fraction of what its slope promises
# Where a step promises more than this decrease (far from the optimum, where the information's steps fail
# now and then), the criterion alone is evaluated first, its derivatives only if the step is taken: a refused
# step then costs a factorization instead of a whole evaluation, a taken one a repeated solve (crossed slopes:
# 45 ms saved on its one refused step, 3 ms spent on each of its four taken ones).
LOOK_FIRST = 1.0


class ScoringOptimizer(Optimizer):
    """Projected Newton steps on ``problem.objective_gradient_information``, shortened until they descend
    enough (Armijo). Only lower bounds shape the steps; an upper bound is enforced by clipping."""

    name = "scoring"
    uses_gradient = True

    def __init__(self, ftol: float = 1e-8, maxiter: int = 200):
        self.ftol, self.maxiter = ftol, maxiter

    def minimize(self, problem: OptimizationProblem) -> OptimizeResult:
        if problem.objective_gradient_information is None:
            raise ValueError("ScoringOptimizer needs a problem with objective_gradient_information")
        scale = np.ones(len(problem.x0)) if problem.scale is None else np.asarray(problem.scale, dtype=float)
        x = np.clip(np.asarray(problem.x0, dtype=float), problem.lower, problem.upper)
        value, gradient, information = problem.objective_gradient_information(x)
        evaluations = 1
        for _ in range(self.maxiter):
            if not np.all(np.isfinite(gradient)):
                return self._result(x, value, evaluations, False, "the gradient is not finite")
            scaled = gradient * scale, information * np.outer(scale, scale)
            room = (x - problem.lower) / scale
            step = _Step(*scaled, room, NEAR_BOUND)
            if step.predicted < self.ftol:
                if step.down_the_gradient:
                    return self._result(x, value, evaluations, False, "the information is not finite")
                return self._result(x, value, evaluations, True, "the predicted decrease is below ftol")
            length = 1.0
            for trial_number in range(TRIALS):
                trial = np.clip(step.point(x, problem.lower, scale, length), problem.lower, problem.upper)
                trial_value, trial_gradient, trial_information, taken = _evaluated(
                    problem, trial, value + ARMIJO * length * step.slope, step.predicted > LOOK_FIRST)
                evaluations += 1
                if taken:
                    break
                if trial_number == 0 and step.holds_off_bound:  # that bound was not it: Newton for all
                    step = _Step(*scaled, room, 0.0)
                else:
                    length = _shorter(length, value, step.slope, trial_value)
            else:
                return self._result(x, value, evaluations, False, "no decrease along the scoring step")
            decrease = value - trial_value
            x, value, gradient, information = trial, trial_value, trial_gradient, trial_information
            if decrease <= FTOL_REL * abs(value) and length == 1.0:
                return self._result(x, value, evaluations, True,
                                    "the last step decreased the criterion by less than 1e-12 of it")
        return self._result(x, value, evaluations, False, f"stopped after {self.maxiter} steps")

    def _result(self, x, value, evaluations, converged, message) -> OptimizeResult:
        return OptimizeResult(x=x, fun=float(value), nfev=evaluations, converged=converged, message=message,
                              optimizer=self.name)


class _Step:
    """The Newton step from one point, in the optimizer's units (``room``: each parameter's distance to its
    bound, infinite where it has none).

    A parameter clear of its bound moves in log(room): the criterion of a variance is far from quadratic in
    it near 0, and a step in its log cannot cross the bound (it shrinks the room by at most e^MAX_STEP, so a
    variance heading for 0 needs a few steps to come near). One within ``near`` of its bound, with the
    gradient pushing toward it, is held and goes onto the bound (Bertsekas' projected Newton: no geometric
    creep over the last stretch), as is one on its bound that Newton would push through it; the others,
    unbounded or on their bound, move in themselves. The step solves AI d = -g in these coordinates,
    shortened as one so that no coordinate moves further than MAX_STEP; where AI or that solve is not
    finite (hostile data), the step goes down the gradient instead.
    """

    def __init__(self, gradient: np.ndarray, information: np.ndarray, room: np.ndarray, near: float):
        self.room = room
        self.logged = np.isfinite(room) & (room > near)
        self.held = (room <= near) & (gradient > 0)
        self.holds_off_bound = bool(np.any(self.held & (room > 0)))
        jacobian = np.where(self.logged, room, 1.0)  # d(parameter) / d(coordinate)
        g, AI = gradient * jacobian, information * np.outer(jacobian, jacobian)
        while True:
            newton, self.down_the_gradient = _descent(g, AI, ~self.held)
            through = ~self.held & (room == 0) & (newton < 0)
            if not through.any():
                break
            self.held |= through
        with np.errstate(over="ignore"):
            self.predicted = float(-g @ newton) / 2.0 + float(gradient[self.held] @ room[self.held])
        longest = max(float(np.max(np.abs(newton), initial=0.0)), np.finfo(float).tiny)
        self.direction = newton * min(1.0, MAX_STEP / longest)
        self.slope = float(g @ self.direction - gradient[self.held] @ room[self.held])  # at length 0 (< 0)

    def point(self, x: np.ndarray, lower: np.ndarray, scale: np.ndarray, length: float) -> np.ndarray:
        """Where a step of ``length`` (1: the whole step) from x leads."""
        with np.errstate(invalid="ignore"):  # room is infinite for parameters without a bound
            logged = lower + self.room * np.exp(length * self.direction) * scale
            held = lower + self.room * (1.0 - length) * scale
        moved = np.where(self.logged, logged, x + length * self.direction * scale)
        return np.where(self.held, held, moved)


def _evaluated(problem: OptimizationProblem, trial: np.ndarray, enough: float, look_first: bool) -> tuple:
    """(value, gradient, information, whether the step is taken: value <= enough) at a trial point. Looking
    first, the criterion alone is evaluated, and its derivatives only for a step taken (None otherwise)."""
    if look_first:
        value = problem.objective(trial)
        if value > enough:
            return value, None, None, False
    value, gradient, information = problem.objective_gradient_information(trial)
    return value, gradient, information, value <= enough


def _descent(gradient: np.ndarray, information: np.ndarray, free: np.ndarray) -> tuple[np.ndarray, bool]:
    """(the Newton step over the free coordinates, False), or where the information or that step is not
    finite (hostile data) (the step down the gradient, True): -g, or unit steps downhill where g overflowed."""
    if np.all(np.isfinite(information)):
        newton = _newton(gradient, information, free)
        if newton is not None:
            return newton, False
    downhill = _newton(gradient, np.eye(len(gradient)), free)
    return (downhill if downhill is not None else np.where(free, -np.sign(gradient), 0.0)), True


def _newton(gradient: np.ndarray, information: np.ndarray, free: np.ndarray) -> np.ndarray | None:
    """-AI^-1 g over the free coordinates (0 elsewhere), AI's eigenvalues floored at FLOOR of the largest;
    None where that overflows."""
    values, vectors = np.linalg.eigh(information[np.ix_(free, free)])
    largest = max(float(np.max(np.abs(values), initial=0.0)), np.finfo(float).tiny)
    newton = np.zeros_like(gradient)
    with np.errstate(over="ignore", invalid="ignore"):
        newton[free] = -vectors @ ((vectors.T @ gradient[free]) / np.maximum(values, FLOOR * largest))
    return newton if np.all(np.isfinite(newton)) else None


def _shorter(length: float, value: float, slope: float, trial_value: float) -> float:
    """The next trial length after a failed one: the minimum of the quadratic through the criterion at 0 (with
    its slope) and at ``length``, kept within a tenth and a half of ``length``."""
    if not np.isfinite(trial_value):
        return length / 10.0
    curvature = (trial_value - value - slope * length) / length**2
    best = -slope / (2.0 * curvature) if curvature > 0 else length / 2.0
    return float(np.clip(best, length / 10.0, length / 2.0))
