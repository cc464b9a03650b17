"""Selected entries of A^-1 without forming A^-1: its diagonal blocks, trace and quadratic forms.

A = Lambda' Z'Z Lambda + I splits at the first random-effects term:

    A = [A11 A12]     A11 is block diagonal (each row of the data has one level of
        [A21 A22]     the first term, so its k x k blocks never meet), A22 covers
                      the remaining terms: q2 = q - k*m1 columns.

With W = A11^-1 A12 and the Schur complement S = A22 - A21 W (q2 x q2),

    A^-1 = [A11^-1 + W S^-1 W'   -W S^-1]
           [-S^-1 W'              S^-1  ]

S is dense by nature: it is the trailing block that a sparse Cholesky of A
fills in too (for crossed factors, the smaller factor's levels); inverting it
(LAPACK's potrf then potri) costs about three factorizations of it. Everything
else is sparse work over the rows of W, done in batches: no q x q or n x q
dense array is formed.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg as la
import scipy.sparse as sp

from ._threads import blas_threads
from .errors import SparseLMMError
from .pairs import pairs_within_rows

MAX_DENSE = 12_000  # columns of S kept dense (12,000^2 doubles = 1.15 GB)
BATCH = 4_096  # rows of W per dense batch


class SchurInverse:
    """The parts of A^-1 the post-fit quantities need, from the two-block split.

    Built from a sparse A by :meth:`from_matrix`, or for scalar-term models from
    their blocks (``blocked.ScalarTermBlocks.inverse``), which reuse the pairs
    structure of the fit and know the first term's blocks already.
    """

    def __init__(self, k1: int, A11_inv: np.ndarray, W: sp.csr_matrix, S_inv: np.ndarray,
                 first_term_blocks: np.ndarray | None = None):
        """A11_inv (m1, k1, k1), W = A11^-1 A12 (q1, q2), S_inv (q2, q2) symmetric."""
        self.k1, self.m1 = k1, A11_inv.shape[0]
        self.q1, self.q2 = W.shape
        self.A11_inv, self.W, self.S_inv = A11_inv, W, S_inv
        self._first_term_blocks = first_term_blocks

    @classmethod
    def from_matrix(cls, A: sp.spmatrix, k1: int, m1: int) -> "SchurInverse":
        """From A (q, q), both triangles, whose first k1 * m1 columns are the first term's."""
        A = sp.csr_matrix(A)
        q1 = k1 * m1
        q2 = A.shape[0] - q1
        if q2 > MAX_DENSE:
            raise SparseLMMError(
                f"the random effects after the first term have {q2} columns; their block of A^-1 "
                f"is dense by nature and kept only up to {MAX_DENSE} columns ({MAX_DENSE}^2 doubles). "
                "Compute this quantity on a subset of the levels, or with fewer crossed terms"
            )
        with blas_threads():
            A11_inv = np.linalg.inv(diagonal_blocks(A[:q1, :q1], k1))  # (m1, k1, k1)
            A12 = A[:q1, q1:]
            W = (_block_diagonal(A11_inv) @ A12).tocsr()  # (q1, q2), pattern of A12
            schur = A[q1:, q1:].toarray() - (A12.T @ W).toarray()  # dense by nature (q2, q2)
            return cls(k1, A11_inv, W, _spd_inverse(schur))

    @property
    def first_term_blocks(self) -> np.ndarray:
        """Diagonal k1 x k1 blocks of A^-1 for the first term's levels, shape (m1, k1, k1)."""
        if self._first_term_blocks is None:
            self._first_term_blocks = self._first_blocks_from_W()
        return self._first_term_blocks

    def _first_blocks_from_W(self) -> np.ndarray:
        """A11^-1 + the diagonal blocks of W S^-1 W'."""
        blocks = self.A11_inv.copy()
        if self.q2 == 0:
            return blocks
        with blas_threads():
            if self.k1 == 1:
                blocks[:, 0, 0] += self._coupling_by_pairs()
            else:
                self._add_coupling(blocks)
        return blocks

    def _coupling_by_pairs(self) -> np.ndarray:
        """diag(W S^-1 W') for scalar first terms: sum over pairs of entries in each (sparse) row of W."""
        W = self.W.copy()
        W.sort_indices()
        first, second = pairs_within_rows(W.indptr)
        rows = np.repeat(np.arange(W.shape[0]), np.diff(W.indptr) * (np.diff(W.indptr) + 1) // 2)
        flat = W.indices[first].astype(np.int64) * self.q2 + W.indices[second]
        values = W.data[first] * W.data[second] * np.take(self.S_inv.ravel(), flat)
        values *= np.where(first != second, 2.0, 1.0)  # (a, b) and (b, a)
        return np.bincount(rows, weights=values, minlength=W.shape[0])

    def _add_coupling(self, blocks: np.ndarray) -> None:
        """blocks += the diagonal blocks of W S^-1 W', in batches of levels."""
        step = max(BATCH // self.k1, 1)
        for start in range(0, self.m1, step):
            stop = min(start + step, self.m1)
            rows = slice(start * self.k1, stop * self.k1)
            W_rows = self.W[rows].toarray().reshape(stop - start, self.k1, self.q2)
            G = (self.W[rows] @ self.S_inv).reshape(stop - start, self.k1, self.q2)
            blocks[start:stop] += np.einsum("lai,lbi->lab", G, W_rows)

    def later_blocks(self, offset: int, k: int, m: int) -> np.ndarray:
        """Diagonal k x k blocks of A^-1 for a later term whose columns start at ``offset``, (m, k, k)."""
        index = offset - self.q1 + np.arange(m)[:, None] * k + np.arange(k)
        return self.S_inv[index[:, :, None], index[:, None, :]]

    def trace(self) -> float:
        """tr(A^-1)."""
        first = float(np.trace(self.first_term_blocks, axis1=1, axis2=2).sum())
        return first + float(np.trace(self.S_inv))

    def quadratic_forms(self, V: sp.spmatrix) -> np.ndarray:
        """v_i' A^-1 v_i for each row v_i of V (n, q), in batches of rows."""
        V = sp.csr_matrix(V)
        V1, V2 = V[:, : self.q1], V[:, self.q1:]
        first = np.asarray(V1.multiply(V1 @ _block_diagonal(self.A11_inv)).sum(axis=1)).ravel()
        if self.q2 == 0:
            return first
        Y = (V1 @ self.W - V2).tocsr()  # (n, q2): the part of v_i that reaches the dense block
        second = np.empty(V.shape[0])
        with blas_threads():
            self._add_batches(Y, second)
        return first + second

    def _add_batches(self, Y: sp.csr_matrix, second: np.ndarray) -> None:
        for start in range(0, Y.shape[0], BATCH):
            block = Y[start:start + BATCH]
            second[start:start + BATCH] = np.asarray(block.multiply(block @ self.S_inv).sum(axis=1)).ravel()


def diagonal_blocks(A11: sp.spmatrix, k: int) -> np.ndarray:
    """The k x k diagonal blocks of a block-diagonal sparse matrix, shape (m, k, k)."""
    m = A11.shape[0] // k
    coo = sp.coo_matrix(A11)
    blocks = np.zeros((m, k, k))
    np.add.at(blocks, (coo.row // k, coo.row % k, coo.col % k), coo.data)
    return blocks


def _block_diagonal(blocks: np.ndarray) -> sp.csr_matrix:
    """The sparse block-diagonal matrix of ``blocks`` (m, k, k), shape (m*k, m*k)."""
    m, k, _ = blocks.shape
    level, a, b = np.meshgrid(np.arange(m), np.arange(k), np.arange(k), indexing="ij")
    return sp.csr_matrix((blocks.ravel(), ((level * k + a).ravel(), (level * k + b).ravel())), shape=(m * k, m * k))


def _spd_inverse(matrix: np.ndarray) -> np.ndarray:
    """Inverse of a symmetric positive definite matrix by LAPACK's potrf + potri (n^3 flops in all)."""
    if matrix.size == 0:
        return matrix
    factor, info = la.lapack.dpotrf(matrix, lower=True, overwrite_a=True)
    if info != 0:
        raise np.linalg.LinAlgError(f"the Schur complement is not positive definite (LAPACK info {info})")
    inverse, info = la.lapack.dpotri(factor, lower=True, overwrite_c=True)
    lower = np.tril(inverse)
    return lower + np.tril(lower, -1).T
