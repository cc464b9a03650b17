"""R's functions in a model formula: what each computes, and the parameters it learns from the fit's data.

Each entry of :data:`FUNCTIONS` takes the evaluator and the call node and returns the call's
value on the evaluator's data. Functions whose result depends on the data they are applied to
learn their parameters where the fit is made and reuse them for new data and later chunks (R's
``makepredictcall``), in ``evaluator.transforms`` under the call's text:

    scale(x)                centre and spread                   -> (n,)
    poly(x, degree, raw)    the orthogonal basis's alpha, norm2 -> (n, degree)
    ns(x, df, knots, ...)   the knots and boundary knots        -> (n, df)
    as.numeric(f)           a factor's levels (codes 1..K)      -> (n,)
    dummy(f, levelsToKeep)  the levels kept                     -> (n, k)
    relevel(f, ref), factor(x, levels), ordered(x, levels): factors, whose levels the model
    frame learns as it learns any factor's.

Arguments are matched as R matches them: by exact name, then by position.
"""

from __future__ import annotations

import difflib

import numpy as np
import pandas as pd

from .errors import DataError, FormulaError
from .formula import Call, Constant, Keyword, Number, String, Unary, deparse
from .splines import NaturalSplineBasis, PolyBasis, raw_powers
from .values import Columns, is_categorical, labels, scale_parameters, sorted_levels

_MATH = {
    "log2": np.log2, "log10": np.log10, "log1p": np.log1p, "exp": np.exp,
    "expm1": np.expm1, "sqrt": np.sqrt, "abs": np.abs, "sin": np.sin, "cos": np.cos, "tan": np.tan,
}


# ------------------------------------------------------------------ arguments
def arguments(node: Call, names: list[str], required: int = 1) -> dict:
    """The call's arguments by R's parameter names: exact names first, then the rest by position."""
    function = node.func.split("::")[-1]
    named = {a.name: a.value for a in node.args if isinstance(a, Keyword)}
    unknown = [name for name in named if name not in names]
    if unknown:
        raise FormulaError(f"'{deparse(node)}': {function}() has no argument '{unknown[0]}'; its arguments are "
                           f"{', '.join(names)}")
    free = [name for name in names if name not in named]
    positional = [a for a in node.args if not isinstance(a, Keyword)]
    if len(positional) > len(free):
        raise FormulaError(f"'{deparse(node)}': {function}() takes at most {len(names)} arguments ({', '.join(names)})")
    bound = dict(named, **dict(zip(free, positional)))
    missing = [name for name in names[:required] if name not in bound]
    if missing:
        raise FormulaError(f"'{deparse(node)}': {function}() needs the argument '{missing[0]}'")
    return bound


def constant(node, what: str):
    """The value of a literal argument: a number, a string, TRUE/FALSE/NULL, or c(...) of them."""
    if isinstance(node, Number):
        return node.value
    if isinstance(node, String):
        return node.value
    if isinstance(node, Constant):
        return node.value
    if isinstance(node, Unary) and isinstance(node.operand, Number):
        return -node.operand.value if node.op == "-" else node.operand.value
    if isinstance(node, Call) and node.func == "c":
        return [constant(part, what) for part in node.args]
    raise FormulaError(f"{what} must be a constant such as 3, TRUE, \"a\" or c(1, 2), not '{deparse(node)}'")


