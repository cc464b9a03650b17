"""asv benchmarks of sparselmm: time and peak memory of REML fits, 5 rows to 10 million.

Data are read or generated in ``setup`` (not timed). asv runs every benchmark in
a fresh process, so ``peakmem_*`` is the peak resident memory of that process:
the data set plus the fit. Only sparselmm's public API is used.
"""

import sys

import numpy as np

import blasinfo
from asv_settings import Slow
import reference
import sparselmm as slmm
import synthetic


class Reference(Slow):
    """lme4's reference data: toy (5 rows), sleepstudy (180), InstEval (73,421, crossed)."""

    params = ["toy", "sleepstudy", "insteval"]
    param_names = ["case"]

    def setup(self, case):
        self.case = reference.load(case)

    def time_fit(self, case):
        slmm.lmer(self.case.formula, self.case.data)

    def peakmem_fit(self, case):
        slmm.lmer(self.case.formula, self.case.data)


class Crossed(Slow):
    """``y ~ x + (1|user) + (1|item)``: 1e5 rows (5k x 500) and 1e6 rows (50k users x 1k items)."""

    params = ["1e5", "1e6"]
    param_names = ["rows"]

    def setup(self, rows):
        self.data = synthetic.crossed(synthetic.CROSSED[rows])

    def time_fit(self, rows):
        slmm.lmer(synthetic.CROSSED_FORMULA, self.data)

    def peakmem_fit(self, rows):
        slmm.lmer(synthetic.CROSSED_FORMULA, self.data)


class CrossedManyItems(Crossed):
    """1e6 rows with 20k users x 5,000 items: how cost grows with the smaller factor's levels.

    Compare with Crossed 1e6 (1,000 items): once the users are eliminated the
    items' block of the Cholesky factor fills in, so its cost is expected to grow
    like items^2 (memory) to items^3 (flops) per evaluation.
    """

    params = ["1e6_5k"]
    timeout = 1800


class Crossed10M(Crossed):
    """1e7 rows, 500k users x 2,000 items: minutes; run alone with ``--bench Crossed10M``."""

    params = ["1e7"]
    timeout = 3600
    repeat = (1, 1, 0.0)


class RandomSlopes(Slow):
    """``y ~ x + (x | user)``, 1e6 rows, 50k users: a correlated 2 x 2 term (three thetas)."""

    def setup(self):
        self.data = synthetic.random_slopes()

    def time_fit(self):
        slmm.lmer(synthetic.SLOPES_FORMULA, self.data)

    def peakmem_fit(self):
        slmm.lmer(synthetic.SLOPES_FORMULA, self.data)


class CrossedSlopes(Slow):
    """``y ~ x + (x | user) + (x | item)``, 2e5 rows, 5,000 users x 500 items (text keys): crossed random slopes."""

    def setup(self):
        self.data = synthetic.text_keys(synthetic.crossed_slopes())

    def time_fit(self):
        slmm.lmer(synthetic.CROSSED_SLOPES_FORMULA, self.data)

    def peakmem_fit(self):
        slmm.lmer(synthetic.CROSSED_SLOPES_FORMULA, self.data)

    def track_evaluations(self):
        return slmm.lmer(synthetic.CROSSED_SLOPES_FORMULA, self.data).optsummary.evaluations

    track_evaluations.unit = "evaluations"


class LatinSquare(Slow):
    """A psycholinguistic design, 60 subjects x 40 items, a*b*c within both: 20 (and the maximal model's 72)
    covariance parameters."""

    params = ["intercepts_and_slopes", "maximal"]
    param_names = ["random_effects"]

    def setup(self, random_effects):
        self.data = synthetic.latin_square()
        self.formula = (synthetic.LATIN_SQUARE_FORMULA if random_effects == "intercepts_and_slopes"
                        else synthetic.LATIN_SQUARE_MAX_FORMULA)

    def time_fit(self, random_effects):
        slmm.lmer(self.formula, self.data)

    def track_evaluations(self, random_effects):
        return slmm.lmer(self.formula, self.data).optsummary.evaluations

    track_evaluations.unit = "evaluations"


