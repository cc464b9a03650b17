"""sparselmm.splines: R's poly() and splines::ns() bases, learned once and reused for new values.

bases.json (make_bases.R) holds R's bases on one x and on new x, beyond the boundary knots too;
the interface cases (make_interface.R) hold lme4's predictions on new data from fits with poly()
and ns() in the fixed and the random effects, which use the fit's basis (R's makepredictcall).
"""

import json
import warnings

import numpy as np
import pytest

import interface_reference as ir
import sparselmm as slmm
from sparselmm import DataError
from sparselmm.splines import NaturalSplineBasis, PolyBasis, raw_powers

BASES = json.loads((ir.INTERFACE / "bases.json").read_text())
X, NEW_X = np.array(BASES["x"]), np.array(BASES["new_x"])


def learned(name):
    case = BASES["cases"][name]
    if name.startswith("poly"):
        return PolyBasis.learn(X, int(case["attributes"]["degree"][-1]), case["call"]), case
    options = {"ns_df4": dict(df=4), "ns_df5_intercept": dict(df=5, intercept=True), "ns_df1": dict(df=1),
               "ns_knots_boundary": dict(knots=[2, 5], boundary=[1, 9])}[name]
    return NaturalSplineBasis.learn(X, **options), case


@pytest.mark.parametrize("name", list(BASES["cases"]))
def test_the_basis_on_the_data_and_on_new_values_is_rs(name):
    basis, case = learned(name)
    np.testing.assert_allclose(basis(X), np.array(case["basis"]).reshape(len(X), -1), atol=1e-13)
    np.testing.assert_allclose(basis(NEW_X), np.array(case["new"]).reshape(len(NEW_X), -1), atol=1e-12)


@pytest.mark.parametrize("name", ["poly3", "poly1"])
def test_poly_keeps_rs_coefficients(name):
    basis, case = learned(name)
    np.testing.assert_allclose(basis.alpha, case["attributes"]["coefs"]["alpha"], rtol=1e-13)
    np.testing.assert_allclose(basis.norm2, case["attributes"]["coefs"]["norm2"], rtol=1e-13)


@pytest.mark.parametrize("name", ["ns_df4", "ns_df5_intercept", "ns_knots_boundary", "ns_df1"])
def test_ns_keeps_rs_knots(name):
    basis, case = learned(name)
    np.testing.assert_allclose(basis.knots, np.atleast_1d(case["attributes"].get("knots", [])), rtol=1e-14)
    np.testing.assert_allclose(basis.boundary, case["attributes"]["Boundary.knots"], rtol=1e-14)


def test_missing_values_stay_missing_and_do_not_move_the_basis():
    holed = np.append(X, np.nan)
    for basis in (PolyBasis.learn(holed, 2, "poly"), NaturalSplineBasis.learn(holed, df=3)):
        values = basis(holed)
        assert np.isnan(values[-1]).all() and np.isfinite(values[:-1]).all()
    np.testing.assert_allclose(PolyBasis.learn(holed, 2, "poly").alpha, PolyBasis.learn(X, 2, "poly").alpha)


def test_raw_powers():
    np.testing.assert_array_equal(raw_powers(np.array([2.0, 3.0]), 3), [[2, 4, 8], [3, 9, 27]])


@pytest.mark.parametrize("degree, message", [(0, "the degree must be at least 1"),
                                             (3, "'degree' must be less than the number of unique points (3)")])
def test_impossible_degrees_are_refused(degree, message):
    with pytest.raises(DataError, match=message.replace("(", r"\(").replace(")", r"\)")):
        PolyBasis.learn(np.array([1.0, 2.0, 3.0, 3.0]), degree, "poly(x)")


SPLINE_CASES = ["poly_orthogonal", "poly_raw", "ns_df", "ns_knots", "poly_random", "ns_random"]


@pytest.fixture(scope="module", params=SPLINE_CASES)
def spline_fit(request):
    spec = ir.load(request.param)
    return spec, slmm.lmer(spec["formula"], ir.data(request.param))


def test_values_whose_powers_overflow_are_refused_without_a_warning():
    """Found by the hostile run: poly() of a column holding 1e300 warned of overflows, then failed elsewhere;
    values so small that their powers vanish are refused the same way."""
    x = np.array([-0.13, 1e300, 0.0, 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(DataError, match="powers overflow or vanish .* 1e\\+300.*rescale"):
            PolyBasis.learn(x, 2, "poly(x, 2)")
        with pytest.raises(DataError, match="powers overflow or vanish .* 5e-120.*rescale"):
            PolyBasis.learn(np.array([1e-120, 2e-120, 3e-120, 5e-120]), 3, "poly(x, 3)")


def test_the_fit_keeps_rs_basis(spline_fit):
    spec, fit = spline_fit
    for key, recorded in spec.get("basis", {}).items():
        basis = fit.design.spec.transforms[key]
        if "alpha" in recorded:
            np.testing.assert_allclose(basis.alpha, recorded["alpha"], rtol=1e-13)
            np.testing.assert_allclose(basis.norm2, recorded["norm2"], rtol=1e-13)
        else:
            np.testing.assert_allclose(basis.knots, np.atleast_1d(recorded["knots"]), rtol=1e-14)
            np.testing.assert_allclose(basis.boundary, recorded["Boundary_knots"], rtol=1e-14)


def test_predictions_on_new_data_use_the_fits_basis_as_lme4s(spline_fit):
    """newdata_days reaches Day 11, beyond the data's 0..9: ns extrapolates linearly, poly by its recurrence."""
    spec, fit = spline_fit
    at = ir.at_lme4s_theta(spec, fit)
    newdata = ir.newdata(spec["id"])
    ir.assert_close(at.predict(newdata), spec["predict_newdata"], what="predict")
    ir.assert_close(at.predict(newdata, re_form="~0"), spec["predict_newdata_re_form_NA"], what="predict re_form=NA")
    own = fit.predict(ir.data(spec["id"]))
    assert np.max(np.abs(own.to_numpy() - fit.fitted.to_numpy())) < 1e-9  # lme4: ~1e-13 (its check_ field)
