"""The syntax tree of a model formula, and the text R gives it.

The parser builds these nodes and the term algebra reads them. ``deparse``
writes a node back as R's ``deparse`` does, because model-matrix column names,
term labels and the printed formula must match R's character for character;
``names_in`` lists the data columns a node reads, which is what the model
frame has to take from the data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# R's syntactic names: letters (any script), digits, "." and "_"; the tokenizer reads them bare.
SYNTACTIC_NAME = r"(?:[^\W\d_]|\.)[\w.]*"
_SYNTACTIC = re.compile(f"^{SYNTACTIC_NAME}$")
_SPACED_OPS = {"+", "-", "*", "~", "|", "||"}


@dataclass(frozen=True)
class Name:
    """A column of the data."""

    name: str


@dataclass(frozen=True)
class Number:
    """A numeric literal: the ``1`` of ``1 + x``, the ``2`` of ``I(x^2)``."""

    value: float


@dataclass(frozen=True)
class Call:
    """A function call such as ``log(x + 1)``: ``func`` applied to ``args``."""

    func: str
    args: tuple


@dataclass(frozen=True)
class BinOp:
    """A binary operator, ``op`` as written (``+``, ``:``, ``%in%``, ...), and its operands."""

    op: str
    left: object
    right: object


@dataclass(frozen=True)
class Unary:
    """A prefix ``-`` or ``+``."""

    op: str
    operand: object


@dataclass(frozen=True)
class Paren:
    """Parentheses, kept so that ``deparse`` writes them back: ``(a + b)^2``, ``(1 | g)``."""

    inner: object


def deparse(node) -> str:
    """The text R gives an expression, so that column names match R's."""
    if isinstance(node, Name):
        return node.name if _SYNTACTIC.match(node.name) else f"`{node.name}`"
    if isinstance(node, Number):
        return _format_number(node.value)
    if isinstance(node, Call):
        return f"{node.func}({', '.join(deparse(a) for a in node.args)})"
    if isinstance(node, BinOp):
        sep = f" {node.op} " if node.op in _SPACED_OPS else node.op
        return deparse(node.left) + sep + deparse(node.right)
    if isinstance(node, Unary):
        return node.op + deparse(node.operand)
    if isinstance(node, Paren):
        return f"({deparse(node.inner)})"
    raise TypeError(node)


def _format_number(value: float) -> str:
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


def names_in(node) -> list[str]:
    """The data columns an expression reads, in order of appearance."""
    if isinstance(node, Name):
        return [node.name]
    if isinstance(node, Call):
        return [n for a in node.args for n in names_in(a)]
    if isinstance(node, BinOp):
        return names_in(node.left) + names_in(node.right)
    if isinstance(node, Unary):
        return names_in(node.operand)
    if isinstance(node, Paren):
        return names_in(node.inner)
    return []
