"""lme4's reference fits: the shared ones (../shared/reference) and ours (tests/data/lme4)."""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("SPARSELMM_REFERENCE", ROOT.parent / "shared" / "reference"))
OURS = ROOT / "tests" / "data" / "lme4"
SUMMARIES = OURS / "summaries"

LARGE = {"insteval_reml"}


def case_paths() -> list[Path]:
    return sorted(SHARED.glob("*.json")) + sorted(OURS.glob("*.json"))


def case_ids(include_large: bool = True) -> list[str]:
    return [p.stem for p in case_paths() if include_large or p.stem not in LARGE]


@lru_cache(maxsize=None)
def load_case(case_id: str) -> dict:
    path = next(p for p in case_paths() if p.stem == case_id)
    spec = json.loads(path.read_text())
    spec["_dir"] = path.parent
    return spec


def _as_list(value):
    return value if isinstance(value, list) else [value]


def theta(spec) -> np.ndarray:
    return np.array(_as_list(spec["theta"]), dtype=float)


@lru_cache(maxsize=None)
def _read_data(case_id: str) -> pd.DataFrame:
    spec = load_case(case_id)
    path = spec["_dir"] / spec["data"]
    types = spec.get("column_types") or _quoted_columns(path)
    dtypes = {c: str for c, kind in types.items() if kind == "factor"}
    data = pd.read_csv(path, dtype=dtypes, keep_default_na=False, na_values=[""])
    for column, kind in types.items():
        if kind == "logical":
            data[column] = data[column].map({"TRUE": True, "FALSE": False, True: True, False: False})
    return data


def data(case_id: str) -> pd.DataFrame:
    """The case's data as lme4 read it: quoted (text) columns as strings. A fresh copy."""
    return _read_data(case_id).copy()


def _quoted_columns(path: Path) -> dict:
    """Columns R wrote in quotes are factors (the shared reference's convention)."""
    with open(path) as handle:
        header = handle.readline().strip().split(",")
        first = handle.readline().strip().split(",")
    return {h.strip('"'): ("factor" if f.startswith('"') else "numeric") for h, f in zip(header, first)}


def assert_close(actual, expected, rtol: float = 1e-4, what: str = "") -> None:
    """Within rtol of the largest expected entry (near-zero entries judged on their neighbours' scale)."""
    actual, expected = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    scale = np.max(np.abs(expected)) if expected.size else 0.0
    error = np.max(np.abs(actual - expected)) if expected.size else 0.0
    assert error <= rtol * scale + 1e-12, f"{what}: max error {error:.3g} > {rtol} x {scale:.3g}"
