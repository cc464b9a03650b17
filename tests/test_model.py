"""LinearMixedModel: lme4's start, bounds handling, the fit log, and documented errors where an evaluation breaks down."""

import warnings

import numpy as np
import pandas as pd
import pytest

import reference
from sparselmm import BlockedSolver, CholmodSolver, DataError, LinearMixedModel, SparseLMMError


def test_start_is_lme4s_moment_estimate_for_random_intercepts():
    """lme4's mkLmerDevfun starts the toy model at theta = 1.846526 (R: environment(devfun)$pp$theta)."""
    model = LinearMixedModel.from_formula("y ~ x1 + (1 | subject)", reference.data("toy_ml"))
    assert model.start() == pytest.approx([1.846526], abs=5e-7)


def test_start_is_the_identity_with_random_slopes():
    model = LinearMixedModel.from_formula("Reaction ~ Days + (Days | Subject)", reference.data("sleepstudy_reml"))
    np.testing.assert_array_equal(model.start(), [1.0, 0.0, 1.0])


def test_bounds_hold_diagonal_entries_nonnegative():
    model = LinearMixedModel.from_formula("Reaction ~ Days + (Days | Subject)", reference.data("sleepstudy_reml"))
    np.testing.assert_array_equal(model.covariance.lower, [0.0, -np.inf, 0.0])


def test_singular_fit_lands_exactly_on_the_bound():
    fit = LinearMixedModel.from_formula("Yield ~ 1 + (1 | Batch)", reference.data("dyestuff2_reml")).fit()
    assert fit.theta[0] == 0.0 and fit.singular


def test_fit_log_records_every_evaluation():
    fit = LinearMixedModel.from_formula("y ~ x1 + (1 | subject)", reference.data("toy_ml")).fit(REML=False)
    log = fit.fit_log
    assert list(log.columns) == ["subject.(Intercept)", "objective"]
    assert len(log) >= fit.optsummary.evaluations
    assert log["objective"].min() == pytest.approx(fit.objective, rel=1e-12)


def test_start_argument_is_checked():
    model = LinearMixedModel.from_formula("y ~ x1 + (1 | subject)", reference.data("toy_ml"))
    with pytest.raises(SparseLMMError, match="start must be a vector of 1 finite values"):
        model.fit(start=[1.0, 2.0])
    with pytest.raises(SparseLMMError, match=r"start must be a vector of 1 finite values \(subject.\(Intercept\)\)"):
        model.fit(start=[np.inf])
    with pytest.raises(SparseLMMError, match=r"not be negative .*: subject.\(Intercept\)"):
        model.fit(start=[-0.5])
    assert model.fit(REML=False, start=[0.5]).objective == pytest.approx(reference.load_case("toy_ml")["objective"], rel=1e-8)


def test_verbose_fit_reports_progress(capsys):
    LinearMixedModel.from_formula("y ~ x1 + (1 | subject)", reference.data("toy_ml")).fit(verbose=True)
    err = capsys.readouterr().err
    assert "evaluation     1" in err and "done after" in err and " s]" in err


def breaks_down(*args):
    """What a factorization does when A(theta) loses positive definiteness in rounding at huge theta."""
    raise np.linalg.LinAlgError("not positive definite")


def insteval_model():
    return LinearMixedModel.from_formula("y ~ service + (1 | s) + (1 | d)", reference.data("insteval_reml"))


def assert_names_the_degenerate_model(caught):
    message = str(caught.value)
    assert "reproduce the response" in message and "(3e+07, 2e+07)" in message
    assert "grouping factors: 's', 'd'" in message


@pytest.mark.parametrize("solver", [BlockedSolver, CholmodSolver])
def test_a_breakdown_of_the_factorization_is_a_data_error_naming_the_model(solver):
    model = insteval_model()
    model.bind(solver())
    model.solver._factor = breaks_down
    with pytest.raises(DataError) as caught:
        model.objective([3e7, 2e7])
    assert_names_the_degenerate_model(caught)
    problem = model.problem(model.criterion(REML=True))
    with pytest.raises(DataError) as caught:
        (problem.objective_and_gradient or problem.objective)(np.array([3e7, 2e7]))
    assert_names_the_degenerate_model(caught)


def test_theta_so_large_that_everything_overflows_is_a_documented_error_on_every_route():
    model = insteval_model()
    theta = np.array([1e160, 1.0])
    problem = model.problem(model.criterion(REML=True))
    routes = [lambda: model.objective(theta), lambda: problem.objective_and_gradient(theta),
              lambda: model.at(theta).hat_trace()]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning from numpy either
        for route in routes:
            with pytest.raises(SparseLMMError, match="grouping factors: 's', 'd'"):
                route()


def test_unidentifiable_fixed_effects_give_one_message_on_both_routes():
    """w is constant within g: at a large theta for g, X'X minus its random-effects part is singular."""
    rng = np.random.default_rng(1)
    g, h = rng.integers(0, 20, 400), rng.integers(0, 15, 400)
    w = rng.normal(size=20)[g]
    data = pd.DataFrame({"y": rng.normal(size=400) + w, "w": w, "g": g.astype(str), "h": h.astype(str)})
    model = LinearMixedModel.from_formula("y ~ w + (1 | g) + (1 | h)", data)
    theta = np.array([1e8, 0.5])
    problem = model.problem(model.criterion(REML=True))
    for route in (lambda: model.objective(theta), lambda: problem.objective_and_gradient(theta)):
        with pytest.raises(DataError, match=r"not identifiable .* \(fixed effects: '\(Intercept\)', 'w'; grouping"):
            route()
