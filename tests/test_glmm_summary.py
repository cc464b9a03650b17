"""summary() prints what lme4's summary of a glmer fit prints, line for line.

Compared at lme4's optimum and with lme4's finite-difference Hessian (our fits agree with lme4's to ~1e-5,
and our Hessian there with lme4's to ~1e-4 in the standard errors: either can move a last printed digit);
the "Data:" line (R's variable name) and the optimizer-code line are not ours to print.
"""

import copy

import numpy as np
import pytest

import glmer_reference as ref

SUMMARY_CASES = [c for c in ref.FITTED if ref.case(c).get("summary_text")]


def lme4_lines(case_id):
    return [line for line in ref.case(case_id)["summary_text"] if not line.startswith(("   Data:", "optimizer ("))]


def lines_of(result):
    return [line for line in str(result.summary()).split("\n") if not line.startswith("optimizer (")]


@pytest.mark.parametrize("case_id", SUMMARY_CASES)
def test_summary_as_lme4_prints_it(case_id):
    spec = ref.case(case_id)
    result = copy.copy(ref.at_lme4(case_id))
    result.__dict__.pop("vcov", None)
    if spec["optinfo"]["hessian"] is not None:
        result.derivatives = (np.array(spec["optinfo"]["gradient"]), np.array(spec["optinfo"]["hessian"]))
    result.optsummary = copy.copy(result.optsummary)  # lme4's convergence messages: the fit's, not the point's
    result.optsummary.warnings = [m for m in spec["optinfo"]["conv_lme4_messages"] if "singular" not in m]
    assert lines_of(result) == lme4_lines(case_id)


def test_our_fit_prints_the_same_layout():
    """Our own fit of cbpp: the same lines, up to last digits of numbers (the optima agree to ~1e-5)."""
    ours, theirs = lines_of(ref.fit("cbpp_logit_agq1")), lme4_lines("cbpp_logit_agq1")
    assert len(ours) == len(theirs)
    assert [line.split()[:1] for line in ours] == [line.split()[:1] for line in theirs]


def test_summary_header_names_weights_and_offsets():
    assert "Weights: size" in lines_of(ref.fit("cbpp_proportion_weights"))
    assert " Offset: log(exposure)" in lines_of(ref.fit("poisson_offset_argument"))
    assert repr(ref.fit("cbpp_logit_agq1").summary()) == str(ref.fit("cbpp_logit_agq1").summary())
