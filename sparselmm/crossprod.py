"""Cross-products of the data, computed once, and the penalized system at theta built from them: A and its right side.

Every quantity of the profiled fit depends on the data only through Z'Z, Z'X,
Z'y, X'X, X'y and y'y. They are formed once per data set (and can be summed
over chunks of rows), so that an objective evaluation never touches an
n-length array. Z'Z is sparse (q, q); Z'X is dense (q, p) with p small.

The products are taken of y minus its least-squares fit on X (``beta_ols``):
the fit is linear in y, so this changes beta by beta_ols and nothing else,
while y'y shrinks to the OLS residual sum of squares. The penalized RSS is
found as y'y - |cu|^2 - |cbeta|^2, and a response far from zero (incomes,
years) would otherwise lose most of its digits in that subtraction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from . import checks


@dataclass(frozen=True)
class CrossProducts:
    """The sufficient statistics of a linear mixed model (y here is y - X beta_ols)."""

    ZtZ: sp.csc_matrix  # (q, q)
    ZtX: np.ndarray  # (q, p)
    Zty: np.ndarray  # (q,)
    XtX: np.ndarray  # (p, p)
    Xty: np.ndarray  # (p,)
    yty: float
    nobs: int
    beta_ols: np.ndarray  # (p,) removed from y before the products; added back to beta
    moments: "ResponseMoments"
    column_summary: np.ndarray  # (5, p) count, sum, sum of squares, min, max of X's columns (lme4's scale check)
    log_weights: float = 0.0  # sum of log prior weights: the weighted likelihood's constant

    @classmethod
    def from_rows(cls, coded, terms) -> "CrossProducts":
        """The statistics of rows coded by a spec (:class:`~sparselmm.spec.CodedRows`) for its ``terms``."""
        accumulator = Accumulator(terms)
        accumulator.add(coded)
        return accumulator.result()

    def keep_columns(self, keep: list) -> "CrossProducts":
        """The same statistics for a subset of X's columns, the others being combinations of these.

        The shift X beta_ols is rewritten on the kept columns (X_kept gamma = X beta_ols,
        exact when the dropped columns are combinations of the kept ones).
        """
        XtX = self.XtX[np.ix_(keep, keep)]
        gamma = np.linalg.solve(XtX, self.XtX[keep, :] @ self.beta_ols)
        return CrossProducts(
            self.ZtZ, self.ZtX[:, keep], self.Zty, XtX, self.Xty[keep], self.yty, self.nobs, gamma, self.moments,
            self.column_summary[:, keep], self.log_weights,
        )


@dataclass(frozen=True)
class ResponseMoments:
    """Sums of y - c for lme4's starting values: per random-effect column (q,), in all, and of squares."""

    Zty: np.ndarray
    total: float
    squares: float


