"""Z'WZ on its fixed pattern, Z'WB and Z b for new weights, against the dense products."""

import numpy as np
import pytest

import glmer_reference as ref


@pytest.mark.parametrize("case_id", ["binary_slope", "grouseticks_poisson_centred", "verbagg", "cbpp_logit_agq1"])
def test_weighted_products_are_the_dense_ones(case_id):
    model = ref.fit(case_id).model
    Z = model.design.coded.Z(model.design.terms).toarray()
    rng = np.random.default_rng(3)
    w, z = rng.uniform(0.1, 3.0, model.nobs), rng.standard_normal(model.nobs)
    products = model.products
    ZtWZ = products.ZtWZ(w)
    np.testing.assert_allclose(ZtWZ.toarray(), (Z.T * w) @ Z, rtol=1e-12, atol=1e-10)
    np.testing.assert_allclose(products.ZtW(w, z), Z.T @ (w * z), rtol=1e-12, atol=1e-10)
    B = np.column_stack([z, model.X])
    np.testing.assert_allclose(products.ZtW(w, B), Z.T @ (w[:, None] * B), rtol=1e-12, atol=1e-10)
    b = rng.standard_normal(model.q)
    np.testing.assert_allclose(products.Z_times(b), Z @ b, rtol=1e-12, atol=1e-12)
    cp = products.crossproducts(w, z)
    np.testing.assert_allclose(cp.XtX, (model.X.T * w) @ model.X, rtol=1e-12)
    np.testing.assert_allclose(cp.ZtX, Z.T @ (w[:, None] * model.X), rtol=1e-12, atol=1e-10)
    assert cp.yty == pytest.approx(float(z @ (w * z)), rel=1e-12)


def test_the_pattern_is_fixed_and_symmetric():
    """Every weight vector gives the same stored pattern (what with_products relies on), even zero weights."""
    products = ref.fit("grouseticks_poisson_centred").model.products
    ones, zeros = products.ZtWZ(np.ones(products.nobs)), products.ZtWZ(np.zeros(products.nobs))
    np.testing.assert_array_equal(ones.indices, zeros.indices)
    np.testing.assert_array_equal(ones.indptr, zeros.indptr)
    assert zeros.nnz == ones.nnz and not zeros.data.any()
    dense = ones.toarray()
    np.testing.assert_array_equal(dense, dense.T)


def test_with_products_lays_the_pattern_out_once():
    """The blocked solver's with_products: the first call lays out the pattern, later ones gather values into it;
    each factors as a solver bound afresh to its products."""
    from sparselmm.solvers import BlockedSolver

    model = ref.fit("verbagg").model
    theta = ref.fit("verbagg").theta
    rng = np.random.default_rng(8)
    base, markers = model.base_solver, None
    for _ in range(3):
        products = model.products.crossproducts(rng.uniform(0.1, 1.0, model.nobs))
        reused = base.with_products(products).update(theta)
        markers = markers or base._markers
        assert base._markers is markers
        fresh = BlockedSolver().bind(products, model.covariance).update(theta)
        assert reused.logdet() == pytest.approx(fresh.logdet(), rel=1e-13)
        B = rng.standard_normal((model.q, 2))
        np.testing.assert_allclose(reused.solve(B), fresh.solve(B), rtol=1e-11, atol=1e-13)
