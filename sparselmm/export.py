"""A fit as tidy DataFrames and as JSON, and a JSON record read back as a :class:`FitRecord`.

Tidy tables give a fit's estimates one row per quantity, ready for
``pd.concat`` across fits or for writing to CSV. JSON keeps a fit's numbers
without its data: the fields are lme4's (``theta``, ``beta``, ``varcorr``,
``logLik``, ``AIC``, ...), as in the reference files of ``tests/data/lme4``,
always as lists (never R's unboxed scalars). Floats are written with Python's
shortest round-tripping repr, so ``load_json(fit.to_json())`` gives back
identical numbers; non-finite floats, which strict JSON cannot hold, are
written as the strings ``"NaN"``, ``"Infinity"`` and ``"-Infinity"`` and
restored, in numeric fields only.

The tidy functions take either a fitted :class:`~sparselmm.results.LmerResult`
or a :class:`FitRecord`: both answer ``fixef``, ``vcov``, ``varcorr``,
``ranef_table()`` and the fit statistics alike.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .errors import DataError
from .version import __version__

FORMAT_VERSION = 1
_NON_FINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
_RANEF_LONG = ["grpvar", "term", "grp", "condval", "condsd"]


# ------------------------------------------------------------------ tidy tables


class Tables:
    """The tidy tables and the JSON text of a fit; shared by LmerResult and FitRecord."""

    def tidy_fixef(self) -> pd.DataFrame:
        """term, estimate, std_error, t_value: one row per fixed effect."""
        return tidy_fixef(self)

    def tidy_varcorr(self) -> pd.DataFrame:
        """grp, var1, var2, vcov, sdcor (lme4's ``as.data.frame(VarCorr(fit))``)."""
        return tidy_varcorr(self)

    def tidy_ranef(self) -> pd.DataFrame:
        """grpvar, term, grp, condval, condsd (lme4's ``as.data.frame(ranef(fit, condVar = TRUE))``)."""
        return tidy_ranef(self)

    def fit_statistics(self) -> pd.DataFrame:
        """One row: nobs, df, objective, loglik, aic, bic, sigma, REML, singular, criterion."""
        return fit_statistics(self)

    def to_json(self, indent: int | None = None) -> str:
        """The fit's numbers as JSON under lme4's names; ``sparselmm.load_json`` reads them back."""
        return to_json(self, indent)


def tidy_fixef(fit) -> pd.DataFrame:
    """One row per fixed effect (p rows): term, estimate, std_error, t_value (lmer's coefficient table)."""
    estimate = fit.fixef.to_numpy(dtype=float)
    std_error = np.sqrt(np.diag(fit.vcov.to_numpy(dtype=float)))
    with np.errstate(divide="ignore", invalid="ignore"):
        t_value = estimate / std_error
    return pd.DataFrame(
        {"term": list(fit.fixef.index), "estimate": estimate, "std_error": std_error, "t_value": t_value}
    )


def tidy_varcorr(fit) -> pd.DataFrame:
    """lme4's ``as.data.frame(VarCorr(fit))``: grp, var1, var2, vcov, sdcor (a copy)."""
    return fit.varcorr.copy()


def tidy_ranef(fit) -> pd.DataFrame:
    """lme4's ``as.data.frame(ranef(fit, condVar = TRUE))``: grpvar, term, grp, condval, condsd."""
    return fit.ranef_table().copy()


def fit_statistics(fit) -> pd.DataFrame:
    """One row of the fit's statistics: nobs, df, objective, loglik, aic, bic, sigma, REML, singular, criterion.

    ``criterion`` names what ``objective`` is: lme4's "REML criterion" for a REML
    fit, the "deviance" (-2 log-likelihood) for an ML fit.
    """
    row = {
        "nobs": int(fit.nobs), "df": int(fit.df), "objective": float(fit.objective),
        "loglik": float(fit.loglik), "aic": float(fit.aic), "bic": float(fit.bic),
        "sigma": float(fit.sigma), "REML": bool(fit.REML), "singular": bool(fit.singular),
        "criterion": "REML criterion" if fit.REML else "deviance",
    }
    return pd.DataFrame([row])


# ------------------------------------------------------------------ the record


@dataclass(frozen=True, eq=False)
class FitRecord(Tables):
    """A fit's numbers without its data or model, as :func:`load_json` reads them back.

    Attributes carry the fitted model's names and types: ``theta`` (t,) array,
    ``fixef`` Series (p,), ``vcov`` DataFrame (p x p), ``varcorr`` DataFrame,
    ``ranef`` dict of DataFrames (levels x columns per grouping factor),
    ``ngroups`` dict, and floats and ints for the statistics; ``hat_trace()``,
    ``ranef_table()`` and the tidy methods answer as the fit's do. The record is
    frozen (attributes cannot be reassigned; ``theta`` is a read-only array);
    tables are returned as copies by the tidy methods.
    """

    formula: str
    REML: bool
    theta: np.ndarray
    theta_names: tuple
    fixef: pd.Series
    sigma: float
    vcov: pd.DataFrame
    varcorr: pd.DataFrame
    ranef: dict
    ranef_long: pd.DataFrame = field(repr=False)
    nobs: int
    ngroups: dict
    objective: float
    loglik: float
    aic: float
    bic: float
    df: int
    singular: bool
    hat_trace_value: float
    version: str = ""

    def hat_trace(self) -> float:
        """Trace of the hat matrix, as the fit computed it."""
        return self.hat_trace_value

    def ranef_table(self) -> pd.DataFrame:
        """grpvar, term, grp, condval, condsd, one row per level and term (a copy)."""
        return self.ranef_long.copy()

    @property
    def stderr(self) -> pd.Series:
        return pd.Series(np.sqrt(np.diag(self.vcov.to_numpy(dtype=float))), index=self.vcov.index, name="stderr")

    def __repr__(self) -> str:
        kind = "REML" if self.REML else "ML"
        return f"<FitRecord {self.formula!r} ({kind}), objective {self.objective:.4f}>"


def fit_record(fit) -> FitRecord:
    """The numbers of a fitted model, detached from its data and solver."""
    theta = np.array(fit.theta, dtype=float)
    theta.flags.writeable = False
    return FitRecord(
        formula=fit.design.formula.text, REML=bool(fit.REML), theta=theta,
        theta_names=tuple(fit.model.covariance.names), fixef=fit.fixef.copy(), sigma=float(fit.sigma),
        vcov=fit.vcov.copy(), varcorr=fit.varcorr.copy(), ranef={k: v.copy() for k, v in fit.ranef.items()},
        ranef_long=fit.ranef_table().copy(), nobs=int(fit.nobs), ngroups=dict(fit.ngroups),
        objective=float(fit.objective), loglik=float(fit.loglik), aic=float(fit.aic), bic=float(fit.bic),
        df=int(fit.df), singular=bool(fit.singular), hat_trace_value=float(fit.hat_trace()), version=__version__,
    )


# ------------------------------------------------------------------ JSON out


def to_json(fit, indent: int | None = None) -> str:
    """The fit (an LmerResult or a FitRecord) as a JSON string; :func:`load_json` reads it back."""
    return dumps(fit if isinstance(fit, FitRecord) else fit_record(fit), indent)


def dumps(record: FitRecord, indent: int | None = None) -> str:
    """Strict JSON (no NaN literals) of a record's fields, under lme4's names."""
    return json.dumps(_fields(record), indent=indent, allow_nan=False, ensure_ascii=False)


def _fields(r: FitRecord) -> dict:
    names = list(r.fixef.index)
    values = _num(r.fixef)
    # lme4's {name: value}; as [name, value] pairs when names repeat (a factor level "2" of "a" beside a column "a2")
    beta = dict(zip(names, values)) if len(set(names)) == len(names) else [list(p) for p in zip(names, values)]
    return {
        "format": "sparselmm.fit", "version": FORMAT_VERSION, "sparselmm_version": r.version,
        "formula": r.formula, "REML": r.REML,
        "theta": _num(r.theta), "theta_names": list(r.theta_names),
        "beta": beta, "sigma": _num(r.sigma),
        "vcov": _num(r.vcov.to_numpy(dtype=float)),
        "varcorr": [_varcorr_row(row) for row in r.varcorr.itertuples(index=False)],
        "ranef": [_ranef_group(group, frame) for group, frame in r.ranef.items()],
        "ranef_long": _ranef_long(r.ranef_long),
        "nobs": r.nobs, "ngroups": dict(r.ngroups),
        "objective": _num(r.objective), "logLik": _num(r.loglik), "AIC": _num(r.aic), "BIC": _num(r.bic),
        "df": r.df, "singular": r.singular, "hat_trace": _num(r.hat_trace_value),
    }


def _num(value):
    """Floats (scalar or nested arrays) as JSON numbers, non-finite ones as "NaN"/"Infinity"/"-Infinity"."""
    if np.ndim(value) > 0:
        return [_num(v) for v in value]
    value = float(value)
    if math.isfinite(value):
        return value
    return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")


def _text(value):
    """A label or None (pandas' missing labels become None)."""
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def _varcorr_row(row) -> dict:
    return {"grp": _text(row.grp), "var1": _text(row.var1), "var2": _text(row.var2),
            "vcov": _num(row.vcov), "sdcor": _num(row.sdcor)}


def _ranef_group(group: str, frame: pd.DataFrame) -> dict:
    return {"group": group, "levels": [str(v) for v in frame.index], "columns": [str(c) for c in frame.columns],
            "values": _num(frame.to_numpy(dtype=float))}


def _ranef_long(table: pd.DataFrame) -> dict:
    return {
        "grpvar": [str(v) for v in table["grpvar"]], "term": [str(v) for v in table["term"]],
        "grp": [str(v) for v in table["grp"]],
        "condval": _num(table["condval"].to_numpy(dtype=float)), "condsd": _num(table["condsd"].to_numpy(dtype=float)),
    }


# ------------------------------------------------------------------ JSON in


def load_json(text: str) -> FitRecord:
    """Read :func:`to_json`'s output back as a :class:`FitRecord` (identical numbers).

    Raises :class:`~sparselmm.DataError` for text that is not JSON or not a sparselmm fit record.
    """
    try:
        fields = json.loads(text)
    except (TypeError, ValueError) as error:
        raise DataError(f"not a JSON fit record: {error}") from None
    if not isinstance(fields, dict) or fields.get("format") != "sparselmm.fit":
        raise DataError("not a sparselmm fit record: the JSON lacks \"format\": \"sparselmm.fit\"")
    if fields.get("version") != FORMAT_VERSION:
        raise DataError(
            f"fit record version {fields.get('version')!r} is not supported (this sparselmm reads {FORMAT_VERSION})"
        )
    try:
        return _record(fields)
    except (KeyError, TypeError, ValueError) as error:
        raise DataError(f"malformed sparselmm fit record: {type(error).__name__} {error}") from None


def _record(f: dict) -> FitRecord:
    names, beta = _beta(f["beta"])
    theta = np.array(_float(f["theta"]), dtype=float).reshape(-1)
    theta.flags.writeable = False
    vcov = np.array(_float(f["vcov"]), dtype=float).reshape(len(names), len(names))
    return FitRecord(
        formula=f["formula"], REML=bool(f["REML"]), theta=theta, theta_names=tuple(f["theta_names"]),
        fixef=pd.Series(beta, index=names, name="fixef", dtype=float), sigma=_float(f["sigma"]),
        vcov=pd.DataFrame(vcov, index=names, columns=names), varcorr=_varcorr(f["varcorr"]),
        ranef={g["group"]: _ranef_frame(g) for g in f["ranef"]}, ranef_long=_ranef_table(f["ranef_long"]),
        nobs=int(f["nobs"]), ngroups={k: int(v) for k, v in f["ngroups"].items()},
        objective=_float(f["objective"]), loglik=_float(f["logLik"]), aic=_float(f["AIC"]), bic=_float(f["BIC"]),
        df=int(f["df"]), singular=bool(f["singular"]), hat_trace_value=_float(f["hat_trace"]),
        version=f.get("sparselmm_version", ""),
    )


def _float(value):
    """JSON numbers (scalar or nested lists) back to floats, "NaN"/"Infinity"/"-Infinity" included."""
    if isinstance(value, list):
        return [_float(v) for v in value]
    if isinstance(value, str):
        if value not in _NON_FINITE:
            raise ValueError(f"{value!r} is not a number")
        return _NON_FINITE[value]
    return float(value)


def _beta(beta) -> tuple[list, list]:
    pairs = list(beta.items()) if isinstance(beta, dict) else [tuple(p) for p in beta]
    return [str(n) for n, _ in pairs], [_float(v) for _, v in pairs]


def _varcorr(rows: list) -> pd.DataFrame:
    table = [(r["grp"], r["var1"], r["var2"], _float(r["vcov"]), _float(r["sdcor"])) for r in rows]
    return pd.DataFrame(table, columns=["grp", "var1", "var2", "vcov", "sdcor"])


def _ranef_frame(group: dict) -> pd.DataFrame:
    values = np.array(_float(group["values"]), dtype=float).reshape(len(group["levels"]), len(group["columns"]))
    return pd.DataFrame(values, index=pd.Index(group["levels"], name=group["group"]), columns=group["columns"])


def _ranef_table(columns: dict) -> pd.DataFrame:
    table = {key: columns[key] for key in _RANEF_LONG}
    table["condval"] = np.array(_float(table["condval"]), dtype=float)
    table["condsd"] = np.array(_float(table["condsd"]), dtype=float)
    return pd.DataFrame(table)
