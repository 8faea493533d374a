"""The house rules a newcomer relies on, checked on the source: the UI holds no SQL."""

from __future__ import annotations

import ast
from pathlib import Path

QUALCODE = Path(__file__).resolve().parent.parent / "qualcode"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_no_sql_in_the_ui():
    offenders = {str(p.relative_to(QUALCODE)): sorted(m for m in _imports(p) if m.split(".")[0] == "sqlalchemy")
                 for p in (QUALCODE / "ui").glob("*.py")}
    offenders = {path: modules for path, modules in offenders.items()
                 if [m for m in modules if m != "sqlalchemy.orm"]}
    assert not offenders, f"pages build queries themselves: {offenders} (put them in qualcode/)"
