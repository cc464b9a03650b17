"""Formula text to tokens: numbers, names (bare or in backticks) and operators.

One regular expression reads one token at a time from the left, so that text
it cannot read is reported with its position and a hint about backticks, the
way R quotes non-syntactic column names. ``**`` is read as ``^``, as R reads it.
"""

from __future__ import annotations

import re

from ..errors import FormulaError
from .tree import SYNTACTIC_NAME

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
      | (?P<name>""" + SYNTACTIC_NAME + r""")
      | `(?P<quoted>[^`]*)`
      | (?P<op>\|\||\*\*|%[^%]*%|[~+\-*/:^|(),])
    )""",
    re.VERBOSE,
)


def tokenize(text: str) -> list[tuple[str, str]]:
    """(kind, text) pairs, kind being "number", "name" (backticks removed) or "op"."""
    tokens, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise _unreadable(text, pos)
        kind = match.lastgroup
        value = match.group(kind)
        tokens.append(("name" if kind == "quoted" else kind, "^" if value == "**" else value))
        pos = match.end()
    return tokens


def _unreadable(text: str, pos: int) -> FormulaError:
    pos = len(text) - len(text[pos:].lstrip())
    return FormulaError(
        f"cannot read the formula {text!r} at position {pos}: {text[pos:pos + 10]!r}. "
        "Quote unusual column names with backticks, e.g. `my column`."
    )
