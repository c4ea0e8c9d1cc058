"""The access gateway's shape in the interventions, triage, follow-up and reporting pages and APIs.

Pages and endpoints are thin: they take the user from the one staff gate and render what a read
function returned. Which records a user may see, and the access-log row of each look, are decided
in the apps' selectors (or reads), never in a view, so a page and its endpoint cannot disagree.
Read from the source with ``ast``, so a view added later is held to it too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

VIEW_MODULES = [
    "interventions/views.py",
    "triage/views.py",
    "cases/followups/views.py",
    "reporting/returns/views.py",
    "reporting/evaluation_views.py",
    "reporting/bundle/views.py",
]
API_MODULES = [
    "interventions/apis.py",
    "triage/apis.py",
    "cases/followups/apis.py",
    "reporting/returns/apis.py",
    "reporting/evaluation_apis.py",
]
# What only a read function may call: the access log and the record-class rules.
RESERVED = {"access_record", "may_see", "record_classes_for_user", "party_identity_class", "party_location_class"}
APPS = ["interventions", "triage", "cases/followups", "reporting"]


def _tree(path: str) -> ast.Module:
    return ast.parse((ROOT / path).read_text(), filename=path)


def _names(tree: ast.Module) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            found.add(node.id)
        elif isinstance(node, ast.Attribute):
            found.add(node.attr)
        elif isinstance(node, ast.ImportFrom):
            found.update(alias.name for alias in node.names)
    return found


@pytest.mark.parametrize("path", VIEW_MODULES + API_MODULES)
def test_no_view_or_endpoint_logs_or_decides_record_classes(path: str) -> None:
    tree = _tree(path)
    imports = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert "audit.services" not in imports, path
    assert not RESERVED & _names(tree), (path, RESERVED & _names(tree))
    helpers = {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef) and (node.name.startswith("_log") or node.name == "_staff")
    }
    assert not helpers, (path, helpers)


@pytest.mark.parametrize("path", VIEW_MODULES)
def test_every_page_stands_behind_the_staff_gate(path: str) -> None:
    tree = _tree(path)
    pages = [
        node
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
        and not node.name.startswith("_")
        and node.args.args
        and node.args.args[0].arg == "request"
    ]
    assert pages, path
    ungated = [
        page.name
        for page in pages
        if not any(isinstance(d, ast.Name) and d.id == "staff_required" for d in page.decorator_list)
    ]
    assert not ungated, (path, ungated)


@pytest.mark.parametrize("path", API_MODULES)
def test_no_endpoint_weakens_the_default_permission(path: str) -> None:
    tree = _tree(path)
    assigned = [
        target.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    ]
    assert "permission_classes" not in assigned, path
    assert "api_staff_member" in _names(tree) or "_programme_user" in _names(tree), path


@pytest.mark.parametrize("app", APPS)
def test_the_identity_bar_rule_is_asked_per_person(app: str) -> None:
    """No copy of the per-role identity rule: names go through cases.permissions.people_classes."""
    for path in sorted((ROOT / app).rglob("*.py")):
        if "migrations" in path.parts or "tests" in path.parts:
            continue
        names = _names(ast.parse(path.read_text(), filename=str(path)))
        assert not {"party_identity_class", "party_location_class"} & names, path
