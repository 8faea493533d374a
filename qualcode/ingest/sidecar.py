"""Attribute sidecars: who each speaker is and what the group was, kept beside a transcript.

A transcript rarely says that Айгерим is a 25–34-year-old recipient from
Almaty, so people write it in `<stem>.attributes.yaml` (document and
participant attributes, optionally per file) or `.attributes.csv` (one row
per participant). Every value stays a string exactly as written: YAML is read
without type guessing, so `2026-03-14`, `NO` and `12:30` are not turned into a
date, False or 750. A participant's `role` is checked and stored in English.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode

from qualcode.common import safe_yaml
from qualcode.common.errors import IngestError
from qualcode.ingest.decoding import decode, normalize
from qualcode.ingest.safety import check_size
from qualcode.ingest.tables import read_csv_rows

SUFFIXES = (".attributes.yaml", ".attributes.yml", ".attributes.csv")
ROLES = {
    "moderator": "moderator", "participant": "participant", "observer": "observer",
    "модератор": "moderator", "участник": "participant", "наблюдатель": "observer",
    "қатысушы": "participant", "бақылаушы": "observer",
}
_ROLE_KEYS = ("role", "роль", "рөл")
_SPEAKER_COLUMNS = ("speaker", "label", "participant", "участник", "говорящий", "спикер")
_FILE_COLUMNS = ("file", "файл", "document", "документ")
_NULLS = ("", "~", "null", "Null", "NULL")


@dataclass
class Sidecar:
    """Attributes by document file name; the key None holds what applies to any file."""

    documents: dict[str | None, dict[str, str]] = field(default_factory=dict)
    # file → label → attributes (including a validated "role")
    participants: dict[str | None, dict[str, dict[str, str]]] = field(default_factory=dict)


def _role(value: str, where: str) -> str:
    role = ROLES.get(value.strip().casefold())
    if role is None:
        raise IngestError(f"{where}: '{value}' is not a role (use moderator, participant or observer)")
    return role


def _with_role(attrs: dict[str, str], where: str) -> dict[str, str]:
    """The attributes with any role key renamed to 'role' and its value checked."""
    result = {}
    for key, value in attrs.items():
        if key.casefold() in _ROLE_KEYS:
            key, value = "role", _role(value, f"{where}.role")
        result[key] = value
    return result


# --- YAML ------------------------------------------------------------------------------

def _line(node: Node) -> str:
    return f"line {node.start_mark.line + 1}"


def _scalar(node: Node, where: str) -> str:
    if not isinstance(node, ScalarNode):
        raise IngestError(f"{_line(node)}: {where} should be a single value, not a list or mapping")
    return "" if node.style is None and node.value in _NULLS else " ".join(node.value.split())


def _mapping(node: Node, where: str) -> list[tuple[str, Node]]:
    """(key, value node) pairs; an empty value counts as an empty mapping."""
    if isinstance(node, ScalarNode) and not _scalar(node, where):
        return []
    if not isinstance(node, MappingNode):
        raise IngestError(f"{_line(node)}: {where} should be a mapping of 'key: value' lines")
    pairs, seen = [], set()
    for key_node, value in node.value:
        key = _scalar(key_node, f"a key of {where}")
        if key in seen:
            raise IngestError(f"{_line(key_node)}: '{key}' appears twice in {where}")
        seen.add(key)
        pairs.append((key, value))
    return pairs


def _attributes(node: Node, where: str) -> dict[str, str]:
    values = {key: _scalar(value, f"{where}.{key}") for key, value in _mapping(node, where)}
    return {key: value for key, value in values.items() if value}


def _section(sidecar: Sidecar, file: str | None, node: Node, where: str) -> None:
    """A `document` / `participants` (/ `files` at the top) mapping into the sidecar."""
    expected = "document, participants" + (", files" if file is None else "")
    for key, value in _mapping(node, where):
        path = f"{where}.{key}" if file is not None else key
        if key == "document":
            sidecar.documents[file] = _attributes(value, path)
        elif key == "participants":
            sidecar.participants[file] = {
                label: _with_role(_attributes(attrs, f"{path}.{label}"), f"{_line(attrs)}: {path}.{label}")
                for label, attrs in _mapping(value, path)
            }
        elif key == "files" and file is None:
            for name, section in _mapping(value, "files"):
                _section(sidecar, name, section, f"files.{name}")
        else:
            raise IngestError(f"{_line(value)}: unknown key '{path}' (expected {expected})")


def _from_yaml(text: str) -> Sidecar:
    try:
        root = safe_yaml.compose(text, plain=True)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark else ""
        raise IngestError(f"{where}malformed YAML ({getattr(err, 'problem', None) or err})") from None
    if root is None:
        raise IngestError("holds no attributes")
    sidecar = Sidecar()
    _section(sidecar, None, root, "the file")
    return sidecar


# --- CSV -------------------------------------------------------------------------------

def _from_csv(text: str) -> Sidecar:
    rows = [[" ".join(normalize(cell).split()) for cell in row] for row in read_csv_rows(text)]
    numbered = [(number, row) for number, row in enumerate(rows, start=1) if any(row)]
    if not numbered:
        raise IngestError("holds no attributes")
    (_, header), body = numbered[0], numbered[1:]
    keys = [name.casefold() for name in header]
    speaker = next((i for i, key in enumerate(keys) if key in _SPEAKER_COLUMNS), None)
    if speaker is None:
        raise IngestError("no speaker column (expected a header such as speaker, label, "
                          "participant, участник or говорящий)")
    file = next((i for i, key in enumerate(keys) if key in _FILE_COLUMNS), None)
    sidecar = Sidecar()
    for number, row in body:
        row = row + [""] * (len(header) - len(row))
        label = row[speaker]
        if not label:
            raise IngestError(f"row {number}: the {header[speaker]} cell is empty")
        name = (row[file] or None) if file is not None else None
        attrs = {header[i]: value for i, value in enumerate(row[:len(header)])
                 if value and i not in (speaker, file)}
        people = sidecar.participants.setdefault(name, {})
        if label in people:
            raise IngestError(f"row {number}: '{label}' is listed twice" + (f" for {name}" if name else ""))
        people[label] = _with_role(attrs, f"row {number}: {label}")
    return sidecar


# --- public ----------------------------------------------------------------------------

def load_sidecar(path: Path) -> Sidecar:
    """Read a .yaml/.yml/.csv attributes file; errors name this file (the caller names the transcript)."""
    path = Path(path)
    try:
        if path.suffix.lower() not in (".yaml", ".yml", ".csv"):
            raise IngestError("must be a .yaml, .yml or .csv file")
        try:
            data = path.read_bytes()
        except OSError as err:
            raise IngestError(f"cannot be read ({err.strerror})") from None
        check_size(data)
        text, _ = decode(data)
        return _from_csv(text) if path.suffix.lower() == ".csv" else _from_yaml(normalize(text))
    except IngestError as err:
        raise IngestError(f"attributes file {path.name}: {err}") from None


def find_sidecar(transcript: Path) -> Path | None:
    """`<stem>.attributes.yaml|yml|csv` or `<name>.attributes.…` beside the transcript."""
    transcript = Path(transcript)
    bases = dict.fromkeys((transcript.stem, transcript.name))
    found = [transcript.with_name(base + suffix) for base in bases for suffix in SUFFIXES]
    found = [path for path in found if path.is_file()]
    if len(found) > 1:
        raise IngestError(f"more than one attributes file beside it ({', '.join(p.name for p in found)}); keep one")
    return found[0] if found else None


def attributes_for(sidecar: Sidecar, file_name: str) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """(document attributes, label → participant attributes) for one file; its own section wins."""
    name = Path(file_name).name
    document = {**sidecar.documents.get(None, {}), **sidecar.documents.get(name, {})}
    people: dict[str, dict[str, str]] = {}
    for section in (sidecar.participants.get(None, {}), sidecar.participants.get(name, {})):
        for label, attrs in section.items():
            people[label] = {**people.get(label, {}), **attrs}
    return document, people


def is_sidecar(path: Path) -> bool:
    """True for a file named like an attributes sidecar (`x.attributes.yaml` …)."""
    return any(Path(path).name.endswith(suffix) for suffix in SUFFIXES)
