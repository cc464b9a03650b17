"""R's ``update.formula``: ``. ~ . + x`` read against an old formula, and the result simplified.

In the new formula a ``.`` on the left stands for the old response and a ``.`` on the right for
the old right-hand side (in parentheses); the result is then rewritten as R's
``formula(terms(..., simplify = TRUE))`` writes it: its terms in R's order (by degree, then by
first appearance), random-effects terms kept whole, and ``- 1`` at the end when the intercept
was removed. So ``update(y ~ x + (1 | g), . ~ . - (1 | g) + (1 + x | g))`` is
``y ~ x + (1 + x | g)``, and ``. ~ . + z`` gives ``y ~ x + (1 | g) + z``, as lme4 prints them.
"""

from __future__ import annotations

from ..errors import FormulaError
from .parser import parse
from .terms import term_list, variable_order
from .tree import BinOp, Call, Keyword, Name, Paren, Unary, deparse

DOT = Name(".")


def update_formula(old: str, new: str) -> str:
    """The text of ``new`` applied to ``old`` (both lme4 formulas; ``new`` may omit its left side)."""
    old_tree = _formula_tree(old)
    new_tree = _formula_tree(new if not new.lstrip().startswith("~") else ". " + new)
    response = _substituted(new_tree.left, old_tree.left)
    right = _substituted(new_tree.right, Paren(old_tree.right))
    return f"{deparse(response)} ~ {simplified(right, new)}"


def simplified(node, text: str) -> str:
    """A right-hand side as R's simplified terms write it, bars kept whole."""
    bars = {}
    atoms = _bars_as_names(node, bars)
    terms = term_list(atoms, variable_order(atoms), text, empty_ok=True)
    labels = [":".join(bars.get(deparse(v), deparse(v)) for v in term) for term in terms.terms]
    if not terms.intercept:
        return " + ".join(labels) + " - 1" if labels else "-1"
    return " + ".join(labels) if labels else "1"


def _formula_tree(text: str) -> BinOp:
    if not isinstance(text, str) or not text.strip():
        raise FormulaError("a formula must be a non-empty string such as '. ~ . + x'")
    tree = parse(text)
    if not (isinstance(tree, BinOp) and tree.op == "~"):
        raise FormulaError(f"{text!r} is not a formula: it needs '~', as in '. ~ . + x'")
    return tree


def _substituted(node, value):
    """``node`` with each ``.`` replaced by ``value``, inside calls too (``log(.)``), as R's updateform."""
    if node == DOT:
        return value
    if isinstance(node, BinOp):
        return BinOp(node.op, _substituted(node.left, value), _substituted(node.right, value))
    if isinstance(node, Paren):
        return Paren(_substituted(node.inner, value))
    if isinstance(node, Unary):
        return Unary(node.op, _substituted(node.operand, value))
    if isinstance(node, Call):
        return Call(node.func, tuple(_substituted(a, value) for a in node.args))
    if isinstance(node, Keyword):
        return Keyword(node.name, _substituted(node.value, value))
    return node


def _bars_as_names(node, bars: dict):
    """Each random-effects term replaced by a name holding its text (so the term algebra keeps it whole);
    ``bars`` maps those names to the terms' text, in parentheses as R prints them."""
    if _is_bar(node):
        text = deparse(node if isinstance(node, Paren) else Paren(node))
        key = f"\x00{text}"
        bars[deparse(Name(key))] = text
        return Name(key)
    if isinstance(node, BinOp) and node.op not in ("|", "||"):
        return BinOp(node.op, _bars_as_names(node.left, bars), _bars_as_names(node.right, bars))
    if isinstance(node, Paren):
        return Paren(_bars_as_names(node.inner, bars))
    if isinstance(node, Unary):
        return Unary(node.op, _bars_as_names(node.operand, bars))
    return node


def _is_bar(node) -> bool:
    inner = node.inner if isinstance(node, Paren) else node
    while isinstance(inner, Paren):
        inner = inner.inner
    return isinstance(inner, BinOp) and inner.op in ("|", "||")
