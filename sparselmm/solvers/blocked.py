"""The blocked Cholesky factor of A(theta): the first term's k1 x k1 blocks, then the later terms dense.

With the layout of :mod:`sparselmm.solvers.levels` and the templates T1 (first term)
and Lambda2 (block diagonal over the later terms):

    A11_j = T1' M11_j T1 + I = L11_j L11_j'         one small block per level j
    S     = I + Lambda2' G Lambda2 = U' U           (q2 x q2, dense by nature)
    G     = M22 - sum_j C_j' D_j C_j,  D_j = T1 A11_j^-1 T1'

so log|A| = sum_j log|A11_j| + log|S| and L = [L11 0; A21 L11^-T U']. This is
MixedModels.jl's blocked factor, for any k1 and any later terms. Its derivatives
(``logdet_gradient``), per template entry of a later term, are

    d log|S| / d Lambda2 = 2 (S^-1 Lambda2' G)_ll summed over the term's levels l,

which, as S^-1 Lambda2' G Lambda2 = I - S^-1, is 2 (m I - sum_l S^-1_ll) T^-1 for a term's
invertible template T (S^-1's diagonal blocks alone), and for the first term, with Q_j = T1 A11_j^-1, R_j = I - Q_j T1' M11_j and
X_j = C_j Lambda2 S^-1 Lambda2' C_j',

    d log|A| / d T1 = 2 sum_j Q_j' (M11_j - X_j R_j)     (read at [b, a] for T1[a, b]).

The general forms hold at the bounds (a singular template) as well as inside. The sums over j
are the loops over pairs of later columns within a level: grouped (levels with
equal M11 share their weights, so their products are summed once) or level by
level in C (``sparselmm._kernels``), whichever is less work.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg as la
import scipy.sparse as sp

from .. import _kernels
from ..inverse import SchurInverse
from ..pls import solve_upper
from ..products import times
from .base import Solver
from .blocks import Blocks

# Later columns kept dense (6,000^2 doubles = 288 MB per buffer; two buffers).
MAX_DENSE = 6_000
IDENTITY_ERROR = 1e-9  # the largest error bound at which a later term's gradient is read from S^-1's diagonal


class BlockedSolver(Solver):
    """The blocked factor; bound to models whose later terms have at most ``max_dense`` columns."""

    name = "blocked"

    def __init__(self, max_dense: int = MAX_DENSE):
        super().__init__()
        self.max_dense = max_dense
        self._blocks = None

    def threads(self):
        """The BLAS thread context every evaluation runs in (see Blocks.threads)."""
        return self._blocks.threads()

    def fits(self, crossprods, covariance) -> bool:
        """Whether the later terms' columns are few enough to hold dense."""
        return crossprods.ZtZ.shape[0] - covariance.terms[0].q <= self.max_dense

    def bind(self, crossprods, covariance) -> "BlockedSolver":
        bound = BlockedSolver(self.max_dense)
        bound._blocks = Blocks(crossprods, covariance)
        return bound

    def with_products(self, crossprods) -> "BlockedSolver":
        """A solver for new values of Z'Z on the same pattern (a GLMM's Z'WZ at each PIRLS step), sharing
        this one's work arrays. Levels are not grouped: weights make every level's block its own.

        The pattern is laid out once (the first call lays out one whose values are the entries' positions);
        later calls with Z'Z on the same pattern only gather their values into it."""
        bound = BlockedSolver(self.max_dense)
        markers = getattr(self, "_markers", None)
        if markers is None or not markers.same_pattern(crossprods.ZtZ):
            markers = Blocks.markers(crossprods.ZtZ, self._blocks.covariance, self._blocks.buffers)
            self._markers = markers
        bound._blocks, bound._markers = markers.with_values(crossprods.ZtZ), markers
        return bound

    # ------------------------------------------------------------ the factor
    def _factor(self, theta: np.ndarray) -> None:
        blocks = self._blocks
        self._templates = blocks.covariance.templates(theta)
        T1 = self._templates[0]
        A11 = _congruent(T1, blocks.M11_distinct) + np.eye(blocks.k1)
        self._L11_distinct = _cholesky(A11)
        self._L11_inv_distinct = _lower_inverse(self._L11_distinct)
        self._L11_inv = self._L11_inv_distinct[blocks.group] if blocks.grouped else self._L11_inv_distinct
        diagonal = np.diagonal(self._L11_distinct, axis1=1, axis2=2)
        self._logdet = 2.0 * float(np.sum(blocks.group_sizes[:, None] * np.log(diagonal)))
        if blocks.q2:
            self._factor_schur(T1)

    def _factor_schur(self, T1: np.ndarray) -> None:
        blocks = self._blocks
        if not blocks.holds_G(T1):
            self._form_G(T1)
        S = blocks.S
        np.copyto(S, blocks.G)
        blocks.fill_diagonal_blocks(S)
        blocks.congruence(S, self._templates, transpose=True)
        S.ravel()[blocks.diagonal_flat] += 1.0
        self._U = _upper_cholesky_in_place(S.T)
        self._logdet += 2.0 * float(np.sum(np.log(np.diag(self._U))))

    def _form_G(self, T1: np.ndarray) -> None:
        """G = M22 - sum_j C_j' D_j C_j (lower triangle) for the first term's template T1. The record of what G
        holds is cleared first: a formation that stops part-way (an interrupt, no memory) leaves no claim."""
        blocks = self._blocks
        blocks.G_formed(None)
        G = blocks.G
        G.fill(0.0)
        if blocks.grouped:
            W = self._L11_inv_distinct @ T1.T  # (groups, k1, k1): D = W'W
            D = np.swapaxes(W, 1, 2) @ W
            G.ravel()[blocks.coupling.pattern] = blocks.M22_on_pattern - blocks.coupling.sums @ blocks.coupling.stack(D)
        else:
            G.ravel()[blocks.M22_flat] = blocks.M22_values
            layout = blocks.layout
            W = np.ascontiguousarray(self._L11_inv @ T1.T)  # (m1, k1, k1): D_j = W_j' W_j
            if blocks.C_dense is not None:  # G -= V'V with V_j = W_j C_j stacked: one BLAS rank update
                V = (W @ blocks.C_dense).reshape(-1, blocks.q2)
                la.blas.dsyrk(-1.0, V.T, beta=1.0, c=G.T, lower=0, overwrite_c=1)  # G.T's upper is G's lower
            else:
                _kernels.level_syrk(layout.ptr, layout.idx, layout.values, W, blocks.k1, G, blocks.q2,
                                    layout.syrk_split, blocks.kernel_threads)
        blocks.G_formed(T1)

    def logdet(self) -> float:
        self._require_factor()
        return self._logdet

    # ------------------------------------------------------------ solves
    def solve_L(self, B: np.ndarray) -> np.ndarray:
        self._require_factor()
        blocks, B = self._blocks, np.asarray(B, dtype=float)
        B = B.reshape(B.shape[0], -1)
        x1 = _per_level(self._L11_inv, B[: blocks.q1].reshape(blocks.m1, blocks.k1, -1))
        if not blocks.q2:
            return x1.reshape(blocks.q1, -1)
        through = _per_level(self._templates[0], _per_level(np.swapaxes(self._L11_inv, 1, 2), x1))  # Lambda1 L11^-T x1
        coupled = blocks.covariance.times_lambda(self.theta, times(blocks.C_t, through.reshape(blocks.q1, -1)),
                                                 transpose=True, terms=slice(1, None))
        x2 = solve_upper(self._U, B[blocks.q1:] - coupled, transpose=True)
        return np.vstack([x1.reshape(blocks.q1, -1), x2])

    def solve_Lt(self, C: np.ndarray) -> np.ndarray:
        self._require_factor()
        blocks, C = self._blocks, np.asarray(C, dtype=float)
        C = C.reshape(C.shape[0], -1)
        y1 = C[: blocks.q1].reshape(blocks.m1, blocks.k1, -1)
        if not blocks.q2:
            return _per_level(np.swapaxes(self._L11_inv, 1, 2), y1).reshape(blocks.q1, -1)
        x2 = solve_upper(self._U, C[blocks.q1:])
        spread = times(blocks.C, blocks.covariance.times_lambda(self.theta, x2, terms=slice(1, None)))
        coupled = _per_level(self._L11_inv, _per_level(self._templates[0].T, spread.reshape(blocks.m1, blocks.k1, -1)))
        x1 = _per_level(np.swapaxes(self._L11_inv, 1, 2), y1 - coupled)
        return np.vstack([x1.reshape(blocks.q1, -1), x2])

    # ------------------------------------------------------------ A^-1
    def logdet_gradient(self, skip_first: bool = False) -> list[np.ndarray]:
        """See Solver; with ``skip_first`` the first term's block (its sums over pairs of later columns, the
        largest part of the work after LAPACK's) is None."""
        self._require_factor()
        blocks = self._blocks
        if skip_first and blocks.q2:
            return [None] + self._later_gradient_alone()
        Q, R, M = self._first_term_pieces()  # per group, or per level
        if not blocks.q2:
            return [np.einsum("gba,gbc->ac", Q, M * blocks.group_sizes[:, None, None])]
        S_inv = self._invert_schur()
        later = self._later_gradient(S_inv)
        X = self._first_term_quadratics(S_inv)
        sizes = blocks.group_sizes[:, None, None]
        first = np.einsum("gba,gbc->ac", Q, sizes * M - X @ R)
        return [first] + later

    def _first_term_pieces(self):
        """Q = T1 A11^-1, R = I - Q T1' M11 and M11, per distinct first-term block."""
        blocks, T1 = self._blocks, self._templates[0]
        A11_inv = np.swapaxes(self._L11_inv_distinct, 1, 2) @ self._L11_inv_distinct
        Q = T1 @ A11_inv
        R = np.eye(blocks.k1) - Q @ T1.T @ blocks.M11_distinct
        return Q, R, blocks.M11_distinct

    def _invert_schur(self) -> np.ndarray:
        """S^-1 over the factor's memory, its lower triangle (C order; zeros above); the factor is spent."""
        self._spent = True
        inverse, info = la.lapack.dpotri(self._U, lower=False, overwrite_c=True)
        if info != 0:
            raise np.linalg.LinAlgError(f"the Schur complement is singular (LAPACK info {info})")
        return inverse.T

    def _later_gradient(self, S_inv: np.ndarray) -> list[np.ndarray]:
        """Per later term, sum over its levels l of (S^-1 Lambda2' G)_ll (k x k).

        As S^-1 Lambda2' G Lambda2 = S^-1 (S - I) = I - S^-1, that sum is (m I - sum_l S^-1_ll) T^-1, read
        from S^-1's diagonal blocks alone, wherever T is invertible and the difference keeps its digits
        (``_by_identity``); any other term's from the products of S^-1 with G.
        """
        blocks = self._blocks
        out = [_by_identity(S_inv.ravel()[positions].sum(axis=0), positions.shape[0], T)
               for positions, T in zip(blocks.later_diagonal_blocks, self._templates[1:])]
        if any(block is None for block in out):
            through_G = self._later_gradient_through_G(S_inv)
            out = [block if block is not None else other for block, other in zip(out, through_G)]
        return out

    def _later_gradient_alone(self) -> list[np.ndarray]:
        """The later terms' blocks where the first term's are not needed. S^-1 = X X' with X = U^-1 (LAPACK's
        triangular inverse, half the cost of S^-1 itself), so the sums of its diagonal blocks are sums of
        products of X's rows; S^-1 is formed from X only where a term needs it (``_later_gradient``)."""
        self._spent = True
        X, info = la.lapack.dtrtri(self._U, lower=False, overwrite_c=True)
        if info != 0:
            raise np.linalg.LinAlgError(f"the Schur complement is singular (LAPACK info {info})")
        Xt = X.T  # C order: X's rows are Xt's columns
        out = []
        for term, T in zip(self._blocks.later, self._templates[1:]):
            rows = Xt[:, term.start:term.stop].reshape(-1, term.k)  # (q2 * m, k): level l's rows side by side
            out.append(_by_identity(rows.T @ rows, term.m, T))
        if all(block is not None for block in out):
            return out
        S_inv, info = la.lapack.dlauum(X, lower=False, overwrite_c=True)
        return self._later_gradient(S_inv.T)

    def _later_gradient_through_G(self, S_inv: np.ndarray) -> list[np.ndarray]:
        """sum_l (S^-1 Lambda2' G)_ll per later term from the products themselves, singular templates included:
        sum_l <S^-1 rows of l, (G Lambda2) rows of l>. When every later term is scalar this is sum over a term's
        rows r of sum_c S^-1_rc G_rc lambda_c, read from the lower triangles of S^-1 and G (E = their product:
        row sums plus column sums minus the diagonal). G is spent."""
        blocks = self._blocks
        G = blocks.G
        if all(term.k == 1 for term in blocks.later):
            lam = blocks.column_scale(self._templates)
            blocks.G_formed(None)
            E = np.multiply(G, S_inv, out=G)
            per_row = E @ lam + E.T @ lam - np.diagonal(E) * lam
            return [np.array([[per_row[t.start:t.stop].sum()]]) for t in blocks.later]
        _fill_upper(S_inv)
        _fill_upper(G)
        out = []
        for term in blocks.later:
            rows = slice(term.start, term.stop)
            strip = blocks.covariance.times_lambda(self.theta, G[rows].T, transpose=True, terms=slice(1, None)).T
            left = S_inv[rows].reshape(term.m, term.k, -1).transpose(1, 0, 2).reshape(term.k, -1)
            right = strip.reshape(term.m, term.k, -1).transpose(1, 0, 2).reshape(term.k, -1)
            out.append(left @ right.T)
        return out

    def _first_term_quadratics(self, S_inv: np.ndarray) -> np.ndarray:
        """X per distinct first-term block, summed over its levels: sum_j C_j P C_j' with P = Lambda2 S^-1 Lambda2'.
        Level by level that is (C_j Lambda2) S^-1 (C_j Lambda2)', read from S^-1's lower triangle; the grouped
        sums hold C's own values, so they read P itself."""
        blocks = self._blocks
        if blocks.grouped:
            P = self._scaled_inverse(S_inv)
            on_pattern = P.ravel()[blocks.coupling.pattern] * blocks.both_triangles
            return blocks.coupling.unstack(blocks.coupling.sums_t @ on_pattern)
        return self._level_quadratics(S_inv, blocks.coupling_times_lambda(self._templates))

    def _scaled_inverse(self, S_inv: np.ndarray) -> np.ndarray:
        """Lambda2 S^-1 Lambda2' in the buffer G (no longer needed): its lower triangle, from S^-1's lower
        triangle (its diagonal blocks filled, as the congruence reads them whole)."""
        G = self._blocks.G
        self._blocks.G_formed(None)
        np.copyto(G, S_inv)
        self._blocks.fill_diagonal_blocks(G)
        self._blocks.congruence(G, self._templates, transpose=False)
        return G

    def _level_quadratics(self, S_inv: np.ndarray, CL: np.ndarray) -> np.ndarray:
        """X_j = (C_j Lambda2) S^-1 (C_j Lambda2)' per level (m1, k1, k1), from S^-1's lower triangle and
        ``CL`` = C Lambda2 on the layout (entries, k1)."""
        blocks, layout = self._blocks, self._blocks.layout
        X = np.empty((blocks.m1, blocks.k1, blocks.k1))
        _kernels.level_quadratics(layout.ptr, layout.idx, np.ascontiguousarray(CL), blocks.k1, S_inv, blocks.q2, X,
                                  layout.products_split, blocks.kernel_threads)
        return X

    def inverse(self) -> SchurInverse:
        self._require_factor()
        blocks = self._blocks
        L11_inv = self._L11_inv
        A11_inv = np.swapaxes(L11_inv, 1, 2) @ L11_inv  # (m1, k1, k1)
        if not blocks.q2:
            self._spent = True
            empty = sp.csr_matrix((blocks.q1, 0))
            return SchurInverse(blocks.k1, A11_inv, empty, np.zeros((0, 0)), A11_inv)
        S_inv = self._invert_schur()
        _fill_upper(S_inv)
        U = blocks.coupling_times_lambda(self._templates)
        X = self._level_quadratics(S_inv, U)
        Qt = A11_inv @ self._templates[0].T  # Q' = A11^-1 T1', per level
        W = blocks.layout.csr(np.einsum("eab,eb->ea", Qt[blocks.layout.level_of_entry], U))
        first = A11_inv + Qt @ X @ np.swapaxes(Qt, 1, 2)
        return SchurInverse(blocks.k1, A11_inv, W, S_inv, first)


