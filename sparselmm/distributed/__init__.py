"""Fitting on a Dask DataFrame: the in-memory fit's numbers, each partition's share computed where it lives.

The profiled criterion needs the data only through their cross-products, and
those are sums over rows (:mod:`sparselmm.crossprod`). A Dask fit is the chunked
fit (:mod:`sparselmm.chunks`) with the partitions as the chunks and the loop
replaced by tasks; the client receives sums, never a row:

1. The spec. Where every factor of the formula is a column of known categories
   (``ddf.categorize()``, or a categorical dtype declared by the reader) its levels
   are those categories and no pass is made; otherwise one distributed pass learns
   every factor's levels, the observed combinations of grouping interactions
   (``a:b``, ``a/b``) and scale()'s sums, each partition returning sets and sums.
   As in lme4, levels no row uses are dropped: categories found unused by the
   accumulation are removed and the sums taken again (rare: ``categorize()``
   declares only categories that occur).
2. The shift of y, one for all partitions so that their sums add up: the OLS fit
   of the first partition with rows (any shift is exact; one close to the data
   keeps digits). One task on a worker computes it, the spec's column names and
   that partition's sums.
3. One task per other partition codes it with the spec and sums its
   cross-products in an :class:`~sparselmm.crossprod.Accumulator` with that shift.
4. A tree of tasks merges the partial sums, ``SPLIT`` at a time, so that the
   client receives a single Accumulator; lme4's checks then run on the sums
   (:func:`sparselmm.chunks.design_of_sums`) and the fit is the usual one.

The tree is made of ``dask.delayed`` calls on ``ddf.to_delayed()``: with the
distributed scheduler each leaf runs on the worker that computes (or holds) its
partition and a merge runs where most of its inputs are. ``DataFrame.reduction``
would want pandas objects as partial results, and a Bag's fold would wrap every
partition in a sequence for nothing; the spec (with every level's label) and
the fit's pieces enter the graph once, as one key each, and travel to each
worker once.

Every partition is checked before it is used: its columns must have the type
the DataFrame's meta declares (``ddf.dtypes``), and a column of known categories
must hold no other value. Both mistakes are easy to make (CSV blocks read with
different types, ``from_map`` with a wrong ``meta``) and would otherwise give
another model, so they raise a :class:`~sparselmm.errors.DataError` naming the
partition, the column and the fix.

Row-level results of a Dask fit (``fit.fitted``, ``fit.residuals``,
``fit.hatvalues()``, ``fit.predict(newdata=ddf)``) are Dask Series aligned with
the partitions, computed on demand by ``map_partitions`` with the fit's pieces
(beta, the random effects, the spec; for leverages the parts of A^-1) broadcast
once (:class:`DistributedRows`).

Dask is imported only when a Dask DataFrame is met: sparselmm imports without it.
"""

from .graph import is_dask_dataframe
from .rows import DistributedRows
from .sums import DaskDesign, from_dask

__all__ = ["is_dask_dataframe", "from_dask", "DaskDesign", "DistributedRows"]
