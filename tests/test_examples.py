"""The examples run, and the toy example agrees with lme4 in every digit it prints."""

import subprocess
import sys

import reference


def run(script, *args):
    result = subprocess.run([sys.executable, str(reference.ROOT / "examples" / script), *args],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_toy_example_matches_lme4_in_every_printed_digit():
    output = run("toy_lmer.py")
    comparison = output.split("lme4's estimates beside ours:")[1].split("\n\n")[0]
    assert comparison.count("same") == 14 and "DIFFERENT" not in comparison
    assert "*** Iteration 1 ***" in output and "converged after" in output


def test_sleepstudy_example_runs():
    assert "Linear mixed model fit by REML" in run("sleepstudy.py")


def test_diagnostics_example_reports_the_singular_fit_and_draws_real_pngs(tmp_path):
    output = run("diagnostics.py", str(tmp_path))
    assert "SingularFitWarning: boundary (singular) fit" in output and "singular: True" in output
    for name in ("dyestuff2_caterpillar", "sleepstudy_caterpillar", "sleepstudy_residuals", "sleepstudy_fit_log"):
        assert (tmp_path / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
