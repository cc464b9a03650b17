"""A sparse matrix times a few dense columns: our loop gives scipy's product, on one thread or two."""

import numpy as np
import pytest
import scipy.sparse as sp

from sparselmm import _kernels, _threads
from sparselmm.products import times


@pytest.mark.parametrize("width", [1, 2, 3, 4, 5, 6, 8, 11])
@pytest.mark.parametrize("threads", [1, 2])
def test_the_product_is_scipys(width, threads, monkeypatch):
    monkeypatch.setattr("sparselmm.products.kernel_threads", lambda: threads)
    monkeypatch.setattr("sparselmm.products.THREADED_WORK", 0)
    A = sp.random(500, 300, density=0.03, format="csr", random_state=width)
    X = np.random.default_rng(width).normal(size=(300, width))
    np.testing.assert_allclose(times(A, X), A @ X, rtol=1e-13, atol=1e-13)


def test_a_vector_gives_a_vector_and_empty_rows_give_zeros():
    A = sp.csr_matrix(np.array([[0.0, 2.0], [0.0, 0.0], [1.0, -1.0]]))
    x = np.array([3.0, 5.0])
    np.testing.assert_array_equal(times(A, x), [10.0, 0.0, -2.0])


def test_a_symmetric_csc_matrix_is_read_as_csr():
    B = sp.random(200, 200, density=0.05, random_state=3)
    S = (B + B.T).tocsc()
    X = np.random.default_rng(3).normal(size=(200, 3))
    np.testing.assert_allclose(times(S, X, symmetric=True), S @ X, rtol=1e-13, atol=1e-13)


def test_other_formats_and_wide_indices_go_through_scipy():
    A = sp.random(50, 40, density=0.1, format="csc", random_state=4)
    X = np.random.default_rng(4).normal(size=(40, 2))
    np.testing.assert_allclose(times(A, X), A @ X)  # not symmetric: CSC is not read as CSR
    wide = sp.csr_matrix(A)
    wide.indices, wide.indptr = wide.indices.astype(np.int64), wide.indptr.astype(np.int64)
    np.testing.assert_allclose(times(wide, X), A @ X)


def test_the_loop_refuses_a_column_outside_X():
    A = sp.csr_matrix(np.eye(3))
    with pytest.raises(ValueError, match="outside X's rows"):
        _kernels.csr_times(A.indptr, A.indices, A.data, np.ones((2, 1)), np.empty((3, 1)), 1)


def test_kernels_take_every_core_only_where_every_blas_pool_runs_one_thread():
    assert _threads.kernel_threads() == 1
    with _threads.blas_threads(lapack=True):
        assert _threads.kernel_threads() == 1
    with _threads.blas_threads(lapack=False):
        assert _threads.kernel_threads() == _threads.CORES


def test_a_product_of_mismatched_shapes_is_refused():
    A = sp.csr_matrix(np.eye(3))
    with pytest.raises(ValueError, match="3 columns but X 2 rows"):
        times(A, np.ones((2, 1)))


def test_the_loop_refuses_row_pointers_that_go_back():
    with pytest.raises(ValueError, match="non-decreasing"):
        _kernels.csr_times(np.array([0, 3, 2], dtype=np.int32), np.array([0, 1], dtype=np.int32),
                           np.ones(2), np.ones((2, 1)), np.empty((2, 1)), 1)
