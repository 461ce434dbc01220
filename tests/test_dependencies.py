"""The declared dependencies say the truth: what the package imports, and only that."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src" / "arcalls"


def _project() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _names(requirements: list[str]) -> set[str]:
    return {re.split(r"[<>=!~\[ ;]", r, maxsplit=1)[0].lower() for r in requirements}


def _imported_top_levels() -> set[str]:
    found = set()
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found


def test_lifelines_is_a_test_dependency_only():
    project = _project()
    assert "lifelines" not in _names(project["dependencies"])
    assert "lifelines" in _names(project["optional-dependencies"]["test"])
    assert "lifelines" not in _imported_top_levels()


def test_every_runtime_dependency_is_imported_by_the_package():
    imported = _imported_top_levels()
    # pyproject names -> the module each installs.
    modules = {"scikit-learn": "sklearn"}
    for name in _names(_project()["dependencies"]):
        assert modules.get(name, name) in imported, f"{name} is declared but never imported"
