"""BLAS threads for the dense work we do in Python, and for our own kernels.

numpy, scipy and CHOLMOD may each load their own OpenBLAS, each with its own
thread pool. On a 2-core machine the idle threads of one pool spin for a
while after it works, and slow the next pool down: with every pool at two
threads, a dense Cholesky of 1,156 columns took 1.6 s instead of 15 ms, and a
CHOLMOD factorization right after dense work 50-110 ms instead of 30. So in
our heavy calls one pool, the one scipy.linalg's LAPACK calls, keeps its
threads and every other pool runs one. When the process has a single BLAS
pool (scipy built against the system's, as CHOLMOD is), that pool keeps its
threads; when scipy's cannot be told apart from several, every pool runs one.
The pools are looked up at the first heavy call; a BLAS loaded later is left
alone.

OpenBLAS's idle threads spin after every call, so our own two-thread kernels
(sparselmm/_kernels.c) lose a core to them: a model whose work is mostly in
those kernels runs LAPACK on one thread and the kernels on two, a model whose
work is mostly dense LAPACK the other way round (see solvers/blocked.py).
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from functools import lru_cache

import scipy
from threadpoolctl import ThreadpoolController


@lru_cache(maxsize=1)
def _blas_pools() -> tuple:
    """(every BLAS pool in the process, the pool scipy.linalg uses or None); looked up once."""
    pools = tuple(c for c in ThreadpoolController().lib_controllers if c.user_api == "blas")
    home = os.path.dirname(os.path.realpath(scipy.__file__))
    own_folders = {home + ".libs", os.path.join(home, ".libs")}  # where scipy's wheels keep their OpenBLAS
    own = [c for c in pools if os.path.dirname(os.path.realpath(c.filepath)) in own_folders]
    if len(own) == 1:
        return pools, own[0]
    return pools, pools[0] if len(pools) == 1 else None


@contextmanager
def blas_threads(lapack: bool = True):
    """A context in which scipy's BLAS pool keeps its threads (``lapack``; else it runs one too) and every
    other pool runs one."""
    pools, scipy_pool = _blas_pools()
    saved = [(pool, pool.num_threads) for pool in pools]
    for pool, threads in saved:
        pool.set_num_threads(threads if lapack and pool is scipy_pool else 1)
    try:
        yield
    finally:
        for pool, threads in saved:
            pool.set_num_threads(threads)
