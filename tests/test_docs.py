"""Docs that cannot drift: every CLI command is in the README, every module in ARCHITECTURE.md, every
bench script and shipped codebook in the README's lists."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from qualcode.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
ARCHITECTURE = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")


def _commands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()):
    """Every leaf command as a tuple of words; an alias (the same parser under a second name) once."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            seen: set[int] = set()
            for name, sub in action.choices.items():
                if id(sub) in seen:
                    continue
                seen.add(id(sub))
                nested = list(_commands(sub, prefix + (name,)))
                yield from nested or [prefix + (name,)]


def test_every_cli_command_has_an_example_in_the_readme():
    readme = re.sub(r"--db \S+ ", "", README)
    commands = [" ".join(words) for words in _commands(build_parser())]
    assert len(commands) > 40
    missing = [c for c in commands if f"qualcode {c}" not in readme]
    assert not missing, f"README.md has no example of: {missing}"


def test_every_module_is_in_the_architecture_page():
    modules = [p.relative_to(ROOT / "qualcode") for p in (ROOT / "qualcode").rglob("*.py")
               if "migrations" not in p.parts]
    missing = [str(m) for m in modules
               if m.name not in ARCHITECTURE and (m.name != "__init__.py" or f"{m.parent}/" not in ARCHITECTURE)]
    assert not missing, f"ARCHITECTURE.md does not mention: {missing}"


def test_every_bench_and_codebook_is_in_the_readme():
    files = sorted(p for folder in ("bench", "codebooks") for p in (ROOT / folder).iterdir()
                   if p.suffix in (".py", ".yaml") and not p.name.startswith("_"))
    missing = [f"{p.parent.name}/{p.name}" for p in files if p.name not in README]
    assert not missing, f"README.md does not list: {missing}"


def test_every_name_in_the_architecture_picture_exists():
    picture = ARCHITECTURE.split("```mermaid", 1)[1].split("```", 1)[0]
    names = set(re.findall(r"[\w]+\.py|[\w]+/", picture))
    assert {"store/", "ingest/", "autocode/", "cli/", "ui/"} <= names
    package = ROOT / "qualcode"
    missing = sorted(n for n in names if not (package / n.rstrip("/")).exists())
    assert not missing, f"the picture in ARCHITECTURE.md names what does not exist: {missing}"
