"""Pictures of a fit: caterpillar plot of the BLUPs, residuals against fitted values, normal QQ plots, fit log.

Each function returns a :class:`matplotlib.figure.Figure` drawn on the Agg
canvas, without pyplot: nothing is shown, no global figure is registered and
no backend is switched, so the functions are safe on servers and in tests.
Save with ``figure.savefig("plot.png")``; in Jupyter the figure displays
itself. matplotlib is an optional dependency (``pip install sparselmm[plot]``).

Normal quantiles are R's ``qqnorm``: the sample's order statistics against
``qnorm(ppoints(n))``, with ppoints(n) = (i - a) / (n + 1 - 2a), a = 3/8 for
n <= 10 and 1/2 otherwise.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.stats import norm

from .errors import DataError

INSTALL_HINT = "plots need matplotlib: pip install sparselmm[plot]"
MAX_LABELLED_LEVELS = 40  # a caterpillar plot names its levels when it has at most this many


def _figure(panels: int = 1, figsize=None):
    """A Figure on the Agg canvas and its ``panels`` axes, side by side (at most 3 per row)."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as error:
        raise ImportError(INSTALL_HINT) from error
    columns = min(panels, 3)
    rows = math.ceil(panels / columns)
    figure = Figure(figsize=figsize or (4.5 * columns, 4.0 * rows), layout="constrained")
    FigureCanvasAgg(figure)
    axes = [figure.add_subplot(rows, columns, i + 1) for i in range(panels)]
    return figure, axes


def ppoints(n: int) -> np.ndarray:
    """R's ``ppoints(n)``: probabilities (n,) at which to evaluate the normal quantiles."""
    a = 3.0 / 8.0 if n <= 10 else 0.5
    return (np.arange(1, n + 1) - a) / (n + 1 - 2 * a)


def normal_quantiles(values) -> tuple[np.ndarray, np.ndarray]:
    """R's ``qqnorm``: (theoretical quantiles, sorted sample), both (n,)."""
    sample = np.sort(np.asarray(values, dtype=float))
    return norm.ppf(ppoints(len(sample))), sample


def _panels(fit, group: str | None) -> list[tuple[str, str, object]]:
    """(grouping factor, term, its rows of ``fit.ranef_table()``) per panel, in the table's order."""
    table = fit.ranef_table()
    if group is not None and group not in set(table["grpvar"]):
        known = ", ".join(dict.fromkeys(table["grpvar"]))
        raise DataError(f"the model has no grouping factor '{group}'; its grouping factors are {known}")
    keys = dict.fromkeys(zip(table["grpvar"], table["term"]))
    return [
        (g, t, table[(table["grpvar"] == g) & (table["term"] == t)])
        for g, t in keys if group is None or g == group
    ]


# ------------------------------------------------------------------ the plots


def caterpillar(fit, group: str | None = None, z: float = 1.96, figsize=None):
    """BLUPs with conditional intervals condval +- z condsd, one panel per grouping factor and term.

    Levels are sorted by their BLUP (one point per level) and named on the axis
    when there are at most 40; ``group`` keeps one grouping factor's panels.
    """
    panels = _panels(fit, group)
    figure, axes = _figure(len(panels), figsize)
    for ax, (name, term, rows) in zip(axes, panels):
        order = np.argsort(rows["condval"].to_numpy(), kind="stable")
        value = rows["condval"].to_numpy()[order]
        half = z * rows["condsd"].to_numpy()[order]
        position = np.arange(len(value))
        ax.errorbar(value, position, xerr=half, fmt="o", markersize=3, capsize=0, elinewidth=1)
        ax.axvline(0.0, color="grey", linestyle="--", linewidth=0.8)
        if len(value) <= MAX_LABELLED_LEVELS:
            ax.set_yticks(position, [str(v) for v in rows["grp"].to_numpy()[order]])
        ax.set_title(f"{name}: {term}")
        ax.set_xlabel(f"conditional mode ± {z:g} conditional sd")
        ax.set_ylabel(name)
    return figure


def _refuse_dask(fit) -> None:
    """A Dask fit's residuals are Dask Series: plotting every one would bring all rows to the client."""
    if hasattr(fit.design, "dask_rows"):
        fit.design.require_rows("plots of every residual (plot a sample: fit.residuals.sample(frac=...).compute())")


def residuals_vs_fitted(fit, figsize=None):
    """Residuals (y - fitted) against fitted values, one point per row used, with the zero line."""
    _refuse_dask(fit)
    figure, (ax,) = _figure(1, figsize)
    ax.scatter(fit.fitted, fit.residuals, s=10, alpha=0.7)
    ax.axhline(0.0, color="grey", linestyle="--", linewidth=0.8)
    ax.set_title("Residuals vs fitted")
    ax.set_xlabel("fitted values")
    ax.set_ylabel("residuals")
    return figure


def _qq_panel(ax, values, title: str) -> None:
    theoretical, sample = normal_quantiles(values)
    ax.scatter(theoretical, sample, s=10)
    _qq_line(ax, theoretical, sample)
    ax.set_title(title)
    ax.set_xlabel("normal quantiles")
    ax.set_ylabel("sample quantiles")


def _qq_line(ax, theoretical: np.ndarray, sample: np.ndarray) -> None:
    """R's ``qqline``: through the first and third quartiles of sample and normal."""
    if len(sample) < 2:
        return
    q_sample = np.quantile(sample, [0.25, 0.75])
    q_normal = norm.ppf([0.25, 0.75])
    slope = (q_sample[1] - q_sample[0]) / (q_normal[1] - q_normal[0])
    intercept = q_sample[0] - slope * q_normal[0]
    ends = np.array([theoretical[0], theoretical[-1]])
    ax.plot(ends, intercept + slope * ends, color="grey", linestyle="--", linewidth=0.8)


def qq_residuals(fit, figsize=None):
    """Normal QQ plot of the residuals: one point per row used, with R's qqline."""
    _refuse_dask(fit)
    figure, (ax,) = _figure(1, figsize)
    _qq_panel(ax, fit.residuals.dropna(), "Normal QQ plot of residuals")  # rows used (na_action="exclude" pads)
    return figure


def qq_ranef(fit, group: str | None = None, figsize=None):
    """Normal QQ plot of the BLUPs, one panel per grouping factor and term (one point per level)."""
    panels = _panels(fit, group)
    figure, axes = _figure(len(panels), figsize)
    for ax, (name, term, rows) in zip(axes, panels):
        _qq_panel(ax, rows["condval"].to_numpy(), f"Normal QQ plot of {name}: {term}")
    return figure


def fit_log(fit, figsize=None):
    """The optimiser's path: the objective at each evaluation (``fit.fit_log``), best value marked."""
    log = fit.fit_log
    objective = log["objective"].to_numpy(dtype=float)
    evaluation = np.arange(1, len(objective) + 1)
    figure, (ax,) = _figure(1, figsize)
    ax.plot(evaluation, objective, marker="o", markersize=3, linewidth=1)
    if len(objective) and np.isfinite(objective).any():
        best = int(np.nanargmin(np.where(np.isfinite(objective), objective, np.nan)))
        ax.plot([evaluation[best]], [objective[best]], marker="*", markersize=12, linestyle="none", color="red")
    ax.set_title("Objective per evaluation")
    ax.set_xlabel("evaluation")
    ax.set_ylabel("REML criterion" if fit.REML else "deviance")
    return figure
