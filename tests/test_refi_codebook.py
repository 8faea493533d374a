"""REFI-QDA .qdc: our export is schema-valid and reads back unchanged; other tools' files load; bad files are named."""

from __future__ import annotations

import copy
import uuid

import pytest

from qualcode.codebook import Codebook, CodebookError, CodeSpec, parse_yaml, to_yaml
from qualcode.refi.qdc import (GUID_NAMESPACE, describe, parse_qdc, read_description, to_qdc,
                                          validate_qdc)

BOOK = """\
name: Мемлекеттік қызметтер — әңгіме
description: |-
  Public services in Almaty and Shymkent.
  Three levels, two languages.
languages: [ru, kk, en]
codes:
  - name: Қолжетімділік
    guid: 6f1c2a9e-0b7d-4c1e-9a53-2f8e4d7b1a01
    definition: Как граждане получают услуги (ә ғ қ ң ө ұ ү һ і)
    color: "#1F77B4"
    tags: ["pest: political", queue]
    children:
      - name: Кезек
        guid: 6f1c2a9e-0b7d-4c1e-9a53-2f8e4d7b1a02
        definition: |-
          Ожидание в ЦОН.

          Include: this line belongs to the definition, not to the rules.
        include: |-
          Любое упоминание времени ожидания;
          also waiting on the phone
        exclude: Скорость портала — см. Жылдамдық
        examples:
          - Кезек үлкен болды, екі сағат күттім.
          - 'Она сказала: "очередь до двери".'
          - |-
            Бір жол.

            Екінші жол.
        counter_examples: ["Портал грузился долго."]
        color: "#FF7F0E"
        tags: ["swot: weakness", queue]
        translations:
          kk: {name: Кезек, definition: ХҚКО-дағы күту}
          en: {name: Queues}
          ru: {definition: Ожидание в очереди}
        children:
          - name: Электрондық кезек
            guid: 6f1c2a9e-0b7d-4c1e-9a53-2f8e4d7b1a03
            definition: Онлайн запись (һ, і, ұ, ү)
            examples: ["Онлайн кезекке жазылдым."]
            tags: [queue]
      - name: Жылдамдық
        guid: 6f1c2a9e-0b7d-4c1e-9a53-2f8e4d7b1a04
        definition: Скорость портала eGov
        tags: [queue]
  - name: Сенім
    guid: 6f1c2a9e-0b7d-4c1e-9a53-2f8e4d7b1a05
    color: "#2CA02C"
"""


def _book() -> Codebook:
    book, _ = parse_yaml(BOOK, "ps.yaml")
    return book


def _without_lines(book: Codebook) -> Codebook:
    """YAML and XML line numbers differ; everything else must match."""
    book = copy.deepcopy(book)
    for _, code in book.walk():
        code.line = None
    return book


def _codebook_xml(body: str, root: str = '<CodeBook xmlns="urn:QDA-XML:codebook:1.0">') -> bytes:
    """A .qdc whose line 3 is the first line of `body`."""
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{root}\n{body}\n</CodeBook>\n'.encode()


def _errors(data: bytes, source: str = "in.qdc") -> list[str]:
    with pytest.raises(CodebookError) as caught:
        parse_qdc(data, source)
    return caught.value.errors


def test_export_is_schema_valid():
    assert validate_qdc(to_qdc(_book())) == []


def test_export_reads_back_field_by_field():
    book = _book()
    back = parse_qdc(to_qdc(book), "ps.qdc")
    assert (back.name, back.description, back.languages) == (book.name, book.description, book.languages)
    assert [path for path, _ in back.walk()] == [
        "Қолжетімділік", "Қолжетімділік/Кезек", "Қолжетімділік/Кезек/Электрондық кезек",
        "Қолжетімділік/Жылдамдық", "Сенім"]
    for (_, old), (_, new) in zip(book.walk(), back.walk(), strict=True):
        for key in ("name", "guid", "definition", "include", "exclude", "examples", "counter_examples", "color",
                    "tags", "translations"):
            assert getattr(new, key) == getattr(old, key), (old.name, key)
    queue = back.codes[0].children[0]
    assert queue.translations == {"kk": {"name": "Кезек", "definition": "ХҚКО-дағы күту"},
                                  "en": {"name": "Queues"}, "ru": {"definition": "Ожидание в очереди"}}
    assert queue.tags == ["swot: weakness", "queue"]
    assert _without_lines(back) == _without_lines(book)


def test_tag_order_survives_when_codes_agree():
    # First appearance alone would put "queue" before "swot" and reorder the second code's tags.
    book = Codebook(codes=[CodeSpec(name="a", tags=["pest", "queue"]), CodeSpec(name="b", tags=["swot", "queue"]),
                           CodeSpec(name="c", tags=["queue", "pest"])])
    back = parse_qdc(to_qdc(book), "x.qdc")
    # "c" contradicts "a" (a cycle), so one of them cannot keep its order; first appearance wins.
    assert [code.tags for code in back.codes] == [["pest", "queue"], ["swot", "queue"], ["pest", "queue"]]