def _whole(value, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not float(value).is_integer():
        raise FormulaError(f"{what} must be a whole number, not {value!r}")
    return int(value)


def _flag(value, what: str) -> bool:
    if not isinstance(value, bool):
        raise FormulaError(f"{what} must be TRUE or FALSE, not {value!r}")
    return value


# ------------------------------------------------------------------ the functions
def _math(function):
    def apply(evaluate, node: Call):
        bound = arguments(node, ["x"])
        with np.errstate(all="ignore"):
            return function(evaluate.numeric(bound["x"]))
    return apply


def _log(evaluate, node: Call):
    """log(x) or log(x, base)."""
    bound = arguments(node, ["x", "base"])
    base = constant(bound["base"], "the base of log()") if "base" in bound else None
    with np.errstate(all="ignore"):
        value = np.log(evaluate.numeric(bound["x"]))
        return value if base is None else value / np.log(base)


def _identity(evaluate, node: Call):
    """I(x): x, as arithmetic."""
    return evaluate.numeric(arguments(node, ["x"])["x"])


def _as_numeric(evaluate, node: Call):
    """as.numeric(x): a number as it is; a factor as its level codes 1..K (R's), the levels learned at the fit."""
    argument = arguments(node, ["x"])["x"]
    value = evaluate(argument)
    if not is_categorical(value):
        return evaluate.numeric(argument)
    key = deparse(node)
    if evaluate.learning:
        evaluate.transforms[key] = factor_levels(value)
    levels = evaluate.transforms[key]
    codes = pd.Categorical(_as_series(value), categories=levels).codes.astype(float) + 1
    codes[codes == 0] = np.nan  # missing, or a level the fit never saw
    return codes


def _factor(ordered: bool):
    def apply(evaluate, node: Call):
        """factor(x, levels) / ordered(x, levels): a factor with the levels given, or sorted as R sorts them."""
        bound = arguments(node, ["x", "levels"])
        value = _as_series(evaluate(bound["x"]))
        levels = constant(bound["levels"], f"the levels of {node.func}()") if "levels" in bound else None
        if levels is None and not ordered and isinstance(value.dtype, pd.CategoricalDtype):
            return value
        levels = factor_levels(value) if levels is None else _matching(value, np.atleast_1d(levels).tolist())
        return pd.Series(pd.Categorical(value, categories=levels, ordered=ordered), index=value.index)
    return apply


def _relevel(evaluate, node: Call):
    """relevel(f, ref): the factor with ``ref`` as its first level (the base of treatment contrasts)."""
    bound = arguments(node, ["x", "ref"], required=2)
    value = _as_series(evaluate(bound["x"]))
    ref = constant(bound["ref"], "the reference level of relevel()")
    levels = factor_levels(value)
    labels = [str(level) for level in levels]
    if str(ref) not in labels:
        raise DataError(f"'{deparse(node)}': {ref!r} is not a level of {deparse(bound['x'])}; its levels are "
                        f"{', '.join(labels[:20])}")
    first = labels.index(str(ref))
    return pd.Series(pd.Categorical(value, categories=[levels[first]] + levels[:first] + levels[first + 1:]),
                     index=value.index)


def _dummy(evaluate, node: Call):
    """lme4's dummy(f, levelsToKeep): indicator columns of the levels kept (default: all but the first), the
    levels chosen where the fit is learned (new data may lack some)."""
    bound = arguments(node, ["f", "levelsToKeep"])
    value = _as_series(evaluate(bound["f"]))
    key = deparse(node)
    if evaluate.learning:
        labels = [_label(level) for level in factor_levels(value)]
        keep = constant(bound["levelsToKeep"], "the levels of dummy()") if "levelsToKeep" in bound else labels[1:]
        keep = [str(level) for level in np.atleast_1d(keep).tolist()]
        absent = [level for level in keep if level not in labels]
        if absent:
            raise DataError(f"'{key}': {absent[0]!r} is not a level of {deparse(bound['f'])}; its levels are "
                            f"{', '.join(labels[:20])}")
        evaluate.transforms[key] = keep
    keep = evaluate.transforms[key]
    text = value.astype(object).map(lambda v: v if pd.isna(v) else _label(v))
    values = np.column_stack([(text == level).to_numpy(dtype=float) for level in keep])
    values[text.isna().to_numpy()] = np.nan
    return Columns(values, keep)


def _scale(evaluate, node: Call):
    """R's ``scale(x)``: centred by the mean, divided by the sd, of the values present where it is learned.

    As in R, a constant column (sd 0) or one with fewer than 2 values gives NaN,
    which drops its rows; no numpy warning is raised for it.
    """
    value = evaluate.numeric(arguments(node, ["x"])["x"])
    key = deparse(node)
    if evaluate.learning:
        evaluate.transforms[key] = scale_parameters(value)
    center, spread = evaluate.transforms[key]
    with np.errstate(all="ignore"):  # infinite values give NaN, as in R
        return (value - center) / spread


def _poly(evaluate, node: Call):
    """poly(x, degree = 1, raw = FALSE): orthogonal polynomials (the fit's basis), or the raw powers."""
    bound = arguments(node, ["x", "degree", "coefs", "raw"])
    if "coefs" in bound:
        raise FormulaError(f"'{deparse(node)}': give poly() no coefs; the fit learns them and keeps them for new data")
    degree = _whole(constant(bound.get("degree", Number(1)), "the degree of poly()"), "the degree of poly()")
    raw = _flag(constant(bound.get("raw", Constant("FALSE")), "raw of poly()"), "raw of poly()")
    x = evaluate.numeric(bound["x"])
    if raw:
        return _columns(raw_powers(x, degree))
    key = deparse(node)
    if evaluate.learning:
        evaluate.transforms[key] = PolyBasis.learn(np.asarray(x, dtype=float), degree, f"'{key}'")
    return _columns(evaluate.transforms[key](x))


def _ns(evaluate, node: Call):
    """splines::ns(x, df, knots, intercept = FALSE, Boundary.knots = range(x)): natural cubic splines."""
    bound = arguments(node, ["x", "df", "knots", "intercept", "Boundary.knots"])
    x = evaluate.numeric(bound["x"])
    key = deparse(node)
    if evaluate.learning:
        options = {name: constant(bound[name], f"{name} of ns()") for name in bound if name != "x"}
        df = options.get("df")
        evaluate.transforms[key] = NaturalSplineBasis.learn(
            np.asarray(x, dtype=float), df=None if df is None else _whole(df, "df of ns()"), knots=options.get("knots"),
            intercept=_flag(options.get("intercept", False), "intercept of ns()"),
            boundary=options.get("Boundary.knots"), what=f"'{key}'")
    return _columns(evaluate.transforms[key](np.asarray(x, dtype=float)))


def _columns(values: np.ndarray) -> Columns:
    return Columns(values, tuple(str(j) for j in range(1, values.shape[1] + 1)))


FUNCTIONS = {
    **{name: _math(function) for name, function in _MATH.items()},
    "log": _log, "I": _identity, "as.numeric": _as_numeric, "as.double": _as_numeric,
    "factor": _factor(False), "as.factor": _factor(False), "ordered": _factor(True), "as.ordered": _factor(True),
    "relevel": _relevel, "dummy": _dummy, "scale": _scale, "poly": _poly, "ns": _ns,
}


def function_of(node: Call):
    """The function a call names (``splines::ns`` is ``ns``), or a FormulaError naming the closest known one."""
    name = node.func.split("::")[-1]
    if name in FUNCTIONS:
        return FUNCTIONS[name]
    known = sorted(FUNCTIONS)
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.5)
    hint = f"did you mean '{close[0]}'? " if close else ""
    raise FormulaError(f"unknown function '{node.func}' in '{deparse(node)}'; {hint}known functions: {', '.join(known)}")


# ------------------------------------------------------------------ factors' levels
def factor_levels(value) -> list:
    """A factor's levels as R orders them: a categorical's categories, otherwise the sorted distinct values."""
    series = _as_series(value)
    if isinstance(series.dtype, pd.CategoricalDtype):
        return list(series.cat.categories)
    return sorted_levels(series.dropna())


def _matching(value: pd.Series, levels: list) -> list:
    """The levels given to factor(x, levels = ...), as values of x's type (numbers for a numeric x)."""
    if pd.api.types.is_numeric_dtype(value.dtype) and not pd.api.types.is_bool_dtype(value.dtype):
        return list(pd.Index(levels).astype(value.dtype))
    return levels


def _as_series(value) -> pd.Series:
    return value if isinstance(value, pd.Series) else pd.Series(value)


def _label(level) -> str:
    return labels([level])[0]
