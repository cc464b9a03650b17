"""Every pair of entries that share a row of a sparse matrix, without a Python loop.

For crossed factors the dense block of A (and of A^-1) is reached through such
pairs: two lecturers rated by one student, two items rated by one user. Both
the blocked criterion and the post-fit inverse sum over them.
"""

from __future__ import annotations

import numpy as np


def pairs_within_rows(indptr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions (in a CSR matrix's data) of every pair (a, b), a >= b, of entries sharing a row."""
    degree = np.diff(indptr).astype(np.int64)
    count = int(np.sum(degree * (degree + 1) // 2))
    index = np.int32 if count < 2**31 else np.int64  # half the memory of the pair-length arrays
    row_start = np.repeat(indptr[:-1].astype(index), degree)  # per entry: where its row starts
    partners = np.arange(indptr[-1], dtype=index) - row_start + 1  # entry a pairs with the a + 1 up to itself
    first = np.repeat(np.arange(indptr[-1], dtype=index), partners)
    offset = np.arange(count, dtype=index) - np.repeat(np.cumsum(partners, dtype=index) - partners, partners)
    offset += np.repeat(row_start, partners)
    return first, offset
