"""The house rules a newcomer relies on, checked on the source: the UI holds no SQL, no module imports
in a circle, and packages import only down the pipeline."""

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


def _module_name(path: Path) -> str:
    parts = path.relative_to(QUALCODE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _graph() -> dict[str, set[str]]:
    """qualcode module → the qualcode modules it imports (at any depth in the file, functions included)."""
    paths = {_module_name(p): p for p in QUALCODE.rglob("*.py") if "migrations" not in p.parts}
    graph = {}
    for name, path in paths.items():
        targets = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("qualcode"):
                base = node.module
                # `from qualcode.cli import team` imports the module qualcode.cli.team
                targets.update(f"{base}.{a.name}" if f"{base}.{a.name}" in paths else base for a in node.names)
            elif isinstance(node, ast.Import):
                targets.update(a.name for a in node.names if a.name.startswith("qualcode"))
        graph[name] = {t for t in targets if t in paths and t != name}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, as the list of modules around it, or None (depth-first search)."""
    state: dict[str, int] = {}          # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_cycle_finder_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle_among_modules():
    graph = _graph()
    assert "qualcode.cli.team" in graph["qualcode.cli"] and "qualcode.store" in graph["qualcode.cli.common"]
    assert _cycle(graph) is None, " → ".join(_cycle(graph))


# the packages in the order data flows; a package imports only those before it (common: the ground floor)
PIPELINE = ["common", "store", "ingest", "recording", "codebook", "autocode", "coding", "team", "deid", "export",
            "topics", "refi", "assistant", "cli", "ui"]


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_every_module_lives_in_a_package_of_the_pipeline():
    loose = sorted(m for m in _graph() if _package(m) not in PIPELINE)
    assert loose == ["qualcode", "qualcode.demo"], loose       # the package itself, and the demo's wiring


def test_imports_point_down_the_pipeline():
    upward = sorted(f"{a} → {b}" for a, targets in _graph().items() for b in targets
                    if _package(a) in PIPELINE and _package(b) in PIPELINE
                    and PIPELINE.index(_package(b)) > PIPELINE.index(_package(a)))
    assert not upward, "imports up the pipeline: " + "; ".join(upward)


def test_each_package_says_what_it_owns_and_may_import():
    for package in PIPELINE:
        doc = ast.get_docstring(ast.parse((QUALCODE / package / "__init__.py").read_text(encoding="utf-8"))) or ""
        expected = "imports nothing of qualcode" if package == "common" else "may import"
        assert expected in " ".join(doc.split()), f"qualcode/{package}/__init__.py does not say what it may import"
