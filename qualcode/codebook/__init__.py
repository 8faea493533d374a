"""The codebook as plain data, its YAML form, and validation that reports every mistake at once.

A codebook file is hand-written, so validation points at the file and line
of each problem and names the code by its path ("Access/Waiting time").
Errors stop a load; warnings (a code without definition or examples) do not.
The REFI-QDA `.qdc` form lives in `qualcode.refi.qdc`; `qualcode.refi.codebook_files` reads
either from a file.

Package `codebook`: the codebook as plain data (here) and the codes of a project (`codes.py`). It
may import `common`, `store`, `ingest`, `recording` (tests/test_layout.py checks it).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from qualcode.common import safe_yaml
from qualcode.common.errors import QualcodeError

PATH_SEPARATOR = "/"
CODE_KEYS = ("name", "definition", "include", "exclude", "examples", "counter_examples", "children",
             "color", "tags", "translations", "guid", "exclusive")
BOOK_KEYS = ("name", "description", "languages", "exclusive", "codes")
TRANSLATION_KEYS = ("name", "definition")
COLOR_PATTERN = re.compile(r"^#(?:[0-9a-fA-F]{6}|[0-9a-fA-F]{3})$")
GUID_PATTERN = re.compile(r"^\{?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}?$")


class CodebookError(QualcodeError):
    """A codebook that cannot be loaded; `errors` holds one line per problem."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("\n".join(errors))


@dataclass
class CodeSpec:
    name: str
    definition: str = ""
    include: str = ""
    exclude: str = ""
    examples: list[str] = field(default_factory=list)
    counter_examples: list[str] = field(default_factory=list)
    color: str | None = None
    tags: list[str] = field(default_factory=list)
    translations: dict[str, dict[str, str]] = field(default_factory=dict)
    guid: str | None = None
    exclusive: bool | None = None  # at most one child applies; None: not said, so it may be inferred
    children: list[CodeSpec] = field(default_factory=list)
    line: int | None = None


@dataclass
class Codebook:
    name: str = ""
    description: str = ""
    languages: list[str] = field(default_factory=list)
    exclusive: bool | None = None  # at most one top-level code applies
    codes: list[CodeSpec] = field(default_factory=list)

    def walk(self, codes: list[CodeSpec] | None = None, parent: str = ""):
        """Yield (path, code) depth-first, parents before children."""
        for code in self.codes if codes is None else codes:
            path = f"{parent}{PATH_SEPARATOR}{code.name}" if parent else code.name
            yield path, code
            yield from self.walk(code.children, path)


def normalize_guid(guid: str) -> str:
    """REFI-QDA allows braces and either case; we store the bare lower-case form."""
    return guid.strip().strip("{}").lower()


def normalize_color(color: str) -> str:
    """#RGB → #RRGGBB, upper case, as REFI-QDA readers expect."""
    color = color.strip()
    if len(color) == 4:
        color = "#" + "".join(ch * 2 for ch in color[1:])
    return color.upper()


