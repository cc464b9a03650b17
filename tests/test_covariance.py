"""theta <-> Lambda: the blockwise products equal the sparse Lambda's, templates and R's labels."""

import warnings

import numpy as np
import pytest

import reference
from sparselmm import LinearMixedModel
from sparselmm.covariance import make_names


def model_of(case_id):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return LinearMixedModel.from_formula(reference.load_case(case_id)["formula"], reference.data(case_id))


@pytest.mark.parametrize("case_id", ["sleepstudy_reml", "correlated_three_reml", "two_factors_reml",
                                     "uncorrelated_crossed_reml", "latin_square_reml", "pastes_reml"])
@pytest.mark.parametrize("transpose", [False, True])
def test_times_lambda_equals_the_sparse_product(case_id, transpose):
    model = model_of(case_id)
    covariance = model.covariance
    rng = np.random.default_rng(4)
    theta = rng.normal(size=covariance.n_theta)
    Lambda = covariance.lambda_matrix(theta).toarray()
    B = rng.normal(size=(Lambda.shape[0], 3))
    expected = (Lambda.T if transpose else Lambda) @ B
    np.testing.assert_allclose(covariance.times_lambda(theta, B, transpose=transpose), expected, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(covariance.times_lambda(theta, B[:, 0], transpose=transpose), expected[:, 0],
                               rtol=1e-13, atol=1e-13)
    later = covariance.terms[0].q
    if later < Lambda.shape[0]:
        part = covariance.times_lambda(theta, B[later:], transpose=transpose, terms=slice(1, None))
        np.testing.assert_allclose(part, expected[later:], rtol=1e-13, atol=1e-13)


def test_times_lambda_refuses_rows_that_are_not_the_terms_columns():
    covariance = model_of("sleepstudy_reml").covariance
    with pytest.raises(ValueError, match="B has 5 rows; the selected terms have 36 columns"):
        covariance.times_lambda(np.ones(3), np.ones((5, 2)))


def test_templates_hold_theta_column_by_column():
    covariance = model_of("correlated_three_reml").covariance
    (T,) = covariance.templates(np.arange(1.0, 7.0))
    np.testing.assert_array_equal(T, [[1, 0, 0], [2, 4, 0], [3, 5, 6]])


@pytest.mark.parametrize("names,expected", [
    (["class:school", "school", "school"], ["class.school", "school", "school.1"]),  # R's make.names(unique = TRUE)
    (["a:b", "1x", "_y", "ok.1", "ok", "ok"], ["a.b", "X1x", "X_y", "ok.1", "ok", "ok.2"]),
    (["g", "g", "g"], ["g", "g.1", "g.2"]),
])
def test_make_names_is_rs(names, expected):
    assert make_names(names) == expected


def test_vc_labels_follow_lme4_only_where_a_factor_has_several_terms():
    assert model_of("pastes_reml").covariance.group_labels() == ["cask:batch", "batch"]
    assert model_of("three_level_nested_reml").covariance.group_labels() == ["class.school", "school", "school.1"]
