"""Weighted cross-products for new weights at every PIRLS step: Z'WZ on a fixed pattern, Z'WB and X'WX.

A PIRLS step needs Z'WZ, Z'WX and Z'Wz for the working weights W of the current
linear predictor; only the weights change, never the pattern. So the pattern of
Z'Z and, for every row, the position in it of each product of the row's
random-effects columns are found once (one sort). A new W then costs one
bincount per kind of product (a term with itself; one term with another, one
triangle) over the rows, and a gather for the other triangle: no sparse matrix
is assembled, and Z is never formed.
"""

from __future__ import annotations

import copy

import numpy as np
import scipy.sparse as sp

from ..crossprod import CrossProducts, ResponseMoments


class WeightedProducts:
    """Z'WZ, Z'WB and X'WX of the rows ``coded`` (a :class:`~sparselmm.spec.CodedRows`) for any weights w (n,)."""

    def __init__(self, coded, terms):
        self.terms = tuple(terms)
        self.X = coded.X
        self.codes = [np.asarray(c, dtype=np.int64) for c in coded.codes]
        self.matrices = [np.asarray(m, dtype=float) for m in coded.matrices]
        self.nobs = coded.nobs
        self.offsets = np.concatenate([[0], np.cumsum([t.q for t in self.terms])]).astype(np.int64)
        self.q = int(self.offsets[-1])
        self._intercept = [bool(np.all(m == 1.0)) for m in self.matrices]
        self._lower = self._lower_products()
        self._build_pattern()

    # ------------------------------------------------------------ the pattern, once
    def _lower_products(self) -> list:
        """(row position (n,), column position (n,), values (n,) or None) of each kind of product in the lower
        triangle: each term's (a >= b) within its levels' blocks, each pair of terms s < t at (t's column, s's)."""
        kinds = []
        for s, (term, codes, matrix) in enumerate(zip(self.terms, self.codes, self.matrices)):
            base = self.offsets[s] + codes * term.k
            for a in range(term.k):
                for b in range(a + 1):
                    values = None if self._intercept[s] else matrix[:, a] * matrix[:, b]
                    kinds.append((base + a, base + b, values))
            for t in range(s + 1, len(self.terms)):
                other = self.terms[t]
                other_base = self.offsets[t] + self.codes[t] * other.k
                for a in range(other.k):
                    for b in range(term.k):
                        ones = self._intercept[s] and self._intercept[t]
                        values = None if ones else self.matrices[t][:, a] * matrix[:, b]
                        kinds.append((other_base + a, base + b, values))
        return kinds

    def _build_pattern(self) -> None:
        """The pattern (both triangles) and, per kind of product, each row's position among the kind's own
        entries (``local``), those entries' positions in the pattern and their transposes'."""
        q = self.q
        lower_keys = [cols * q + rows for rows, cols, _ in self._lower]  # CSC order: column, then row
        upper_keys = [rows * q + cols for rows, cols, _ in self._lower]
        keys = np.unique(np.concatenate(lower_keys + upper_keys))
        self._kinds = []
        for (_, _, values), lower, upper in zip(self._lower, lower_keys, upper_keys):
            entries, local = np.unique(lower, return_inverse=True)
            mirrored = np.unique(upper)
            targets = np.searchsorted(keys, entries)
            transposed = entries % q * q + entries // q
            mirror = None if np.array_equal(entries, mirrored) else np.searchsorted(keys, transposed)
            self._kinds.append((local.astype(np.int64), len(entries), targets, mirror, values))
        self._lower = None  # the rows' positions are in the kinds now
        rows, cols = keys % q, keys // q
        indptr = np.concatenate([[0], np.cumsum(np.bincount(cols, minlength=q))]).astype(np.int32)
        self._nnz = len(keys)
        self._template = sp.csc_matrix((np.zeros(self._nnz), rows.astype(np.int32), indptr), shape=(q, q))

    @property
    def nnz(self) -> int:
        return self._nnz

    # ------------------------------------------------------------ for new weights
    def ZtWZ(self, w: np.ndarray) -> sp.csc_matrix:
        """Z'WZ (q, q), both triangles, on the fixed pattern (sorted indices; zeros kept where weights vanish).
        Every result shares the pattern's index arrays (a solver recognises its pattern by them)."""
        data = np.zeros(self._nnz)
        for local, size, targets, mirror, values in self._kinds:
            sums = np.bincount(local, weights=w if values is None else w * values, minlength=size)
            data[targets] = sums
            if mirror is not None:
                data[mirror] = sums
        ZtWZ = copy.copy(self._template)  # no format check: the pattern was checked once
        ZtWZ.data = data
        return ZtWZ

    def ZtW(self, w: np.ndarray, B: np.ndarray) -> np.ndarray:
        """Z'WB (q, r) for B (n, r) or (n,): one bincount over the levels per column of B (no n x r index)."""
        flat = B.ndim == 1
        columns = np.ascontiguousarray((B[:, None] if flat else B).T) * w  # (r, n): WB's columns, each contiguous
        r = columns.shape[0]
        out = np.empty((self.q, r))
        for s, (term, codes, matrix) in enumerate(zip(self.terms, self.codes, self.matrices)):
            block = out[self.offsets[s]:self.offsets[s + 1]].reshape(term.m, term.k, r)
            for a in range(term.k):
                weighted = columns if self._intercept[s] else columns * matrix[:, a]
                for c in range(r):
                    block[:, a, c] = np.bincount(codes, weights=weighted[c], minlength=term.m)
        return out[:, 0] if flat else out

    def Z_times(self, b: np.ndarray) -> np.ndarray:
        """Z b (n,) for b (q,): each row's columns times its levels' effects."""
        total = np.zeros(self.nobs)
        for s, (term, codes, matrix) in enumerate(zip(self.terms, self.codes, self.matrices)):
            effects = b[self.offsets[s]:self.offsets[s + 1]].reshape(term.m, term.k)[codes]
            total += effects[:, 0] if self._intercept[s] else np.sum(matrix * effects, axis=1)
        return total

    def crossproducts(self, w: np.ndarray, z: np.ndarray | None = None, with_fixed: bool = True) -> CrossProducts:
        """The CrossProducts of the weighted rows for a solver (Z'WZ) and, with ``z``, the PLS system in z
        (``with_fixed``: X's products too; without, those are zeros)."""
        ZtZ = self.ZtWZ(w)
        p = self.X.shape[1]
        ZtX, Zty = np.zeros((self.q, p)), np.zeros(self.q)
        XtX, Xty, yty = np.zeros((p, p)), np.zeros(p), 0.0
        if z is not None and with_fixed:
            Ztright = self.ZtW(w, np.column_stack([z, self.X]))
            Zty, ZtX = Ztright[:, 0], Ztright[:, 1:]
            Xw = self.X * w[:, None]
            XtX, Xty, yty = Xw.T @ self.X, Xw.T @ z, float(z @ (w * z))
        elif z is not None:
            Zty = self.ZtW(w, z)
        moments = ResponseMoments(np.zeros(self.q), 0.0, 0.0)
        return CrossProducts(ZtZ, ZtX, Zty, XtX, Xty, yty, self.nobs, np.zeros(p), moments, np.zeros((5, p)))
