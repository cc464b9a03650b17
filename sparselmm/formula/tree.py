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
class String:
    """A string literal: the ``"C"`` of ``relevel(f, "C")``."""

    value: str


@dataclass(frozen=True)
class Constant:
    """One of R's constants, written as R writes it: ``TRUE``, ``FALSE``, ``NA``, ``NULL``, ``Inf``, ``NaN``."""

    name: str

    @property
    def value(self):
        return CONSTANTS[self.name]


CONSTANTS = {"TRUE": True, "FALSE": False, "NA": None, "NULL": None, "Inf": float("inf"), "NaN": float("nan")}


@dataclass(frozen=True)
class Keyword:
    """A named argument of a call, ``name = value`` (the ``raw = TRUE`` of ``poly(x, 2, raw = TRUE)``)."""

    name: str
    value: object


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
    if isinstance(node, String):
        return _quoted(node.value)
    if isinstance(node, Constant):
        return node.name
    if isinstance(node, Keyword):
        return f"{node.name} = {deparse(node.value)}"
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


def deparse_lines(node, cutoff: int = 60) -> list[str]:
    """R's ``deparse(node)`` as the lines it returns (``width.cutoff = 60``): a line ends after a spaced
    binary operator (R's PP_BINARY: ``+ - * ~ |``) or a comma between arguments once it is longer than
    ``cutoff``, and the rest of that operand is indented by four spaces, as R's deparse2buff does."""
    writer = _LineWriter(cutoff)
    writer.node(node)
    return writer.finish()


class _LineWriter:
    def __init__(self, cutoff: int):
        self.cutoff, self.lines, self.line, self.indent = cutoff, [], "", 0

    def write(self, text: str) -> None:
        if not self.line and self.indent:
            self.line = "    " * min(self.indent, 4) + "  " * max(self.indent - 4, 0)
        self.line += text

    def breaks(self, broken: bool) -> bool:
        """R's linebreak(): past the cutoff, end the line (indenting once per node); True if indented."""
        if len(self.line) > self.cutoff:
            if not broken:
                self.indent += 1
            self.lines.append(self.line)
            self.line = ""
            return True
        return broken

    def node(self, node) -> None:
        if isinstance(node, BinOp) and node.op in _SPACED_OPS:
            self.node(node.left)
            self.write(f" {node.op} ")
            broken = self.breaks(False)
            self.node(node.right)
            if broken:
                self.indent -= 1
        elif isinstance(node, BinOp):
            self.node(node.left)
            self.write(node.op)
            self.node(node.right)
        elif isinstance(node, Call):
            self.write(f"{node.func}(")
            broken = False
            for position, argument in enumerate(node.args):
                if position:
                    self.write(", ")
                    broken = self.breaks(broken)
                self.node(argument)
            if broken:
                self.indent -= 1
            self.write(")")
        elif isinstance(node, Unary):
            self.write(node.op)
            self.node(node.operand)
        elif isinstance(node, Paren):
            self.write("(")
            self.node(node.inner)
            self.write(")")
        else:
            self.write(deparse(node))

    def finish(self) -> list[str]:
        return self.lines + [self.line]


def _quoted(text: str) -> str:
    """A string as R deparses it: in double quotes, with backslashes, quotes and control characters escaped."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{escaped}"'


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
    if isinstance(node, Keyword):
        return names_in(node.value)
    if isinstance(node, BinOp):
        return names_in(node.left) + names_in(node.right)
    if isinstance(node, Unary):
        return names_in(node.operand)
    if isinstance(node, Paren):
        return names_in(node.inner)
    return []
