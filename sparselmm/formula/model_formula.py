"""The whole model formula: ``response ~ fixed part + random-effects terms``.

``parse_formula`` is the entry point the rest of the package uses. It checks
what only the whole formula can get wrong (no text, no response, a second
``~``, no random-effects term), parses the text, splits the bars from the fixed
part and hands each to the term algebra, ranking variables by their first
appearance anywhere on the right-hand side.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import FormulaError
from .bars import random_terms, split_bars
from .parser import parse
from .terms import TermList, term_list, variable_order
from .tree import BinOp, Call, Paren, deparse, names_in


@dataclass(frozen=True)
class Formula:
    """A parsed formula: its text, the response expression, the fixed part and the random terms."""

    text: str
    response: object
    fixed: TermList
    random: tuple
    tree: object = None  # the parsed formula, deparsed for printing as R deparses it
    offsets: tuple = ()  # the arguments of offset(...) terms: added to the linear predictor, not estimated

    def predictors(self) -> dict:
        """The variables the model matrices are made of (the fixed terms' and the random-effects terms' left
        sides'), by their text, in order of appearance: {"x": Name, "scale(z)": Call, ...}."""
        terms = self.fixed.terms + tuple(t for r in self.random for t in r.expr.terms)
        return {deparse(v): v for term in terms for v in term}

    def columns(self, response: bool = True) -> list[str]:
        """Every data column the formula reads (without ``response``: a prediction's), each once, in order of
        appearance."""
        nodes = [self.response] if response else []
        nodes += [v for t in self.fixed.terms for v in t] + list(self.offsets)
        for re_term in self.random:
            nodes += [v for t in re_term.expr.terms for v in t] + list(re_term.group)
        return list(dict.fromkeys(n for node in nodes for n in names_in(node)))


def parse_formula(text: str) -> Formula:
    """Parse an lme4 model formula such as ``"y ~ x + (1 + x | g)"``."""
    _check_text(text)
    tree = parse(text)
    _check_tree(tree, text)
    fixed_node, bars = split_bars(tree.right)
    if not bars:
        raise FormulaError(
            f"the formula {text!r} has no random-effects terms; add one such as '(1 | group)' "
            "(for a model without random effects use an ordinary linear model)"
        )
    order = variable_order(tree.right)
    fixed_node, offsets = split_offsets(fixed_node)
    fixed = term_list(fixed_node, order, text, empty_ok=True) if fixed_node is not None else TermList(True, ())
    random = tuple(term for bar in bars for term in random_terms(bar, text))
    return Formula(text, tree.left, fixed, random, tree, offsets)


def split_offsets(node) -> tuple:
    """The fixed part without its ``offset(expr)`` terms, and those terms' arguments (R's attr "offset")."""
    if isinstance(node, Call) and node.func == "offset":
        if len(node.args) != 1:
            raise FormulaError(f"'{deparse(node)}': offset() takes exactly one argument")
        return None, (node.args[0],)
    if isinstance(node, BinOp) and node.op == "+":
        left, left_offsets = split_offsets(node.left)
        right, right_offsets = split_offsets(node.right)
        rest = left if right is None else right if left is None else BinOp("+", left, right)
        return rest, left_offsets + right_offsets
    return node, ()


def _check_text(text) -> None:
    if not isinstance(text, str) or not text.strip():
        raise FormulaError("the formula must be a non-empty string such as 'y ~ x + (1 | g)'")
    if text.lstrip().startswith("~"):
        raise FormulaError(f"the formula {text!r} has no response: write it before '~', as in 'y ~ x + (1 | g)'")


def _check_tree(tree, text: str) -> None:
    if not (isinstance(tree, BinOp) and tree.op == "~"):
        raise FormulaError(f"malformed formula {text!r}: it needs a response, '~' and terms, as in 'y ~ x + (1 | g)'")
    if _contains_tilde(tree.left) or _contains_tilde(tree.right):
        raise FormulaError(f"malformed formula {text!r}: more than one '~'")


def _contains_tilde(node) -> bool:
    if isinstance(node, BinOp):
        return node.op == "~" or _contains_tilde(node.left) or _contains_tilde(node.right)
    if isinstance(node, Paren):
        return _contains_tilde(node.inner)
    return False
