"""The codebook as a REFI-QDA `.qdc` file, the exchange format of NVivo, ATLAS.ti, MAXQDA and QualCoder.

The schema gives a code only a name, a colour and one free-text Description,
so the definition, include/exclude rules, examples and translations travel
inside that Description as labelled plain text that other tools show as is
and that `parse_qdc` reads back; so does a declared `exclusive` ("Exclusive: yes/no",
absent when not said). Tags travel as Sets. The codebook's own name,
description, languages and `exclusive` have no place in the schema; they ride in a
`<?qualcode-codebook {json}?>` processing instruction, which validators and
other tools ignore.

The reader is lenient about what other tools write (no namespace, empty
`<Sets/>`, `#RGB` colours, braced upper-case GUIDs) but strict about what
would corrupt the code tree (missing names or GUIDs, duplicates).
"""

from __future__ import annotations

import json
import re
import uuid

from lxml import etree

from qualcode.common import untrusted_xml
from qualcode.codebook import (COLOR_PATTERN, GUID_PATTERN, PATH_SEPARATOR, Codebook, CodebookError, CodeSpec, normalize_color,
                               normalize_guid)
from qualcode.refi.xml_helpers import child_elements, local_name, syntax_problem, validate

NAMESPACE = "urn:QDA-XML:codebook:1.0"
ORIGIN = "QualCode"
META_PI = "qualcode-codebook"
# Fixed so that generated GUIDs (tag sets, codes without a guid) are the same on every export.
GUID_NAMESPACE = uuid.UUID("02dd2708-c5a1-4b06-a34e-2070670e5b10")
INDENT = "  "
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
# "Exclusive" is ours only with yes/no, so a foreign "Exclusive: …" line stays in the definition.
_FIELD_LINE = re.compile(r"(Include|Exclude|Exclusive(?=: (?:yes|no)$)|Translation [a-z]{2,3}(?:-[A-Za-z]{2,4})?)"
                         r":(?: (.*))?")
_FLAG_TEXT = {True: "yes", False: "no"}
_LIST_LINE = re.compile(r"(Examples|Counter-examples):")
_LIST_FIELDS = {"Examples": "examples", "Counter-examples": "counter_examples"}
_TRANSLATION_DASH = " — "


# ---------------------------------------------------------------- writing

def _labelled(label: str, value: str) -> str:
    """`Label: first line` with further lines indented, so they cannot pass for a new label."""
    first, *rest = value.split("\n")
    return "\n".join([f"{label} {first}" if first else label] + [INDENT + line for line in rest])


def _translation_text(translation: dict[str, str]) -> str:
    name, definition = translation.get("name", ""), translation.get("definition", "")
    if definition:
        return f"{name}{_TRANSLATION_DASH}{definition}" if name else f"— {definition}"
    return name


def describe(code: CodeSpec) -> str:
    """The Description text: the definition, a blank line, then the labelled sections."""
    lines = [_labelled(f"{label}:", value) for label, value in (("Include", code.include), ("Exclude", code.exclude))
             if value]
    if code.exclusive is not None:
        lines.append(f"Exclusive: {_FLAG_TEXT[code.exclusive]}")
    for label, items in (("Examples", code.examples), ("Counter-examples", code.counter_examples)):
        if items:
            lines += [f"{label}:"] + [_labelled("-", f'"{item}"') for item in items]
    lines += [_labelled(f"Translation {lang}:", _translation_text(value)) for lang, value in code.translations.items()]
    return "\n\n".join(part for part in (code.definition, "\n".join(lines)) if part)


def _code_guid(code: CodeSpec, path: str) -> str:
    return code.guid or str(uuid.uuid5(GUID_NAMESPACE, f"code:{path}"))


def _set_guid(tag: str) -> str:
    return str(uuid.uuid5(GUID_NAMESPACE, f"set:{tag}"))


def _tag_order(book: Codebook) -> list[str]:
    """Tags in an order that keeps every code's own tag order, so reading Sets back restores it.

    Codes that disagree (one says a, b; another b, a) cannot both be honoured;
    then first appearance decides.
    """
    first_seen: list[str] = []
    before: dict[str, set[str]] = {}
    for _, code in book.walk():
        for i, tag in enumerate(code.tags):
            if tag not in before:
                first_seen.append(tag)
                before[tag] = set()
            before[tag].update(t for t in code.tags[:i] if t != tag)
    order: list[str] = []
    while first_seen:
        ready = next((t for t in first_seen if before[t] <= set(order)), first_seen[0])
        order.append(ready)
        first_seen.remove(ready)
    return order


def _element(parent: etree._Element, tag: str, **attrs: str) -> etree._Element:
    return etree.SubElement(parent, f"{{{NAMESPACE}}}{tag}", attrs)


