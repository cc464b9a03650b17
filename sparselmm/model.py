"""LinearMixedModel: a design, its cross-products and the profiled criterion as a function of theta."""

from __future__ import annotations

import time
from functools import cached_property

import numpy as np
import scipy.sparse as sp

from . import blocked
from ._threads import blas_threads
from .convergence import diagnose
from .covariance import CovarianceStructure
from .crossprod import CrossProducts, PenalizedSystem
from .design import Design, build_design
from .errors import DataError, SparseLMMError
from .inverse import SchurInverse
from .optimizers import BobyqaOptimizer, LbfgsOptimizer, OptimizationProblem, Optimizer
from .pls import PLSSolution, solve_pls
from .progress import Progress
from .solvers import CholmodSolver, Solver

BOUNDARY_TOL = 1e-5  # lme4's lmerControl(boundary.tol)
LARGE_NOBS = 10_000  # above this, scalar-term models are fitted with the exact gradient
EDGE_STEP = 1e-5  # lme4's step for the one-sided gradient at a bound (restart_edge)


class LinearMixedModel:
    """y = X beta + Z b + e with b = Lambda(theta) u, ready to fit.

    Built from a formula and a DataFrame (:meth:`from_formula`); the data enter
    only through their cross-products, computed here once.
    """

    def __init__(self, design: Design, crossprods: CrossProducts | None = None):
        self.design = design
        self.covariance = CovarianceStructure(design.terms)
        self.crossprods = crossprods or CrossProducts.from_arrays(design.Z, design.X, design.y)
        self.system = PenalizedSystem(self.crossprods, self.covariance)
        self._solver = None
        self._last = None  # (solver, PLSSolution) of the latest solve

    def __getstate__(self) -> dict:
        """Pickle without what is rebuilt on demand: the solver (a CHOLMOD factor cannot be
        pickled), the latest solution and the gradient's work arrays."""
        state = dict(self.__dict__)
        state["_solver"] = state["_last"] = None
        state.pop("_scalar_blocks", None)
        state.pop("_gradient_criterion", None)
        return state

    @classmethod
    def from_formula(cls, formula: str, data) -> "LinearMixedModel":
        """The model of an lme4 formula such as ``"y ~ x + (1 | g)"`` over a pandas DataFrame."""
        return cls(build_design(formula, data))

    @classmethod
    def from_chunks(cls, formula: str, source, levels: dict | None = None, read_options: dict | None = None):
        """The model of data handed over in chunks of rows (see :mod:`sparselmm.chunks`)."""
        from .chunks import from_chunks

        return from_chunks(formula, source, levels, read_options)

    def bind(self, solver: Solver | None = None) -> Solver:
        """Make ``solver`` (default: CHOLMOD) the one this model factors with, analysing A's pattern."""
        solver = (solver or CholmodSolver()).fresh()
        solver.analyze(self.system.pattern)
        self._solver, self._last = solver, None
        return solver

    @property
    def solver(self) -> Solver:
        """The solver this model factors with (CHOLMOD unless :meth:`bind` chose another)."""
        if self._solver is None:
            self.bind()
        return self._solver

    def solve(self, theta) -> PLSSolution:
        """The penalized least squares solution at ``theta`` (the solver then holds theta's factor).

        The last solution is kept: asking again for the same theta costs nothing.
        """
        theta = self._checked_theta(theta)
        solver = self.solver
        last = self._last
        if last is not None and last[0] is solver and np.array_equal(last[1].theta, theta):
            return last[1]
        try:
            with np.errstate(over="ignore", invalid="ignore"):  # huge theta: overflow is caught below
                solution = solve_pls(theta, self.crossprods, self.system, solver)
        except DataError as error:
            raise self._naming_the_model(str(error)) from error
        except np.linalg.LinAlgError as error:
            raise self._degenerate(theta) from error
        if not np.isfinite([solution.logdet_L, solution.r2, *solution.beta]).all():  # overflow at huge theta
            raise self._degenerate(theta)
        self._last = (solver, solution)
        return solution

    def _checked_theta(self, theta, what: str = "theta") -> np.ndarray:
        """theta as an array, or an error if it is not n_theta finite numbers."""
        theta = np.asarray(theta, dtype=float)
        if theta.shape != (self.covariance.n_theta,) or not np.isfinite(theta).all():
            names = ", ".join(self.covariance.names)
            raise SparseLMMError(
                f"{what} must be a vector of {self.covariance.n_theta} finite values ({names}), got {theta.tolist()}"
            )
        return theta

    def _naming_the_model(self, message: str) -> DataError:
        """``message`` with the model's fixed effects and grouping factors, so that the user can find them."""
        fixed = ", ".join(f"'{name}'" for name in self.design.fixef_names)
        groups = ", ".join(f"'{group}'" for group in dict.fromkeys(t.group for t in self.design.terms))
        return DataError(f"{message} (fixed effects: {fixed}; grouping factors: {groups})")

    def _degenerate(self, theta: np.ndarray) -> DataError:
        """A(theta) is positive definite in exact arithmetic; it fails only where theta is so large
        that the random effects reproduce the response and the identity is lost in rounding."""
        return self._naming_the_model(
            f"A(theta) = Lambda' Z'Z Lambda + I lost its positive definiteness in floating point at theta = "
            f"({', '.join(f'{t:.3g}' for t in theta)}): the random effects grew until they reproduce the response, "
            "so the criterion has no minimum. Remove random-effects columns that are the response or a function "
            "of it, or simplify the random effects"
        )

    def objective(self, theta, REML: bool = True) -> float:
        """The profiled REML criterion (or ML deviance) at ``theta``."""
        return self.solve(theta).objective(REML)

    def start(self) -> np.ndarray:
        """lme4's starting theta.

        With only scalar random intercepts, one term per grouping factor, lme4 starts
        from a moment estimate: the variance of each factor's group means relative to
        what remains of var(y). Otherwise, and when that remainder is not positive,
        every template starts as the identity.
        """
        terms, theta0 = self.design.terms, self.covariance.theta0
        if any(t.columns != ("(Intercept)",) for t in terms) or len({t.group for t in terms}) < len(terms):
            return theta0
        moments, n = self.crossprods.moments, self.crossprods.nobs
        counts = self.crossprods.ZtZ.diagonal()  # indicator columns: rows per level
        spread = moments.total**2 / n
        between, offset = [], 0
        for term in terms:
            sums = moments.Zty[offset:offset + term.m]
            between.append((np.sum(sums**2 / counts[offset:offset + term.m]) - spread) / (n - 1))
            offset += term.m
        within = (moments.squares - spread) / (n - 1) - sum(between)
        return np.sqrt(np.array(between) / within) if within > 0 else theta0

    def problem(self, REML: bool, log: list | None = None, watch=None) -> OptimizationProblem:
        """The optimisation problem over theta; ``log`` collects (theta, objective) per evaluation
        and ``watch(theta, objective)`` sees each one (progress reports)."""

        def seen(theta, value):
            if log is not None:
                log.append((np.array(theta), value))
            if watch is not None:
                watch(theta, value)
            return value

        def objective_given_beta(theta, beta):
            solution = self.solve(theta)
            return solution.objective(REML, r2=solution.r2_at(beta))

        def objective_and_gradient(theta):
            theta = self._checked_theta(theta)
            try:
                with np.errstate(over="ignore", invalid="ignore"):  # huge theta: overflow is caught below
                    value, gradient = self._gradient_criterion(theta, REML)
            except DataError as error:
                raise self._naming_the_model(str(error)) from error
            except np.linalg.LinAlgError as error:
                raise self._degenerate(theta) from error
            if not np.isfinite([value, *gradient]).all():  # overflow at huge theta
                raise self._degenerate(theta)
            return seen(theta, value), gradient

        return OptimizationProblem(
            objective=lambda theta: seen(theta, self.objective(theta, REML)),
            x0=self.start(),
            lower=self.covariance.lower,
            upper=self.covariance.upper,
            beta_given_theta=lambda theta: self.solve(theta).beta,
            objective_given_beta=objective_given_beta,
            objective_and_gradient=objective_and_gradient if self.has_gradient else None,
        )

    @property
    def has_gradient(self) -> bool:
        """Whether the criterion's exact gradient is available (every random-effects term scalar)."""
        return blocked.eligible(self.design, self.crossprods)

    @cached_property
    def _scalar_blocks(self) -> blocked.ScalarTermBlocks:
        return blocked.ScalarTermBlocks(self.design, self.crossprods)

    @cached_property
    def _gradient_criterion(self) -> blocked.ScalarTermCriterion:
        return blocked.ScalarTermCriterion(self._scalar_blocks, self.crossprods)

    def schur_inverse(self, theta) -> SchurInverse:
        """The parts of A^-1 at ``theta`` that the post-fit quantities need (:mod:`sparselmm.inverse`).

        Scalar-term models reuse the blocks of their gradient; others split the sparse A.
        """
        theta = self._checked_theta(theta)
        try:
            with np.errstate(over="ignore", invalid="ignore"):  # huge theta: overflow is caught below
                inverse = self._split_inverse(theta)
        except np.linalg.LinAlgError as error:
            raise self._inverse_fails(f"({error})") from error
        if not (np.isfinite(inverse.A11_inv).all() and np.isfinite(inverse.S_inv).all()):
            raise self._inverse_fails("(it overflows)")
        return inverse

    def _split_inverse(self, theta: np.ndarray) -> SchurInverse:
        if self.has_gradient:
            return self._scalar_blocks.inverse(theta)
        A = self.system.assemble(theta)
        first = self.design.terms[0]
        return SchurInverse.from_matrix(A + sp.tril(A, -1).T, first.k, first.m)

    def _inverse_fails(self, reason: str) -> SparseLMMError:
        return self._naming_the_model(
            f"A^-1 cannot be formed at this theta {reason}: the fit is degenerate; simplify the random effects "
            "(a term repeated, or more effects than the data support)"
        )

    def default_optimizer(self) -> Optimizer:
        """BOBYQA, lme4's optimiser and path, unless the data are large and the exact gradient is at hand.

        Above 10,000 observations (where lme4 itself skips its derivative checks) a
        scalar-term model is fitted by L-BFGS-B with the exact gradient: a fraction of
        the evaluations, and an optimum at least as good as lme4's (see blocked.MAX_DENSE
        for when the gradient is offered at all).
        """
        if self.has_gradient and self.crossprods.nobs > LARGE_NOBS:
            return LbfgsOptimizer()
        return BobyqaOptimizer()

    def fit(self, REML: bool = True, optimizer: Optimizer | None = None, solver: Solver | None = None,
            start=None, verbose: bool = False):
        """Fit by REML (default, as lmer) or ML; returns an :class:`~sparselmm.results.LmerResult`.

        ``verbose=True`` prints progress (evaluations, objective, elapsed time) to stderr;
        every evaluation's theta and objective are kept on the result as ``fit_log``.
        """
        from .results import LmerResult

        started = time.perf_counter()
        self.bind(solver)
        log = []
        progress = Progress() if verbose else None
        problem = self.problem(REML, log, progress)
        if start is not None:
            problem.x0 = self._checked_start(start)
        optimizer = optimizer or self.default_optimizer()
        result = optimizer.minimize(problem)
        if self._descends_from_edge(result.x, REML):
            problem.x0 = result.x
            result = optimizer.minimize(problem)
        if progress is not None:
            progress.finish(result.message)
        with blas_threads():  # one busy BLAS pool: scipy's may still spin after a blocked loop (see _threads)
            theta = self._snap_to_boundary(result.x, result.fun, REML)
            convergence = diagnose(lambda th: self.objective(th, REML), theta, self.objective(theta, REML), result,
                                   self.covariance.is_singular(theta), self.crossprods.nobs,
                                   time.perf_counter() - started)
            return LmerResult(self, self.solve(theta), REML, result, log, convergence)

    def _descends_from_edge(self, theta: np.ndarray, REML: bool) -> bool:
        """lme4's restart_edge: does a small step off a bound reduce the objective?"""
        at_bound = np.flatnonzero(theta == self.covariance.lower)
        if len(at_bound) == 0:
            return False
        base = self.objective(theta, REML)
        for i in at_bound:
            moved = theta.copy()
            moved[i] += EDGE_STEP
            if self.objective(moved, REML) < base:
                return True
        return False

    def _snap_to_boundary(self, theta: np.ndarray, value: float, REML: bool) -> np.ndarray:
        """lme4's check.boundary: move each near-zero bounded entry onto its bound if that lowers the objective."""
        lower = self.covariance.lower
        snapped = theta.copy()
        for i in np.flatnonzero((theta - lower > 0) & (theta - lower < BOUNDARY_TOL)):
            trial = snapped.copy()
            trial[i] = lower[i]
            if self.objective(trial, REML) < value:
                snapped[i] = lower[i]
        return snapped

    def _checked_start(self, start) -> np.ndarray:
        start = self._checked_theta(start, "start")
        below = [name for name, value, bound in zip(self.covariance.names, start, self.covariance.lower) if value < bound]
        if below:
            raise SparseLMMError(f"start must not be negative where theta is bounded by 0: {', '.join(below)}")
        return start

