"""Pages and API views stay thin: the access gateway is the only place that scopes,
shapes and logs a read of personal data (docs/access-model.md).

An AST scan of every view module: none may write the access log itself (import
``audit.services`` or call ``access_record``), decide record classes itself (call
``may_see`` or ``record_classes_for_user``), or keep its own copy of the staff gate
or of a logging helper (a function named ``_staff``, ``_log`` or ``_log_…``).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Not project code: the virtualenv, front-end packages, tests, and history of the schema.
SKIPPED_PARTS = {".venv", "node_modules", "tests", "migrations", "var", "static", ".git"}

FORBIDDEN_MODULES = {"audit.services"}
FORBIDDEN_CALLS = {"access_record", "may_see", "record_classes_for_user"}
FORBIDDEN_HELPERS = {"_staff", "_log"}


def _is_view_module(path: Path) -> bool:
    name = path.name
    if name in {"views.py", "apis.py"} or name.endswith(("_views.py", "_apis.py")):
        return True
    return any(part in {"views", "apis"} for part in path.relative_to(ROOT).parts[:-1])


def view_modules() -> list[Path]:
    found = []
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT)
        if SKIPPED_PARTS & set(relative.parts):
            continue
        if _is_view_module(path):
            found.append(path)
    return sorted(found)


def _called_name(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def _imported(node: ast.Import | ast.ImportFrom, package: str | None) -> set[str]:
    """The dotted modules (and module.name pairs) that an import statement brings in."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names}
    base = node.module or ""
    if node.level:
        # A relative import inside ``package``: resolve it to an absolute name.
        parts = (package or "").split(".")
        parts = parts[: len(parts) - node.level + 1] if node.level > 1 else parts
        base = ".".join([*parts, base] if base else parts)
    return {base} | {f"{base}.{alias.name}" for alias in node.names}


def offences(source: str, relative: Path) -> list[str]:
    tree = ast.parse(source, filename=str(relative))
    package = ".".join(relative.parts[:-1])
    found: list[str] = []
    for node in ast.walk(tree):
        where = f"{relative}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = _imported(node, package)
            for module in FORBIDDEN_MODULES:
                if any(name == module or name.startswith(module + ".") for name in names):
                    found.append(f"{where} imports {module}")
        elif isinstance(node, ast.Call):
            name = _called_name(node)
            if name in FORBIDDEN_CALLS:
                found.append(f"{where} calls {name}")
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and (
            node.name in FORBIDDEN_HELPERS or node.name.startswith("_log_")
        ):
            found.append(f"{where} defines its own {node.name}")
    return found


def test_the_scan_finds_the_view_modules_of_every_app() -> None:
    names = {str(p.relative_to(ROOT)) for p in view_modules()}
    assert {"cases/views.py", "cases/apis.py", "advocacy/views.py", "advocacy/apis.py", "triage/views.py"} <= names
    assert any(name.startswith("reporting/") for name in names)
    assert not any(name.startswith(("tests/", ".venv/")) for name in names)


def test_the_scan_recognises_each_forbidden_shape() -> None:
    """The scanner itself can fail: each shape it looks for, written out, is found."""
    source = (
        "from audit import services as audit_services\n"
        "import audit.services\n"
        "from ..audit import services\n"
        "from audit.services import access_record\n"
        "from cases.permissions import may_see\n"
        "def _staff(request): ...\n"
        "def _log(user, ids): ...\n"
        "def _log_case_view(user, ids): ...\n"
        "def view(request):\n"
        "    access_record(actor=None)\n"
        "    audit_services.access_record(actor=None)\n"
        "    may_see(None, 'clinical')\n"
        "    selectors.record_classes_for_user(user=None)\n"
    )
    text = "\n".join(offences(source, Path("cases/probe_views.py")))
    assert text.count("imports audit.services") == 4, text
    assert text.count("calls access_record") == 2, text
    assert "calls may_see" in text and "calls record_classes_for_user" in text, text
    for helper in ("_staff", "_log", "_log_case_view"):
        assert f"defines its own {helper}\n" in text + "\n", text


@pytest.mark.parametrize("path", view_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_views_leave_scoping_shaping_and_logging_to_the_gateway(path: Path) -> None:
    found = offences(path.read_text(), path.relative_to(ROOT))
    assert not found, "\n".join(found)


# masip/ is the composition root: its pages are the health check, the home redirect and the
# admin's job queues, each with a gate of its own (none, sign-in, the admin site).
PAGE_MODULES = [p for p in view_modules() if p.relative_to(ROOT).parts[0] != "masip" and p.name.endswith("views.py")]


@pytest.mark.parametrize("path", PAGE_MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_page_stands_behind_the_one_staff_gate(path: Path) -> None:
    tree = ast.parse(path.read_text(), filename=str(path))
    pages = [
        node
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
        and not node.name.startswith("_")
        and node.args.args
        and node.args.args[0].arg == "request"
    ]
    ungated = [
        page.name
        for page in pages
        if not any(isinstance(d, ast.Name) and d.id == "staff_required" for d in page.decorator_list)
    ]
    assert ungated == [], f"{path.relative_to(ROOT)}: pages without @staff_required: {ungated}"


@pytest.mark.parametrize("path", view_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_endpoint_weakens_the_default_permission(path: Path) -> None:
    """StaffOnly is the API's default; an endpoint may add checks, never replace it."""
    tree = ast.parse(path.read_text(), filename=str(path))
    assigned = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name) and target.id == "permission_classes"
    ]
    assert assigned == []
