"""Formula text to tokens: numbers, names (bare or in backticks) and operators.

One regular expression reads one token at a time from the left, so that text
it cannot read is reported with its position and a hint about backticks, the
way R quotes non-syntactic column names. ``**`` is read as ``^``, as R reads it.
Strings (``"C"`` or ``'C'``, as in ``relevel(f, "C")``) are read with R's backslash
escapes, ``=`` names a call's argument (``poly(x, 2, raw = TRUE)``), and ``pkg::f``
is one name, as R reads a function taken from a package (``splines::ns``).
"""

from __future__ import annotations

import re

from ..errors import FormulaError
from .tree import SYNTACTIC_NAME

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
      | (?P<name>""" + SYNTACTIC_NAME + r"""(?:::""" + SYNTACTIC_NAME + r""")?)
      | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
      | `(?P<quoted>[^`]*)`
      | (?P<op>\|\||\*\*|%[^%]*%|[~+\-*/:^|(),=])
    )""",
    re.VERBOSE,
)


def tokenize(text: str) -> list[tuple[str, str]]:
    """(kind, text) pairs, kind being "number", "name" (backticks removed), "string" (its value) or "op"."""
    tokens, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise _unreadable(text, pos)
        kind = match.lastgroup
        value = match.group(kind)
        if kind == "string":
            value = _unescape(value[1:-1])
        elif kind == "op" and value == "**":
            value = "^"
        tokens.append(("name" if kind == "quoted" else kind, value))
        pos = match.end()
    return tokens


_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", '"': '"', "'": "'"}


def _unescape(text: str) -> str:
    """A string literal's value: R's backslash escapes \\n, \\t, \\\\, \\" and \\' read."""
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), text)


def _unreadable(text: str, pos: int) -> FormulaError:
    pos = len(text) - len(text[pos:].lstrip())
    return FormulaError(
        f"cannot read the formula {text!r} at position {pos}: {text[pos:pos + 10]!r}. "
        "Quote unusual column names with backticks, e.g. `my column`."
    )