class CrossedSetUp(Slow):
    # Not "SetUp": asv takes a module-level name setup, setUp or SetUp for the module's setup function, which then
    # ran before every benchmark of the file (and failed the parametrised ones: "SetUp() takes no arguments").
    """The 1e6-row crossed model from a DataFrame with text keys: coding, cross-products and the blocked
    factor's set-up, everything before the first evaluation."""

    def setup(self):
        self.data = synthetic.text_keys(synthetic.crossed(synthetic.CROSSED["1e6"]))

    def _set_up(self):
        model = slmm.LinearMixedModel.from_formula(synthetic.CROSSED_FORMULA, self.data)
        model.bind()

    def time_set_up(self):
        self._set_up()

    def peakmem_set_up(self):
        self._set_up()

    def time_fit_from_text_keys(self):
        slmm.lmer(synthetic.CROSSED_FORMULA, self.data)


class InstEvalObjective:
    """One profiled REML evaluation on InstEval near lme4's theta: the optimiser's unit of work.

    ``time_objective`` is the value alone (what BOBYQA calls), ``time_objective_and_gradient`` the value
    and its exact gradient (what the default L-BFGS-B fit calls), both on the blocked solver;
    ``time_objective_cholmod`` the value through CHOLMOD. Consecutive calls alternate between two thetas.
    """

    def setup(self):
        self.case = reference.load("insteval")
        self.model = slmm.LinearMixedModel.from_formula(self.case.formula, self.case.data)
        self.criterion = self.model.criterion(REML=True)
        self.sparse = slmm.LinearMixedModel(self.model.design, self.model.crossprods)
        self.sparse.bind(slmm.CholmodSolver())
        self.thetas = [np.asarray(self.case.theta, dtype=float), np.asarray(self.case.theta) * (1 + 1e-9)]
        self.calls = 0
        self.criterion.value_and_gradient(self.thetas[0])

    def _next_theta(self):
        self.calls += 1
        return self.thetas[self.calls % 2]

    def time_objective(self):
        self.criterion.objective(self._next_theta())

    def time_objective_and_gradient(self):
        self.criterion.value_and_gradient(self._next_theta())

    def time_objective_cholmod(self):
        self.sparse.objective(self._next_theta())

    def track_objective_minus_lme4(self):
        """Our criterion minus lme4's at lme4's theta: should be ~1e-8 relative or smaller."""
        return self.model.objective(self.case.theta) - self.case.objective

    track_objective_minus_lme4.unit = "REML criterion"


class AfterTheFit(Slow):
    """hat_trace() plus conditional variances at the optimum, beside one factorization there.

    The issue's yardstick is their ratio (``track_ratio_to_factorization``); the
    1e6-row crossed model shows the absolute time in bounded memory.
    """

    params = ["insteval", "1e6"]
    param_names = ["data"]

    def setup(self, data):
        if data == "insteval":
            case = reference.load("insteval")
            self.fit = slmm.lmer(case.formula, case.data)
        else:
            self.fit = slmm.lmer(synthetic.CROSSED_FORMULA, synthetic.text_keys(synthetic.crossed(synthetic.CROSSED["1e6"])))

    def _post_fit(self):
        self.fit.__dict__.pop("_inverse", None)  # a fresh computation each time
        self.fit.__dict__.pop("condvar", None)
        self.fit.hat_trace()
        self.fit.ranef_table()

    def _factorize(self):
        self.fit.model.solver.update(self.fit.theta)

    def time_hat_trace_and_condvar(self, data):
        self._post_fit()

    def peakmem_hat_trace_and_condvar(self, data):
        self._post_fit()

    def time_one_factorization(self, data):
        self._factorize()

    def track_ratio_to_factorization(self, data):
        """Seconds of hat_trace + condvar over seconds of one factorization (best of 3 each)."""
        return _best_of(3, self._post_fit) / _best_of(3, self._factorize)

    track_ratio_to_factorization.unit = "factorizations"


def _best_of(repeats: int, work) -> float:
    import time

    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


class Environment:
    """Which BLAS ran. The report is printed in setup (``asv run --show-stderr``)."""

    def setup(self):
        print(blasinfo.report(), file=sys.stderr)

    def track_cholmod_blas_optimised(self):
        """1 if CHOLMOD's libblas.so.3 is OpenBLAS/MKL/BLIS/ATLAS, 0 for Debian's reference BLAS."""
        return int(blasinfo.cholmod_uses_optimised_blas())

    track_cholmod_blas_optimised.unit = "bool"
