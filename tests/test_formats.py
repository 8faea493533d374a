"""The format registry is the one place formats live: detection, reading, the CLI and the upload widget follow it."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from qualcode.cli import build_parser
from qualcode.common.errors import IngestError
from qualcode.ingest import formats
from qualcode.ingest.base import Format, Parsed, RawTurn


def _import_format_choices() -> tuple[str, ...]:
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    option = next(a for a in sub.choices["import"]._actions if "--format" in a.option_strings)
    return tuple(option.choices)


def test_the_shipped_formats_and_the_cli_choices_come_from_the_registry():
    assert formats.FORMATS == ("txt", "docx", "vtt", "srt", "csv", "xlsx")
    assert _import_format_choices() == formats.FORMATS
    assert formats.detect_format(Path("a.TSV"), b"x") == "csv"
    assert formats.detect_format(Path("no-extension"), "\ufeffWEBVTT\n\n".encode()) == "vtt"
    with pytest.raises(IngestError, match="unsupported file type '.pdf'"):
        formats.detect_format(Path("a.pdf"), b"%PDF")
    with pytest.raises(IngestError, match="unknown format 'pdf'"):
        formats.detect_format(Path("a.txt"), b"", override="pdf")


def test_a_new_format_is_one_declaration_and_one_registry_entry(monkeypatch):
    def parse(text: str, speakers: frozenset[str]) -> Parsed:
        label, said = text.split("|", 1)
        return Parsed("pipe", [RawTurn(text=said.strip(), speaker=label)])

    pipe = Format("pipe", (".pipe",), parse, sniff=lambda data: data.startswith("Әсел|".encode()))
    monkeypatch.setitem(formats.REGISTRY, "pipe", pipe)
    assert formats.detect_format(Path("group.pipe"), b"") == "pipe"
    assert formats.detect_format(Path("group"), "Әсел| сәлем".encode()) == "pipe"
    parsed = formats.read_source("Әсел|  Қызмет ұзақ күттірді\r\n".encode(), "pipe")   # decoded, normalised
    assert (parsed.turns[0].speaker, parsed.turns[0].text, parsed.encoding) == ("Әсел", "Қызмет ұзақ күттірді", "utf-8")
