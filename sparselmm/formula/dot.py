"""R's ``.`` in a formula: every column of the data that is not on the left-hand side.

``y ~ . + (1 | g)`` over columns y, x1, x2, g is ``y ~ (x1 + x2 + g) + (1 | g)``, the grouping
column included, as R's ``terms(formula, data = d)`` expands it (lme4 then puts g in X and in the
random term alike). The dot can only be expanded once the data's columns are known, so this runs
where a fit is learned; the formula keeps its text and tree with the dot, which is how R prints it.
"""

from __future__ import annotations

from dataclasses import replace

from ..errors import FormulaError
from .model_formula import Formula, parse_formula
from .tree import BinOp, Name, Paren, Unary, deparse, names_in

DOT = Name(".")


def has_dot(node) -> bool:
    """Whether ``.`` appears in the expression (outside a call's arguments, where it would be a value)."""
    if node == DOT:
        return True
    if isinstance(node, BinOp):
        return has_dot(node.left) or has_dot(node.right)
    if isinstance(node, (Paren, Unary)):
        return has_dot(node.inner if isinstance(node, Paren) else node.operand)
    return False


def expand_dot(formula: Formula, columns) -> Formula:
    """``formula`` with each ``.`` on the right-hand side replaced by the sum of the data's ``columns``
    not read by the response; the text and tree (for printing) keep the dot."""
    tree = formula.tree
    if tree is None or not has_dot(tree.right):
        return formula
    response = set(names_in(tree.left))
    others = [Name(str(c)) for c in columns if str(c) not in response]
    if not others:
        raise FormulaError(f"the '.' in {formula.text!r} stands for the data's other columns, and there are none")
    total = others[0]
    for name in others[1:]:
        total = BinOp("+", total, name)
    expanded = BinOp("~", tree.left, _substituted(tree.right, Paren(total)))
    return replace(parse_formula(deparse(expanded)), text=formula.text, tree=tree)


def _substituted(node, value):
    if node == DOT:
        return value
    if isinstance(node, BinOp):
        return BinOp(node.op, _substituted(node.left, value), _substituted(node.right, value))
    if isinstance(node, Paren):
        return Paren(_substituted(node.inner, value))
    if isinstance(node, Unary):
        return Unary(node.op, _substituted(node.operand, value))
    return node  # a name, a number, or a call (a dot among a call's arguments is not R's term dot)
