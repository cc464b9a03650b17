"""lme4's ``confint``: profile (default), Wald and parametric-bootstrap percentile intervals.

Rows are lme4's: ``.sig01``, ``.sig02``, ... (the random effects' sds and correlations, theta's order),
``.sigma``, then the fixed effects; columns named for the level (``2.5 %``, ``97.5 %``). Wald intervals
are beta -+ qnorm((1 + level) / 2) SE with NaN for the variance parameters, as lme4 gives NA.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import SparseLMMError
from .profile import interval_columns, profile_intervals, sv_names
from .tables import checked_level

METHODS = ("profile", "wald", "boot")


def confint(fit, parm=None, level: float = 0.95, method: str = "profile", nsim: int = 500, seed=None,
            n_jobs=None) -> pd.DataFrame:
    """lme4's ``confint(fit, parm, level, method)``; ``nsim``, ``seed`` and ``n_jobs`` go to the bootstrap."""
    level = checked_level(level)
    if not isinstance(method, str) or method.lower() not in METHODS:
        raise SparseLMMError(f"method={method!r} is not an interval method; use 'profile', 'Wald' or 'boot'")
    method = method.lower()
    if method == "profile":
        return profile_intervals(fit, parm, level)
    if method == "wald":
        table = wald(fit, level)
    else:
        table = fit.bootstrap(nsim, seed=seed, n_jobs=n_jobs).confint(level)
    return table if parm is None else table.loc[_checked(parm, table)]


def wald(fit, level: float) -> pd.DataFrame:
    z = stats.norm.ppf(0.5 + level / 2.0)
    beta, se = fit.solution.beta, fit.stderr.to_numpy()
    names = sv_names(fit)
    values = np.vstack([np.full((len(names), 2), np.nan), np.column_stack([beta - z * se, beta + z * se])])
    return pd.DataFrame(values, index=names + list(fit.design.fixef_names), columns=interval_columns(level))


def _checked(parm, table) -> list:
    parm = [parm] if isinstance(parm, str) else list(parm)
    unknown = [p for p in parm if p not in table.index]
    if unknown:
        raise SparseLMMError(f"unknown parameter(s) {', '.join(map(str, unknown))}; the parameters are "
                             f"{', '.join(table.index)}")
    return parm
