"""The entries of A^-1 on the pattern of A's sparse Cholesky factor (Takahashi's equations, sparselmm._selinv)."""

import numpy as np
import pytest
import scipy.sparse as sp

from sparselmm._selinv import selected_inverse
from sparselmm.solvers._cholmod import CholmodFactor


def spd(n, density, seed):
    B = sp.random(n, n, density=density, random_state=seed)
    return (B @ B.T + sp.identity(n)).tocsc()


def factor_of(A, ordering):
    factor = CholmodFactor(sp.tril(A).tocsc(), ordering)
    factor.factorize(sp.tril(A).tocsc())
    L = factor.L()
    L.sort_indices()
    return factor, L


@pytest.mark.parametrize("ordering", ["natural", "amd"])
@pytest.mark.parametrize("n, density", [(1, 1.0), (40, 0.3), (300, 0.01), (300, 0.05)])
def test_the_entries_on_the_factors_pattern_are_those_of_the_inverse(n, density, ordering):
    A = spd(n, density, seed=n)
    factor, L = factor_of(A, ordering)
    values = L.data.copy()
    selected_inverse(L.indptr.astype(np.int32), L.indices.astype(np.int32), values)
    p = factor.permutation()
    inverse = np.linalg.inv(A.toarray())[np.ix_(p, p)]  # P A P' = L L'
    columns = np.repeat(np.arange(n), np.diff(L.indptr))
    np.testing.assert_allclose(values, inverse[L.indices, columns], rtol=1e-10, atol=1e-13)


def test_a_pattern_that_is_not_a_factors_is_refused():
    L = sp.csc_matrix(np.array([[2.0, 0, 0], [1.0, 2.0, 0], [1.0, 0, 2.0]]))  # rows 1, 2 of column 0 but no L_21
    with pytest.raises(ValueError, match="column 0: not the pattern of a Cholesky factor"):
        selected_inverse(L.indptr.astype(np.int32), L.indices.astype(np.int32), L.data.copy())
    upper = sp.csc_matrix(np.array([[2.0, 1.0], [0, 2.0]]))
    with pytest.raises(ValueError, match="column 1: not the pattern"):
        selected_inverse(upper.indptr.astype(np.int32), upper.indices.astype(np.int32), upper.data.copy())
