"""R's contrasts: how a factor with K levels becomes K - 1 columns where its margin is in the model.

The contrast functions of R's stats package, each a K x (K - 1) matrix and the suffixes it gives the
coefficients' names (``Machine`` + suffix):

    contr.treatment   indicators of levels 2..K               suffixes: the levels (MachineB, MachineC)
    contr.SAS         indicators of levels 1..K-1 (last base) suffixes: the levels (MachineA, MachineB)
    contr.sum         identity over K-1 rows, last row -1     suffixes: 1, 2, ...
    contr.helmert     column j: -1 on rows 1..j, j on row j+1  suffixes: 1, 2, ...
    contr.poly        orthogonal polynomials in 1..K           suffixes: .L, .Q, .C, ^4, ...

or a matrix given by the caller (K rows, at most K - 1 columns; a DataFrame's column names, or
1, 2, ... without them). As in R, an ordered factor gets contr.poly by default and any other
factor contr.treatment; ``lmer(contrasts={"Machine": "contr.sum"})`` applies to the
fixed-effects matrix only (lme4 codes random-effects terms with the defaults).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import DataError

R_NAMES = ("contr.treatment", "contr.SAS", "contr.sum", "contr.helmert", "contr.poly")


@dataclass(frozen=True)
class Contrast:
    """One factor's contrast: ``matrix`` (K, c) over its levels and the ``suffixes`` of its c columns."""

    matrix: np.ndarray
    suffixes: tuple
    name: str  # the R function's name, or "matrix"


def contrast(spec, levels: tuple, factor: str) -> Contrast:
    """The contrast for a factor with ``levels``: ``spec`` is one of R's names (with or without ``contr.``)
    or a matrix (numpy array or DataFrame) with one row per level."""
    count = len(levels)
    if isinstance(spec, str):
        name = spec if spec.startswith("contr.") else f"contr.{spec}"
        if name not in R_NAMES:
            raise DataError(f"unknown contrast {spec!r} for '{factor}'; give one of {', '.join(R_NAMES)} or a matrix")
        return _BY_NAME[name](count, tuple(levels))
    return _given(spec, count, factor)


def default_contrast(levels: tuple, ordered: bool) -> Contrast:
    """R's default: contr.poly for an ordered factor, contr.treatment otherwise."""
    return contrast("contr.poly" if ordered else "contr.treatment", levels, "")


def treatment(count: int, levels: tuple) -> Contrast:
    return Contrast(np.eye(count)[:, 1:], levels[1:], "contr.treatment")


def sas(count: int, levels: tuple) -> Contrast:
    return Contrast(np.eye(count)[:, :-1], levels[:-1], "contr.SAS")


def sum_to_zero(count: int, levels: tuple) -> Contrast:
    matrix = np.vstack([np.eye(count - 1), -np.ones((1, count - 1))])
    return Contrast(matrix, _numbered(count - 1), "contr.sum")


def helmert(count: int, levels: tuple) -> Contrast:
    matrix = np.zeros((count, count - 1))
    for j in range(count - 1):
        matrix[: j + 1, j] = -1.0
        matrix[j + 1, j] = j + 1
    return Contrast(matrix, _numbered(count - 1), "contr.helmert")


def polynomial(count: int, levels: tuple) -> Contrast:
    """R's contr.poly(K): the QR of the centred Vandermonde matrix of the scores 1..K, each column Q_j R_jj
    (independent of the reflections' signs) normalised to length 1, the constant column dropped."""
    scores = np.arange(1, count + 1, dtype=float)
    centred = scores - scores.mean()
    Q, R = np.linalg.qr(centred[:, None] ** np.arange(count))
    raw = Q * np.diag(R)
    matrix = raw / np.linalg.norm(raw, axis=0)
    suffixes = tuple([".L", ".Q", ".C"][: count - 1]) + tuple(f"^{j}" for j in range(4, count))
    return Contrast(matrix[:, 1:], suffixes, "contr.poly")


_BY_NAME = {"contr.treatment": treatment, "contr.SAS": sas, "contr.sum": sum_to_zero, "contr.helmert": helmert,
            "contr.poly": polynomial}


def _numbered(count: int) -> tuple:
    return tuple(str(j) for j in range(1, count + 1))


def _given(spec, count: int, factor: str) -> Contrast:
    """A caller's matrix: K rows; named columns (a DataFrame's) give the suffixes, else 1, 2, ..."""
    names = tuple(str(c) for c in spec.columns) if isinstance(spec, pd.DataFrame) else None
    try:
        matrix = np.asarray(spec, dtype=float)
    except (TypeError, ValueError) as error:
        raise DataError(f"the contrast for '{factor}' must be one of R's names or a numeric matrix") from error
    matrix = matrix.reshape(-1, 1) if matrix.ndim == 1 else matrix
    if matrix.ndim != 2 or matrix.shape[0] != count or not 1 <= matrix.shape[1] <= count - 1:
        raise DataError(
            f"the contrast matrix for '{factor}' has shape {matrix.shape}; '{factor}' has {count} levels, so it "
            f"needs {count} rows and 1 to {count - 1} columns"
        )
    if not np.isfinite(matrix).all():
        raise DataError(f"the contrast matrix for '{factor}' holds missing or infinite values")
    return Contrast(matrix, names or _numbered(matrix.shape[1]), "matrix")


def resolve(requested: dict | None, factors: dict, fixed_keys: set) -> tuple[dict, dict]:
    """(fixed, random): each factor's contrast in the fixed-effects matrix (the caller's where given, else
    R's default) and in random-effects terms (the defaults). ``factors`` maps each factor's expression to
    its (levels, ordered); ``fixed_keys`` are the expressions the fixed part uses."""
    requested = dict(requested or {})
    unknown = [key for key in requested if key not in fixed_keys or key not in factors]
    if unknown:
        warnings.warn(f"contrasts for {', '.join(map(repr, unknown))} are ignored: no such factor in the fixed "
                      f"effects (factors: {', '.join(k for k in factors if k in fixed_keys) or 'none'})",
                      UserWarning, stacklevel=5)
    random, fixed = {}, {}
    for key, (levels, ordered) in factors.items():
        if len(levels) < 2:
            continue  # coding refuses a single-level factor with its own message
        random[key] = default_contrast(levels, ordered)
        fixed[key] = contrast(requested[key], levels, key) if key in requested else random[key]
    return fixed, random


def check_requested(contrasts) -> dict:
    """lmer's ``contrasts``: a dict from factor names to a contrast (R's name or a matrix), or None."""
    if contrasts is None:
        return {}
    if not isinstance(contrasts, dict):
        raise DataError(
            f"contrasts must be a dict such as {{'Machine': 'contr.sum'}}, not {type(contrasts).__name__}"
        )
    for key, spec in contrasts.items():
        if isinstance(spec, str):
            contrast(spec, ("a", "b"), key)  # the name is checked now; the matrix when the levels are known
        elif not hasattr(spec, "__array__") and not isinstance(spec, (list, tuple)):
            raise DataError(f"the contrast for '{key}' must be one of {', '.join(R_NAMES)} or a matrix")
    return dict(contrasts)
