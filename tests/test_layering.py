"""The dependency rule: core and agent never need Qt; llama_cpp is only imported when a model loads.

1. In a fresh interpreter where importing PySide6 or llama_cpp fails, every module of
   ``iea_desktop.core`` and ``iea_desktop.agent`` imports, and neither blocked package was loaded.
2. No file under core/ or agent/ imports PySide6 (anywhere) or llama_cpp at module level, and
   core/ does not import the agent or the UI.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
PACKAGE = PROJECT_ROOT / "iea_desktop"

BLOCKED_IMPORT_SCRIPT = r"""
import importlib, json, pkgutil, sys

BLOCKED = ("PySide6", "shiboken6", "llama_cpp")

class Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"{name} is blocked in this test")
        return None

sys.meta_path.insert(0, Blocker())

imported, failed = [], {}
for package_name in ("iea_desktop.core", "iea_desktop.agent"):
    package = importlib.import_module(package_name)
    names = [package_name] + [m.name for m in pkgutil.walk_packages(package.__path__, package_name + ".",
                                                                    onerror=lambda name: failed.setdefault(name, "walk failed"))]
    for name in names:
        try:
            importlib.import_module(name)
            imported.append(name)
        except BaseException as error:
            failed[name] = f"{type(error).__name__}: {error}"

