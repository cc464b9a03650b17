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
(sparselmm/_kernels.c) lose a core to them; and when another process keeps one
of the two cores busy, a two-thread dense Cholesky of 1,000 columns took 0.74 s
here instead of 9 ms on one thread, its threads waiting for each other. Neither
setting is right everywhere, so :class:`AdaptiveThreads` gives LAPACK its
threads only for models whose work is mostly LAPACK's, and only while a small
probe finds them faster; otherwise LAPACK runs on one thread, the kernels on two.
"""

from __future__ import annotations

import os
import threading
import time
from contextlib import contextmanager
from functools import lru_cache

import numpy as np
import scipy
import scipy.linalg as la
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


_setting = threading.local()  # this thread's innermost blas_threads setting, if any


@contextmanager
def blas_threads(lapack: bool = True):
    """A context in which scipy's BLAS pool keeps its threads (``lapack``; else it runs one too) and every
    other pool runs one. Inside a context of the same setting on the same thread it changes nothing (a
    glmer fit enters one per PIRLS run, hundreds of times)."""
    outer = getattr(_setting, "lapack", None)
    if outer == lapack:
        yield
        return
    pools, scipy_pool = _blas_pools()
    saved = [(pool, pool.num_threads) for pool in pools]
    for pool, threads in saved:
        pool.set_num_threads(threads if lapack and pool is scipy_pool else 1)
    _setting.lapack = lapack
    try:
        yield
    finally:
        _setting.lapack = outer
        for pool, threads in saved:
            pool.set_num_threads(threads)


PROBE_EVERY = 16  # evaluations between two probes of whether LAPACK's threads help
EARLY_PROBES = (1, 2, 4, 8)  # and again at these evaluations while the probes say no (they may have met a busy moment)
PROBE_SIZE = 400  # a Cholesky of this size takes about 0.6 ms on one thread here
PROBE_REPEAT = 3


class AdaptiveThreads:
    """Whether LAPACK or our kernels get the second core, decided for each evaluation.

    ``lapack_heavy`` says which does most of a model's work (an estimate from its sizes). LAPACK
    gets its threads only where that is so and a probe finds them faster than one thread: a small
    Cholesky timed on one thread and on all, every PROBE_EVERY evaluations and, while it says no, at
    EARLY_PROBES too (when another process holds a core, the threaded one is several times slower, and
    a large one a hundred times; right after the set-up, other pools' threads may still be spinning). Otherwise LAPACK runs
    on one thread and the kernels on all cores. :meth:`evaluation` is the context an evaluation
    runs in; :attr:`kernel_threads` the kernels' thread count under the current choice.
    """

    def __init__(self, lapack_heavy: bool, cores: int):
        self.cores, self.lapack_heavy = cores, lapack_heavy and cores > 1
        self.lapack = False
        self._count = 0

    @property
    def kernel_threads(self) -> int:
        return 1 if self.lapack else self.cores

    @contextmanager
    def evaluation(self):
        probe = self._count % PROBE_EVERY == 0 or (self._count in EARLY_PROBES and not self.lapack)
        if self.lapack_heavy and probe:
            self.lapack = _threads_help()
        self._count += 1
        with blas_threads(self.lapack):
            yield


def _threads_help() -> bool:
    """Whether scipy's LAPACK is faster on all its threads than on one, right now (a ~5 ms probe).

    Each way is timed PROBE_REPEAT times and judged by its fastest: the first threaded call after a pause
    pays for waking the pool's threads, which said "no" to a quiet machine on one fit in three."""
    matrix = _probe_matrix()
    seconds = {False: np.inf, True: np.inf}
    for _ in range(PROBE_REPEAT):
        for threaded in (False, True):
            with blas_threads(threaded):
                copy = np.asfortranarray(matrix)
                started = time.perf_counter()
                la.lapack.dpotrf(copy, lower=False, overwrite_a=True)
                seconds[threaded] = min(seconds[threaded], time.perf_counter() - started)
    return seconds[True] < 0.9 * seconds[False]


@lru_cache(maxsize=1)
def _probe_matrix() -> np.ndarray:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((PROBE_SIZE, PROBE_SIZE))
    return X @ X.T + PROBE_SIZE * np.eye(PROBE_SIZE)
