"""LinearMixedModel: a design, its cross-products, its covariance structure and the solver that factors A(theta)."""

from __future__ import annotations

from contextlib import nullcontext

import numpy as np

from ._threads import blas_threads
from .chunks import from_chunks
from .control import as_control
from .covariance import CovarianceStructure, lower_triangle
from .criterion import ProfiledCriterion
from .crossprod import CrossProducts
from .data import as_data_frame
from .design import Design, build_design
from .distributed import from_dask
from .errors import DataError, SparseLMMError
from .fitting import fit_model, result_at
from .optimizers import BobyqaOptimizer, LbfgsOptimizer, OptimizationProblem, Optimizer, ScoringOptimizer
from .rows import check_na_action
from .solvers import BlockedSolver, CholmodSolver, Solver

# The exact gradient pays over BOBYQA for large data or many parameters. Below both, BOBYQA
# follows lme4's path and stops where lme4 stops, to the digits lme4 prints.
GRADIENT_NOBS = 10_000
GRADIENT_THETA = 6
SCORING_THETA = 24
# Random-effects columns whose root mean square is within this factor of 1 keep theta in its own units.
UNIT_SCALE = 10.0


class LinearMixedModel:
    """y = X beta + Z b + e with b = Lambda(theta) u, ready to fit.

    Built from a formula and a DataFrame (:meth:`from_formula`) or from chunks of
    rows (:meth:`from_chunks`); the data enter only through their cross-products.
    """

    def __init__(self, design: Design, crossprods: CrossProducts | None = None):
        self.design = design
        self.covariance = CovarianceStructure(design.terms)
        with blas_threads(lapack=False):  # n-length products: memory-bound, and robust on a busy machine
            self.crossprods = crossprods or CrossProducts.from_rows(design.coded, design.terms)
        self._solver = None  # the bound solver evaluations run on

    def __getstate__(self) -> dict:
        """Pickle without the bound solver (a CHOLMOD factor cannot be pickled; it is rebuilt on demand)."""
        state = dict(self.__dict__)
        state["_solver"] = None
        return state

    @classmethod
    def from_formula(cls, formula: str, data, weights=None, offset=None, contrasts=None, subset=None,
                     na_action: str = "omit", control=None, progress=None) -> "LinearMixedModel":
        """The model of an lme4 formula such as ``"y ~ x + (1 | g)"`` over a data frame.

        ``weights`` (prior weights: the residual variance of row i is sigma^2 / w_i) and ``offset`` (added to
        the linear predictor) are a column's name or one value per row, as lmer's arguments; so are
        ``contrasts``, ``subset``, ``na_action`` and ``control`` (see :func:`sparselmm.lmer`). ``progress``
        (a :class:`~sparselmm.progress.Progress`) reports the set-up's stages as they run.
        """
        data = as_data_frame(data)
        control = as_control(control)
        with blas_threads(lapack=False), _stage(progress, f"coding the design of {len(data):,} rows"):
            design = build_design(formula, data, weights, offset, contrasts, subset, control,
                                  check_na_action(na_action))
        q = sum(term.q for term in design.terms)
        with blas_threads(lapack=False), _stage(progress, f"cross-products of {design.nobs:,} rows, "
                                                          f"{len(design.fixef_names)} fixed and {q:,} random effects"):
            crossprods = CrossProducts.from_rows(design.coded, design.terms)
        return cls(design, crossprods)

    @classmethod
    def from_chunks(cls, formula: str, source, levels: dict | None = None, read_options: dict | None = None,
                    weights: str | None = None, offset: str | None = None, verbose: bool = False):
        """The model of data handed over in chunks of rows (see :mod:`sparselmm.chunks`); ``verbose`` shows
        each pass over the chunks with a tqdm bar."""
        design, crossprods = from_chunks(formula, source, levels, read_options, weights, offset, verbose)
        return cls(design, crossprods)

    @classmethod
    def from_dask(cls, formula: str, ddf, weights: str | None = None, offset: str | None = None):
        """The model of a Dask DataFrame, its cross-products summed where the partitions live (see
        :mod:`sparselmm.distributed`); ``weights`` and ``offset`` name columns."""
        design, crossprods = from_dask(formula, ddf, weights, offset)
        return cls(design, crossprods)

    # ------------------------------------------------------------ solver and criterion
    def default_solver(self) -> Solver:
        """The blocked factor wherever the later terms fit in memory, CHOLMOD otherwise."""
        blocked = BlockedSolver()
        return blocked if blocked.fits(self.crossprods, self.covariance) else CholmodSolver()

    def bind(self, solver: Solver | None = None) -> Solver:
        """Make ``solver`` (default: :meth:`default_solver`) the one this model factors with."""
        self._solver = (solver or self.default_solver()).bind(self.crossprods, self.covariance)
        return self._solver

    def adopt(self, solver: Solver) -> None:
        """Factor with a solver already bound to this model's structure (the same Z'Z and terms: a refit with
        another response, or by ML), so that its analysis is not repeated."""
        self._solver = solver

    @property
    def solver(self) -> Solver:
        """The bound solver evaluations run on (bound on first use)."""
        if self._solver is None:
            self.bind()
        return self._solver

    def release_solver(self) -> Solver:
        """Hand the bound solver (and the factor it holds) to the caller; the model binds anew when needed."""
        solver, self._solver = self.solver, None
        return solver

    def criterion(self, REML: bool = True) -> ProfiledCriterion:
        """The REML criterion (or ML deviance) on the bound solver."""
        return ProfiledCriterion(self.crossprods, self.covariance, self.solver, REML)

    def objective(self, theta, REML: bool = True) -> float:
        """The profiled REML criterion (or ML deviance) at ``theta``."""
        criterion = self.criterion(REML)
        return self.guarded(lambda: criterion.objective(self.checked_theta(theta)), theta)

    def solve(self, theta, REML: bool = True):
        """The penalized least squares solution at ``theta`` (a :class:`~sparselmm.pls.PLSSolution`)."""
        criterion = self.criterion(REML)
        return self.guarded(lambda: criterion.solution(self.checked_theta(theta)), theta)

    # ------------------------------------------------------------ the optimisation problem
    def problem(self, criterion: ProfiledCriterion, log: list | None = None, watch=None) -> OptimizationProblem:
        """The optimisation problem over theta; ``log`` collects (theta, criterion) per evaluation
        and ``watch(theta, value)`` sees each one (progress reports)."""

        def seen(theta, value):
            if log is not None:
                log.append((np.array(theta), value))
            if watch is not None:
                watch(theta, value)
            return value

        last = {}  # the latest evaluation, by theta: the end of a fit asks for it again (checks, bounds)
        evaluations = (criterion.objective, criterion.value_and_gradient, criterion.value_gradient_information)

        def evaluated(theta, parts: int) -> tuple:
            """(value, gradient, information) at theta, the first ``parts`` of them computed (1 to 3), or
            more where the latest evaluation was at theta; each theta is seen once (asking for more parts at
            the latest theta completes its evaluation, on the factor the solver still holds)."""
            key = np.asarray(theta, dtype=float).tobytes()
            if key not in last or last[key][parts - 1] is None:
                fresh = key not in last
                result = self.guarded(lambda: evaluations[parts - 1](theta), theta)
                result = (result,) if parts == 1 else result
                last.clear()
                last[key] = (seen(theta, result[0]) if fresh else result[0], *result[1:], *(None,) * (3 - parts))
            return last[key]

        def objective(theta):
            return evaluated(theta, 1)[0]

        def objective_and_gradient(theta):
            value, gradient, _ = evaluated(theta, 2)
            return value, gradient.copy()

        def objective_gradient_information(theta):
            value, gradient, information = evaluated(theta, 3)
            return value, gradient.copy(), information.copy()

        def gradient_from(theta, first: int):
            """The gradient at theta, exact at least in entries first, first + 1, ...: where those are all later
            terms' parameters, without the first term's derivatives (NaN there). Seen, not kept."""
            start = self.covariance.offsets[1]  # n_theta for a single term: every entry is the first term's
            if first < start:
                return objective_and_gradient(theta)[1]

            def later_entries():
                value, gradient = criterion.value_and_gradient(theta, skip_first=True)
                return value, gradient[start:]

            value, later = self.guarded(later_entries, theta)
            seen(theta, value)
            return np.concatenate([np.full(start, np.nan), later])

        def objective_given_beta(theta, beta):
            solution = self.guarded(lambda: criterion.solution(theta), theta)
            return solution.objective(criterion.REML, r2=solution.r2_at(beta))

        return OptimizationProblem(
            objective=objective,
            x0=self.start(),
            lower=self.covariance.lower,
            upper=self.covariance.upper,
            beta_given_theta=lambda theta: self.guarded(lambda: criterion.solution(theta), theta).beta,
            objective_given_beta=objective_given_beta,
            objective_and_gradient=objective_and_gradient if criterion.solver.has_gradient else None,
            objective_gradient_information=objective_gradient_information if criterion.solver.has_gradient else None,
            gradient_from=gradient_from if criterion.solver.has_gradient else None,
            scale=self.theta_scale(),
        )

    def theta_scale(self) -> np.ndarray:
        """Each theta entry's typical size: 1 / the root mean square of its template row's column of Z where
        that is far from 1 (a relative sd on a covariate in the thousands is in the thousandths), else 1:
        lme4's start (identity templates) and the gradient optimizer's unit steps suit columns of unit scale
        (measured: rescaling 0/1 dummies too led L-BFGS-B to a worse optimum of the 72-parameter Latin square)."""
        diagonal, nobs = self.crossprods.ZtZ.diagonal(), max(self.crossprods.nobs, 1)
        scales, start = [], 0
        for term in self.covariance.terms:
            squares = diagonal[start:start + term.q].reshape(term.m, term.k).sum(axis=0)
            rms = np.sqrt(squares / nobs)
            far = (rms > UNIT_SCALE) | ((rms > 0) & (rms < 1.0 / UNIT_SCALE))
            scales += [1.0 / rms[i] if far[i] else 1.0 for i, _ in lower_triangle(term.k)]
            start += term.q
        return np.array(scales)

    def default_optimizer(self) -> Optimizer:
        """For large data or many parameters an optimizer on the exact gradient: scoring (Newton steps with the
        average information) up to SCORING_THETA parameters, L-BFGS-B beyond (measured on the 72-parameter
        Latin square: scoring took 275 evaluations of 80 ms, creeping geometrically toward a singular
        optimum, where L-BFGS-B took 168 of 15 ms; the information costs t solves). BOBYQA, lme4's path,
        otherwise."""
        large = self.crossprods.nobs > GRADIENT_NOBS or self.covariance.n_theta > GRADIENT_THETA
        if not (large and self.solver.has_gradient):
            return BobyqaOptimizer()
        return ScoringOptimizer() if self.covariance.n_theta <= SCORING_THETA else LbfgsOptimizer()

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
            sums, rows = moments.Zty[offset:offset + term.m], counts[offset:offset + term.m]
            seen = rows > 0  # lme4 drops levels without rows; a design given directly may keep them
            between.append((np.sum(sums[seen]**2 / rows[seen]) - spread) / (n - 1))
            offset += term.q
        within = (moments.squares - spread) / (n - 1) - sum(between)
        return np.sqrt(np.array(between) / within) if within > 0 else theta0

    def fit(self, REML: bool = True, optimizer: Optimizer | None = None, solver: Solver | None = None,
            start=None, verbose: bool = False):
        """Fit by REML (default, as lmer) or ML; returns an :class:`~sparselmm.results.LmerResult`.

        ``optimizer`` and ``solver`` replace the defaults; ``start`` is a starting theta;
        ``verbose=True`` prints progress to stderr. ``fit.optsummary`` records the fit.
        """
        return fit_model(self, REML, optimizer, solver, start, verbose)

    def at(self, theta, REML: bool = True):
        """The fit at a given theta, without optimizing (an :class:`~sparselmm.results.LmerResult`).

        For comparisons at another fit's theta (lme4's), profiles and refits at fixed
        variance parameters; ``optsummary`` says that theta was given.
        """
        return result_at(self, self.checked_theta(theta), REML)

    # ------------------------------------------------------------ documented errors
    def checked_theta(self, theta, what: str = "theta") -> np.ndarray:
        """theta as an array, or an error if it is not n_theta finite numbers."""
        theta = np.asarray(theta, dtype=float)
        if theta.shape != (self.covariance.n_theta,) or not np.isfinite(theta).all():
            names = ", ".join(self.covariance.names)
            raise SparseLMMError(
                f"{what} must be a vector of {self.covariance.n_theta} finite values ({names}), got {theta.tolist()}"
            )
        return theta

    def guarded(self, evaluate, theta):
        """``evaluate()``, with a breakdown of the factorization or an overflow as a DataError naming the model."""
        try:
            with np.errstate(over="ignore", invalid="ignore"):  # huge theta: overflow is caught below
                result = evaluate()
        except DataError as error:
            raise self.naming_the_model(str(error)) from error
        except np.linalg.LinAlgError as error:
            raise self._degenerate(theta) from error
        numbers = _numbers(result)
        if np.isnan(numbers).any() or np.isposinf(numbers).any():  # -inf: an exact fit's criterion (r2 = 0)
            raise self._degenerate(theta)
        return result

    def naming_the_model(self, message: str) -> DataError:
        """``message`` with the model's fixed effects and grouping factors, so that the user can find them."""
        fixed = ", ".join(f"'{name}'" for name in self.design.fixef_names)
        groups = ", ".join(f"'{group}'" for group in dict.fromkeys(t.group for t in self.design.terms))
        return DataError(f"{message} (fixed effects: {fixed}; grouping factors: {groups})")

    def _degenerate(self, theta) -> DataError:
        """A(theta) is positive definite in exact arithmetic; it fails only where theta is so large
        that the random effects reproduce the response and the identity is lost in rounding."""
        shown = ", ".join(f"{t:.3g}" for t in np.atleast_1d(np.asarray(theta, dtype=float)))
        return self.naming_the_model(
            f"A(theta) = Lambda' Z'Z Lambda + I lost its positive definiteness in floating point at theta = "
            f"({shown}): the random effects grew until they reproduce the response, so the criterion has no "
            "minimum. Remove random-effects columns that are the response or a function of it, or simplify the "
            "random effects"
        )


def _stage(progress, text: str):
    """A stage of the set-up announced by ``progress``, or nothing."""
    return progress.stage(text) if progress is not None else nullcontext()


def _numbers(result) -> np.ndarray:
    """The numbers an evaluation returned (a value, a (value, gradient) pair, or a PLS solution). Of a longer
    tuple only the first two: an information matrix that is not finite is the optimizer's to judge."""
    if isinstance(result, tuple):
        return np.concatenate([np.atleast_1d(np.asarray(part, dtype=float)) for part in result[:2]])
    if hasattr(result, "logdet_L"):
        return np.array([result.logdet_L, result.r2, *np.abs(result.beta)])
    return np.atleast_1d(np.asarray(result, dtype=float))
