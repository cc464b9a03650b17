"""lme4's random-effects terms: the bars ``(expr | g)`` and ``(expr || g)``.

A random-effects term ``(expr | g)`` gives expr's model terms one covariance
block per level of g; ``(expr || g)`` splits expr into uncorrelated terms;
``g`` may be ``a:b`` (the interaction factor) or ``a/b`` (``a`` and ``b:a``).
This module finds the bars in a right-hand side and expands them as lme4's
``findbars`` and ``expandDoubleVerts`` do, naming each grouping factor as lme4
names it, because those names label the printed variance components.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce

from ..errors import FormulaError
from .terms import TermList, term_list, variable_order
from .tree import BinOp, Call, Name, Number, Paren, Unary, deparse


@dataclass(frozen=True)
class RandomTerm:
    """One ``(expr | group)`` block: expr's columns, correlated within each level of group."""

    expr: TermList
    group: tuple  # variable expressions whose interaction forms the grouping factor
    name: str = ""  # lme4's name when it differs from the parts joined by ":" (``c:(b:a)``)

    @property
    def group_name(self) -> str:
        """lme4's name for the grouping factor, e.g. ``cask:batch``."""
        return self.name or ":".join(deparse(g) for g in self.group)


def split_bars(node):
    """Separate the random-effects terms from the fixed part of the right-hand side."""
    if _is_bar(node):
        return None, [node.inner]
    if isinstance(node, BinOp) and node.op in ("+", "-"):
        left, left_bars = split_bars(node.left)
        if node.op == "-":
            right, right_bars = node.right, []
        else:
            right, right_bars = split_bars(node.right)
        if left is None:
            fixed = right if node.op == "+" else Unary("-", right) if right is not None else None
        else:
            fixed = left if right is None else BinOp(node.op, left, right)
        return fixed, left_bars + right_bars
    if isinstance(node, BinOp) and node.op in ("|", "||"):
        return None, [node]  # a bar without parentheses binds loosest: the whole right-hand side, as lme4 reads it
    return node, []


def _is_bar(node) -> bool:
    return isinstance(node, Paren) and isinstance(node.inner, BinOp) and node.inner.op in ("|", "||")


def random_terms(bar: BinOp, text: str) -> list[RandomTerm]:
    """lme4's expansion: ``||`` splits expr first, then each piece is crossed with the nested groups."""
    expr = term_list(bar.left, variable_order(bar.left), text)
    groups = _grouping_factors(bar.right, text)
    if bar.op == "|":
        pieces = [expr]
    else:
        pieces = ([TermList(True, ())] if expr.intercept else []) + [TermList(False, (t,)) for t in expr.terms]
    return [RandomTerm(piece, parts, deparse(node)) for piece in pieces for parts, node in groups]


def _grouping_factors(node, text: str) -> list[tuple]:
    """(variable expressions, node naming it) per grouping factor, in lme4's order.

    ``g`` -> g; ``a:b`` -> a:b; ``a/b`` -> b:a, a; ``a/b/c`` -> c:(b:a), b:a, a.
    """
    if isinstance(node, Paren):
        return _grouping_factors(node.inner, text)
    if isinstance(node, BinOp) and node.op == ":":
        return [(tuple(_interaction_parts(node, text)), node)]
    if isinstance(node, BinOp) and node.op == "/":
        outer = _grouping_factors(node.left, text)
        widest_parts, widest = outer[0]
        inner = _grouping_factors(node.right, text)
        return [(parts + widest_parts, _nest(within, widest)) for parts, within in inner] + outer
    if isinstance(node, (Name, Call)):
        return [((node,), node)]
    raise FormulaError(
        f"malformed formula {text!r}: the grouping factor '{deparse(node)}' must be a column, "
        "an interaction such as a:b, or a nesting such as a/b"
    )


def _nest(inner, outer) -> BinOp:
    """``inner`` within ``outer`` as lme4 writes it: b:a, c:(b:a)."""
    return BinOp(":", inner, Paren(outer) if isinstance(outer, BinOp) else outer)


def _interaction_parts(node, text: str) -> list:
    if isinstance(node, BinOp) and node.op == ":":
        return _interaction_parts(node.left, text) + _interaction_parts(node.right, text)
    if isinstance(node, (Name, Call)):
        return [node]
    raise FormulaError(f"malformed formula {text!r}: cannot group by '{deparse(node)}'")


def expand_double_bars(node):
    """The tree with each ``(e || g)`` written out as lme4 rewrites it: ``((1 | g) + (0 + x | g))``."""
    if isinstance(node, Paren) and isinstance(node.inner, BinOp) and node.inner.op == "||":
        return _written_out(node)
    if isinstance(node, BinOp):
        return BinOp(node.op, expand_double_bars(node.left), expand_double_bars(node.right))
    return node


def _written_out(double_bar: Paren) -> Paren:
    """``(e || g)`` as the sum of ``(1 | g)`` (if e keeps the intercept) and one ``(0 + term | g)`` per term."""
    expr, group = double_bar.inner.left, double_bar.inner.right
    terms = term_list(expr, variable_order(expr), deparse(double_bar))
    pieces = ([Number(1)] if terms.intercept else []) + [BinOp("+", Number(0), _product(t)) for t in terms.terms]
    bars = [Paren(BinOp("|", piece, group)) for piece in pieces]
    return Paren(reduce(lambda total, bar: BinOp("+", total, bar), bars))


def _product(term: tuple):
    """A term's variables joined by ``:``."""
    node = term[0]
    for variable in term[1:]:
        node = BinOp(":", node, variable)
    return node
