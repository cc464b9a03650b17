"""Convergence diagnostics: each of lme4's checks, on a case built to trigger it."""

import warnings

import numpy as np
import pandas as pd
import pytest

import reference
from sparselmm import (BobyqaOptimizer, CholmodSolver, ConvergenceWarning, LbfgsOptimizer, LinearMixedModel,
                       ScoringOptimizer)
from sparselmm.convergence import derivatives, hessian_messages
from sparselmm.fitting import _edge_restart

SLEEP = "Reaction ~ Days + (Days | Subject)"


def fit_recording(formula, data, **options):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = LinearMixedModel.from_formula(formula, data).fit(**options)
    return fit, [str(w.message) for w in caught if issubclass(w.category, ConvergenceWarning)]


def test_the_result_records_what_happened():
    fit, messages = fit_recording(SLEEP, reference.data("sleepstudy_reml"))
    report = fit.optsummary
    assert messages == [] and report.converged and report.code == 0 and report.tried == []
    assert report.optimizer == "bobyqa" and report.solver == "blocked" and report.evaluations > 10
    assert report.seconds > 0 and report.gradient.shape == (3,) and report.hessian.shape == (3, 3)
    assert np.max(np.abs(report.gradient)) < 2e-3
    assert report.fmin == fit.objective and np.array_equal(report.final, fit.theta)
    np.testing.assert_array_equal(report.initial, [1.0, 0.0, 1.0])


def test_a_fit_stopped_short_is_finished_by_newton_steps_without_a_warning():
    """BOBYQA stopped after 4 evaluations; lme4 would warn. Newton steps with the exact gradient finish the fit."""
    default, _ = fit_recording(SLEEP, reference.data("sleepstudy_reml"))
    fit, messages = fit_recording(SLEEP, reference.data("sleepstudy_reml"), optimizer=BobyqaOptimizer(maxeval=4))
    assert messages == [] and fit.optsummary.converged
    assert fit.optsummary.returnvalue == "maximum number of evaluations reached"
    assert any("Newton step" in step for step in fit.optsummary.tried)
    assert fit.objective <= default.objective + 1e-8
    assert "convergence code" not in str(fit.summary())


def test_a_fit_that_cannot_be_finished_warns_and_says_what_was_tried(monkeypatch):
    """Without a gradient (a solver that offers none: no Newton steps) and with an evaluation limit the
    restart keeps, the warning stays."""
    monkeypatch.setattr(CholmodSolver, "has_gradient", property(lambda self: False))
    fit, messages = fit_recording(SLEEP, reference.data("sleepstudy_reml"), optimizer=BobyqaOptimizer(maxeval=4),
                                  solver=CholmodSolver())
    assert not fit.optsummary.converged and fit.optsummary.code == 1
    assert messages[0] == "convergence failure: the optimizer stopped with 'maximum number of evaluations reached'"
    assert messages[1].startswith(("Model failed to converge with max|grad| = ", "unable to evaluate scaled gradient"))
    assert messages[1].endswith("after a restart of bobyqa from the best point (maximum number of evaluations reached)")
    assert "convergence code: 1 (maximum number of evaluations reached)" in str(fit.summary())


def test_stopping_short_is_finished_where_lme4s_check_would_fail():
    fit, messages = fit_recording(SLEEP, reference.data("sleepstudy_reml"), optimizer=BobyqaOptimizer(xtol_rel=0.2))
    assert fit.optsummary.optimizer_converged  # the optimiser is content, lme4's check is not ...
    assert fit.optsummary.tried and messages == []  # ... so the fit is finished
    assert fit.objective == pytest.approx(reference.load_case("sleepstudy_reml")["objective"], abs=1e-7)


def test_duplicated_terms_give_a_degenerate_hessian():
    """(1|g) + (1|g) depends on theta only through theta1^2 + theta2^2: a flat direction."""
    rng = np.random.default_rng(1)
    g = rng.integers(0, 20, 200)
    data = pd.DataFrame({"y": rng.normal(size=200) + rng.normal(size=20)[g], "x": rng.normal(size=200), "g": g})
    fit, messages = fit_recording("y ~ x + (1 | g) + (1 | g)", data)
    assert any("degenerate Hessian" in m or "numerically singular" in m for m in messages)


def test_derivatives_are_lme4s_central_differences():
    quadratic = lambda x: float(3 * x[0] ** 2 + x[0] * x[1] + 2 * x[1] ** 2 - x[1])  # noqa: E731
    gradient, hessian = derivatives(quadratic, np.array([1.0, 2.0]), quadratic(np.array([1.0, 2.0])))
    np.testing.assert_allclose(gradient, [8.0, 8.0], rtol=1e-8)
    np.testing.assert_allclose(hessian, [[6.0, 1.0], [1.0, 4.0]], rtol=1e-6)


@pytest.mark.parametrize("eigenvalues,expected", [
    ([-1.0, 2.0], "degenerate Hessian with 1 negative eigenvalues"),
    ([0.0, 2.0], "numerically singular"),
    ([1e7, 2.0], "very large eigenvalue"),
    ([1e-5, 100.0], "large eigenvalue ratio"),
])
def test_hessian_checks_use_lme4s_thresholds(eigenvalues, expected):
    assert any(expected in m for m in hessian_messages(np.diag(eigenvalues)))
    assert hessian_messages(np.diag([1.0, 2.0])) == []


