"""InstEval: 73,421 lecture ratings, 2,972 students crossed with 1,128 lecturers.

Run: ``python examples/insteval.py [path/to/insteval.csv]`` (default: the copy
in tests/data/reference, lme4's InstEval as R wrote it).
"""

import sys
import time
from pathlib import Path

import pandas as pd

import sparselmm as slmm

DEFAULT = Path(__file__).resolve().parent.parent / "tests" / "data" / "reference" / "insteval.csv"
GROUPING = ["s", "d", "studage", "lectage", "service", "dept"]


def main(path: Path) -> None:
    insteval = pd.read_csv(path, dtype={column: str for column in GROUPING})
    started = time.perf_counter()
    fit = slmm.lmer("y ~ 1 + service + (1 | s) + (1 | d) + (1 | dept:service)", data=insteval)
    print(f"fitted {fit.nobs} rows in {time.perf_counter() - started:.2f} s "
          f"({fit.optsummary.evaluations} evaluations)\n")
    print(fit.summary())


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT)