class Accumulator:
    """Sums the cross-products over chunks of rows: the same statistics as one pass over all rows.

    Z is never formed: its products come from each term's level codes (n,) and
    columns (n, k), by bincounts (a term with itself, block diagonal) and one
    sparse coordinate sum per pair of terms. The shift of y (an OLS fit on X, and
    a mean for the moments) is ``shift`` where given (so that accumulators built
    apart, one per partition of a cluster, can be merged), else the first chunk's;
    any shift is exact, one that is close to the data keeps digits.
    """

    def __init__(self, terms, shift: tuple | None = None):
        self.terms = tuple(terms)
        self.offsets = np.concatenate([[0], np.cumsum([t.q for t in self.terms])]).astype(np.int64)
        self._sums = None
        if shift is not None:
            self._beta, self._center = np.asarray(shift[0], dtype=float), float(shift[1])

    @property
    def shift(self) -> tuple:
        """(beta (p,), centre): what y is shifted by before the products (set by the first chunk)."""
        return self._beta, self._center

    def merge(self, other: "Accumulator") -> "Accumulator":
        """Add ``other``'s sums (same terms and shift) to these; returns self."""
        if other._sums is None:
            return self
        if hasattr(self, "_beta") and not (np.array_equal(self._beta, other._beta) and self._center == other._center):
            raise ValueError("accumulators with different shifts of y cannot be merged")
        if self._sums is None:
            self._sums, self._beta, self._center = other._sums, other._beta, other._center
            return self
        summary = checks.combine_summaries(self._sums[-1], other._sums[-1])
        self._sums = [a + b for a, b in zip(self._sums[:-1], other._sums[:-1])] + [summary]
        return self

    def add(self, coded) -> None:
        """Add one chunk's rows. With prior weights w every product is weighted (Z'WZ, X'Wy, ...); an
        offset is taken from the response first (the fit is of y - offset)."""
        X, y = coded.X, coded.y if coded.offset is None else coded.y - coded.offset
        root = None if coded.weights is None else np.sqrt(coded.weights)
        if root is not None:  # weighted products are those of sqrt(w) times every row
            X, y = X * root[:, None], y * root
        if not hasattr(self, "_beta"):
            if not len(y):
                return  # nothing to add, and no shift to learn from
            self._beta = np.linalg.lstsq(X, y, rcond=None)[0]
            self._center = float(np.mean(y))
        if not len(y):
            return
        shifted = y - X @ self._beta
        centered = y - self._center
        Ztright = self._Zt_times(coded, [shifted, *X.T, centered], root)  # Z'[shifted X centered]
        chunk = [
            self._ZtZ(coded, root), Ztright[:, 1:-1], Ztright[:, 0], X.T @ X, X.T @ shifted,
            float(shifted @ shifted), len(y), Ztright[:, -1], float(centered.sum()), float(centered @ centered),
            float(np.sum(np.log(coded.weights))) if coded.weights is not None else 0.0,
            checks.column_summary(coded.X),
        ]
        if self._sums is None:
            self._sums = chunk
        else:
            summary = checks.combine_summaries(self._sums[-1], chunk[-1])
            self._sums = [a + b for a, b in zip(self._sums[:-1], chunk[:-1])] + [summary]

    def _Zt_times(self, coded, columns: list, root=None) -> np.ndarray:
        """Z'B (q, r) for B given by its r ``columns`` (n,) (the rows of Z scaled by ``root`` where given): per
        term, column a of its matrix and column of B, one bincount over the rows."""
        out = np.zeros((self.offsets[-1], len(columns)))
        for term, start, codes, matrix in zip(self.terms, self.offsets, coded.codes, coded.matrices):
            block = out[start:start + term.q].reshape(term.m, term.k, -1)
            scaled = matrix if root is None else matrix * root[:, None]
            for a in range(term.k):
                factor = None if np.all(scaled[:, a] == 1.0) else scaled[:, a]  # an intercept column
                for j, column in enumerate(columns):
                    weights = column if factor is None else factor * column
                    block[:, a, j] = np.bincount(codes, weights=weights, minlength=term.m)
        return out

    def _ZtZ(self, coded, root=None) -> sp.csc_matrix:
        """Z'Z (q, q) (Z'WZ with ``root`` = sqrt(w)): each term's block diagonal by bincounts, each pair of
        terms as one sparse block whose duplicates CSR's construction sums."""
        matrices = coded.matrices if root is None else [m * root[:, None] for m in coded.matrices]
        n_terms = len(self.terms)
        blocks = [[None] * n_terms for _ in range(n_terms)]
        for s, (term_s, codes_s, matrix_s) in enumerate(zip(self.terms, coded.codes, matrices)):
            blocks[s][s] = _diagonal_block(term_s, codes_s, matrix_s)
            for t in range(s + 1, n_terms):
                blocks[s][t] = _cross_block(term_s, codes_s, matrix_s, self.terms[t], coded.codes[t], matrices[t])
                blocks[t][s] = blocks[s][t].T
        ZtZ = sp.bmat(blocks, format="csc")
        ZtZ.sort_indices()
        return ZtZ

    def result(self) -> CrossProducts:
        if self._sums is None:
            raise ValueError("no rows were added")
        ZtZ, ZtX, Zty, XtX, Xty, yty, nobs, Zty_c, total, squares, log_weights, summary = self._sums
        ZtZ = ZtZ.tocsc()
        ZtZ.sort_indices()
        return CrossProducts(ZtZ, ZtX, Zty, XtX, Xty, yty, nobs, self._beta, ResponseMoments(Zty_c, total, squares),
                             summary, log_weights)


def _diagonal_block(term, codes: np.ndarray, matrix: np.ndarray) -> sp.csr_matrix:
    """Z_t'Z_t (q_t, q_t) of one term: block diagonal, a (k, k) block per level, each entry one bincount."""
    k, m = term.k, term.m
    levels = np.arange(m, dtype=np.int64) * k
    rows, cols, values = [], [], []
    for a in range(k):
        for b in range(k):
            rows.append(levels + a)
            cols.append(levels + b)
            values.append(np.bincount(codes, weights=matrix[:, a] * matrix[:, b], minlength=m))
    return sp.csr_matrix((np.concatenate(values), (np.concatenate(rows), np.concatenate(cols))), shape=(k * m,) * 2)


def _cross_block(term_s, codes_s, matrix_s, term_t, codes_t, matrix_t) -> sp.csr_matrix:
    """Z_s'Z_t (q_s, q_t) of two terms: every row's products of a column of each, summed where they meet."""
    pairs = [(a, b) for a in range(term_s.k) for b in range(term_t.k)]
    rows = np.concatenate([codes_s.astype(np.int64) * term_s.k + a for a, _ in pairs])
    cols = np.concatenate([codes_t.astype(np.int64) * term_t.k + b for _, b in pairs])
    values = np.concatenate([matrix_s[:, a] * matrix_t[:, b] for a, b in pairs])
    return sp.csr_matrix((values, (rows, cols)), shape=(term_s.q, term_t.q))


