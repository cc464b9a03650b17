"""lme4's reference cases (toy, sleepstudy, InstEval) as the benchmarks read them.

The CSVs and lme4's fits are the test suite's (``tests/data/reference`` and
``tests/data/lme4``). Grouping and text columns are read as strings, so they are
categorical exactly as in R.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

REFERENCE_DIR = Path(__file__).resolve().parents[1] / "tests" / "data" / "reference"

# Columns to read as text (grouping factors and categorical predictors), per case.
TEXT_COLUMNS = {
    "toy": ["subject"],
    "sleepstudy": ["Subject"],
    "insteval": ["s", "d", "studage", "lectage", "service", "dept"],
}


@dataclass(frozen=True)
class ReferenceCase:
    """One REML reference fit: its data, formula and what lme4 found."""

    name: str
    formula: str
    data: pd.DataFrame
    text_columns: list[str]
    theta: np.ndarray
    objective: float
    csv: Path


def load(name: str) -> ReferenceCase:
    """Read ``<name>.csv`` and ``<name>_reml.json`` from the reference directory."""
    fit = json.loads((REFERENCE_DIR / f"{name}_reml.json").read_text())
    csv = REFERENCE_DIR / fit["data"]
    text = TEXT_COLUMNS[name]
    data = pd.read_csv(csv, dtype={column: str for column in text})
    return ReferenceCase(name, fit["formula"], data, text,
                         np.asarray(fit["theta"], dtype=float), float(fit["objective"]), csv)
