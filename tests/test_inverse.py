"""SchurInverse: selected parts of A^-1 from the two-block split, checked against a dense inverse."""

import numpy as np
import pytest
import scipy.sparse as sp

from sparselmm.inverse import SchurInverse


def block_matrix(k1, m1, q2, seed=0):
    """An SPD matrix shaped like A: block-diagonal first part (m1 blocks of k1), coupled to q2 more columns."""
    rng = np.random.default_rng(seed)
    q1 = k1 * m1
    A = np.zeros((q1 + q2, q1 + q2))
    for level in range(m1):
        block = rng.normal(size=(k1, k1))
        A[level * k1:(level + 1) * k1, level * k1:(level + 1) * k1] = block @ block.T + k1 * np.eye(k1)
    coupling = rng.normal(size=(q1, q2)) * (rng.random((q1, q2)) < 0.3)
    A[:q1, q1:] = coupling
    A[q1:, :q1] = coupling.T
    tail = rng.normal(size=(q2, q2))
    A[q1:, q1:] = tail @ tail.T + (q1 + q2) * np.eye(q2)
    return A


@pytest.mark.parametrize("k1,m1,q2", [(1, 30, 8), (2, 12, 5), (3, 7, 0), (1, 5, 1)])
def test_blocks_trace_and_quadratic_forms_equal_the_dense_inverse(k1, m1, q2):
    A = block_matrix(k1, m1, q2)
    dense = np.linalg.inv(A)
    inverse = SchurInverse.from_matrix(sp.csc_matrix(A), k1, m1)
    blocks = inverse.first_term_blocks
    for level in range(m1):
        index = slice(level * k1, (level + 1) * k1)
        np.testing.assert_allclose(blocks[level], dense[index, index], rtol=1e-10)
    if q2:
        tail = inverse.later_blocks(k1 * m1, 1, q2)
        np.testing.assert_allclose(tail[:, 0, 0], np.diag(dense)[k1 * m1:], rtol=1e-10)
    assert inverse.trace() == pytest.approx(np.trace(dense), rel=1e-12)
    V = sp.random(20, A.shape[0], density=0.2, random_state=1, format="csr")
    expected = np.einsum("ij,jk,ik->i", V.toarray(), dense, V.toarray())
    np.testing.assert_allclose(inverse.quadratic_forms(V), expected, rtol=1e-10, atol=1e-14)
