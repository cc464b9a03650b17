"""lmerTest's tables against lmerTest in every reference case: coef_table (Satterthwaite, Kenward-Roger, lme4's),
anova types 1-3 with both methods, drop1; lmerTest's summary printout line by line; the argument errors."""

import pytest

import inference_reference as ir
from sparselmm import SparseLMMError

METHODS = [("Satterthwaite", "satterthwaite"), ("Kenward-Roger", "kenward_roger")]


@pytest.mark.parametrize("case", ir.CASES)
@pytest.mark.parametrize("ddf, key", METHODS + [(None, "lme4")])
def test_coef_table(case, ddf, key):
    ir.assert_table(ir.fit(case).coef_table(ddf), ir.table(ir.spec(case)["coef_table"][key]), what=f"{case} {key}")


@pytest.mark.parametrize("case", ir.WITH_TERMS)
@pytest.mark.parametrize("ddf, key", METHODS)
@pytest.mark.parametrize("kind", [1, 2, 3])
def test_anova(case, ddf, key, kind):
    expected = ir.table(ir.spec(case)["anova"][key][f"type{kind}"])
    ours = ir.fit(case).anova(type=kind, ddf=ddf)
    ir.assert_table(ours, expected, what=f"{case} {key} type {kind}")
    assert ours.attrs["heading"] == f"Type {'I' * kind} Analysis of Variance Table with {ddf}'s method"
    assert list(ours.attrs["hypotheses"]) == list(expected.index)


@pytest.mark.parametrize("case", ir.WITH_TERMS)
@pytest.mark.parametrize("ddf, key", METHODS)
def test_drop1(case, ddf, key):
    ir.assert_table(ir.fit(case).drop1(ddf=ddf), ir.table(ir.spec(case)["drop1"][key]), what=f"{case} {key}")


SUMMARY_CASES = {
    "sleepstudy": ("sleepstudy.csv", "Reaction ~ Days + (Days | Subject)"),
    "penicillin": ("penicillin.csv", "diameter ~ 1 + (1 | plate) + (1 | sample)"),
    "singular": ("dyestuff2_trt.csv", "Yield ~ trt + (1 | Batch)"),
    "machines": ("machines.csv", "score ~ Machine + (1 | Worker) + (1 | Worker:Machine)"),
}
SUMMARIES = sorted((ir.DATA / "summaries").glob("*.txt"))


@pytest.mark.parametrize("path", SUMMARIES, ids=[p.stem for p in SUMMARIES])
def test_summary_as_lmertest_prints_it(path):
    """summaries/ holds lmerTest's print(summary(fit, ddf)) (make_summaries.R); the Data: line (R's variable
    name) and lme4's optimizer-code line are not ours to print."""
    case, method, *ml = path.stem.split("_")
    file, formula = SUMMARY_CASES[case]
    fit = ir.quiet_lmer(formula, ir._data(file).copy(), REML=not ml)
    ddf = {"satterthwaite": "Satterthwaite", "kenward-roger": "Kenward-Roger"}[method]
    expected = [line for line in path.read_text().splitlines() if not line.startswith(("   Data:", "optimizer ("))]
    ours = [line for line in str(fit.summary(ddf=ddf)).split("\n") if not line.startswith("optimizer (")]
    assert ours == expected


def test_summary_without_ddf_is_lme4s():
    fit = ir.fit("sleepstudy")
    assert str(fit.summary()).startswith("Linear mixed model fit by REML ['lmerMod']")
    assert "Pr(>|t|)" not in str(fit.summary())


@pytest.mark.parametrize("call, message", [
    (lambda f: f.coef_table("foo"), r"ddf='foo' is not a denominator degrees-of-freedom method; use 'Satterthwaite'"),
    (lambda f: f.anova(ddf="lme4"), r"ddf='lme4' is not a denominator"),
    (lambda f: f.anova(type=4), r"type=4 is not an anova type; use 1, 2 or 3"),
    (lambda f: f.summary(ddf="foo"), r"ddf='foo'"),
])
def test_bad_arguments_name_the_fix(call, message):
    with pytest.raises(SparseLMMError, match=message):
        call(ir.fit("ham"))
