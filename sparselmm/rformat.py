"""R's number formatting and abbreviation, so that printed output matches R's digit for digit.

``format_numbers`` is R's ``formatReal``: one common layout for a vector, with
enough decimals that every element shows ``digits`` significant digits (fewer
when trailing zeros would be dropped), switching to scientific notation only
when fixed notation would be wider. ``abbreviate`` is R's ``abbreviate``.
"""

from __future__ import annotations

import math

import numpy as np


def _scientific(x: float, digits: int) -> tuple[int, int, bool]:
    """(kpower, nsig, rounding_widens) of |x| rounded to ``digits`` significant digits."""
    if x == 0.0:
        return 0, 1, False
    ax = abs(x)
    kp = math.floor(math.log10(ax)) - digits + 1
    alpha = round(ax / 10.0**kp) if kp > -300 else round(ax * 10.0**-kp)
    if alpha >= 10**digits:
        alpha //= 10
        kp += 1
    nsig = digits
    while nsig > 1 and alpha % 10 == 0:
        alpha //= 10
        nsig -= 1
    kpower = kp + digits - 1
    widens = 0 < kpower and ax < 10.0**kpower
    return kpower, nsig, widens


def format_numbers(values, digits: int = 7, nsmall: int = 0) -> list[str]:
    """R's ``format(x, digits, nsmall)`` of a numeric vector: strings of one common width."""
    values = [float(v) + 0.0 for v in np.ravel(values)]  # + 0.0: R prints a negative zero as 0
    finite = [v for v in values if math.isfinite(v)]
    neg = any(v < 0 for v in finite)
    rgt, mxsl, mxns, mxe, mne = 0, 1, 1, -400, 400
    mxl = -400
    for v in finite:
        kpower, nsig, widens = _scientific(v, digits)
        left = kpower + 1 - (1 if widens else 0)
        sleft = (v < 0) + (1 if left <= 0 else left)
        rgt = max(rgt, nsig - left)
        mxl, mxsl, mxns = max(mxl, left), max(mxsl, sleft), max(mxns, nsig)
        mxe, mne = max(mxe, kpower), min(mne, kpower)
    if mxl < 0:
        mxsl = 1 + neg
    rgt = max(rgt, 0)
    fixed_width = mxsl + rgt + (rgt != 0)
    exp_digits = 2 if (mxe >= 100 or mne <= -99) else 1
    sci_width = neg + (mxns > 1) + (mxns - 1) + 4 + exp_digits
    if finite and fixed_width > sci_width:
        texts = [_sci(v, mxns - 1, exp_digits) for v in values]
    else:
        rgt = max(rgt, nsmall)
        texts = [f"{v:.{rgt}f}" if math.isfinite(v) else _special(v) for v in values]
    width = max(len(t) for t in texts)
    return [t.rjust(width) for t in texts]


def _sci(v: float, decimals: int, exp_digits: int) -> str:
    if not math.isfinite(v):
        return _special(v)
    mantissa, exponent = f"{v:.{decimals}e}".split("e")
    sign = "-" if int(exponent) < 0 else "+"
    return f"{mantissa}e{sign}{abs(int(exponent)):0{exp_digits + 1}d}"


def _special(v: float) -> str:
    return "NaN" if math.isnan(v) else ("Inf" if v > 0 else "-Inf")


def zapsmall(x, digits: int):
    """R 4.2's zapsmall: round to ``digits - log10(max |x|)`` decimals, R rounding that count to an integer."""
    x = np.asarray(x, dtype=float)
    mx = np.max(np.abs(x)) if x.size else 0.0
    decimals = max(0.0, digits - math.log10(mx)) if mx > 0 else digits
    return np.round(x, int(math.floor(decimals + 0.5)))


def named_vector(names, texts) -> str:
    """R's print of a named vector: every column the same width, right-justified, trailing space."""
    width = max(max(map(len, names)), max(map(len, texts)))
    return "".join(n.rjust(width) + " " for n in names) + "\n" + "".join(t.rjust(width) + " " for t in texts)


def matrix(rows, header, rownames, right: bool = False) -> list[str]:
    """R's print of a character matrix with quote = FALSE: one line per row."""
    columns = list(zip(*([header] + rows))) if rows else [(h,) for h in header]
    widths = [max(map(len, col)) for col in columns]  # a column of width 0 prints nothing, as in R
    name_width = max(map(len, rownames)) if rownames else 0
    pad = (lambda s, w: s.rjust(w)) if right else (lambda s, w: s.ljust(w))
    lines = [" " * name_width + "".join(" " + pad(h, w) for h, w in zip(header, widths) if w)]
    for name, row in zip(rownames, rows):
        lines.append(name.ljust(name_width) + "".join(" " + pad(c, w) for c, w in zip(row, widths) if w))
    return lines


def abbreviate(names, minlength: int) -> list[str]:
    """R's ``abbreviate(names, minlength)``, lengthening where abbreviations would collide."""
    names = list(names)
    out = [_abbreviate_one(n, minlength) for n in names]
    length = minlength
    longest = max((len(n) for n in names), default=0)
    while len(set(out)) < len(out) and length < longest:  # names equal once stripped stay equal
        length += 1
        dup = {a for a in out if out.count(a) > 1}
        out = [_abbreviate_one(n, length) if a in dup else a for n, a in zip(names, out)]
    return out


def _abbreviate_one(name: str, minlength: int) -> str:
    s = list(name.strip())
    if len(s) <= minlength:
        return "".join(s)

    def first(i):
        return s[i - 1].isspace()

    def last(i):
        return not s[i - 1].isspace() and (i + 1 == len(s) or s[i + 1].isspace())

    rules = [
        lambda c, i: c in "aeiou" and last(i),
        lambda c, i: c in "aeiou" and not first(i),
        lambda c, i: c.islower() and last(i),
        lambda c, i: c.islower() and not first(i),
        lambda c, i: not first(i) and not c.isspace(),
    ]
    for rule in rules:
        for i in range(len(s) - 1, 0, -1):
            if i < len(s) and rule(s[i], i):
                del s[i]
            if len([c for c in s if not c.isspace()]) <= minlength:
                return "".join(c for c in s if not c.isspace()) if len(s) > minlength else "".join(s)
    return "".join(s)


def cat_fill(items: list[str], width: int = 80) -> list[str]:
    """The lines R's ``cat(..., fill = TRUE)`` prints: items joined by spaces, a new line started before an
    item that would reach ``width`` (the separator stays at the end of the line before)."""
    lines, line = [], items[0]
    for item in items[1:]:
        if len(line) + 1 + len(item) >= width:
            lines.append(line + " ")
            line = item
        else:
            line += " " + item
    return lines + [line]