loaded = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)
print(json.dumps({"imported": imported, "failed": failed, "loaded": loaded}))
"""


def python_files(*parts: str) -> list[Path]:
    return sorted((PACKAGE.joinpath(*parts)).rglob("*.py"))


def test_core_and_agent_import_with_qt_and_llama_cpp_blocked(iea_home):
    env = dict(os.environ)
    env["PYTHONPATH"] = str(PROJECT_ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    result = subprocess.run([sys.executable, "-c", BLOCKED_IMPORT_SCRIPT], cwd=PROJECT_ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["failed"] == {}, report["failed"]
    assert report["loaded"] == []
    expected = {".".join(p.relative_to(PROJECT_ROOT).with_suffix("").parts).removesuffix(".__init__")
                for p in python_files("core") + python_files("agent")}
    assert expected <= set(report["imported"]), sorted(expected - set(report["imported"]))
    assert "iea_desktop.core.ops.exposure" in report["imported"]


def _imports(tree: ast.AST, module_level_only: bool) -> list[tuple[int, str]]:
    """(line, module) of import statements; module level = not inside a function body."""
    found = []

    def visit(node, in_function):
        for child in ast.iter_child_nodes(node):
            inside = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.Import) and not (module_level_only and in_function):
                found.extend((child.lineno, alias.name) for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and not (module_level_only and in_function):
                found.append((child.lineno, "." * child.level + (child.module or "")))
            visit(child, inside)

    visit(tree, False)
    return found


def _is_type_checking_only(tree: ast.AST, line: int) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            if node.body[0].lineno <= line <= node.body[-1].end_lineno:
                return True
    return False


@pytest.mark.parametrize("path", python_files("core") + python_files("agent"),
                         ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_level_qt_or_llama_cpp_import(path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    problems = []
    for line, module in _imports(tree, module_level_only=False):
        if module.split(".")[0] in ("PySide6", "shiboken6", "PyQt5", "PyQt6") and not _is_type_checking_only(tree, line):
            problems.append(f"line {line}: imports {module} (Qt belongs in iea_desktop/ui)")
    for line, module in _imports(tree, module_level_only=True):
        if module.split(".")[0] == "llama_cpp" and not _is_type_checking_only(tree, line):
            problems.append(f"line {line}: imports {module} at module level (import it inside the function that loads a model)")
    assert problems == [], f"{path.relative_to(PROJECT_ROOT)}: " + "; ".join(problems)


@pytest.mark.parametrize("path", python_files("core"), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_core_does_not_import_agent_ui_or_cli(path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    depth = len(path.relative_to(PACKAGE / "core").parts)  # 1 for core/x.py, 2 for core/ops/x.py
    problems = []
    for line, module in _imports(tree, module_level_only=False):
        absolute = module.startswith("iea_desktop.")
        if absolute:
            target = module.split(".")[1]
        elif module.startswith("."):
            level = len(module) - len(module.lstrip("."))
            rest = module.lstrip(".")
            if level <= depth:
                continue  # stays inside core
            target = rest.split(".")[0]
        else:
            continue
        if target in ("agent", "ui", "cli"):
            problems.append(f"line {line}: imports {module}")
    assert problems == [], f"{path.relative_to(PROJECT_ROOT)}: " + "; ".join(problems)


def test_the_checks_would_catch_a_violation():
    """The AST checks themselves work (a checker that finds nothing proves nothing)."""
    tree = ast.parse("import os\nfrom PySide6 import QtCore\ndef f():\n    import llama_cpp\n")
    assert (2, "PySide6") in _imports(tree, module_level_only=True)
    assert (4, "llama_cpp") not in _imports(tree, module_level_only=True)
    assert (4, "llama_cpp") in _imports(tree, module_level_only=False)
    tree = ast.parse("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from PySide6 import QtGui\n")
    assert _is_type_checking_only(tree, 3)


# --- no import circle among core modules -------------------------------------------------------

def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(PROJECT_ROOT).with_suffix("").parts).removesuffix(".__init__")


def _core_imports(name: str, is_package: bool, text: str, modules: set[str]) -> set[str]:
    """The core modules that module ``name`` (source ``text``) imports, at module level or inside
    functions (a function-level import only hides a circle until the function runs), with the
    packages they live in."""
    package = name if is_package else name.rpartition(".")[0]
    tree = ast.parse(text)
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[:len(package.split(".")) - node.level + 1] if node.level else []
            target = ".".join(base + ([node.module] if node.module else []))
            targets = [target] + [f"{target}.{alias.name}" for alias in node.names]
        else:
            continue
        if _is_type_checking_only(tree, node.lineno):
            continue
        for target in targets:
            parts = target.split(".")
            for end in range(3, len(parts) + 1):  # the module and the packages above it, below iea_desktop.core
                module = ".".join(parts[:end])
                if module in modules and module != name and not name.startswith(module + "."):
                    found.add(module)  # (a module's own packages are already being imported when it runs)
    return found


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle of ``graph`` (module -> modules it imports), as a list a, b, ..., a; or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        path.append(module)
        for other in sorted(graph.get(module, ())):
            if state.get(other) == 1:
                return path[path.index(other):] + [other]
            if other not in state:
                cycle = visit(other)
                if cycle:
                    return cycle
        path.pop()
        state[module] = 2
        return None

    for module in sorted(graph):
        if module not in state:
            cycle = visit(module)
            if cycle:
                return cycle
    return None


def test_no_import_circle_among_core_modules():
    files = python_files("core")
    modules = {_module_name(p) for p in files}
    graph = {_module_name(p): _core_imports(_module_name(p), p.name == "__init__.py", p.read_text(encoding="utf-8"), modules)
             for p in files}
    assert "iea_desktop.core.apply_node" in graph["iea_desktop.core.pointops"]  # the checker sees imports
    cycle = _find_cycle(graph)
    assert cycle is None, "import circle: " + " -> ".join(cycle)


def test_the_circle_check_would_catch_one():
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None
    core = "iea_desktop.core"
    modules = {core, f"{core}.kernel", f"{core}.pointops", f"{core}.ops", f"{core}.ops.base", f"{core}.x"}
    text = "from . import kernel\ndef f():\n    from .pointops import program\n    from .ops.base import OpSpec\n"
    assert _core_imports(f"{core}.x", False, text, modules) == {f"{core}.kernel", f"{core}.pointops", f"{core}.ops",
                                                                f"{core}.ops.base"}


def test_the_assistant_session_does_not_load_the_model_backend():
    """The built-in assistant's path (session, builtin) imports no llama.cpp backend: errors such as
    Cancelled live in agent/errors.py, process-wide settings in the package's __init__."""
    code = ("import sys\n"
            "import iea_desktop.agent.session, iea_desktop.agent.builtin\n"
            "print(sorted(m for m in sys.modules if 'backends' in m))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=PROJECT_ROOT)
    assert out.returncode == 0, out.stderr
    assert "llama_cpp_backend" not in out.stdout and "model_process" not in out.stdout, out.stdout
