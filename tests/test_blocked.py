"""The blocked criterion for scalar-term models: the same value as the sparse path, its exact gradient,
and the same parts of A^-1 as the general two-block split."""

import numpy as np
import pytest
import scipy.sparse as sp

import reference
from sparselmm import LinearMixedModel
from sparselmm.blocked import eligible
from sparselmm.inverse import SchurInverse

CASES = ["toy_ml", "dyestuff_reml", "penicillin_reml", "pastes_reml", "insteval_reml", "zero_slope_reml",
         "missing_values_reml", "integer_groups_reml", "nested_ml"]


def model_of(case_id):
    return LinearMixedModel.from_formula(reference.load_case(case_id)["formula"], reference.data(case_id))


def central_difference(model, theta, REML, h=1e-5):
    return np.array([(model.objective(theta + h * e, REML) - model.objective(theta - h * e, REML)) / (2 * h)
                     for e in np.eye(len(theta))])


@pytest.mark.parametrize("case_id", CASES)
@pytest.mark.parametrize("REML", [True, False])
def test_value_and_gradient(case_id, REML):
    model = model_of(case_id)
    criterion = model._gradient_criterion
    theta = np.abs(np.random.default_rng(3).normal(size=model.covariance.n_theta)) + 0.3
    value, gradient = criterion(theta, REML)
    assert value == pytest.approx(model.objective(theta, REML), rel=1e-12)
    numeric = central_difference(model, theta, REML)
    np.testing.assert_allclose(gradient, numeric, rtol=1e-5, atol=1e-6 * np.abs(numeric).max())


def test_gradient_is_zero_in_a_coordinate_at_its_bound():
    model = model_of("penicillin_reml")
    criterion = model._gradient_criterion
    value, gradient = criterion(np.array([0.0, 2.0]), True)
    assert gradient[0] == 0.0
    assert value == pytest.approx(model.objective([0.0, 2.0]), rel=1e-12)
    assert gradient[1] == pytest.approx(central_difference(model, np.array([0.0, 2.0]), True)[1], rel=1e-5)


def test_only_scalar_terms_are_eligible():
    assert eligible(model_of("insteval_reml").design, model_of("insteval_reml").crossprods)
    sleep = model_of("sleepstudy_reml")
    assert not eligible(sleep.design, sleep.crossprods) and not sleep.has_gradient


def test_evaluations_do_not_leak_into_each_other():
    """One work array serves every evaluation: the same theta gives the same numbers, bit for bit,
    after other thetas and after one that overflowed."""
    model = model_of("pastes_reml")
    criterion = model._gradient_criterion
    first = criterion(np.array([0.8, 3.0]), True)
    criterion(np.array([0.1, 0.5]), False)
    with np.errstate(all="ignore"):
        assert not np.isfinite(criterion(np.array([1e160, 1.0]), True)[0])
    again = criterion(np.array([0.8, 3.0]), True)
    assert again[0] == first[0]
    np.testing.assert_array_equal(again[1], first[1])


@pytest.mark.parametrize("case_id", CASES)
@pytest.mark.parametrize("zero", [None, 0, -1])
def test_inverse_from_the_blocks_equals_the_general_split(case_id, zero):
    model = model_of(case_id)
    theta = np.abs(np.random.default_rng(5).normal(size=model.covariance.n_theta)) + 0.2
    if zero is not None:
        theta[zero] = 0.0
    A = model.system.assemble(theta)
    first = model.design.terms[0]
    general = SchurInverse.from_matrix(A + sp.tril(A, -1).T, first.k, first.m)
    blocked = model.schur_inverse(theta)
    np.testing.assert_allclose(blocked.first_term_blocks, general.first_term_blocks, rtol=1e-10)
    np.testing.assert_allclose(blocked.S_inv, general.S_inv, rtol=1e-10, atol=1e-14)
    assert blocked.trace() == pytest.approx(general.trace(), rel=1e-12)
    V = sp.random(30, A.shape[0], density=0.1, random_state=2, format="csr")
    np.testing.assert_allclose(blocked.quadratic_forms(V), general.quadratic_forms(V), rtol=1e-10, atol=1e-14)