class PenalizedSystem:
    """A = Lambda' Z'Z Lambda + I at theta as a sparse matrix (lower triangle, one fixed pattern), for CHOLMOD.

    scipy.sparse products drop entries that happen to be zero (all of them at
    theta = 0), so A's values are written into a pattern fixed once: the lower
    triangle of the structural pattern of |Lambda|' |Z'Z| |Lambda| + I. CHOLMOD
    reads only the lower triangle, and its symbolic analysis of the pattern stays
    valid for every theta.

    Every entry of A is a quadratic form in theta: A_ij = sum_kl Lambda_ki
    (Z'Z)_kl Lambda_lj, where each stored Lambda_ki is some theta_a. The
    coefficients are gathered once in Q (entries of A x n_theta^2), so that a
    new theta costs one sparse product, A's values = Q kron(theta, theta), and
    no sparse matrix is multiplied out per evaluation.
    """

    def __init__(self, crossprods: CrossProducts, covariance):
        ZtZ = crossprods.ZtZ
        ones = abs(covariance.lambda_pattern).astype(bool).astype(float)
        positive = abs(ZtZ) + abs(ZtZ).astype(bool)  # strictly positive on ZtZ's pattern: no cancellation
        pattern = sp.tril(ones.T @ positive @ ones + sp.identity(ZtZ.shape[0])).tocsc()
        pattern.sort_indices()
        self._pattern = pattern
        keys = _position_keys(pattern)
        q = pattern.shape[0]
        self._diagonal = np.searchsorted(keys, np.arange(q, dtype=np.int64) * (q + 1))
        self._Q = _quadratic_coefficients(ZtZ, covariance, keys)

    @property
    def pattern(self) -> sp.csc_matrix:
        """A's structure (lower triangle, CSC, sorted indices)."""
        return self._pattern

    def logdet_gradient(self, theta: np.ndarray, inverse: np.ndarray) -> np.ndarray:
        """d log|A| / d theta (n_theta,) from ``inverse``, A^-1's entries on the pattern (in its order).

        d log|A| = tr(A^-1 dA), summed over A's entries: the lower triangle's off-diagonal entries count
        twice. A's values are Q (theta kron theta), so with G = Q' (weighted A^-1 entries) reshaped to
        (n_theta, n_theta), the gradient is (G + G') theta.
        """
        weighted = 2.0 * inverse
        weighted[self._diagonal] = inverse[self._diagonal]
        t = len(theta)
        G = (self._Q.T @ weighted).reshape(t, t)
        return (G + G.T) @ np.asarray(theta, dtype=float)

    def assemble(self, theta: np.ndarray) -> sp.csc_matrix:
        """The lower triangle of A at ``theta``, on the fixed pattern (q, q)."""
        theta = np.asarray(theta, dtype=float)
        A = self._pattern.copy()
        A.data = self._Q @ np.outer(theta, theta).ravel()
        A.data[self._diagonal] += 1.0
        return A


def _position_keys(matrix: sp.csc_matrix) -> np.ndarray:
    """col * nrows + row of every stored entry of a CSC matrix: sorted when its indices are."""
    cols = np.repeat(np.arange(matrix.shape[1], dtype=np.int64), np.diff(matrix.indptr))
    return cols * matrix.shape[0] + matrix.indices


def _quadratic_coefficients(ZtZ: sp.spmatrix, covariance, keys: np.ndarray) -> sp.csr_matrix:
    """Q (len(keys), n_theta^2): A's lower-triangle values are Q kron(theta, theta), plus 1 on the diagonal.

    Each stored (Z'Z)_kl meets every stored Lambda_ki of row k and Lambda_lj of
    row l, adding (Z'Z)_kl theta_a theta_b to A_ij; only i >= j is kept. Lambda
    is block diagonal, so (Z'Z)_kl with k's block before l's adds only above the
    diagonal and is skipped first.
    """
    n_theta = covariance.n_theta
    L = sp.csr_matrix(covariance.lambda_matrix(np.arange(1.0, n_theta + 1)))  # data: theta index + 1
    L.sort_indices()
    degree = np.diff(L.indptr)
    block = L.indices[L.indptr[:-1]]  # a template is lower triangular: each row starts at its block's first column
    M = sp.coo_matrix(ZtZ)
    keep = block[M.row] >= block[M.col]
    k, l, values = M.row[keep], M.col[keep], M.data[keep]
    count = degree[k] * degree[l]
    term = np.repeat(np.arange(len(values)), count)
    within = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    at_i = L.indptr[k][term] + within // degree[l][term]
    at_j = L.indptr[l][term] + within % degree[l][term]
    i, j = L.indices[at_i], L.indices[at_j]
    lower = i >= j
    entry = np.searchsorted(keys, j[lower].astype(np.int64) * L.shape[0] + i[lower])
    column = (L.data[at_i[lower]].astype(np.int64) - 1) * n_theta + L.data[at_j[lower]].astype(np.int64) - 1
    Q = sp.csr_matrix((values[term[lower]], (entry, column)), shape=(len(keys), n_theta**2))
    Q.sum_duplicates()
    return Q