def _write_code(parent: etree._Element, code: CodeSpec, path: str) -> None:
    attrs = {"guid": _code_guid(code, path), "name": code.name, "isCodable": "true"}
    if code.color:
        attrs["color"] = normalize_color(code.color)
    element = _element(parent, "Code", **attrs)
    text = describe(code)
    if text:
        _element(element, "Description").text = text
    for child in code.children:
        _write_code(element, child, f"{path}{PATH_SEPARATOR}{child.name}")


def _meta_json(book: Codebook) -> str:
    """The book's own fields as JSON with '>' escaped, since '?>' would end the instruction."""
    meta = {key: value for key, value in (("name", book.name), ("description", book.description),
                                          ("languages", list(book.languages))) if value}
    if book.exclusive is not None:
        meta["exclusive"] = book.exclusive
    return json.dumps(meta, ensure_ascii=False).replace(">", "\\u003e") if meta else ""


def to_qdc(book: Codebook) -> bytes:
    """A schema-valid, pretty-printed UTF-8 .qdc; the same codebook always gives the same bytes."""
    root = etree.Element(f"{{{NAMESPACE}}}CodeBook", {"origin": ORIGIN}, nsmap={None: NAMESPACE})
    meta = _meta_json(book)
    if meta:
        root.addprevious(etree.ProcessingInstruction(META_PI, meta))
    codes = _element(root, "Codes")
    for code in book.codes:
        _write_code(codes, code, code.name)
    tags = _tag_order(book)
    if tags:
        sets = _element(root, "Sets")
        for tag in tags:
            member_set = _element(sets, "Set", guid=_set_guid(tag), name=tag)
            for path, code in book.walk():
                if tag in code.tags:
                    _element(member_set, "MemberCode", guid=_code_guid(code, path))
    return XML_DECLARATION + etree.tostring(root.getroottree(), encoding="UTF-8", pretty_print=True)


# ---------------------------------------------------------------- reading

