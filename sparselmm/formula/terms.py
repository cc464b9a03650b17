"""R's term algebra (``terms()``): a formula part to its intercept and model terms.

At the top level of a formula part the operators combine model terms:

    a + b      both terms            a:b      their interaction
    a * b      a + b + a:b           a / b    a + a:b (b nested in a)
    (a + b)^2  all interactions up to order 2
    a - b      a without b           0 + ..., ... - 1   no intercept

A term is the set of its variables, each keyed by its deparsed text, so that
``a:b`` and ``b:a`` are one term and ``log(x+1)`` and ``log(x + 1)`` one
variable. The terms then come out in R's order: by degree, and within a term
the variables by their first appearance in the formula. Both the fixed part
and the left-hand side of each random-effects bar go through here.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from ..errors import FormulaError
from .tree import BinOp, Constant, Number, Paren, String, Unary, deparse


@dataclass(frozen=True)
class TermList:
    """The model terms of one formula part, in R's order.

    ``terms`` holds each term as a tuple of variable expressions (one for a main
    effect, several for an interaction), sorted by degree as R sorts them. No
    intercept and no terms is a fixed part without fixed effects (``y ~ 0 + (1 | g)``,
    which lme4 fits); :func:`term_list` refuses it everywhere else.
    """

    intercept: bool
    terms: tuple

    @property
    def empty(self) -> bool:
        """No intercept and no terms: no columns at all."""
        return not self.intercept and not self.terms


def variable_order(node) -> list[str]:
    """Variables by first appearance; R orders the factors of each term this way."""
    if isinstance(node, BinOp) and node.op in ("+", "-", "*", "/", ":", "^", "|", "||"):
        if node.op == "^":
            return variable_order(node.left)
        return list(dict.fromkeys(variable_order(node.left) + variable_order(node.right)))
    if isinstance(node, Paren):
        return variable_order(node.inner)
    if isinstance(node, Unary):
        return variable_order(node.operand)
    if isinstance(node, Number):
        return []
    return [deparse(node)]


def term_list(node, order: list[str], text: str, empty_ok: bool = False) -> TermList:
    """The terms of ``node``, each term's variables ranked by ``order``; ``text`` names it in errors.
    ``empty_ok``: no intercept and no terms is allowed (a fixed part without fixed effects)."""
    terms, removed = _expand(node, text)
    intercept = frozenset() in terms or frozenset() not in removed
    kept = [t for t in dict.fromkeys(terms) if t and t not in removed]
    ordered = _in_r_order(kept, _nodes_by_name(terms), order)
    if not intercept and not ordered and not empty_ok:
        raise FormulaError(
            f"malformed formula {text!r}: the part '{deparse(node)}' has no terms: it removes the intercept "
            "and adds nothing; keep the intercept ('1') or add a variable"
        )
    return TermList(intercept, tuple(ordered))


def _nodes_by_name(terms) -> dict:
    """Each variable's expression, by its deparsed name."""
    return {name: node for term in terms for name, node in term}


def _in_r_order(kept, nodes: dict, order: list[str]) -> list[tuple]:
    """Each term as a tuple of expressions ranked by ``order``; terms sorted (stably) by degree."""
    rank = {name: i for i, name in enumerate(order)}
    ordered = [tuple(nodes[v] for v in sorted((n for n, _ in t), key=lambda n: rank.get(n, len(rank)))) for t in kept]
    ordered.sort(key=len)
    return ordered


def _expand(node, text: str):
    """R's term algebra: (terms in order, terms removed); a term is a frozenset of (name, node)."""
    if isinstance(node, Paren):
        return _expand(node.inner, text)
    if isinstance(node, Number):
        return _number(node, text)
    if isinstance(node, Unary):
        terms, _ = _expand(node.operand, text)
        return ([], set(terms)) if node.op == "-" else (terms, set())
    if isinstance(node, BinOp) and node.op in ("+", "-", "*", "/", ":", "^"):
        return _combine(node, text)
    if isinstance(node, BinOp):
        raise FormulaError(f"malformed formula {text!r}: the operator {node.op!r} cannot combine model terms here")
    if isinstance(node, (String, Constant)):
        raise FormulaError(f"malformed formula {text!r}: {deparse(node)} cannot be a model term; name a column "
                           "without quotes (backticks quote unusual names: `my column`)")
    return [frozenset({(deparse(node), node)})], set()


def _number(node: Number, text: str):
    """``1`` adds the intercept (the empty term), ``0`` removes it; no other number is a term."""
    if node.value == 1:
        return [frozenset()], set()
    if node.value == 0:
        return [], {frozenset()}
    raise FormulaError(f"malformed formula {text!r}: the number {deparse(node)} cannot be a model term")


def _combine(node: BinOp, text: str):
    left, left_removed = _expand(node.left, text)
    if node.op == "^":
        return _power(left, node.right, text), left_removed
    right, right_removed = _expand(node.right, text)
    if node.op == "+":
        return left + right, left_removed | right_removed
    if node.op == "-":
        return [t for t in left if t not in right], left_removed | set(right)
    products = [a | b for a in left for b in right]
    if node.op == ":":
        return products, set()
    if node.op == "*":
        return left + right + products, set()
    everything = frozenset().union(*left) if left else frozenset()
    return left + [everything | b for b in right], set()  # "/": nesting


def _power(terms: list, exponent, text: str) -> list:
    """``(terms)^n``: every interaction of up to n of the terms."""
    power = exponent.inner if isinstance(exponent, Paren) else exponent
    if not isinstance(power, Number) or power.value < 1 or not float(power.value).is_integer():
        raise FormulaError(f"malformed formula {text!r}: '^' needs a whole number such as (a + b)^2")
    return [frozenset().union(*c) for r in range(1, int(power.value) + 1) for c in itertools.combinations(terms, r)]