def test_the_checks_run_at_every_size():
    """lme4 computes its derivative checks at every size (calc.derivs is TRUE); with the exact gradient they cost
    2 t evaluations."""
    rng = np.random.default_rng(2)
    g = rng.integers(0, 100, 10_001)
    data = pd.DataFrame({"y": rng.normal(size=10_001) + rng.normal(size=100)[g], "g": g})
    fit, messages = fit_recording("y ~ 1 + (1 | g)", data)
    assert messages == [] and fit.optsummary.gradient is not None and fit.optsummary.hessian.shape == (1, 1)


def test_singular_fits_skip_the_gradient_check():
    fit, messages = fit_recording("Yield ~ 1 + (1 | Batch)", reference.data("dyestuff2_reml"))
    assert fit.singular and messages == [] and fit.optsummary.gradient is None


def test_a_fit_stuck_on_the_bound_restarts_when_a_step_off_it_descends():
    model = LinearMixedModel.from_formula(SLEEP, reference.data("sleepstudy_reml"))
    problem = model.problem(model.criterion(REML=True))
    stuck, inside = np.array([0.0, 0.0, 0.2]), np.array([0.9, 0.0, 0.2])
    np.testing.assert_array_equal(_edge_restart(problem, stuck, BobyqaOptimizer()), stuck)
    assert _edge_restart(problem, inside, BobyqaOptimizer()) is None
    fit = model.fit(start=[0.0, 0.0, 0.0])
    assert fit.objective == pytest.approx(reference.load_case("sleepstudy_reml")["objective"], rel=1e-8)


def test_a_gradient_optimizer_counts_a_point_within_boundary_tol_as_on_the_bound():
    """Newton steps approach a bound geometrically: 6e-13 above it is on it for the edge restart (which then
    steps off, as from the bound), but not for BOBYQA, which lands on its bounds exactly, as in lme4."""
    model = LinearMixedModel.from_formula(SLEEP, reference.data("sleepstudy_reml"))
    problem = model.problem(model.criterion(REML=True))
    near = np.array([6e-13, 0.0, 0.2])
    restart = _edge_restart(problem, near, ScoringOptimizer())
    assert restart is not None and restart[0] > near[0] and np.array_equal(restart[1:], near[1:])
    assert _edge_restart(problem, near, BobyqaOptimizer()) is None
    assert _edge_restart(problem, np.array([2e-5, 0.0, 0.2]), ScoringOptimizer()) is None  # beyond 1e-5


def test_a_large_fit_on_a_covariate_in_the_thousands_reaches_the_optimum():
    """lme4's gradient-warning case (Days times 1,000) copied to 10,800 rows, so that
    the default is the gradient optimizer: in theta's own units its first unit step threw the slope's sd
    (optimum 2e-4) onto its bound and the fit ended singular, 4,800 above the optimum. In units of the column's
    scale it reaches BOBYQA's optimum."""
    base = reference.data("lme4_gradient_warning_1_reml")
    rng = np.random.default_rng(0)
    copies = [base.assign(Subject=base["Subject"].astype(str) + f"_{r}",
                          Reaction=base["Reaction"] + rng.normal(0, 10, len(base))) for r in range(60)]
    data = pd.concat(copies, ignore_index=True)
    formula = "Reaction ~ Days1000 + (Days1000 | Subject)"
    bobyqa, _ = fit_recording(formula, data, optimizer=BobyqaOptimizer())
    default, _ = fit_recording(formula, data)
    lbfgs, _ = fit_recording(formula, data, optimizer=LbfgsOptimizer())
    assert default.optsummary.optimizer == "scoring"
    for fit in (default, lbfgs):
        assert not fit.singular
        assert fit.objective <= bobyqa.objective + 1e-8 * bobyqa.objective
        np.testing.assert_allclose(fit.theta, bobyqa.theta, rtol=1e-3)


def test_theta_is_rescaled_only_for_columns_far_from_unit_scale():
    model = LinearMixedModel.from_formula("Reaction ~ Days1000 + (Days1000 | Subject)",
                                          reference.data("lme4_gradient_warning_1_reml"))
    rms = np.sqrt(np.mean(reference.data("lme4_gradient_warning_1_reml")["Days1000"] ** 2))
    np.testing.assert_allclose(model.theta_scale(), [1.0, 1.0 / rms, 1.0 / rms])
    sleep = LinearMixedModel.from_formula(SLEEP, reference.data("sleepstudy_reml"))  # Days: rms 5.3
    np.testing.assert_array_equal(sleep.theta_scale(), [1.0, 1.0, 1.0])


def test_the_hessian_reads_each_column_below_the_diagonal_only():
    """Column j of the forward differences takes the gradient's entries j, j + 1, ... at x + delta e_j, the
    entries above from the earlier columns: a gradient exact only there gives the same Hessian."""
    from sparselmm.convergence import hessian_of

    curvature = np.array([[4.0, 1.0, 0.5], [1.0, 3.0, -0.2], [0.5, -0.2, 2.0]])
    gradient_at = lambda x: curvature @ (x - 1.0) + 0.1 * (x - 1.0) ** 2  # noqa: E731
    x = np.array([1.2, 0.9, 1.1])

    def gradient_from(y, j):
        g = gradient_at(y)
        g[:j] = np.nan
        return g

    whole = hessian_of(gradient_at, x, gradient_at(x))
    partial = hessian_of(gradient_at, x, gradient_at(x), gradient_from=gradient_from)
    np.testing.assert_array_equal(partial, whole)
    np.testing.assert_allclose(whole, curvature + np.diag(0.2 * (x - 1.0)), atol=1e-4)
