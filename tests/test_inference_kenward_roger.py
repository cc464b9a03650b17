"""pbkrtest's Kenward-Roger quantities through A^-1 (no n x n matrix): vcovAdj, W, condi and KRmodcomp's
F tests, against pbkrtest in every reference case; and the size limit's message."""

import numpy as np
import pytest

import inference_reference as ir
from sparselmm import SparseLMMError
from sparselmm.inference import kenward_roger
from sparselmm.inference.kenward_roger import kr_adjust


@pytest.mark.parametrize("case", ir.CASES)
def test_vcov_adjusted_is_pbkrtests(case):
    internals = ir.spec(case)["kenward_roger_internals"]
    ours = ir.fit(case)._vcov_adjusted()
    assert ours.names == internals["ggamma_names"]
    np.testing.assert_allclose(ours.ggamma, internals["ggamma"], rtol=1e-5)
    for mine, theirs in ((ours.vcov_adj, internals["vcovAdj"]), (ours.W, internals["W"])):
        expected = ir.table(theirs).to_numpy()
        assert np.abs(mine - expected).max() <= 1e-6 * np.abs(expected).max()
    assert ours.condi == pytest.approx(internals["condi"], rel=1e-6)


@pytest.mark.parametrize("case", ir.CASES)
@pytest.mark.parametrize("which", ["all", "last"])
def test_krmodcomp_is_pbkrtests(case, which):
    block = ir.spec(case)["kenward_roger_internals"]["KRmodcomp"][which]
    fit = ir.fit(case)
    test = kr_adjust(fit._vcov_adjusted(), ir.table(block["L"]).to_numpy(), fit.solution.beta)
    expected = ir.table(block["test"])
    assert test.F == pytest.approx(expected.loc["Ftest", "stat"], rel=1e-6)
    assert test.F_unscaled == pytest.approx(expected.loc["FtestU", "stat"], rel=1e-6)
    assert test.numdf == expected.loc["Ftest", "ndf"]
    assert test.dendf == pytest.approx(expected.loc["Ftest", "ddf"], rel=1e-6)
    assert test.p_value == pytest.approx(expected.loc["Ftest", "p.value"], rel=1e-5)
    for name, value in block["aux"].items():
        assert test.aux[name] == pytest.approx(value, rel=1e-5, abs=1e-12), name


def test_too_many_random_effects_is_refused_with_the_way_out(monkeypatch):
    monkeypatch.setattr(kenward_roger, "MAX_RANDOM_EFFECTS", 10)
    fit = ir.quiet_lmer(ir.spec("sleepstudy")["formula"], ir.data("sleepstudy"))
    with pytest.raises(SparseLMMError, match=r"36 random effects.*limit is 10.*ddf='Satterthwaite'"):
        fit.coef_table("Kenward-Roger")


def test_kenward_roger_needs_reml():
    fit = ir.quiet_lmer(ir.spec("sleepstudy")["formula"], ir.data("sleepstudy"), REML=False)
    with pytest.raises(SparseLMMError, match="only available for REML fits: refit with REML=True"):
        fit.anova(ddf="Kenward-Roger")
