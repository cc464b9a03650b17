"""The coupling's layout level by level: read straight from C's rows where they allow it, the same as the
general construction, which closes each level's columns under the later levels' blocks."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp

import reference
from sparselmm import LinearMixedModel
from sparselmm.solvers.levels import LaterTerm, _closed_layout, _layout_of_equal_rows


def coupling(case_id):
    spec = reference.load_case(case_id)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = LinearMixedModel.from_formula(spec["formula"], reference.data(case_id))
    first, *others = model.covariance.terms
    later, start = [], 0
    for term in others:
        later.append(LaterTerm(start, term.k, term.m))
        start += term.q
    C = sp.csr_matrix(model.crossprods.ZtZ)[: first.q, first.q:]
    return C, first.k, first.m, later


@pytest.mark.parametrize("case_id", ["crossed_slopes_reml", "latin_square_reml", "slope_first_term_ml",
                                     "two_factors_reml", "penicillin_reml"])
def test_the_layout_read_from_equal_rows_is_the_general_one(case_id):
    C, k1, m1, later = coupling(case_id)
    read = _layout_of_equal_rows(sp.csr_matrix(C), k1, m1, later)
    general = _closed_layout(sp.coo_matrix(C), k1, m1, C.shape[1], later)
    assert read is not None
    for mine, expected in zip(read, general):
        np.testing.assert_array_equal(mine, expected)
        assert mine.dtype == expected.dtype


def test_rows_with_other_columns_or_split_blocks_are_left_to_the_general_layout():
    later = [LaterTerm(0, 2, 2)]  # one later term: two levels of two columns
    unequal = sp.csr_matrix(np.array([[1.0, 2.0, 0.0, 0.0],   # level 0, row a = 0: later level 0
                                      [0.0, 0.0, 3.0, 4.0]]))  # level 0, row a = 1: later level 1
    assert _layout_of_equal_rows(unequal, 2, 1, later) is None
    split = sp.csr_matrix(np.array([[0.0, 2.0, 5.0, 0.0]]))  # one column of each later level: not whole
    assert _layout_of_equal_rows(split, 1, 1, later) is None
    ptr, idx, values = _closed_layout(sp.coo_matrix(split), 1, 1, 4, later)
    np.testing.assert_array_equal(idx, [0, 1, 2, 3])
    np.testing.assert_array_equal(values[:, 0], [0.0, 2.0, 5.0, 0.0])


def test_duplicate_entries_are_summed_before_the_layout_is_read_from_rows():
    """A column held twice in a row (a Z'Z not in canonical form) counts once: here the later level's block is
    then not whole, and the general layout sums the two and closes the block."""
    later = [LaterTerm(0, 2, 2)]
    duplicated = sp.csr_matrix((np.array([1.0, 2.0]), np.array([0, 0]), np.array([0, 2])), shape=(1, 4))
    assert _layout_of_equal_rows(duplicated.copy(), 1, 1, later) is None
    ptr, idx, values = _closed_layout(sp.coo_matrix(duplicated), 1, 1, 4, later)
    np.testing.assert_array_equal(idx, [0, 1])
    np.testing.assert_array_equal(values[:, 0], [3.0, 0.0])
