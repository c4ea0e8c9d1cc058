"""The gateway's shape in victim advocacy and risk, read from the source (AST).

Pages and endpoints of these apps get their user from the one staff gate and their data
from the apps' read functions, which scope, shape and log: so no view or API module
writes the access log, decides record classes, or keeps a staff helper of its own.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MODULES = ["advocacy/views.py", "advocacy/apis.py", "risk/views.py", "risk/apis.py"]
# Record classes are decided in the selectors (cases.permissions.people_classes and friends).
FORBIDDEN_CALLS = {
    "access_record",
    "may_see",
    "record_classes_for_user",
    "party_identity_class",
    "party_location_class",
    "people_classes",
}


def _tree(module: str) -> ast.Module:
    return ast.parse((ROOT / module).read_text(), filename=module)


def _called_name(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


@pytest.mark.parametrize("module", MODULES)
def test_no_view_or_api_module_logs_decides_classes_or_keeps_a_staff_helper(module: str) -> None:
    tree = _tree(module)
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module is not None}
    assert "audit.services" not in imported
    defined = {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
    assert not defined & {"_staff", "_log"}
    called = {_called_name(node) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    assert not called & FORBIDDEN_CALLS, called & FORBIDDEN_CALLS
    assignments = [
        target.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    ]
    assert "permission_classes" not in assignments


@pytest.mark.parametrize("module", ["advocacy/views.py", "risk/views.py"])
def test_every_page_stands_behind_the_staff_gate(module: str) -> None:
    tree = _tree(module)
    # Module-level functions taking the request first, other than the pages' private helpers.
    pages = [
        node
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
        and not node.name.startswith("_")
        and node.args.args
        and node.args.args[0].arg == "request"
    ]
    assert pages
    ungated = [
        page.name
        for page in pages
        if not any(isinstance(d, ast.Name) and d.id == "staff_required" for d in page.decorator_list)
    ]
    assert ungated == []
