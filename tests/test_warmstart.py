"""A large fit starts from a fit to a sample of its largest factor's levels, and still ends at lme4's optimum.

InstEval (73,421 rows, 2,972 students) stands in for a large design: the
threshold on rows is lowered so that its fit takes the sampled start.
"""

import numpy as np
import pytest

import reference
from reference import assert_close
from sparselmm import BobyqaOptimizer, LinearMixedModel, SparseLMMError, warmstart

INSTEVAL = "y ~ 1 + service + (1 | s) + (1 | d) + (1 | dept:service)"


@pytest.fixture(scope="module")
def insteval():
    return LinearMixedModel.from_formula(INSTEVAL, reference.data("insteval_reml"))


@pytest.fixture
def large_from_zero_rows(monkeypatch):
    monkeypatch.setattr(warmstart, "WARM_NOBS", 0)


def test_a_large_fit_starts_from_a_sample_and_ends_at_lme4s_optimum(insteval, large_from_zero_rows):
    spec = reference.load_case("insteval_reml")
    fit = insteval.fit()
    assert fit.optsummary.started_from.startswith("started from a fit to 298 of the 2972 levels of 's'")
    assert not np.array_equal(fit.optsummary.initial, insteval.start())
    assert fit.objective <= spec["objective"] + 1e-6 * abs(spec["objective"])
    assert_close(fit.theta, reference.theta(spec), what="theta")
    assert fit.optsummary.converged


def test_the_sample_is_the_rows_of_the_sampled_levels(insteval, large_from_zero_rows, monkeypatch):
    seen = {}

    def record(model, rows, REML):
        seen["rows"] = rows
        return insteval.start(), 0

    monkeypatch.setattr(warmstart, "_fit_sample", record)
    warmstart.sample_start(insteval, True)
    codes = insteval.design.coded.codes[0]
    levels = np.unique(codes[seen["rows"]])
    assert len(levels) == 298
    np.testing.assert_array_equal(seen["rows"], np.flatnonzero(np.isin(codes, levels)))


def test_a_start_at_a_bound_is_moved_off_it(insteval, large_from_zero_rows, monkeypatch):
    """A diagonal template entry at 0 has a zero gradient there; the optimizer could never leave it."""
    monkeypatch.setattr(warmstart, "_fit_sample", lambda model, rows, REML: (np.array([0.3, 0.0, 0.05]), 7))
    theta, _ = warmstart.sample_start(insteval, True)
    np.testing.assert_array_equal(theta, [0.3, warmstart.MIN_DIAGONAL, warmstart.MIN_DIAGONAL])


def test_a_sample_that_cannot_be_fitted_leaves_lme4s_start(insteval, large_from_zero_rows, monkeypatch):
    def fails(model, rows, REML):
        raise SparseLMMError("a fixed-effect column is zero in the sample")

    monkeypatch.setattr(warmstart, "_fit_sample", fails)
    assert warmstart.sample_start(insteval, True) is None
    fit = insteval.fit()
    assert fit.optsummary.started_from == "lme4's start"
    np.testing.assert_array_equal(fit.optsummary.initial, insteval.start())


@pytest.mark.parametrize("arguments, started_from", [
    ({"start": [0.3, 0.4, 0.1]}, "the start given"),  # the caller's start is kept
    ({"optimizer": BobyqaOptimizer()}, "lme4's start"),  # a chosen optimizer takes lme4's path
])
def test_the_callers_choices_are_kept(insteval, large_from_zero_rows, arguments, started_from):
    fit = insteval.fit(**arguments)
    assert fit.optsummary.started_from == started_from


def test_below_the_threshold_the_fit_starts_where_lme4_starts(insteval):
    assert warmstart.sample_start(insteval, True) is None  # 73,421 rows


def test_few_levels_or_no_rows_leave_lme4s_start(insteval, large_from_zero_rows):
    sleepstudy = LinearMixedModel.from_formula("Reaction ~ Days + (Days | Subject)", reference.data("sleepstudy_reml"))
    assert warmstart.sample_start(sleepstudy, True) is None  # 18 subjects: too few to sample
    chunked = LinearMixedModel.from_chunks(INSTEVAL, [reference.data("insteval_reml")])
    assert warmstart.sample_start(chunked, True) is None  # no rows kept to sample from
