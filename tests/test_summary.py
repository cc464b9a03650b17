"""summary() prints what lmer's summary prints, compared with lme4's own printout.

tests/data/lme4/summaries holds ``print(summary(fit))`` from lme4 1.1-31 for every
small reference case. The ``Data:`` line (R's variable name) and lme4's
optimizer-code line are not ours to print; every other line is equal, character
for character.
"""

import warnings

import pytest

import reference
import sparselmm as slmm


def lme4_lines(case_id):
    text = (reference.SUMMARIES / f"{case_id}.txt").read_text().splitlines()
    return [line for line in text if not line.startswith(("   Data:", "optimizer ("))]


def our_lines(case_id):
    spec = reference.load_case(case_id)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = slmm.lmer(spec["formula"], reference.data(case_id), REML=spec["REML"])
    return [line for line in str(fit.summary()).split("\n") if not line.startswith("optimizer (")]


@pytest.mark.parametrize("case_id", reference.case_ids(include_large=False))
def test_summary_as_lme4_prints_it(case_id):
    assert our_lines(case_id) == lme4_lines(case_id)
