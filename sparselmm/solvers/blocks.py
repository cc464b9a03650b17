"""Everything theta-free the blocked factor needs, learned once per model, and its two q2 x q2 work arrays.

Z'Z is split as [M11 C; C' M22] by the first term's columns: M11's k1 x k1 blocks per level
(grouped where many levels share one), the coupling C laid out level by level
(:mod:`sparselmm.solvers.levels`), M22's lower triangle as flat positions in the dense later
block. The same structure with new values on the same pattern (a GLMM's Z'WZ at each PIRLS
step) is gathered through markers, never laid out again. The work arrays G and S are shared
by every Blocks made on them, with a record of whose G the buffer G holds.
"""

from __future__ import annotations

import copy
import weakref
from contextlib import nullcontext
from types import SimpleNamespace

import numpy as np
import scipy.sparse as sp

from .._threads import AdaptiveThreads, kernel_threads
from ..inverse import diagonal_blocks
from .levels import GROUPING_GAIN, GROUPING_SHARE, CouplingLayout, GroupedCoupling, LaterTerm, group_levels

LEVEL_CHUNK = 256  # levels of a vector-valued term transformed at once (bounds the temporaries)
SMALL_DENSE = 500  # below this many later columns, BLAS threads are left as they are (the calls are tiny)


class Blocks:
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
        M11 = diagonal_blocks(M[: self.q1, : self.q1], self.k1)
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
    def markers(cls, ZtZ, covariance, buffers) -> "Blocks":
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

    def with_values(self, ZtZ) -> "Blocks":
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
        """The pair kernels' threads: the BLAS context's answer (every core only where every pool runs one
        thread), one where the work is too small to split."""
        return min(self.layout.threads, kernel_threads())

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