def _text(element: etree._Element) -> str:
    """Character data only: comments, processing instructions and unexpanded entities are skipped."""
    parts = [element.text or ""]
    for child in element:
        if isinstance(child.tag, str):
            parts.append(_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _entries(lines: list[str]) -> list[tuple[str, list[str]]] | None:
    """Labelled lines → (label, value lines); None when a line fits our layout nowhere."""
    entries: list[tuple[str, list[str]]] = []
    list_label = None
    for line in lines:
        if line.startswith(INDENT) or not line.strip():
            if not entries:
                return None
            entries[-1][1].append(line[len(INDENT):])
        elif match := _FIELD_LINE.fullmatch(line):
            entries.append((match[1], [match[2] or ""]))
            list_label = None
        elif match := _LIST_LINE.fullmatch(line):
            list_label = match[1]
        elif list_label and line.startswith("- "):
            entries.append((list_label, [line[2:]]))
        else:
            return None
    return entries


def _unquote(item: str) -> str:
    return item[1:-1].strip() if len(item) >= 2 and item[0] == item[-1] == '"' else item


def _parse_translation(text: str) -> dict[str, str]:
    if text.startswith("—"):
        name, definition = "", text[1:].strip()
    else:
        name, _, definition = text.partition(_TRANSLATION_DASH)
    return {key: value.strip() for key, value in (("name", name), ("definition", definition)) if value.strip()}


def read_description(text: str) -> dict:
    """Definition and the labelled sections of our layout; a foreign description is all definition."""
    lines = text.strip().split("\n")
    starts = [i for i, line in enumerate(lines) if (i == 0 or not lines[i - 1].strip())
              and (_FIELD_LINE.fullmatch(line) or _LIST_LINE.fullmatch(line))]
    entries = _entries(lines[starts[-1]:]) if starts else None
    if entries is None:
        return {"definition": text.strip()}
    fields: dict = {"definition": "\n".join(lines[:starts[-1]]).strip(), "examples": [], "counter_examples": [],
                    "translations": {}}
    for label, value_lines in entries:
        value = "\n".join(value_lines).strip()
        if label in _LIST_FIELDS:
            if _unquote(value):
                fields[_LIST_FIELDS[label]].append(_unquote(value))
        elif label == "Exclusive":
            fields["exclusive"] = value == _FLAG_TEXT[True]
        elif label.startswith("Translation "):
            fields["translations"][label.removeprefix("Translation ")] = _parse_translation(value)
        else:
            fields[label.lower()] = value
    return fields


class _Reader:
    """Builds CodeSpecs from Code elements, collecting every problem with its line."""

    def __init__(self, source: str):
        self.source = source
        self.errors: list[str] = []
        self.by_guid: dict[str, tuple[str, CodeSpec]] = {}

    def error(self, element: etree._Element, where: str, message: str) -> None:
        self.errors.append(f"{self.source}:{element.sourceline}: {where}{message}")

    def codes(self, parent: etree._Element, parent_path: str) -> list[CodeSpec]:
        where = f'code "{parent_path}": ' if parent_path else ""
        seen: dict[str, int] = {}
        codes = []
        for element in child_elements(parent, "Code"):
            code = self.code(element, parent_path)
            if code is None:
                continue
            folded = code.name.casefold()
            if folded in seen:
                self.error(element, where, f'duplicate code name "{code.name}" among siblings '
                                           f'(first at line {seen[folded]})')
            else:
                seen[folded] = element.sourceline
            codes.append(code)
        return codes

    def code(self, element: etree._Element, parent_path: str) -> CodeSpec | None:
        name = (element.get("name") or "").strip()
        if not name:
            self.error(element, f'code under "{parent_path}": ' if parent_path else "code: ", "empty or missing name")
            return None
        path = f"{parent_path}{PATH_SEPARATOR}{name}" if parent_path else name
        where = f'code "{path}": '
        if PATH_SEPARATOR in name:
            self.error(element, where, f"a name may not contain '{PATH_SEPARATOR}' (it separates levels)")
        code = CodeSpec(name=name, line=element.sourceline)
        code.guid = self.guid(element, where, path, code)
        color = (element.get("color") or "").strip()
        if color and not COLOR_PATTERN.match(color):
            self.error(element, where, f"bad colour '{color}' (use #RRGGBB or #RGB)")
        elif color:
            code.color = normalize_color(color)
        descriptions = child_elements(element, "Description")
        if descriptions:
            for key, value in read_description(_text(descriptions[0])).items():
                setattr(code, key, value)
        code.children = self.codes(element, path)
        return code

    def guid(self, element: etree._Element, where: str, path: str, code: CodeSpec) -> str | None:
        raw = (element.get("guid") or "").strip()
        if not raw:
            self.error(element, where, "missing guid")
            return None
        if not GUID_PATTERN.match(raw):
            self.error(element, where, f"bad guid '{raw}' (expected a UUID such as 1b4e28ba-2fa1-11d2-883f-0016d3cca427)")
            return None
        guid = normalize_guid(raw)
        if guid in self.by_guid:
            self.error(element, where, f'guid {guid} is also used by code "{self.by_guid[guid][0]}"')
        else:
            self.by_guid[guid] = (path, code)
        return guid

    def tags(self, root: etree._Element) -> None:
        """Each Set's name becomes a tag on its member codes; unknown members are ignored."""
        for member_set in (s for sets in child_elements(root, "Sets") for s in child_elements(sets, "Set")):
            tag = (member_set.get("name") or "").strip()
            for member in child_elements(member_set, "MemberCode") if tag else []:
                _, code = self.by_guid.get(normalize_guid(member.get("guid") or ""), (None, None))
                if code is not None and tag not in code.tags:
                    code.tags.append(tag)


def _load_xml(data: bytes, source: str) -> etree._Element:
    try:
        return untrusted_xml.parse(data)
    except etree.XMLSyntaxError as err:
        raise CodebookError([f"{source}:{err.lineno}: not XML: {syntax_problem(err)}"]) from None
    except untrusted_xml.DeclaresDTD:
        raise CodebookError([f"{source} {untrusted_xml.REFUSED}"]) from None


def _read_meta(root: etree._Element, book: Codebook) -> None:
    """The book's own fields from our processing instruction; anything malformed is skipped."""
    for node in root.itersiblings(preceding=True):
        if node.tag is etree.ProcessingInstruction and node.target == META_PI:
            try:
                meta = json.loads(node.text or "")
            except ValueError:
                return
            if not isinstance(meta, dict):
                return
            book.name = meta["name"] if isinstance(meta.get("name"), str) else ""
            book.description = meta["description"] if isinstance(meta.get("description"), str) else ""
            languages = meta.get("languages")
            book.languages = [x for x in languages if isinstance(x, str)] if isinstance(languages, list) else []
            book.exclusive = meta["exclusive"] if isinstance(meta.get("exclusive"), bool) else None


def parse_qdc(data: bytes, source: str) -> Codebook:
    """A Codebook from .qdc bytes of any tool; CodebookError lists every problem, each naming `source`."""
    root = _load_xml(data, source)
    if local_name(root) != "CodeBook":
        hint = " (a REFI-QDA project file, not a codebook)" if local_name(root) == "Project" else ""
        raise CodebookError([f"{source}: not a REFI-QDA codebook: the root element is <{local_name(root)}>, "
                             f"expected <CodeBook>{hint}"])
    book = Codebook()
    _read_meta(root, book)
    reader = _Reader(source)
    containers = child_elements(root, "Codes")
    for container in containers:
        book.codes += reader.codes(container, "")
    if not book.codes and not reader.errors:
        reader.error(containers[0] if containers else root, "", "the codebook has no codes")
    reader.tags(root)
    if reader.errors:
        raise CodebookError(reader.errors)
    return book


# ---------------------------------------------------------------- validation

def validate_qdc(data: bytes) -> list[str]:
    """Schema errors as 'line N: message'; empty when the file is a valid REFI-QDA codebook."""
    return validate(data, "Codebook.xsd")
