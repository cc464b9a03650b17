"""build_design: y, X and Z as lme4's lFormula builds them, with lme4's checks.

Expected matrices, term orders and level labels are lme4's
(``lFormula(...)$reTrms``, R 4.2, lme4 1.1), written here as data.
"""

import json
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import reference
from sparselmm import DataError, FormulaError, RankDeficiencyWarning
from sparselmm.design import build_design
from sparselmm.formula import parse_formula


@pytest.fixture
def data():
    return pd.DataFrame({
        "y": [1.0, 3, 2, 5, 4, 6, 8, 7],
        "x": [1.0, 2, 3, 4, 5, 6, 7, 8],
        "g": ["b", "a", "c", "a", "b", "c", "a", "b"],
        "h": ["u", "v", "u", "v", "u", "v", "u", "v"],
        "k": ["K1", "K1", "K2", "K2", "K1", "K1", "K2", "K2"],
        "cap": ["A", "B", "A", "B", "B", "A", "B", "A"],
    })


# ----------------------------------------------------------------- Z


def test_z_is_level_major_with_k_columns_per_level(data):
    design = build_design("y ~ x + (1 | h) + (x | g)", data)
    assert isinstance(design.Z, sp.csc_matrix)
    # lme4: as.matrix(t(lFormula(y ~ x + (1|h) + (x|g), d)$reTrms$Zt)), columns a a b b c c u v
    expected = np.array([
        [0, 0, 1, 1, 0, 0, 1, 0],
        [1, 2, 0, 0, 0, 0, 0, 1],
        [0, 0, 0, 0, 1, 3, 1, 0],
        [1, 4, 0, 0, 0, 0, 0, 1],
        [0, 0, 1, 5, 0, 0, 1, 0],
        [0, 0, 0, 0, 1, 6, 0, 1],
        [1, 7, 0, 0, 0, 0, 1, 0],
        [0, 0, 1, 8, 0, 0, 0, 1],
    ], dtype=float)
    np.testing.assert_array_equal(design.Z.toarray(), expected)


def test_term_blocks(data):
    design = build_design("y ~ x + (1 | h) + (x | g)", data)
    g, h = design.terms
    assert (g.group, g.columns, g.levels, g.k, g.m, g.q) == ("g", ("(Intercept)", "x"), ("a", "b", "c"), 2, 3, 6)
    assert (h.group, h.columns, h.levels, h.k, h.m, h.q) == ("h", ("(Intercept)",), ("u", "v"), 1, 2, 2)
    np.testing.assert_array_equal(design.coded.codes[0], [1, 0, 2, 0, 1, 2, 0, 1])
    assert design.Z.shape == (8, 8)
    assert design.ngroups == {"g": 3, "h": 2}


def test_terms_sorted_by_decreasing_levels(data):
    # lme4: names(lFormula(y ~ x + (1|h) + (x|g), d)$reTrms$cnms) == c("g", "h")
    assert [t.group for t in build_design("y ~ x + (1 | h) + (x | g)", data).terms] == ["g", "h"]


@pytest.mark.parametrize("rhs, order", [("(1 | h) + (1 | k)", ["h", "k"]), ("(1 | k) + (1 | h)", ["k", "h"])])
def test_term_sort_is_stable_for_ties(rhs, order, data):
    # lme4: both 2 levels, formula order kept
    assert [t.group for t in build_design(f"y ~ x + {rhs}", data).terms] == order


@pytest.mark.parametrize(
    "group, levels",
    [  # lme4: levels(lFormula(y ~ x + (1|group), d)$reTrms$flist[[1]])
        ("g:cap", ("a:B", "b:A", "b:B", "c:A")),
        ("cap:g", ("A:b", "A:c", "B:a", "B:b")),
    ],
)
def test_interaction_grouping_factor_levels(group, levels, data):
    (term,) = build_design(f"y ~ x + (1 | {group})", data).terms
    assert term.group == group
    assert term.levels == levels


def test_interaction_codes_match_labels(data):
    design = build_design("y ~ x + (1 | g:cap)", data)
    (term,), (codes,) = design.terms, design.coded.codes
    labels = [term.levels[c] for c in codes]
    assert labels == [f"{g}:{c}" for g, c in zip(data["g"], data["cap"])]


def test_nested_grouping_names(data):
    design = build_design("y ~ x + (1 | k/h)", data)
    # lme4: names(cnms) == c("h:k", "k"); h:k has 4 levels, k 2
    assert [(t.group, t.m) for t in design.terms] == [("h:k", 4), ("k", 2)]
    assert design.terms[0].levels == ("u:K1", "u:K2", "v:K1", "v:K2")


def test_random_slope_with_factor_column(data):
    (term,) = build_design("y ~ 1 + (0 + h | g)", data).terms
    assert term.columns == ("hu", "hv")
    assert term.q == 6


def test_design_accepts_a_parsed_formula(data):
    design = build_design(parse_formula("y ~ x + (1 | g)"), data)
    assert design.fixef_names == ("(Intercept)", "x")
    np.testing.assert_array_equal(design.y, data["y"])
    np.testing.assert_array_equal(design.X[:, 1], data["x"])


