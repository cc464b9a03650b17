"""The one place that calls scikit-sparse's CHOLMOD wrapper.

scikit-sparse 0.4 (the release that builds against Debian 12's SuiteSparse
5.12) names its API ``analyze`` / ``Factor``; 0.5 renamed it. Supporting 0.5
means adding its spelling here and nowhere else.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp

try:
    from sksparse import cholmod as _cholmod
except ImportError as error:  # pragma: no cover - exercised only on broken installs
    raise ImportError(
        "sparselmm needs scikit-sparse 0.4.16 and the CHOLMOD library: on Debian or Ubuntu run "
        "'apt-get install libsuitesparse-dev' then 'pip install scikit-sparse==0.4.16' (or 'make example')"
    ) from error

if not hasattr(_cholmod, "analyze"):  # pragma: no cover
    raise ImportError("this scikit-sparse has the 0.5 API, which sparselmm does not support yet; install 0.4.16")


class CholmodFactor:
    """A CHOLMOD factor P A P' = L L' of a symmetric positive definite matrix."""

    def __init__(self, pattern: sp.csc_matrix, ordering: str = "default"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", _cholmod.CholmodTypeConversionWarning)
            self._factor = _cholmod.analyze(pattern, mode="auto", ordering_method=ordering)

    def factorize(self, A: sp.csc_matrix) -> None:
        try:
            self._factor.cholesky_inplace(A)
        except _cholmod.CholmodNotPositiveDefiniteError as error:
            raise np.linalg.LinAlgError(f"the matrix to factor is not positive definite ({error})") from error

    def logdet(self) -> float:
        return float(self._factor.logdet())

    def solve_L(self, B: np.ndarray) -> np.ndarray:
        return self._factor.solve_L(self._factor.apply_P(B), use_LDLt_decomposition=False)

    def solve_Lt(self, C: np.ndarray) -> np.ndarray:
        return self._factor.apply_Pt(self._factor.solve_Lt(C, use_LDLt_decomposition=False))

    def L(self) -> sp.csc_matrix:
        """A copy of the lower-triangular factor as a SciPy matrix (its nnz measures fill; the gradient overwrites
        its values with those of A^-1 on its pattern)."""
        return self._factor.L()

    def permutation(self) -> np.ndarray:
        return self._factor.P()
