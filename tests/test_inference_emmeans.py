"""emmeans' marginal means and pairwise comparisons (Tukey, Bonferroni, Holm, none) against emmeans 1.8.4 for every
spec of every reference case, with both df methods; its linfct; the argument errors."""

import numpy as np
import pytest

import inference_reference as ir
from sparselmm import SparseLMMError
from sparselmm.inference.emmeans import holm

ENTRIES = [(case, i) for case in ir.CASES for i in range(len(ir.spec(case)["emmeans"]))]
DDF = {"satterthwaite": "Satterthwaite", "kenward-roger": "Kenward-Roger"}
NUMBERS = ["emmean", "SE", "df", "lower.CL", "upper.CL"]
PAIR_NUMBERS = ["estimate", "SE", "df", "t.ratio", "p.value"]


def labels_equal(ours, theirs, numbers):
    labels = [c for c in theirs.columns if c not in numbers]
    assert list(ours.columns) == list(theirs.columns)
    assert ours[labels].astype(str).to_numpy().tolist() == theirs[labels].astype(str).to_numpy().tolist()


@pytest.mark.parametrize("case, index", ENTRIES)
def test_emmeans_and_pairs_are_emmeans(case, index):
    entry = ir.spec(case)["emmeans"][index]
    fit, ddf = ir.fit(case), DDF[entry["lmer_df"]]
    ours, theirs = fit.emmeans(entry["specs"], ddf), ir.table(entry["emmeans"])
    ours.index = theirs.index
    labels_equal(ours, theirs, NUMBERS)
    ir.assert_table(ours, theirs, NUMBERS, what=entry["specs"])
    np.testing.assert_allclose(ours.attrs["linfct"], ir.table(entry["linfct"]).to_numpy(), atol=1e-12)
    assert ours.attrs["messages"] == entry["messages"]
    for adjust, block in entry["pairs"].items():
        ours, theirs = fit.pairs(entry["specs"], ddf, adjust), ir.table(block)
        ours.index = theirs.index
        assert ours.attrs["messages"] == entry["pairs_messages"][adjust]
        labels_equal(ours, theirs, PAIR_NUMBERS)
        ir.assert_table(ours, theirs, PAIR_NUMBERS, what=f"{entry['specs']} {adjust}")


def test_holm_is_rs_p_adjust():
    """R: p.adjust(c(0.01, 0.04, 0.03, 0.005), "holm") = 0.03 0.06 0.06 0.02."""
    np.testing.assert_allclose(holm(np.array([0.01, 0.04, 0.03, 0.005])), [0.03, 0.06, 0.06, 0.02])


@pytest.mark.parametrize("call, message", [
    (lambda f: f.emmeans("Age"), r"specs name 'Age', which is not a factor of the model's fixed effects"),
    (lambda f: f.emmeans("~ Colour"), r"specs name 'Colour'.*its factors: Product, Information, Gender"),
    (lambda f: f.emmeans("Product", level=1.5), r"level=1.5 must be a confidence level between 0 and 1"),
    (lambda f: f.emmeans("Product", ddf="foo"), r"ddf='foo' is not a denominator"),
    (lambda f: f.pairs("Product", adjust="sidak"), r"adjust='sidak' is not a p-value adjustment; use one of tukey"),
    (lambda f: f.pairs("~ 1"), r"pairs needs specs naming at least one factor"),
])
def test_bad_specs_name_the_fix(call, message):
    with pytest.raises(SparseLMMError, match=message):
        call(ir.fit("ham_age"))


def test_a_basis_only_in_a_random_term_is_not_evaluated_for_the_grid():
    """poly(x, 2) in a random-effects term is no column of X: the reference grid needs only the fixed part."""
    import warnings

    import interface_reference
    import sparselmm as slmm

    data = interface_reference.data("ordered_default_poly")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with_basis = slmm.lmer("y ~ dose + (1 + poly(x, 2) || g)", data)
    grid = with_basis.emmeans("dose")
    assert list(grid["dose"]) == list(with_basis.design.factor_levels["dose"])
    assert grid["emmean"].tolist() == pytest.approx(list(with_basis.fixef.iloc[0] + np.r_[0.0, with_basis.fixef.iloc[1:4]]),
                                                    rel=1e-12)