# ------------------------------------------------------------- lme4's checks


def test_grouping_factor_with_a_single_level(data):
    # lme4: "grouping factors must have > 1 sampled level"
    with pytest.raises(DataError, match="grouping factor 'g' has only 1 level"):
        build_design("y ~ x + (1 | g)", data.assign(g="a"))


def test_single_level_after_dropping_missing_rows(data):
    data = data.assign(y=[1.0, np.nan, 2, np.nan, 3, 4, np.nan, 5], g=["b", "a", "b", "a", "b", "b", "a", "b"])
    with pytest.raises(DataError, match="grouping factor 'g' has only 1 level"):
        build_design("y ~ x + (1 | g)", data)


def test_as_many_levels_as_observations(data):
    # lme4: "number of levels of each grouping factor must be < number of observations (problems: id)"
    with pytest.raises(DataError, match="grouping factor 'id' has 8 levels for 8 observations"):
        build_design("y ~ x + (1 | id)", data.assign(id=range(8)))


def test_interaction_with_as_many_levels_as_observations(data):
    with pytest.raises(DataError, match="grouping factor 'k:id' has 8 levels for 8 observations"):
        build_design("y ~ x + (1 | k:id)", data.assign(id=[0, 1, 0, 1, 2, 3, 2, 3]))


def test_more_random_effects_than_observations(data):
    # lme4: "number of observations (=8) <= number of random effects (=8) for term (x | g4)"
    with pytest.raises(DataError, match=r"\(\(Intercept\) \+ x \| g4\) has 8 random effects for 8 observations"):
        build_design("y ~ 1 + (x | g4)", data.assign(g4=list("abcdabcd")))


def test_too_many_fixed_effects(data):
    with pytest.raises(DataError, match="8 observations cannot estimate 8 fixed effects"):
        build_design("y ~ f + (1 | g)", data.assign(f=list("abcdefgh")))


def test_unknown_column_raised_before_any_matrix(data):
    with pytest.raises(DataError, match="unknown column 'w'"):
        build_design("y ~ x + (1 | w)", data)


@pytest.mark.parametrize("formula", [None, 42])
def test_formula_must_be_text(formula, data):
    with pytest.raises(FormulaError, match="non-empty string"):
        build_design(formula, data)


# -------------------------------------------------------- rank deficiency


def test_rank_deficient_x_drops_the_aliased_column_with_a_warning(data):
    # lme4: "fixed-effect model matrix is rank deficient so dropping 1 column / coefficient"
    with pytest.warns(RankDeficiencyWarning, match="dropping 1 column / coefficient: x2"):
        design = build_design("y ~ x + x2 + (1 | g)", data.assign(x2=2 * data["x"] + 1))
    assert design.fixef_names == ("(Intercept)", "x")  # lme4: colnames(lFormula(...)$X)
    assert design.dropped_columns == ("x2",)
    assert design.X.shape == (8, 2)


def test_rank_deficient_factor_column(data):
    data = data.assign(h=["u", "u", "v", "v", "u", "u", "v", "v"])  # h codes k again: hv aliases kK2
    with pytest.warns(RankDeficiencyWarning, match="dropping 1 column / coefficient: hv"):
        design = build_design("y ~ k + h + (1 | g)", data)
    assert design.fixef_names == ("(Intercept)", "kK2")


def test_full_rank_x_gives_no_warning(data):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        design = build_design("y ~ x + h + (1 | g)", data)
    assert design.fixef_names == ("(Intercept)", "x", "hv")
    assert design.dropped_columns == ()


def test_each_fixed_effect_knows_its_model_term():
    """R's attr(X, "assign") as term labels: what type II and III tests group columns by."""
    design = build_design("y ~ a * b + x + (1 | g)", reference.data("two_factors_reml"))
    assert design.fixef_names == ("(Intercept)", "aa2", "aa3", "blo", "x", "aa2:blo", "aa3:blo")
    assert design.fixef_terms == ("(Intercept)", "a", "a", "b", "x", "a:b", "a:b")


def test_term_labels_follow_the_columns_that_are_kept():
    with pytest.warns(RankDeficiencyWarning):
        design = build_design("y ~ x + x2 + a + (1 | g)", reference.data("two_factors_reml"))
    assert design.fixef_names == ("(Intercept)", "x", "aa2", "aa3")
    assert design.fixef_terms == ("(Intercept)", "x", "a", "a")


@pytest.mark.parametrize("case", ["ties_part_operator", "ties_operator_part", "ties_interaction_first",
                                  "ties_two_terms"])
def test_terms_are_in_lme4s_order_on_ties(case):
    """lme4 reorders by rev(order(nl)) only where some later term has more levels: a tie then puts the later
    term first (Part:Operator, Operator, Part); otherwise the formula's order stays."""
    spec = json.loads((reference.ROOT / "tests" / "data" / "interface" / f"{case}.json").read_text())
    data = pd.read_csv(reference.ROOT / "tests" / "data" / "interface" / spec["data"], dtype={"Part": str, "Operator": str})
    design = build_design(spec["formula"], data)
    assert [t.group for t in design.terms] == spec["term_groups"]