class _Reader:
    """Walks a composed YAML node tree, collecting errors and warnings with line numbers."""

    def __init__(self, source: str):
        self.source = source
        self.errors: list[str] = []
        self.warnings: list[str] = []
        self.guids: dict[str, str] = {}

    def _at(self, node: Node) -> str:
        return f"{self.source}:{node.start_mark.line + 1}"

    def error(self, node: Node, where: str, message: str) -> None:
        self.errors.append(f"{self._at(node)}: {where}{message}")

    def warn(self, node: Node, where: str, message: str) -> None:
        self.warnings.append(f"{self._at(node)}: {where}{message}")

    def string(self, node: Node, where: str, key: str) -> str:
        if isinstance(node, ScalarNode) and node.tag != "tag:yaml.org,2002:null":
            return str(node.value).strip()
        if isinstance(node, ScalarNode):
            return ""
        self.error(node, where, f"'{key}' must be text, not a {_kind(node)}")
        return ""

    def strings(self, node: Node, where: str, key: str) -> list[str]:
        if isinstance(node, ScalarNode) and node.tag == "tag:yaml.org,2002:null":
            return []
        if not isinstance(node, SequenceNode):
            self.error(node, where, f"'{key}' must be a list, not a {_kind(node)}")
            return []
        values = [self.string(item, where, f"{key} item") for item in node.value]
        return [v for v in values if v]

    def flag(self, node: Node, where: str, key: str) -> bool | None:
        """true/false as YAML spells them; an empty value means "not said", like leaving the key out."""
        if isinstance(node, ScalarNode) and node.tag == "tag:yaml.org,2002:null":
            return None
        if isinstance(node, ScalarNode) and node.tag == "tag:yaml.org,2002:bool":
            return yaml.SafeLoader.bool_values[node.value.lower()]
        shown = f"'{node.value}'" if isinstance(node, ScalarNode) else f"a {_kind(node)}"
        self.error(node, where, f"'{key}' must be true or false, not {shown}")
        return None

    def mapping(self, node: Node, where: str, allowed: tuple[str, ...], what: str) -> dict[str, Node]:
        if not isinstance(node, MappingNode):
            self.error(node, where, f"{what} must be a mapping of keys, not a {_kind(node)}")
            return {}
        result: dict[str, Node] = {}
        for key_node, value in node.value:
            key = str(key_node.value)
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else f" (allowed: {', '.join(allowed)})"
                self.error(key_node, where, f"unknown key '{key}'{hint}")
            elif key in result:
                self.error(key_node, where, f"key '{key}' appears twice")
            else:
                result[key] = value
        return result

    def codes(self, node: Node, parent: str) -> list[CodeSpec]:
        where = f'code "{parent}": ' if parent else ""
        if isinstance(node, ScalarNode) and node.tag == "tag:yaml.org,2002:null":
            return []
        if not isinstance(node, SequenceNode):
            self.error(node, where, f"'{'children' if parent else 'codes'}' must be a list, not a {_kind(node)}")
            return []
        seen: dict[str, int] = {}
        codes = []
        for item in node.value:
            code = self.code(item, parent)
            if code is None:
                continue
            folded = code.name.casefold()
            if folded in seen:
                self.error(item, where, f'duplicate code name "{code.name}" among siblings (first at line {seen[folded]})')
            else:
                seen[folded] = item.start_mark.line + 1
            codes.append(code)
        return codes

    def code(self, node: Node, parent: str) -> CodeSpec | None:
        name_node = _value_of(node, "name")
        name = self.string(name_node, "", "name") if name_node is not None else ""
        path = f"{parent}{PATH_SEPARATOR}{name}" if parent else name
        where = f'code "{path}": ' if name else (f'code under "{parent}": ' if parent else "code: ")
        fields = self.mapping(node, where, CODE_KEYS, "a code")
        if not isinstance(node, MappingNode):
            return None
        if not name:
            self.error(node, where, "empty or missing name")
            return None
        if PATH_SEPARATOR in name:
            self.error(fields["name"], where, f"a name may not contain '{PATH_SEPARATOR}' (it separates levels)")
        code = CodeSpec(name=name, line=node.start_mark.line + 1)
        for key in ("definition", "include", "exclude"):
            if key in fields:
                setattr(code, key, self.string(fields[key], where, key))
        for key in ("examples", "counter_examples", "tags"):
            if key in fields:
                setattr(code, key, self.strings(fields[key], where, key))
        if "color" in fields:
            color = self.string(fields["color"], where, "color")
            if color and not COLOR_PATTERN.match(color):
                self.error(fields["color"], where, f"bad colour '{color}' (use #RRGGBB or #RGB)")
            elif color:
                code.color = normalize_color(color)
        if "guid" in fields:
            code.guid = self.guid(fields["guid"], where)
        if "translations" in fields:
            code.translations = self.translations(fields["translations"], where)
        if not code.definition:
            self.warn(node, where, "missing definition")
        if not code.examples:
            self.warn(node, where, "no examples")
        if "children" in fields:
            code.children = self.codes(fields["children"], path)
        if "exclusive" in fields:
            code.exclusive = self.flag(fields["exclusive"], where, "exclusive")
            if code.exclusive is not None and not code.children:
                self.warn(fields["exclusive"], where, "'exclusive' has no effect on a code without children")
        return code

    def guid(self, node: Node, where: str) -> str | None:
        raw = self.string(node, where, "guid")
        if not GUID_PATTERN.match(raw):
            self.error(node, where, f"bad guid '{raw}' (expected a UUID such as 1b4e28ba-2fa1-11d2-883f-0016d3cca427)")
            return None
        guid = normalize_guid(raw)
        path = where.removeprefix('code "').removesuffix('": ')
        if guid in self.guids:
            self.error(node, where, f"guid {guid} is also used by code \"{self.guids[guid]}\"")
        self.guids[guid] = path
        return guid

    def translations(self, node: Node, where: str) -> dict[str, dict[str, str]]:
        result = {}
        languages = self.mapping(node, where, tuple(_language_keys(node)), "'translations'")
        for lang, value in languages.items():
            if isinstance(value, ScalarNode):
                result[lang] = {"name": self.string(value, where, f"translations.{lang}")}
            else:
                parts = self.mapping(value, where, TRANSLATION_KEYS, f"'translations.{lang}'")
                result[lang] = {k: self.string(v, where, f"translations.{lang}.{k}") for k, v in parts.items()}
        return result


