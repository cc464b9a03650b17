"""summary() prints what lmer's summary prints, compared with lme4's own printout.

tests/data/lme4/summaries holds ``print(summary(fit))`` from lme4 1.1-31 for every
small reference case. The ``Data:`` line (R's variable name) and lme4's
optimizer-code line are not ours to print. On two crossed cases NLopt's path ends
a hair away from lme4's (objectives within 1e-8), which can move the last printed
digit; there a number may differ by at most two units in that digit.
"""

import re
import warnings

import pytest

import reference
import sparselmm as slmm

PATH_DIFFERS = {"penicillin_reml", "crossed_ml"}
NUMBER = re.compile(r"^-?\d+\.?\d*(e[+-]\d+)?$")


def lme4_lines(case_id):
    text = (reference.SUMMARIES / f"{case_id}.txt").read_text().splitlines()
    return [line for line in text if not line.startswith(("   Data:", "optimizer ("))]


def our_lines(case_id):
    spec = reference.load_case(case_id)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = slmm.lmer(spec["formula"], reference.data(case_id), REML=spec["REML"])
    return [line for line in str(fit.summary()).split("\n") if not line.startswith("optimizer (")]


def same_up_to_last_digit(ours: str, theirs: str) -> bool:
    if not (NUMBER.match(ours) and NUMBER.match(theirs)):
        return ours == theirs
    decimals = len(theirs.split(".")[1]) if "." in theirs else 0
    return abs(float(ours) - float(theirs)) <= 2 * 10.0**-decimals


@pytest.mark.parametrize("case_id", reference.case_ids(include_large=False))
def test_summary_as_lme4_prints_it(case_id):
    ours, theirs = our_lines(case_id), lme4_lines(case_id)
    if case_id not in PATH_DIFFERS:
        assert ours == theirs
        return
    assert len(ours) == len(theirs)
    for mine, lme4 in zip(ours, theirs):
        mine_tokens, lme4_tokens = mine.split(), lme4.split()
        assert len(mine_tokens) == len(lme4_tokens), (mine, lme4)
        assert all(same_up_to_last_digit(a, b) for a, b in zip(mine_tokens, lme4_tokens)), (mine, lme4)