def test_export_is_deterministic_and_readable():
    data = to_qdc(_book())
    assert data == to_qdc(_book())
    text = data.decode("utf-8")
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    assert '<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="QualCode">' in text
    assert "\n  <Codes>\n    <Code " in text
    assert '<Set guid="{}" name="swot: weakness">'.format(uuid.uuid5(GUID_NAMESPACE, "set:swot: weakness")) in text
    assert "<Sets/>" not in to_qdc(Codebook(codes=[CodeSpec(name="a")])).decode()


def test_description_layout_is_plain_labelled_text():
    code = _book().codes[0].children[0]
    assert describe(code) == (
        "Ожидание в ЦОН.\n\nInclude: this line belongs to the definition, not to the rules.\n\n"
        "Include: Любое упоминание времени ожидания;\n  also waiting on the phone\n"
        "Exclude: Скорость портала — см. Жылдамдық\n"
        "Examples:\n"
        '- "Кезек үлкен болды, екі сағат күттім."\n'
        '- "Она сказала: "очередь до двери"."\n'
        '- "Бір жол.\n  \n  Екінші жол."\n'
        "Counter-examples:\n"
        '- "Портал грузился долго."\n'
        "Translation kk: Кезек — ХҚКО-дағы күту\n"
        "Translation en: Queues\n"
        "Translation ru: — Ожидание в очереди")
    assert describe(CodeSpec(name="a")) == ""
    assert "<Description" not in to_qdc(Codebook(codes=[CodeSpec(name="a")])).decode()


def test_foreign_description_is_all_definition():
    text = "Use for talk about queues.\n\nInclude: waiting\nsee also the memo of 3 May"
    assert read_description(text) == {"definition": text}
    assert read_description("  Just a note.  ") == {"definition": "Just a note."}


def test_codes_without_guid_get_stable_guids():
    book = Codebook(codes=[CodeSpec(name="Access", tags=["t"], children=[CodeSpec(name="Queues")])])
    data = to_qdc(book)
    assert data == to_qdc(copy.deepcopy(book))
    back = parse_qdc(data, "x.qdc")
    assert back.codes[0].children[0].guid == str(uuid.uuid5(GUID_NAMESPACE, "code:Access/Queues"))
    assert back.codes[0].tags == ["t"]


def test_yaml_route_round_trips_through_qdc():
    original, _ = parse_yaml(BOOK, "ps.yaml")
    via_qdc = parse_qdc(to_qdc(original), "ps.qdc")
    again, _ = parse_yaml(to_yaml(via_qdc), "again.yaml")
    assert _without_lines(again) == _without_lines(original)


TAGUETTE = """\
<?xml version='1.0' encoding='utf-8'?>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="Taguette 1.4.1">
  <Codes>
    <Code guid="{0A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D}" name="interesting" isCodable="true" color="#abc">
      <Description>Further review required</Description>
    </Code>
    <Code guid="{0A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4E}" name="people" isCodable="true" color="#F0f"/>
    <Code guid="{0A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4F}" name="Ақша" isCodable="true" color="#1f77b4">
      <Description></Description>
    </Code>
  </Codes>
  <Sets/>
</CodeBook>
"""


