"""The submission contract: the one rule every reader applies, and the docs that state it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from pvdefects import contract
from pvdefects.contract import Tensor, signature_problem

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "submission-format.md"
X = {"x": Tensor("float32", (None, None, None, 1))}
BOTH = {"y": Tensor("float32", (None, 2)), "scores": Tensor("float32", (None, 2))}


def test_our_exports_signature_keeps_to_it():
    assert signature_problem(X, BOTH) is None


def test_an_input_of_unknown_rank_or_fixed_size_is_accepted():
    assert signature_problem({"x": Tensor("float32", None)}, BOTH) is None
    assert signature_problem({"x": Tensor("float32", (None, 300, 300, 1))}, BOTH) is None


@pytest.mark.parametrize(
    "inputs, expected",
    [
        ({"image": Tensor("float32", (None, None, None, 1))}, "takes ['image']"),
        ({**X, "extra": Tensor("float32", (None,))}, "takes ['extra', 'x']"),
        ({"x": Tensor("uint8", (None, None, None, 1))}, "'x' is uint8"),
        ({"x": Tensor("float32", (None, None, 1))}, "of shape [None, None, 1]"),
        ({"x": Tensor("float32", (None, None, None, 3))}, "of shape [None, None, None, 3]"),
    ],
)
def test_the_input_must_be_x_float32_with_one_channel(inputs, expected):
    problem = signature_problem(inputs, BOTH)
    assert expected in problem and "exactly one input 'x' (float32 [batch, height, width, 1]" in problem


def test_the_reader_needs_both_outputs_the_scorer_only_y():
    only_y = {"y": BOTH["y"]}
    assert "it must return 'y' (float32 0/1 decisions" in signature_problem(X, only_y)
    assert "and 'scores'" in signature_problem(X, only_y)
    assert signature_problem(X, only_y, needed=(contract.DECISIONS,)) is None
    assert "returns 'y' (int32)" in signature_problem(
        X, {"y": Tensor("int32", (None, 2))}, needed=(contract.DECISIONS,)
    )


def test_the_docs_state_the_contracts_names():
    docs = DOCS.read_text()
    assert f"## Signature `{contract.SIGNATURE}`" in docs
    for name in (contract.INPUT, *contract.OUTPUTS):
        assert f"| **`{name}`** | {contract.DTYPE} |" in docs
    assert f"## Metadata: `{contract.METADATA_PATH}`" in docs
    assert "pvdefects/contract.py" in docs


def docstrings(tree: ast.AST) -> set[int]:
    kinds = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    return {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, kinds)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }


def test_no_other_module_spells_the_contracts_names():
    """Outside pvdefects/contract.py, strings (docstrings aside) take the signature's, tensors' and
    metadata asset's names from it, so that renaming one there renames it everywhere."""
    tensors = "|".join(re.escape(name) for name in (contract.INPUT, *contract.OUTPUTS))
    asset = re.escape(contract.METADATA_ASSET).replace(r"\.", r"(\\)?\.")  # also as a regex spells it
    spelled = re.compile(rf"'({tensors})'|{re.escape(contract.SIGNATURE)}|(?<!\w){asset}")
    found = []
    for path in sorted((ROOT / "src" / "pvdefects").rglob("*.py")):
        if path.name == "contract.py":
            continue
        tree = ast.parse(path.read_text())
        skipped = docstrings(tree)
        found += [
            f"{path.relative_to(ROOT)}:{node.lineno}: {node.value!r}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in skipped
            and spelled.search(node.value)
        ]
    assert not found, "\n".join(found)
