"""Tokens to a syntax tree, binding operators as R does.

A recursive-descent parser: ``binary`` climbs a table of binary-operator
levels, then ``unary``, ``power`` and ``atom`` take the tightest. Operators
bind as in R (``?Syntax``), loosest first: ``~``; ``|`` and ``||``; ``+`` and ``-``;
``*`` and ``/``; ``%%``-style operators such as ``%in%``; ``:``; unary minus;
``^`` (right-associative, so ``a^b^c`` is ``a^(b^c)``). Inside parentheses
parsing restarts below ``~`` (so no ``~`` there), and a call's arguments
restart at ``+`` (so no ``~`` or ``|`` in them); an argument may be named
(``raw = TRUE``). ``TRUE``, ``FALSE``, ``NA``, ``NULL``, ``Inf`` and ``NaN`` are
R's constants, and strings are literals, never column names.

The tree says nothing yet about model terms: what ``*``, ``/`` or ``|`` mean
at the top level is the term algebra's business, and inside a call
(``log(x + 1)``) they stay arithmetic, to be evaluated on the data.
"""

from __future__ import annotations

from ..errors import FormulaError
from .tokenizer import tokenize
from .tree import CONSTANTS, BinOp, Call, Constant, Keyword, Name, Number, Paren, String, Unary

# Binary operators by binding strength, loosest first (R's ?Syntax).
_LEVELS = [("~",), ("|", "||"), ("+", "-"), ("*", "/"), ("%",), (":",)]


def parse(text: str):
    """The syntax tree of ``text``; a FormulaError quotes the text and says what is wrong."""
    return _Parser(text).parse()


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = tokenize(text)
        self.pos = 0

    def error(self, what: str) -> FormulaError:
        return FormulaError(f"malformed formula {self.text!r}: {what}")

    def peek(self):
        return self.tokens[self.pos] if self.pos < len(self.tokens) else (None, None)

    def take(self):
        token = self.peek()
        self.pos += 1
        return token

    def expect(self, value: str):
        kind, got = self.take()
        if got != value:
            raise self.error(f"expected {value!r} but found {got or 'the end'!r}")

    def parse(self):
        node = self.binary(0)
        if self.pos != len(self.tokens):
            raise self.error(f"unexpected {self.peek()[1]!r}")
        return node

    def binary(self, level: int):
        if level == len(_LEVELS):
            return self.unary()
        node = self.binary(level + 1)
        while True:
            kind, value = self.peek()
            if kind != "op" or not self._at_level(value, level):
                return node
            self.take()
            node = BinOp(value, node, self.binary(level + 1))

    @staticmethod
    def _at_level(op: str, level: int) -> bool:
        ops = _LEVELS[level]
        return op in ops or (ops == ("%",) and op.startswith("%"))

    def unary(self):
        kind, value = self.peek()
        if kind == "op" and value in ("-", "+"):
            self.take()
            return Unary(value, self.unary())
        return self.power()

    def power(self):
        base = self.atom()
        if self.peek() == ("op", "^"):
            self.take()
            return BinOp("^", base, self.unary())
        return base

    def atom(self):
        kind, value = self.take()
        if kind == "number":
            return Number(float(value))
        if kind == "string":
            return String(value)
        if kind == "name":
            if self.peek() == ("op", "("):
                return self.call(value)
            return Constant(value) if value in CONSTANTS else Name(value)
        if value == "(":
            inner = self.binary(1)
            self.expect(")")
            return Paren(inner)
        raise self.error(f"unexpected {value or 'end of formula'!r}")

    def call(self, func: str):
        self.expect("(")
        args = []
        if self.peek() != ("op", ")"):
            args.append(self.argument())
            while self.peek() == ("op", ","):
                self.take()
                args.append(self.argument())
        self.expect(")")
        return Call(func, tuple(args))

    def argument(self):
        """A call's argument: an expression, or ``name = expression``."""
        kind, value = self.peek()
        following = self.tokens[self.pos + 1] if self.pos + 1 < len(self.tokens) else (None, None)
        if kind == "name" and following == ("op", "="):
            self.pos += 2
            return Keyword(value, self.binary(2))
        return self.binary(2)
