"""The profiled criterion and its exact gradient for models whose random-effects terms are all scalar.

With scalar terms Lambda is diagonal, and A = Lambda M Lambda + I (M = Z'Z)
splits at the first term into a diagonal block and the rest:

    A11 = diag(a),  a = theta1^2 m11 + 1          (q1 levels of the first term)
    S   = I + L2 (M22 - C' D C) L2                 (q2 x q2, dense by nature)

with C = M12 (q1 x q2 sparse), D = diag(theta1^2 / a) and L2 = diag(lambda2),
so log|A| = sum(log a) + log|S|. This is the blocked Cholesky MixedModels.jl
uses. Its inverse gives the gradient in closed form: for a term t with theta_t > 0,

    d f / d theta_t = 2 [q_t - tr_t(A^-1) - nu |u_t|^2 / r2 - (REML) |(K RX^-1)_t|^2] / theta_t

where tr_t sums the diagonal of A^-1 over the term's columns, u are the
spherical random effects, K = A^-1 Lambda Z'X and nu = n (ML) or n - p (REML).
Each part vanishes like theta_t at theta_t = 0, where the gradient is 0.
The gradient costs the inverse of S, about twice its factorization, and lets
a quasi-Newton optimiser converge in far fewer evaluations than a
derivative-free one.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg as la
import scipy.sparse as sp

from ._threads import blas_threads
from .inverse import SchurInverse
from .pairs import pairs_within_rows
from .pls import LOG_2PI, fixed_effects_step, solve_upper

# Columns after the first term for which S is kept dense here (6,000^2 doubles = 288 MB). The
# gradient costs an inverse of S, about twice its factorization, and saves more evaluations than
# that at every width measured (1e6 rows x 5,000 items: 21 s, BOBYQA through CHOLMOD 30 s).
MAX_DENSE = 6_000


def eligible(design, crossprods) -> bool:
    """All terms scalar, and the block after the first term small enough to keep dense."""
    terms = design.terms
    return all(t.k == 1 for t in terms) and crossprods.ZtZ.shape[0] - terms[0].q <= MAX_DENSE


class ScalarTermBlocks:
    """What A(theta) is made of, for scalar terms, split at the first term; no theta yet.

    S is dense, but only some of its entries depend on the data: those where
    M22 is non-zero or two columns of C share a row (two lecturers rated by one
    student). On InstEval that is 145,400 of the 668,746 entries of the lower
    triangle. The entries are listed once (``rows`` >= ``cols``), and the pairs
    of entries within each row of C are gathered in ``pairs`` (entries x q1):
    column i holds C_ij C_ik at the entry (j, k), so that C' diag(w) C on the
    pattern is ``pairs @ w`` for any weights w, at a cost of one pass over the
    pairs, sum_i deg_i (deg_i + 1) / 2.

    The weights the criterion needs depend on a level only through m11 (its
    number of rows, for an intercept), so levels with equal m11 are summed
    once: ``grouped_pairs`` (entries x distinct m11) has 1.08M of the 1.83M
    pairs of InstEval and one column for a balanced design.
    """

    def __init__(self, design, crossprods):
        sizes = [t.q for t in design.terms]
        self.q1 = sizes[0]
        self.q2 = int(sum(sizes)) - self.q1
        self.term_of_column = np.repeat(np.arange(len(sizes)), sizes)  # theta index per column of A
        M = sp.csr_matrix(crossprods.ZtZ)
        self.m11 = M.diagonal()[: self.q1]
        self.C = M[: self.q1, self.q1:].tocsr()
        self.C.sort_indices()  # within a row, later entries have larger columns: pairs fall in the lower triangle
        first, second = pairs_within_rows(self.C.indptr)
        M22 = sp.tril(M[self.q1:, self.q1:]).tocoo()
        diagonal = np.arange(self.q2)
        self.flat, (pair_entry, M22_entry, self.diagonal) = _entries(
            self.q2, (self.C.indices[first], self.C.indices[second]), (M22.row, M22.col), (diagonal, diagonal)
        )
        self.rows, self.cols = np.divmod(self.flat, self.q2)
        self.both_triangles = np.where(self.rows == self.cols, 1.0, 2.0)  # an entry below the diagonal counts twice
        self.M22 = np.bincount(M22_entry, weights=M22.data, minlength=len(self.flat))
        self.pairs = _pair_matrix(self.C, first, second, pair_entry, len(self.flat))
        self.distinct_m11, group = np.unique(self.m11, return_inverse=True)
        grouping = sp.csr_matrix((np.ones(self.q1), (np.arange(self.q1), group)),
                                 shape=(self.q1, len(self.distinct_m11)))
        self.grouped_pairs = (self.pairs @ grouping).tocsr()

    def lambdas(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        """The first term's theta and the diagonal of Lambda over the later columns (q2,)."""
        return theta[0], theta[self.term_of_column[self.q1:]]

    def first_diagonal(self, theta: np.ndarray) -> np.ndarray:
        """a = diag(A11) = theta1^2 m11 + 1 (q1,)."""
        return theta[0] ** 2 * self.m11 + 1.0

    def schur(self, theta: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """S at theta, (q2, q2) C-ordered with the lower triangle filled and zeros above.

        ``out``, a C-ordered (q2, q2) array, is filled instead of a new one.
        """
        if out is not None and not out.flags.c_contiguous:
            raise ValueError("out must be a C-contiguous (q2, q2) array: S is written through its flat view")
        lam1, lam2 = self.lambdas(theta)
        gram = self.grouped_pairs @ (lam1**2 / (lam1**2 * self.distinct_m11 + 1.0))  # C' D C on the pattern
        S = np.zeros((self.q2, self.q2)) if out is None else out
        S.fill(0.0)
        S.ravel()[self.flat] = lam2[self.rows] * lam2[self.cols] * (self.M22 - gram)
        S.ravel()[self.flat[self.diagonal]] += 1.0
        return S

    def coupling(self, theta: np.ndarray, S_inv: np.ndarray) -> np.ndarray:
        """diag(W S^-1 W') (q1,) with W = A11^-1 A12, from the lower triangle of S^-1 (C order).

        Row i of W is (theta1 / a_i) c_i L2, so its entry is a sum over the pairs
        of row i of C: (theta1 / a_i)^2 sum_jk C_ij C_ik lambda_j lambda_k (S^-1)_jk.
        """
        scale = (theta[0] / self.first_diagonal(theta)) ** 2
        return scale * (self.pairs.T @ self._on_pattern(theta, S_inv))

    def coupling_sum(self, theta: np.ndarray, S_inv: np.ndarray) -> float:
        """tr(W S^-1 W'), the sum of :meth:`coupling`, over the grouped pairs."""
        scale = (theta[0] / (theta[0] ** 2 * self.distinct_m11 + 1.0)) ** 2
        return float(self._on_pattern(theta, S_inv) @ (self.grouped_pairs @ scale))

    def _on_pattern(self, theta: np.ndarray, S_inv: np.ndarray) -> np.ndarray:
        """L2 S^-1 L2 on the pattern, entries below the diagonal doubled (they stand for both triangles)."""
        _, lam2 = self.lambdas(theta)
        return S_inv.ravel()[self.flat] * lam2[self.rows] * lam2[self.cols] * self.both_triangles

    def inverse(self, theta: np.ndarray) -> SchurInverse:
        """The parts of A^-1 at theta that the post-fit quantities need (see :mod:`sparselmm.inverse`)."""
        with blas_threads():
            lam1, lam2 = self.lambdas(theta)
            a = self.first_diagonal(theta)
            factor = BlockedFactor(a, lam1, lam2, self.schur(theta), self)
            S_inv = factor.invert_S_in_place()
            first = 1.0 / a + self.coupling(theta, S_inv)
            W = sp.diags(lam1 / a) @ self.C @ sp.diags(lam2)
            S_inv += np.tril(S_inv, -1).T
        return SchurInverse(1, (1.0 / a)[:, None, None], W.tocsr(), S_inv, first[:, None, None])


class ScalarTermCriterion:
    """objective(theta) and its gradient from the cross-products, for scalar-term models.

    One q2 x q2 work array serves every evaluation, so a criterion must not be
    called from two threads at once.
    """

    def __init__(self, blocks: ScalarTermBlocks, crossprods):
        self.blocks = blocks
        self.n, self.p = crossprods.nobs, crossprods.XtX.shape[0]
        self.right = np.column_stack([crossprods.Zty, crossprods.ZtX])  # (q, 1 + p)
        self.crossprods = crossprods
        self.sizes = np.bincount(self.blocks.term_of_column).astype(float)
        self._work = np.zeros((self.blocks.q2, self.blocks.q2))  # S, then its factor, then its inverse

    def __call__(self, theta: np.ndarray, REML: bool) -> tuple[float, np.ndarray]:
        """(criterion, gradient) at theta: the REML criterion or the ML deviance."""
        with blas_threads():
            return self._evaluate(np.asarray(theta, dtype=float), REML)

    def _evaluate(self, theta: np.ndarray, REML: bool) -> tuple[float, np.ndarray]:
        blocks = self.blocks
        lam = theta[blocks.term_of_column]
        lam1, lam2 = blocks.lambdas(theta)
        a = blocks.first_diagonal(theta)
        factor = BlockedFactor(a, lam1, lam2, blocks.schur(theta, out=self._work), blocks)
        logdet_A = np.sum(np.log(a)) + factor.logdet_S()

        solved = factor.solve_L(lam * self.right.T)  # (1 + p, q): rows cu, RZX'
        cu, RZX = solved[0], solved[1:].T
        RX, _, beta, r2 = fixed_effects_step(self.crossprods, cu, RZX)
        r2 = max(r2, np.finfo(float).tiny)  # an exact fit: the criterion's limit, and a finite gradient
        nu = self.n - (self.p if REML else 0)
        value = logdet_A + nu * (1.0 + LOG_2PI + np.log(r2 / nu))
        if REML:
            value += 2.0 * np.sum(np.log(np.abs(np.diag(RX))))

        u = factor.solve_Lt((cu - RZX @ beta)[None, :])[0]
        K = factor.solve_Lt(RZX.T).T  # (q, p) = A^-1 Lambda Z'X
        per_column = factor.inverse_diagonal_sums(theta) + nu * u**2 / r2  # the factor is spent
        if REML:
            per_column = per_column + np.sum(solve_upper(RX, K.T, transpose=True) ** 2, axis=0)
        summed = np.bincount(blocks.term_of_column, weights=per_column, minlength=len(theta))
        with np.errstate(divide="ignore", invalid="ignore"):
            gradient = np.where(theta > 0, 2.0 * (self.sizes - summed) / theta, 0.0)
        return float(value), gradient


class BlockedFactor:
    """The blocked Cholesky factor L = [sqrt(A11) 0; A21 A11^-1/2 L_S] at one theta.

    S (C-ordered, lower triangle filled) is factored in place. LAPACK is handed
    its transpose, Fortran-ordered with S in the upper triangle, so that neither
    the factorization nor the inverse copies the q2 x q2 array: U = L_S' is
    kept, and its memory, read in C order, is L_S.
    """

    def __init__(self, a, lam1, lam2, S: np.ndarray, blocks: ScalarTermBlocks):
        self.a, self.lam1, self.lam2, self.blocks = a, lam1, lam2, blocks
        self._U = _upper_cholesky_in_place(S.T)
        self._spent = False

    @property
    def U(self) -> np.ndarray:
        """U = L_S' (q2, q2), Fortran-ordered; gone once S has been inverted over it."""
        if self._spent:
            raise RuntimeError("this factor's memory now holds S^-1 (invert_S_in_place); factor again")
        return self._U

    def logdet_S(self) -> float:
        """log |S| = 2 sum(log diag(U))."""
        return 2.0 * float(np.sum(np.log(np.diag(self.U))))

    def solve_L(self, B: np.ndarray) -> np.ndarray:
        """Rows of L^-1 B' for B as (r, q)."""
        q1, C = self.blocks.q1, self.blocks.C
        x1 = B[:, :q1] / np.sqrt(self.a)
        coupling = self.lam2 * (C.T @ (self.lam1 * x1 / np.sqrt(self.a)).T).T  # (L21 x1)'
        x2 = solve_upper(self.U, (B[:, q1:] - coupling).T, transpose=True).T
        return np.hstack([x1, x2])

    def solve_Lt(self, V: np.ndarray) -> np.ndarray:
        """Rows of L^-T V' (the back substitution), V as (r, q)."""
        q1, C = self.blocks.q1, self.blocks.C
        x2 = solve_upper(self.U, V[:, q1:].T).T
        coupling = (self.lam1 / np.sqrt(self.a)) * (C @ (self.lam2 * x2).T).T  # (L21' x2)'
        x1 = (V[:, :q1] - coupling) / np.sqrt(self.a)
        return np.hstack([x1, x2])

    def invert_S_in_place(self) -> np.ndarray:
        """S^-1 over the factor's memory, lower triangle in C order (upper in U's view); the factor is spent."""
        U = self.U
        self._spent = True
        if U.size == 0:
            return U.T
        inverse, info = la.lapack.dpotri(U, lower=False, overwrite_c=True)
        if info != 0:
            raise np.linalg.LinAlgError(f"the Schur complement is singular (LAPACK info {info})")
        return inverse.T

    def inverse_diagonal_sums(self, theta: np.ndarray) -> np.ndarray:
        """diag(A^-1) (q,), except that the first term's entries are only right in their sum.

        (A^-1)_11 = A11^-1 + W S^-1 W' with W = A11^-1 A12: the first term's trace
        is sum(1/a) + tr(W S^-1 W'). Spends the factor.
        """
        S_inv = self.invert_S_in_place()
        first = 1.0 / self.a
        first[0] += self.blocks.coupling_sum(theta, S_inv)
        return np.concatenate([first, np.diag(S_inv)])


def _entries(size: int, *positions: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
    """The distinct flat positions (row * size + col, sorted) of all (rows, cols) given, and each one's entry number."""
    keys = [rows.astype(np.int64) * size + cols for rows, cols in positions]
    seen = np.zeros(size * size, dtype=bool)
    for k in keys:
        seen[k] = True
    entry_of = np.cumsum(seen, dtype=np.int32) - 1  # entry number of every position, read where seen
    return np.flatnonzero(seen), [entry_of[k] for k in keys]


def _pair_matrix(C: sp.csr_matrix, first, second, pair_entry, entries: int) -> sp.csc_matrix:
    """(entries, q1): column i holds C_ij C_ik at the entry of each pair (j, k) of row i of C."""
    degree = np.diff(C.indptr).astype(np.int64)
    indptr = np.concatenate([[0], np.cumsum(degree * (degree + 1) // 2)])  # row i's pairs, in pairs_within_rows order
    return sp.csc_matrix((C.data[first] * C.data[second], pair_entry, indptr), shape=(entries, C.shape[0]))


def _upper_cholesky_in_place(matrix: np.ndarray) -> np.ndarray:
    """U with U'U = matrix, over matrix's own memory (Fortran-ordered, upper triangle read)."""
    if matrix.size == 0:
        return matrix
    factor, info = la.lapack.dpotrf(matrix, lower=False, clean=True, overwrite_a=True)
    if info != 0:
        raise np.linalg.LinAlgError(f"the Schur complement is not positive definite (LAPACK info {info})")
    return factor
