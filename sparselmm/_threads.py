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
threads only for models whose work is mostly LAPACK's, and only while the
evaluations run faster so; otherwise LAPACK runs on one thread, the kernels on two.
"""

from __future__ import annotations

import os
import threading
import time
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


_setting = threading.local()  # this thread's innermost blas_threads setting, if any
CORES = min(2, len(os.sched_getaffinity(0))) if hasattr(os, "sched_getaffinity") else 1  # our kernels' threads
THREADED_WORK = 200_000  # multiply-adds from which one of our kernels splits its loop (a thread costs ~50 us)


def kernel_threads() -> int:
    """The threads our kernels may take here: every core inside a context where every BLAS pool runs one
    thread, else one (idle BLAS threads spin after each call and take the second core: the small products of
    the Latin square, outside any context, took 1 ms each on two threads instead of 0.1 on one)."""
    return CORES if getattr(_setting, "lapack", None) is False else 1


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


TRY_OTHER_EVERY = 16  # evaluations between two tries of the setting not chosen


class AdaptiveThreads:
    """Whether LAPACK or our kernels get the second core, decided for each evaluation from the
    evaluations' own times.

    ``lapack_heavy`` says which does most of a model's work (an estimate from its sizes). Where LAPACK
    does, the first evaluation gives it its threads, the second runs it on one thread (the kernels on
    all cores), the third on all threads again; from then on each evaluation takes the setting whose
    latest evaluation was faster, and every TRY_OTHER_EVERY evaluations tries the other one again (the
    machine may have become busier or quieter). A separate probe (a small Cholesky timed both ways) was
    tried first: its threaded call woke OpenBLAS's threads, whose spinning then slowed the evaluation
    after it, and its answer on a small matrix did not carry over to the large ones (it said no to a
    quiet machine on one InstEval fit in three, which then took 1.1 s instead of 0.7).
    :meth:`evaluation` is the context an evaluation runs in (inside it :func:`kernel_threads` follows the
    choice); ``clock`` what the evaluations are timed with (seconds).
    """

    def __init__(self, lapack_heavy: bool, cores: int, clock=time.perf_counter):
        self.cores, self.adaptive, self._clock = cores, lapack_heavy and cores > 1, clock
        self.lapack = self.adaptive
        self._count = 0
        self._seconds = {}  # setting -> the latest evaluation's seconds in it

    @contextmanager
    def evaluation(self):
        if self.adaptive:
            self.lapack = self._choose()
        count, self._count = self._count, self._count + 1
        started = self._clock()
        with blas_threads(self.lapack):
            yield
        if self.adaptive and count > 0:  # the first evaluation also pays for one-off work
            self._seconds[self.lapack] = self._clock() - started

    def _choose(self) -> bool:
        if len(self._seconds) < 2:
            return self._count != 1
        faster = min(self._seconds, key=self._seconds.get)
        return (not faster) if self._count % TRY_OTHER_EVERY == 0 else faster
