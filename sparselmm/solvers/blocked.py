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

import copy
import weakref
from contextlib import nullcontext
from types import SimpleNamespace

import numpy as np
import scipy.linalg as la
import scipy.sparse as sp

from .. import _kernels
from .._threads import AdaptiveThreads
from ..inverse import SchurInverse
from ..pls import solve_upper
from ..products import times
from .base import Solver
from .levels import GROUPING_GAIN, GROUPING_SHARE, CouplingLayout, GroupedCoupling, LaterTerm, group_levels

# Later columns kept dense (6,000^2 doubles = 288 MB per buffer; two buffers).
MAX_DENSE = 6_000
LEVEL_CHUNK = 256  # levels of a vector-valued term transformed at once (bounds the temporaries)
SMALL_DENSE = 500  # below this many later columns, BLAS threads are left as they are (the calls are tiny)
IDENTITY_ERROR = 1e-9  # the largest error bound at which a later term's gradient is read from S^-1's diagonal


class BlockedSolver(Solver):
    """The blocked factor; bound to models whose later terms have at most ``max_dense`` columns."""

    name = "blocked"

    def __init__(self, max_dense: int = MAX_DENSE):
        super().__init__()
        self.max_dense = max_dense
        self._blocks = None

    def threads(self):
        """The BLAS thread context every evaluation runs in (see _Blocks.threads)."""
        return self._blocks.threads()

    def fits(self, crossprods, covariance) -> bool:
        """Whether the later terms' columns are few enough to hold dense."""
        return crossprods.ZtZ.shape[0] - covariance.terms[0].q <= self.max_dense

    def bind(self, crossprods, covariance) -> "BlockedSolver":
        bound = BlockedSolver(self.max_dense)
        bound._blocks = _Blocks(crossprods, covariance)
        return bound

    def with_products(self, crossprods) -> "BlockedSolver":
        """A solver for new values of Z'Z on the same pattern (a GLMM's Z'WZ at each PIRLS step), sharing
        this one's work arrays. Levels are not grouped: weights make every level's block its own.

        The pattern is laid out once (the first call lays out one whose values are the entries' positions);
        later calls with Z'Z on the same pattern only gather their values into it."""
        bound = BlockedSolver(self.max_dense)
        markers = getattr(self, "_markers", None)
        if markers is None or not markers.same_pattern(crossprods.ZtZ):
            markers = _Blocks.markers(crossprods.ZtZ, self._blocks.covariance, self._blocks.buffers)
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
        """G = M22 - sum_j C_j' D_j C_j (lower triangle) for the first term's template T1."""
        blocks = self._blocks
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
    def logdet_gradient(self) -> list[np.ndarray]:
        self._require_factor()
        blocks = self._blocks
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
        (``_later_gradient_by_identity``); any other term's from the products of S^-1 with G.
        """
        blocks = self._blocks
        out = [self._later_gradient_by_identity(S_inv, positions, T)
               for positions, T in zip(blocks.later_diagonal_blocks, self._templates[1:])]
        if any(block is None for block in out):
            through_G = self._later_gradient_through_G(S_inv)
            out = [block if block is not None else other for block, other in zip(out, through_G)]
        return out

    @staticmethod
    def _later_gradient_by_identity(S_inv: np.ndarray, positions: np.ndarray, T: np.ndarray) -> np.ndarray | None:
        """(m I - sum_l S^-1_ll) T^-1 for one term (``positions``: its diagonal blocks' flat positions in S^-1's
        lower triangle, (m, k, k)); None where its bound on the relative rounding error, cond(T) eps m / |D|
        (the subtraction's cancellation, then T^-1), exceeds IDENTITY_ERROR: near the bounds."""
        m, k = positions.shape[0], T.shape[0]
        D = m * np.eye(k) - S_inv.ravel()[positions].sum(axis=0)
        size = np.abs(D).max()
        condition = np.linalg.cond(T) if np.all(np.diag(T) != 0.0) else np.inf
        if not size > 0.0 or not condition * np.finfo(float).eps * m / size < IDENTITY_ERROR:
            return None
        return la.solve_triangular(T, D.T, trans="T", lower=True).T  # D T^-1

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


class _Blocks:
    """Everything theta-free the blocked factor needs, and its two q2 x q2 work arrays (G, then S)."""

    def __init__(self, crossprods, covariance, grouping: bool = True, buffers=None):
        terms = covariance.terms
        self.covariance = covariance
        self.k1, self.m1 = terms[0].k, terms[0].m
        self.q1 = terms[0].q
        M = sp.csr_matrix(crossprods.ZtZ)
        self.q2 = M.shape[0] - self.q1
        self.later, start = [], 0
        for term in terms[1:]:
            self.later.append(LaterTerm(start, term.k, term.m))
            start += term.q
        M11 = _diagonal_blocks(M[: self.q1, : self.q1], self.k1)
        self.layout = CouplingLayout(M[: self.q1, self.q1:], self.k1, self.m1, self.later)
        self.C = self.layout.csr(self.layout.values)
        self.C_dense = self.layout.dense(self.layout.values) if self.layout.dense_pays else None
        self.C_t = self.C.T.tocsr()
        M22 = sp.tril(M[self.q1:, self.q1:]).tocoo()
        self.M22_flat = M22.row.astype(np.int64) * self.q2 + M22.col
        self.M22_values = M22.data
        self.diagonal_flat = np.arange(self.q2, dtype=np.int64) * (self.q2 + 1)
        self._diagonal_block_pairs = _diagonal_block_pairs(self.later, self.q2)
        self.later_diagonal_blocks = [_diagonal_block_positions(term, self.q2) for term in self.later]
        self._entries_of_term = [np.flatnonzero((self.layout.idx >= t.start) & (self.layout.idx < t.stop))
                                 for t in self.later]
        self._choose_coupling(M11, grouping)
        self._choose_threads()
        # The work arrays, and [(the blocks, T1)] whose G the buffer G holds: shared by every blocks on them.
        self.buffers = buffers or (np.zeros((self.q2, self.q2)), np.zeros((self.q2, self.q2)), [None])
        self.G, self.S, self._G_of = self.buffers

    @classmethod
    def markers(cls, ZtZ, covariance, buffers) -> "_Blocks":
        """The ungrouped blocks of ZtZ's pattern with, in place of each value, its entry's position + 1 in
        ZtZ.data (0 where the layout holds a structural zero), for :meth:`with_values`."""
        marked = sp.csc_matrix(ZtZ, copy=True) if ZtZ.format != "csr" else sp.csr_matrix(ZtZ, copy=True)
        marked.data = np.arange(1.0, marked.nnz + 1.0)
        blocks = cls(SimpleNamespace(ZtZ=marked), covariance, grouping=False, buffers=buffers)
        blocks._pattern = (marked.format, marked.shape, marked.indptr, marked.indices)
        blocks._source = (ZtZ.indptr, ZtZ.indices)  # a GLMM's Z'WZ at each step shares these
        return blocks

    def same_pattern(self, ZtZ) -> bool:
        form, shape, indptr, indices = self._pattern
        if ZtZ.format == form and ZtZ.indptr is self._source[0] and ZtZ.indices is self._source[1]:
            return True
        return (ZtZ.format == form and ZtZ.shape == shape and np.array_equal(ZtZ.indptr, indptr)
                and np.array_equal(ZtZ.indices, indices))

    def with_values(self, ZtZ) -> "_Blocks":
        """These marker blocks with ZtZ's values (same pattern): every value array gathered, nothing laid out."""
        data = np.concatenate([[0.0], ZtZ.data])

        def gather(marks):
            return data[marks.astype(np.int64)]

        blocks = copy.copy(self)
        blocks.M11_distinct = gather(self.M11_distinct)
        blocks.layout = copy.copy(self.layout)
        blocks.layout.values = gather(self.layout.values)
        blocks.C, blocks.C_t = _with_data(self.C, gather(self.C.data)), _with_data(self.C_t, gather(self.C_t.data))
        blocks.M22_values = gather(self.M22_values)
        if self.C_dense is not None:
            blocks.C_dense = gather(self.C_dense)
        return blocks

    def _choose_threads(self) -> None:
        """Which of LAPACK and the pair kernels may get the second core (see _threads.AdaptiveThreads).

        LAPACK runs about 35 Gflop/s on one thread here (potrf + potri cost q2^3 flops), the kernels
        about 2 ns per pair of columns for both passes.
        """
        lapack_seconds = self.q2**3 / 3.5e10
        kernel_seconds = 0.0 if self.grouped else 2e-9 * self.layout.pair_work / self.k1
        self.schedule = AdaptiveThreads(kernel_seconds < lapack_seconds / 3, self.layout.threads)

    @property
    def kernel_threads(self) -> int:
        return self.schedule.kernel_threads

    def threads(self):
        """The context an evaluation runs in (none for small dense blocks, whose calls are tiny)."""
        return self.schedule.evaluation() if self.q2 >= SMALL_DENSE else nullcontext()

    def _choose_coupling(self, M11: np.ndarray, grouping: bool) -> None:
        """Group levels with equal M11 blocks when there are few groups and that is GROUPING_GAIN times less work."""
        self.grouped = False
        self.group = np.arange(self.m1)
        self.M11_distinct, self.group_sizes = M11, np.ones(self.m1)
        if not (grouping and self.q2):
            return
        group, distinct = group_levels(M11)
        if len(distinct) * GROUPING_SHARE <= self.m1:
            coupling = GroupedCoupling(self.layout, group, len(distinct), self.M22_flat)
            if coupling.work * GROUPING_GAIN <= self.layout.pair_work:
                self.coupling, self.grouped, self.group = coupling, True, group
                self.M11_distinct = distinct
                self.group_sizes = np.bincount(group, minlength=len(distinct)).astype(float)
                M22_entry = np.searchsorted(coupling.pattern, self.M22_flat)
                self.M22_on_pattern = np.bincount(M22_entry, weights=self.M22_values, minlength=len(coupling.pattern))
                rows, cols = np.divmod(coupling.pattern, self.q2)
                self.both_triangles = np.where(rows == cols, 1.0, 2.0)

    def holds_G(self, T1: np.ndarray) -> bool:
        """Whether the buffer G holds these blocks' G for the first term's template T1 (a Hessian's differences
        in later terms' parameters leave T1, so G, as they were)."""
        held = self._G_of[0]
        return held is not None and held[0]() is self and np.array_equal(held[1], T1)

    def G_formed(self, T1: np.ndarray | None) -> None:
        """Record that G now holds these blocks' G for T1 (None: that it was overwritten). The blocks are held
        weakly: blocks on the same arrays may outlive them, and must not keep them alive."""
        self._G_of[0] = None if T1 is None else (weakref.ref(self), T1.copy())

    def fill_diagonal_blocks(self, A: np.ndarray) -> None:
        """Copy the lower half of each later level's k x k diagonal block into its upper half."""
        upper, lower = self._diagonal_block_pairs
        A.ravel()[upper] = A.ravel()[lower]

    def congruence(self, A: np.ndarray, templates: list, transpose: bool) -> None:
        """A <- Lambda2' A Lambda2 (transpose) or Lambda2 A Lambda2', in place, for A holding full blocks."""
        for term, T in zip(self.later, templates[1:]):
            left = T.T if transpose else T
            if term.k == 1:
                A[term.start:term.stop] *= left[0, 0]
                A[:, term.start:term.stop] *= left[0, 0]
                continue
            for start in range(term.start, term.stop, LEVEL_CHUNK * term.k):
                rows = slice(start, min(start + LEVEL_CHUNK * term.k, term.stop))
                A[rows] = (left @ A[rows].reshape(-1, term.k, A.shape[1])).reshape(-1, A.shape[1])
            for start in range(0, A.shape[0], LEVEL_CHUNK):
                strip = A[start:start + LEVEL_CHUNK, term.start:term.stop]
                strip[...] = (strip.reshape(strip.shape[0], term.m, term.k) @ left.T).reshape(strip.shape)

    def column_scale(self, templates: list) -> np.ndarray:
        """The diagonal of Lambda2 (q2,), for later terms that are all scalar."""
        return np.repeat([T[0, 0] for T in templates[1:]], [t.m for t in self.later])

    def coupling_times_lambda(self, templates: list) -> np.ndarray:
        """C Lambda2 on the layout: entries (e, k1), each later level's k entries mixed by its template."""
        values = self.layout.values
        if all(t.k == 1 for t in self.later):
            return values * self.column_scale(templates)[self.layout.idx][:, None]
        if len(self.later) == 1:  # every entry is the one later term's: runs of k
            (term,), (T,) = self.later, templates[1:]
            return _template_mix(T, values, term.k)
        out = np.empty_like(values)
        for inside, term, T in zip(self._entries_of_term, self.later, templates[1:]):
            out[inside] = _template_mix(T, values[inside], term.k)
        return out


def _template_mix(T: np.ndarray, values: np.ndarray, k: int) -> np.ndarray:
    """T' V_l for each run l of k rows of ``values`` (runs * k, k1): each run as one row of k * k1 values times
    kron(T, I_k1), one BLAS product (einsum's took 5 to 16 ms on the crossed slopes' 400,000 runs, this 0.5)."""
    k1 = values.shape[1]
    return (values.reshape(-1, k * k1) @ np.kron(T, np.eye(k1))).reshape(values.shape)


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


def _diagonal_blocks(A11: sp.spmatrix, k: int) -> np.ndarray:
    """The k x k diagonal blocks of a block-diagonal sparse matrix, shape (m, k, k)."""
    m = A11.shape[0] // k
    coo = sp.coo_matrix(A11)
    blocks = np.zeros((m, k, k))
    np.add.at(blocks, (coo.row // k, coo.row % k, coo.col % k), coo.data)
    return blocks


def _diagonal_block_pairs(later: list[LaterTerm], q2: int) -> tuple[np.ndarray, np.ndarray]:
    """Flat positions of the strict upper halves of the later levels' diagonal blocks, and their mirrors."""
    upper, lower = [], []
    for term in later:
        a, b = np.triu_indices(term.k, 1)
        starts = term.start + np.arange(term.m)[:, None] * term.k
        rows, cols = (starts + a).ravel(), (starts + b).ravel()
        upper.append(rows.astype(np.int64) * q2 + cols)
        lower.append(cols.astype(np.int64) * q2 + rows)
    empty = np.zeros(0, dtype=np.int64)
    return (np.concatenate(upper) if upper else empty), (np.concatenate(lower) if lower else empty)


def _diagonal_block_positions(term: LaterTerm, q2: int) -> np.ndarray:
    """Flat positions (m, k, k) of a later term's diagonal blocks in a C-ordered q2 x q2 matrix, every entry
    read from the lower triangle (row >= column)."""
    a, b = np.meshgrid(np.arange(term.k), np.arange(term.k), indexing="ij")
    starts = term.start + np.arange(term.m, dtype=np.int64)[:, None, None] * term.k
    return (starts + np.maximum(a, b)) * q2 + (starts + np.minimum(a, b))


def _with_data(matrix: sp.spmatrix, data: np.ndarray) -> sp.spmatrix:
    """``matrix`` with other values on its pattern, sharing its index arrays (no format check: it had one)."""
    out = copy.copy(matrix)
    out.data = data
    return out


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