def _by_identity(sums: np.ndarray, m: int, T: np.ndarray) -> np.ndarray | None:
    """(m I - sums) T^-1 for a later term (``sums``: the sum of its m diagonal blocks of S^-1, k x k); None
    where its bound on the relative rounding error, cond(T) eps m / |D| (the subtraction's cancellation, then
    T^-1), exceeds IDENTITY_ERROR: near the bounds."""
    D = m * np.eye(T.shape[0]) - sums
    size = np.abs(D).max()
    condition = np.linalg.cond(T) if np.all(np.diag(T) != 0.0) else np.inf
    if not size > 0.0 or not condition * np.finfo(float).eps * m / size < IDENTITY_ERROR:
        return None
    return la.solve_triangular(T, D.T, trans="T", lower=True).T  # D T^-1


def _per_level(A: np.ndarray, X: np.ndarray) -> np.ndarray:
    """A_j X_j for each level j: A (m, k, k) or one (k, k), X (m, k, r). For k = 1 a broadcast product
    (matmul steps through m products of 1 x 1 matrices: 50,000 levels took 0.6 ms instead of 0.2)."""
    if A.shape[-1] == 1:
        return A * X
    return A @ X


def _congruent(T: np.ndarray, blocks: np.ndarray) -> np.ndarray:
    """T' B T for each block B (n, k, k)."""
    return T.T @ blocks @ T


def _cholesky(blocks: np.ndarray) -> np.ndarray:
    """Lower Cholesky factors of SPD blocks (n, k, k)."""
    if blocks.shape[1] == 1:
        return np.sqrt(blocks)
    return np.linalg.cholesky(blocks)


def _lower_inverse(L: np.ndarray) -> np.ndarray:
    """Inverses of lower-triangular blocks (n, k, k)."""
    if L.shape[1] == 1:
        return 1.0 / L
    eye = np.broadcast_to(np.eye(L.shape[1]), L.shape)
    return np.linalg.solve(L, eye)


def _fill_upper(A: np.ndarray) -> None:
    """Make a C-ordered square matrix whose lower triangle is filled symmetric, in place."""
    _kernels.fill_upper(A, A.shape[0])


def _upper_cholesky_in_place(matrix: np.ndarray) -> np.ndarray:
    """U with U'U = matrix, over matrix's own memory (Fortran-ordered, upper triangle read)."""
    if matrix.size == 0:
        return matrix
    factor, info = la.lapack.dpotrf(matrix, lower=False, clean=True, overwrite_a=True)
    if info != 0:
        raise np.linalg.LinAlgError(f"the Schur complement is not positive definite (LAPACK info {info})")
    return factor