def test_taguette_flat_export_loads():
    book = parse_qdc(TAGUETTE.encode(), "taguette.qdc")
    assert [(c.name, c.guid, c.color, c.definition) for c in book.codes] == [
        ("interesting", "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "#AABBCC", "Further review required"),
        ("people", "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4e", "#FF00FF", ""),
        ("Ақша", "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4f", "#1F77B4", "")]
    assert book.name == "" and all(not c.tags and not c.children for c in book.codes)
    assert any("Sets" in error for error in validate_qdc(TAGUETTE.encode()))
    assert validate_qdc(to_qdc(book)) == []


NESTED = """\
<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<CodeBook origin="MAXQDA 2022">
<Codes>
<Code guid="A0000000-0000-4000-8000-000000000001" name="Health" color="#FF0000">
<Code guid="A0000000-0000-4000-8000-000000000002" name="Clinics" isCodable="true">
<Code guid="A0000000-0000-4000-8000-000000000003" name="Waiting rooms" isCodable="false"/>
</Code>
<Code guid="A0000000-0000-4000-8000-000000000004" name="Pharmacies" isCodable="true">
<Description>Buying medicine.

Examples: none yet</Description>
</Code>
</Code>
</Codes>
<Sets>
<Set guid="B0000000-0000-4000-8000-000000000001" name="priority">
<Description>High priority</Description>
<MemberCode guid="{a0000000-0000-4000-8000-000000000003}"/>
<MemberCode guid="A0000000-0000-4000-8000-0000000000FF"/>
</Set>
</Sets>
</CodeBook>
"""


def test_nested_export_without_namespace_or_descriptions_loads():
    book = parse_qdc(NESTED.encode(), "maxqda.qdc")
    assert [path for path, _ in book.walk()] == [
        "Health", "Health/Clinics", "Health/Clinics/Waiting rooms", "Health/Pharmacies"]
    paths = dict(book.walk())
    assert paths["Health"].color == "#FF0000" and paths["Health/Clinics"].color is None
    assert paths["Health/Clinics/Waiting rooms"].tags == ["priority"]
    assert paths["Health/Pharmacies"].definition == "Buying medicine.\n\nExamples: none yet"
    assert paths["Health/Pharmacies"].examples == []
    assert paths["Health/Clinics"].line == 5


def test_a_dtd_is_refused_and_nothing_is_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    data = _codebook_xml(
        '<Codes><Code guid="a0000000-0000-4000-8000-000000000001" name="a" isCodable="true">'
        "<Description>x&e;y&f;</Description></Code></Codes>",
        f'<!DOCTYPE CodeBook [<!ENTITY e SYSTEM "file://{secret}"><!ENTITY f "FFF">]>\n'
        '<CodeBook xmlns="urn:QDA-XML:codebook:1.0">')
    assert _errors(data, "evil.qdc") == ["evil.qdc declares a DTD; refused"]


def test_not_xml():
    assert _errors(b"name: not a qdc\n", "book.qdc") == ["book.qdc:1: not XML: Start tag expected, '<' not found"]
    assert _errors(b"<CodeBook>\n<Codes>\n</CodeBook>", "cut.qdc") == [
        "cut.qdc:3: not XML: Opening and ending tag mismatch: Codes line 2 and CodeBook"]


def test_project_file_or_other_xml_is_not_a_codebook():
    project = b'<?xml version="1.0"?>\n<Project xmlns="urn:QDA-XML:project:1.0" name="p"><CodeBook/></Project>'
    assert _errors(project, "project.qde") == [
        "project.qde: not a REFI-QDA codebook: the root element is <Project>, expected <CodeBook> "
        "(a REFI-QDA project file, not a codebook)"]
    assert _errors(b"<html><body/></html>", "page.qdc") == [
        "page.qdc: not a REFI-QDA codebook: the root element is <html>, expected <CodeBook>"]


def test_code_without_guid_or_name():
    data = _codebook_xml('<Codes>\n<Code name="Access" isCodable="true">\n'
                         '<Code guid="a0000000-0000-4000-8000-000000000001" isCodable="true"/>\n</Code>\n</Codes>')
    assert _errors(data) == ['in.qdc:4: code "Access": missing guid',
                             'in.qdc:5: code under "Access": empty or missing name']


def test_duplicate_guid_and_sibling_names():
    data = _codebook_xml('<Codes>\n'
                         '<Code guid="a0000000-0000-4000-8000-000000000001" name="A" isCodable="true"/>\n'
                         '<Code guid="{A0000000-0000-4000-8000-000000000001}" name="B" isCodable="true"/>\n'
                         '<Code guid="a0000000-0000-4000-8000-000000000002" name="a" isCodable="true"/>\n'
                         '</Codes>')
    assert _errors(data) == [
        'in.qdc:5: code "B": guid a0000000-0000-4000-8000-000000000001 is also used by code "A"',
        'in.qdc:6: duplicate code name "a" among siblings (first at line 4)']


def test_bad_guid_bad_colour_and_slash_in_name_are_all_reported():
    data = _codebook_xml('<Codes>\n'
                         '<Code guid="not-a-guid" name="A" isCodable="true"/>\n'
                         '<Code guid="a0000000-0000-4000-8000-000000000002" name="B" isCodable="true" color="red"/>\n'
                         '<Code guid="a0000000-0000-4000-8000-000000000003" name="Yes/No" isCodable="true"/>\n'
                         '</Codes>')
    assert _errors(data) == [
        "in.qdc:4: code \"A\": bad guid 'not-a-guid' (expected a UUID such as 1b4e28ba-2fa1-11d2-883f-0016d3cca427)",
        "in.qdc:5: code \"B\": bad colour 'red' (use #RRGGBB or #RGB)",
        "in.qdc:6: code \"Yes/No\": a name may not contain '/' (it separates levels)"]


def test_no_codes():
    assert _errors(_codebook_xml("<Codes>\n</Codes>\n<Sets/>")) == ["in.qdc:3: the codebook has no codes"]
    assert _errors(_codebook_xml("<Sets/>")) == ["in.qdc:2: the codebook has no codes"]


def test_validate_reports_schema_errors():
    data = _codebook_xml('<Codes><Code guid="x" name="A"/></Codes>')
    errors = validate_qdc(data)
    assert errors and all(error.startswith("line 3: ") for error in errors)
    assert any("guid" in error for error in errors) and any("isCodable" in error for error in errors)
    assert validate_qdc(b"nope") == ["line 1: not XML: Start tag expected, '<' not found"]
