"""examples/inference.py runs, and what it prints is lmerTest's and lme4's numbers for the ham case."""

import subprocess
import sys

import inference_reference as ir
import pytest
import reference


def printed_rows(text: str) -> dict:
    """A printed table's rows: its first word -> the numbers after it."""
    rows = {}
    for line in text.strip().splitlines()[1:]:
        words = line.split()
        try:
            rows[words[0]] = [float(w) for w in words[1:]]
        except (ValueError, IndexError):
            continue
    return rows


def test_the_inference_example_prints_rs_tables():
    result = subprocess.run([sys.executable, str(reference.ROOT / "examples" / "inference.py")],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    output = result.stdout
    assert output.startswith("Linear mixed model fit by REML. t-tests use Satterthwaite's method [")
    spec = ir.spec("ham")
    anova = ir.table(spec["anova"]["satterthwaite"]["type3"])
    printed = printed_rows(output.split("Type III")[1].split("The same")[0])
    for term, F in anova["F value"].items():
        assert printed[term][-2] == pytest.approx(F, rel=1e-6), term
    chisq = ir.table(spec["comparisons"][0]["table"])["Chisq"].iloc[1]
    assert printed_rows(output.split("Likelihood-ratio")[1])["full"][-3] == pytest.approx(chisq, rel=1e-6)
    for name in ir.table(spec["ranova"]).index:
        assert name in output.split("ranova")[1]
    assert "Product1 - Product2" in output and ".sigma" in output
