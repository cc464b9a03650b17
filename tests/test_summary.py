"""summary() prints what lmer's summary prints, compared with lme4's own printout.

tests/data/lme4/summaries holds ``print(summary(fit))`` from lme4 1.1-31 for every
small reference case. The ``Data:`` line (R's variable name) and lme4's
optimizer-code line are not ours to print; every other line is equal, character
for character. Where lme4 stopped short of its optimum (``reference.stopped_short``),
its printout is compared with ours at lme4's theta, without lme4's convergence
messages (our fit converged; see test_reference_fits).
"""

import warnings

import pytest

import reference
import sparselmm as slmm


def lme4_lines(case_id, without_convergence_messages):
    text = (reference.SUMMARIES / f"{case_id}.txt").read_text().splitlines()
    messages = {line.strip() for m in reference.load_case(case_id).get("lme4_convergence") or [] if "singular" not in m
                for line in m.split("\n")} if without_convergence_messages else set()
    kept = [line for line in text if not line.startswith(("   Data:", "optimizer (")) and line.strip() not in messages]
    while messages and kept and not kept[-1]:
        kept.pop()
    return kept


def our_fit(case_id):
    spec = reference.load_case(case_id)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = slmm.lmer(spec["formula"], reference.data(case_id), REML=spec["REML"])
    return spec, fit


def lines_of(fit):
    return [line for line in str(fit.summary()).split("\n") if not line.startswith("optimizer (")]


@pytest.mark.parametrize("case_id", reference.case_ids(include_large=False))
def test_summary_as_lme4_prints_it(case_id):
    spec, fit = our_fit(case_id)
    short = reference.stopped_short(spec, fit)
    assert lines_of(reference.at_lme4s_theta(spec, fit)) == lme4_lines(case_id, short)
