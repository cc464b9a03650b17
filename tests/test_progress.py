"""sparselmm.progress: verbose=True reports from the first second, the set-up's stages before the evaluations."""

import io
import re

import interface_reference as ir
import sparselmm as slmm
from sparselmm.progress import Progress


def test_verbose_prints_every_stage_then_the_evaluations(capsys):
    slmm.lmer("Reaction ~ Days + (Days | Subject)", ir.data("methods"), verbose=True)
    lines = capsys.readouterr().err.splitlines()
    stages = ["reading the data (pandas.DataFrame) ...", "180 rows, 8 columns", "coding the design of 180 rows ...",
              "cross-products of 180 rows, 2 fixed and 36 random effects ...", "evaluation     1", "done after"]
    positions = [next(i for i, line in enumerate(lines) if stage in line) for stage in stages]
    assert positions == sorted(positions)
    assert all(re.match(r"\[ +\d+\.\d\d s\] ", line) for line in lines)


def test_a_stage_says_when_it_ends():
    stream = io.StringIO()
    progress = Progress(stream)
    with progress.stage("coding"):
        pass
    first, second = stream.getvalue().splitlines()
    assert first.endswith("coding ...") and re.search(r"coding: done in \d+\.\d\d s$", second)


def test_chunked_input_shows_a_bar_per_pass(capsys):
    data = ir.data("methods")
    slmm.LinearMixedModel.from_chunks("Reaction ~ Days + (Days | Subject)", [data.iloc[:90], data.iloc[90:]],
                                      verbose=True)
    err = capsys.readouterr().err
    assert "chunks: levels" in err and "chunks: cross-products" in err
