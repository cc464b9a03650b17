"""The caller's rows and a fit's row-level results on them: ``subset`` and ``na_action``, as R's model frame.

R first keeps the rows ``subset`` selects, then applies ``na.action`` to them:

    "omit"     rows with a missing value in a used column are dropped; fitted values, residuals and
               the like have one value per row used (R's na.omit, lmer's default)
    "exclude"  the same fit, but those results have one value per row of the subset, NaN at the
               rows dropped (R's na.exclude, through napredict/naresid)
    "fail"     a missing value in a used column is an error (R's na.fail)

Row-level results are pandas Series on the caller's index (0..n-1 for containers without one):
:class:`RowLayout` keeps that index, the subset's positions and the rows used.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import DataError

NA_ACTIONS = ("omit", "exclude", "fail")


@dataclass(frozen=True)
class RowLayout:
    """Where a fit's rows are in the caller's data: ``index`` (all N rows), ``scope`` (positions the subset
    keeps) and ``used`` (positions fitted), and the ``na_action`` that decides how results are laid out."""

    index: pd.Index
    scope: np.ndarray
    used: np.ndarray
    na_action: str = "omit"

    def series(self, values: np.ndarray, name: str | None = None) -> pd.Series:
        """Values over the rows used (n,) as a Series: on the rows used, or for "exclude" on every row of the
        subset with NaN where a row was dropped."""
        values = np.asarray(values, dtype=float)
        if self.na_action != "exclude":
            return pd.Series(values, index=self.index[self.used], name=name)
        padded = pd.Series(np.nan, index=self.index[self.scope], name=name)
        padded.iloc[np.searchsorted(self.scope, self.used)] = values
        return padded


def check_na_action(na_action) -> str:
    """lmer's ``na_action``: one of "omit", "exclude", "fail" (R's names na.omit, ... also accepted)."""
    name = na_action[3:] if isinstance(na_action, str) and na_action.startswith("na.") else na_action
    if name not in NA_ACTIONS:
        raise DataError(f"na_action must be one of {', '.join(map(repr, NA_ACTIONS))}, not {na_action!r}")
    return name


def subset_mask(data: pd.DataFrame, subset) -> np.ndarray | None:
    """lmer's ``subset`` as (N,) bools: a boolean mask (a Series is aligned on the data's index), integer
    positions, or an expression on the columns such as ``"Days >= 2"`` (pandas' eval: R's comparisons,
    ``&`` and ``|``). Rows where it is missing are left out, as R does."""
    if subset is None:
        return None
    if isinstance(subset, str):
        try:
            subset = data.eval(subset)
        except Exception as error:
            raise DataError(f"subset={subset!r} cannot be evaluated on the data's columns ({error})") from error
    if isinstance(subset, pd.Series):
        if not subset.index.equals(data.index):
            subset = subset.reindex(data.index)
        subset = subset.to_numpy(dtype=object)
    values = np.asarray(subset)
    if values.ndim != 1:
        raise DataError(f"subset must be one-dimensional, not of shape {values.shape}")
    if values.dtype.kind in "iu":
        return _positions(values, len(data))
    if len(values) != len(data):
        raise DataError(f"subset has {len(values)} values for {len(data)} rows; give one per row")
    try:
        mask = pd.array(values, dtype="boolean")
    except (TypeError, ValueError) as error:
        raise DataError("subset must be booleans, row positions or an expression such as 'Days >= 2'") from error
    return mask.fillna(False).to_numpy(dtype=bool)


def _positions(values: np.ndarray, nrows: int) -> np.ndarray:
    if values.size and (values.min() < -nrows or values.max() >= nrows):
        raise DataError(f"subset holds row positions outside 0..{nrows - 1}")
    mask = np.zeros(nrows, dtype=bool)
    mask[values] = True
    return mask


def refuse_missing(data: pd.DataFrame, columns: list[str], scope: np.ndarray, dropped: int) -> None:
    """na_action="fail": the error, naming the columns with missing values and how many."""
    if not dropped:
        return
    present = [c for c in columns if c in data.columns]
    counts = data.iloc[scope][present].isna().sum()
    shown = ", ".join(f"{name} ({count})" for name, count in counts.items() if count)
    raise DataError(
        f"na_action='fail' and {dropped} row(s) have missing values in the columns the model uses: "
        f"{shown or 'the weights or offset'}; drop or fill them, or use na_action='omit' or 'exclude'"
    )
