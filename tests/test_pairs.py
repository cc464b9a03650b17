"""pairs_within_rows: every pair of entries sharing a row, as a loop over the rows would list them."""

import numpy as np
import scipy.sparse as sp

from sparselmm.pairs import pairs_within_rows


def test_pairs_are_those_of_a_loop_over_the_rows():
    matrix = sp.random(40, 12, density=0.3, random_state=4, format="csr")
    first, second = pairs_within_rows(matrix.indptr)
    expected = [(a, b) for row in range(matrix.shape[0])
                for a in range(matrix.indptr[row], matrix.indptr[row + 1])
                for b in range(matrix.indptr[row], a + 1)]
    assert list(zip(first.tolist(), second.tolist())) == expected


def test_empty_rows_and_an_empty_matrix_have_no_pairs():
    first, second = pairs_within_rows(np.array([0, 0, 0]))
    assert len(first) == len(second) == 0
    first, _ = pairs_within_rows(np.array([0, 0, 2, 2, 3]))
    assert first.tolist() == [0, 1, 1, 2]
