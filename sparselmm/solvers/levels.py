"""Z'Z split at the first random-effects term, level by level: the structure the blocked factor works on.

No theta here: everything is learned once per model from the cross-products.

    Z'Z = [M11  C  ]    M11: the first term's m1 diagonal k1 x k1 blocks (each row of
          [C'   M22]    the data has one level of it, so its blocks never meet);
                        C (q1 x q2): how the first term's levels meet the later columns;
                        M22 (q2 x q2): the later terms among themselves.

The dense block of the factor receives, from every level j of the first term, the
products of C_j (its k1 rows of C) over the later columns that level touches
(``CouplingLayout``). Levels with identical M11 blocks (equal counts, for random
intercepts) receive them with equal weights at any theta, so their products can be
summed once (``GroupedCoupling``): for a balanced design one sparse sum serves all
levels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .. import _kernels
from .._threads import CORES, THREADED_WORK

# Levels are grouped only when there are this many times fewer groups than levels (building the grouped
# sums costs a pass over all pairs), and then only if that shrinks the work at least GROUPING_GAIN times.
GROUPING_SHARE = 50
GROUPING_GAIN = 4
# The coupling is held dense as well where a BLAS rank update of it costs at most this many times the pair
# products (BLAS runs ~15 times faster per product than the scattered loop), with at most MAX_DENSE_COUPLING values.
DENSE_GAIN = 4
MAX_DENSE_COUPLING = 2_000_000


@dataclass(frozen=True)
class LaterTerm:
    """A term after the first: its columns start at ``start`` of the q2 later ones."""

    start: int
    k: int
    m: int

    @property
    def stop(self) -> int:
        return self.start + self.k * self.m


class CouplingLayout:
    """C level by level: level j's entries ptr[j]..ptr[j+1]-1, each a later column ``idx`` (ascending)
    carrying the k1 values of C's rows for that level (``values``, (entries, k1)).

    The columns are closed under later levels: if a level touches one column of a
    later term's level it holds all k of them (zeros where absent), so that Lambda's
    k x k blocks act within the entries.
    """

    def __init__(self, C: sp.spmatrix, k1: int, m1: int, later: list[LaterTerm]):
        q2 = C.shape[1]
        if k1 == 1 and all(t.k == 1 for t in later):
            C = sp.csr_matrix(C)
            C.sort_indices()
            self.ptr, self.idx, self.values = C.indptr.astype(np.int64), C.indices.astype(np.int32), C.data[:, None]
        else:
            layout = _layout_of_equal_rows(sp.csr_matrix(C), k1, m1, later)
            self.ptr, self.idx, self.values = layout or _closed_layout(sp.coo_matrix(C), k1, m1, q2, later)
        self.k1, self.m1, self.q2 = k1, m1, q2
        self.level_of_entry = np.repeat(np.arange(m1), np.diff(self.ptr))
        counts = np.diff(self.ptr)
        self.pair_work = int(np.sum(counts * (counts + 1) // 2)) * k1
        self.threads = CORES if self.pair_work >= THREADED_WORK else 1
        size = m1 * k1 * q2
        self.dense_pays = 0 < size <= MAX_DENSE_COUPLING and size * q2 <= DENSE_GAIN * 2 * self.pair_work
        self.syrk_split, self.products_split = self._splits(counts)

    def _splits(self, counts: np.ndarray) -> tuple[int, int]:
        """The row of S and the level at which the kernels' work is halved between two threads."""
        if self.entries == 0:
            return 0, 0
        within = np.arange(self.entries) - self.ptr[self.level_of_entry] + 1  # pairs (a, b <= a) of entry a
        by_row = np.cumsum(np.bincount(self.idx, weights=within, minlength=self.q2))
        by_level = np.cumsum(counts.astype(float) ** 2)
        return int(np.searchsorted(by_row, by_row[-1] / 2)), int(np.searchsorted(by_level, by_level[-1] / 2))

    @property
    def entries(self) -> int:
        return len(self.idx)

    def levels(self, chosen: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(ptr, idx, values) of the chosen levels' entries only: the same layout for a subset of levels."""
        counts = np.diff(self.ptr)[chosen]
        ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        entries = np.repeat(self.ptr[chosen], counts) + (np.arange(ptr[-1]) - np.repeat(ptr[:-1], counts))
        return ptr, np.ascontiguousarray(self.idx[entries]), np.ascontiguousarray(self.values[entries])

    def dense(self, values: np.ndarray) -> np.ndarray:
        """C as a dense array (m1, k1, q2): level j's k1 rows, ``values`` (entries, k1) at its entries' columns."""
        out = np.zeros((self.m1, self.k1, self.q2))
        out[self.level_of_entry, :, self.idx] = values
        return out

    def csr(self, values: np.ndarray) -> sp.csr_matrix:
        """The (q1, q2) matrix whose row j * k1 + a holds values[:, a] at level j's entries."""
        rows = (self.level_of_entry[:, None] * self.k1 + np.arange(self.k1)).ravel()
        columns = np.repeat(self.idx, self.k1)
        return sp.csr_matrix((np.asarray(values).ravel(), (rows, columns)), shape=(self.m1 * self.k1, self.q2))


def _layout_of_equal_rows(C: sp.csr_matrix, k1: int, m1: int, later: list[LaterTerm]):
    """ptr, idx, values read straight from C's rows where each level's k1 rows hold the same columns and these
    are closed already (every row has all of the first term's columns nonzero and each later level's k columns
    meet: the common case); None otherwise. A tenth of the general layout's time (its sort of all entries)."""
    if not later or C.nnz == 0:
        return None
    C.sum_duplicates()  # canonical: sorted, each column once per row
    counts = np.diff(C.indptr).reshape(m1, k1)
    if np.any(counts != counts[:, :1]):
        return None
    per_level = counts[:, 0].astype(np.int64)
    ptr = np.concatenate([[0], np.cumsum(per_level)]).astype(np.int64)
    within = np.arange(ptr[-1]) - np.repeat(ptr[:-1], per_level)
    row_starts = C.indptr[:-1].reshape(m1, k1).astype(np.int64)
    idx, values = None, np.empty((ptr[-1], k1))
    for a in range(k1):
        positions = np.repeat(row_starts[:, a], per_level) + within
        if idx is None:
            idx = C.indices[positions]
        elif not np.array_equal(C.indices[positions], idx):
            return None
        values[:, a] = C.data[positions]
    return (ptr, idx.astype(np.int32), values) if _whole_blocks(ptr, idx, later, C.shape[1]) else None


def _whole_blocks(ptr: np.ndarray, idx: np.ndarray, later: list[LaterTerm], q2: int) -> bool:
    """Whether each level's columns (ascending) come as whole later levels: k consecutive columns per block."""
    starts = np.array([t.start for t in later], dtype=np.int64)
    widths = np.array([t.k for t in later], dtype=np.int64)
    term = np.searchsorted(starts, idx, side="right") - 1
    block = starts[term] + (idx - starts[term]) // widths[term] * widths[term]
    key = np.repeat(np.arange(len(ptr) - 1, dtype=np.int64), np.diff(ptr)) * q2 + block
    run_starts = np.concatenate([[0], np.flatnonzero(np.diff(key)) + 1])
    run_lengths = np.diff(np.concatenate([run_starts, [len(key)]]))
    return bool(np.array_equal(run_lengths, widths[term[run_starts]]))


def _closed_layout(C: sp.coo_matrix, k1: int, m1: int, q2: int, later: list[LaterTerm]):
    """ptr, idx, values of C with each later level's k columns kept together (see CouplingLayout)."""
    if not later or C.nnz == 0:
        return np.zeros(m1 + 1, dtype=np.int64), np.zeros(0, dtype=np.int32), np.zeros((0, k1))
    starts = np.array([t.start for t in later], dtype=np.int64)
    widths = np.array([t.k for t in later], dtype=np.int64)
    term = np.searchsorted(starts, C.col, side="right") - 1
    block = starts[term] + (C.col - starts[term]) // widths[term] * widths[term]
    level = C.row // k1
    keys, first = np.unique(level.astype(np.int64) * q2 + block, return_index=True)
    width = widths[term[first]]
    columns = np.repeat(keys % q2, width) + (np.arange(width.sum()) - np.repeat(np.cumsum(width) - width, width))
    levels = np.repeat(keys // q2, width)
    entry_keys = levels * q2 + columns
    values = np.zeros((len(columns), k1))
    position = np.searchsorted(entry_keys, level.astype(np.int64) * q2 + C.col)
    np.add.at(values, (position, C.row % k1), C.data)
    ptr = np.concatenate([[0], np.cumsum(np.bincount(levels, minlength=m1))]).astype(np.int64)
    return ptr, columns.astype(np.int32), values


class GroupedCoupling:
    """sum over levels j in group g of C_j[r]' C_j[s], for each group g and pair r <= s, on one pattern.

    ``pattern`` holds flat positions (row * q2 + col, row >= col) in the q2 x q2 block;
    ``sums`` (len(pattern), groups * pairs) holds column g * pairs + p for the pair
    p = (r, s) of ``pairs`` (r <= s; for r < s the sum of both orders). Then, for
    per-group symmetric weights w_g (k1 x k1),

        sum_j C_j' w_g(j) C_j on the pattern = sums @ stacked(w),

    and sum_{j in g} C_j P C_j' for a symmetric P read on the pattern is sums' @ P.
    """

    def __init__(self, layout: CouplingLayout, group_of_level: np.ndarray, groups: int, extra_positions):
        k1, q2 = layout.k1, layout.q2
        self.pairs = [(r, s) for r in range(k1) for s in range(r, k1)]
        self.groups = groups
        plus, minus = np.zeros((q2, q2)), np.zeros((q2, q2))
        pieces = []
        for g in range(groups):
            ptr, idx, values = layout.levels(np.flatnonzero(group_of_level == g))
            for p, (r, s) in enumerate(self.pairs):
                total = _pair_sums(ptr, idx, values, r, s, plus, minus, layout.threads)
                flat = np.flatnonzero(total.ravel())
                pieces.append((flat, total.ravel()[flat], g * len(self.pairs) + p))
        used = np.zeros(q2 * q2, dtype=bool)  # the union of the pieces' positions (a sort of them costs more)
        for flat, _, _ in pieces:
            used[flat] = True
        used[np.asarray(extra_positions, dtype=np.int64)] = True
        self.pattern = np.flatnonzero(used)
        rank = np.cumsum(used, dtype=np.int64 if len(self.pattern) > np.iinfo(np.int32).max else np.int32)
        rank -= 1  # a position's index in the pattern (in place: at q2 = 6,000 each copy is 144 MB)
        rows = np.concatenate([rank[flat] for flat, _, _ in pieces])
        columns = np.concatenate([np.full(len(flat), column) for flat, _, column in pieces])
        values = np.concatenate([data for _, data, _ in pieces])
        self.sums = sp.csr_matrix((values, (rows, columns)), shape=(len(self.pattern), groups * len(self.pairs)))
        self.sums_t = self.sums.T.tocsr()

    @property
    def work(self) -> int:
        return int(self.sums.nnz)

    def stack(self, weights: np.ndarray) -> np.ndarray:
        """(groups, k1, k1) symmetric weights -> the vector ``sums`` multiplies."""
        return np.stack([weights[:, r, s] for r, s in self.pairs], axis=1).ravel()

    def unstack(self, vector: np.ndarray) -> np.ndarray:
        """sums' @ P (groups * pairs,) -> (groups, k1, k1) symmetric."""
        k1 = max(s for _, s in self.pairs) + 1
        out = np.zeros((self.groups, k1, k1))
        vector = vector.reshape(self.groups, len(self.pairs))
        for p, (r, s) in enumerate(self.pairs):
            out[:, r, s] = vector[:, p] if r == s else vector[:, p] / 2.0
            out[:, s, r] = out[:, r, s]
        return out


def _pair_sums(ptr, idx, values, r: int, s: int, plus: np.ndarray, minus: np.ndarray, threads: int) -> np.ndarray:
    """The lower triangle of sum_j C_j[r]' C_j[s] (+ its transpose for r < s) over the levels given, in ``plus``.

    The kernel sums V_j' V_j for V_j = W_j C_j; with W_j the row e_r that is C_j[r]' C_j[r], and for r < s
    the difference of W_j = e_r + e_s and e_r - e_s gives 2 (C_j[r]' C_j[s] + C_j[s]' C_j[r]).
    """
    k1, q2 = values.shape[1], plus.shape[0]
    levels = len(ptr) - 1
    W = np.zeros((levels, k1, k1))
    W[:, 0, r] = 1.0
    if r != s:
        W[:, 0, s] = 1.0
    plus.fill(0.0)
    _kernels.level_syrk(ptr, idx, values, W, k1, plus, q2, 0, 1)
    if r == s:
        return np.negative(plus, out=plus)
    W[:, 0, s] = -1.0
    minus.fill(0.0)
    _kernels.level_syrk(ptr, idx, values, W, k1, minus, q2, 0, 1)
    return np.multiply(np.subtract(minus, plus, out=plus), 0.5, out=plus)


def group_levels(M11: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(group of each level (m1,), the distinct M11 blocks (groups, k1, k1)): levels with equal blocks."""
    m1, k1, _ = M11.shape
    if k1 == 1:
        distinct, group = np.unique(M11[:, 0, 0], return_inverse=True)
        return group, distinct[:, None, None]
    distinct, group = np.unique(M11.reshape(m1, -1), axis=0, return_inverse=True)
    return group.ravel(), distinct.reshape(-1, k1, k1)