def _language_keys(node: Node) -> list[str]:
    """Any two- or three-letter language code is a valid translations key."""
    if not isinstance(node, MappingNode):
        return []
    return [str(k.value) for k, _ in node.value if re.fullmatch(r"[a-z]{2,3}(-[A-Za-z]{2,4})?", str(k.value))]


def _value_of(node: Node, key: str) -> Node | None:
    if isinstance(node, MappingNode):
        return next((value for k, value in node.value if str(k.value) == key), None)
    return None


def _kind(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "mapping"
    if isinstance(node, SequenceNode):
        return "list"
    return "scalar"


def parse_yaml(text: str, source: str = "<codebook>") -> tuple[Codebook, list[str]]:
    """Codebook and warnings from YAML text; CodebookError lists every error."""
    try:
        root = safe_yaml.compose(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise CodebookError([f"{source}{line}: not valid YAML: {problem}"]) from None
    if root is None:
        raise CodebookError([f"{source}: the file is empty"])
    reader = _Reader(source)
    fields = reader.mapping(root, "", BOOK_KEYS, "a codebook")
    if isinstance(root, MappingNode) and "codes" not in fields:
        reader.error(root, "", "not a codebook: no 'codes' list")
    book = Codebook()
    if "name" in fields:
        book.name = reader.string(fields["name"], "", "name")
    if "description" in fields:
        book.description = reader.string(fields["description"], "", "description")
    if "languages" in fields:
        book.languages = reader.strings(fields["languages"], "", "languages")
    if "exclusive" in fields:
        book.exclusive = reader.flag(fields["exclusive"], "", "exclusive")
    if "codes" in fields:
        book.codes = reader.codes(fields["codes"], "")
        if not book.codes and not reader.errors:
            reader.error(fields["codes"], "", "the codebook has no codes")
    if reader.errors:
        raise CodebookError(reader.errors)
    return book, reader.warnings


def _code_to_dict(code: CodeSpec) -> dict:
    data: dict = {"name": code.name}
    if code.guid:
        data["guid"] = code.guid
    for key in ("definition", "include", "exclude"):
        if getattr(code, key):
            data[key] = getattr(code, key)
    for key in ("examples", "counter_examples", "tags"):
        if getattr(code, key):
            data[key] = list(getattr(code, key))
    if code.color:
        data["color"] = code.color
    if code.translations:
        data["translations"] = {lang: dict(value) for lang, value in code.translations.items()}
    if code.exclusive is not None:
        data["exclusive"] = code.exclusive
    if code.children:
        data["children"] = [_code_to_dict(child) for child in code.children]
    return data


class _Dumper(yaml.SafeDumper):
    """Multi-line text as literal blocks, so a definition reads in YAML as it was written."""


_Dumper.add_representer(str, lambda dumper, value: dumper.represent_scalar(
    "tag:yaml.org,2002:str", value, style="|" if "\n" in value else None))


def to_yaml(book: Codebook) -> str:
    """The YAML form that parse_yaml reads back to the same codebook."""
    data: dict = {"name": book.name}
    if book.description:
        data["description"] = book.description
    if book.languages:
        data["languages"] = list(book.languages)
    if book.exclusive is not None:
        data["exclusive"] = book.exclusive
    data["codes"] = [_code_to_dict(code) for code in book.codes]
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)


def fields_from_form(definition: str, include: str, exclude: str, examples: str, counter_examples: str,
                     color: str | None, tags: str) -> dict:
    """Code fields as a person types them: one example per line, tags separated by commas, a #RRGGBB colour."""
    def lines(text: str) -> list[str]:
        return [line.strip() for line in text.splitlines() if line.strip()]
    if color and not COLOR_PATTERN.match(color.strip()):
        raise CodebookError([f"'{color}' is not a colour (use #RRGGBB)"])
    return {"definition": definition.strip(), "include": include.strip(), "exclude": exclude.strip(),
            "examples": lines(examples), "counter_examples": lines(counter_examples),
            "color": normalize_color(color) if color else None,
            "tags": list(dict.fromkeys(t.strip() for t in tags.split(",") if t.strip()))}
