"""One BLAS thread for dense work in Python.

numpy, scipy and CHOLMOD each load an OpenBLAS with its own thread pool. On a
2-core machine the idle threads of one pool spin while another pool works, and
a dense Cholesky of 1,156 columns took 1.6 s instead of 30 ms. Our dense blocks
are a few thousand columns at most, where one thread loses little.
"""

from threadpoolctl import threadpool_limits


def single_blas_thread():
    """A context in which every BLAS pool of the process runs one thread."""
    return threadpool_limits(1, user_api="blas")
