"""The task graph's pieces shared by the fit and the row-level results: Dask imported on demand, values
broadcast once, a reduction tree, and Dask's own type complaints as DataErrors."""

from __future__ import annotations

import sys

from ..errors import DataError

SPLIT = 8  # partial results merged per task of the reduction tree (its depth is log_8 of the partitions)


def is_dask_dataframe(data) -> bool:
    """Whether ``data`` is a Dask DataFrame (without importing Dask: if it is not loaded, ``data`` is not one)."""
    module = sys.modules.get("dask.dataframe")
    return module is not None and isinstance(data, module.DataFrame)


def dask_module():
    """The dask module, imported on first use (sparselmm imports without it)."""
    try:
        import dask
        import dask.dataframe  # noqa: F401
    except ImportError as error:  # pragma: no cover - only without the extra
        raise ImportError("fitting a Dask DataFrame needs dask: pip install 'sparselmm[dask]'") from error
    return dask


def tree(dask, leaves: list, merge):
    """A reduction tree over delayed leaves: ``merge(*children)`` of SPLIT children per task."""
    level = list(leaves)
    while len(level) > 1:
        level = [dask.delayed(merge)(*level[i:i + SPLIT]) for i in range(0, len(level), SPLIT)]
    return level[0]


def shared(dask, value):
    """``value`` as one key of the graph, sent to each worker once (not unpacked: Dask would walk every
    level's label of a dataclass or dict passed as is)."""
    return dask.delayed(value, traverse=False)


def compute(dask, value):
    """dask.compute (the active scheduler: a distributed Client if one is set up), with Dask's own complaints
    about partitions of different types as a DataError saying what to do."""
    try:
        return dask.compute(value)[0]
    except ValueError as error:
        if isinstance(error, DataError) or not any(
                words in str(error) for words in ("Mismatched dtypes", "Metadata mismatch")):
            raise
        raise DataError(
            "the partitions of the Dask DataFrame disagree on the types of their columns (Dask says: "
            f"{str(error).strip()}). Give each column one type in every partition, e.g. "
            "dd.read_csv(..., dtype={'column': str}) or ddf.astype(...)"
        ) from error
