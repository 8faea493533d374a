"""The YAML codebook: the minimal form loads, full fields round-trip, every mistake is reported."""

from __future__ import annotations

import textwrap

import pytest

from qualcode.codebook import CodebookError, parse_yaml, to_yaml

MINIMAL = """\
name: Client talk
codes:
  - name: change
    definition: The client speaks in favour of changing …
    examples: ["I really want to cut down."]
    children: []
"""

FULL = """\
name: Мемлекеттік қызметтер
description: Public services, three levels
languages: [ru, kk, en]
codes:
  - name: Доступ
    definition: Как граждане получают услуги
    color: "#1F77B4"
    tags: ["pest: political"]
    children:
      - name: Очереди
        definition: Ожидание в ЦОН
        include: Любое упоминание времени ожидания
        exclude: Скорость портала — см. Скорость
        examples: ["Кезек үлкен болды, екі сағат күттім.", "Стояла в очереди 3 часа."]
        counter_examples: ["Портал грузился долго."]
        tags: ["swot: weakness", queue]
        translations:
          kk: {name: Кезек, definition: ХҚКО-дағы күту}
          en: {name: Queues}
        children:
          - name: Электронная очередь
            definition: Бронирование времени онлайн
            examples: ["Записалась через eGov.", "Онлайн кезекке жазылдым."]
"""


def test_minimal_form_loads_without_warnings():
    book, warnings = parse_yaml(MINIMAL, "client.yaml")
    assert book.name == "Client talk"
    assert [(path, code.definition, code.examples) for path, code in book.walk()] == [
        ("change", "The client speaks in favour of changing …", ["I really want to cut down."])]
    assert warnings == []


def test_full_form_fields_and_paths():
    book, warnings = parse_yaml(FULL, "ps.yaml")
    paths = [path for path, _ in book.walk()]
    assert paths == ["Доступ", "Доступ/Очереди", "Доступ/Очереди/Электронная очередь"]
    queues = book.codes[0].children[0]
    assert queues.tags == ["swot: weakness", "queue"]
    assert queues.translations == {"kk": {"name": "Кезек", "definition": "ХҚКО-дағы күту"}, "en": {"name": "Queues"}}
    assert queues.counter_examples == ["Портал грузился долго."]
    assert book.codes[0].color == "#1F77B4"
    assert warnings == ['ps.yaml:5: code "Доступ": no examples']


def test_yaml_round_trip_keeps_everything():
    book, _ = parse_yaml(FULL, "ps.yaml")
    again, _ = parse_yaml(to_yaml(book), "again.yaml")
    strip = lambda b: [(p, {k: v for k, v in c.__dict__.items() if k not in ("line", "children")})  # noqa: E731
                       for p, c in b.walk()]
    assert strip(again) == strip(book)
    assert (again.name, again.description, again.languages) == (book.name, book.description, book.languages)


MALFORMED = [
    ("codes:\n  - name: a\n    defintion: x\n",
     ["bad.yaml:3: code \"a\": unknown key 'defintion' (did you mean 'definition'?)"]),
    ("codes:\n  - name: Waiting\n  - name: waiting\n",
     ['bad.yaml:3: duplicate code name "waiting" among siblings (first at line 2)']),
    ("codes:\n  - name: Access\n    children:\n      - name: ''\n        definition: x\n",
     ['bad.yaml:4: code under "Access": empty or missing name']),
    ("codes:\n  - name: a\n    examples: just one string\n",
     ["bad.yaml:3: code \"a\": 'examples' must be a list, not a scalar"]),
    ("codes:\n  - name: a\n    color: blue\n",
     ["bad.yaml:3: code \"a\": bad colour 'blue' (use #RRGGBB or #RGB)"]),
    ("codes:\n  - &loop\n    name: a\n    children:\n      - *loop\n",
     ['bad.yaml:2: not valid YAML: anchors and aliases (& and *) are not allowed']),
    ("codes: [\n  - name: a\n", None),  # not YAML: message checked separately
    ("name: just a title\ndescription: nothing else\n", ["bad.yaml:1: not a codebook: no 'codes' list"]),
    ("- a\n- b\n", ["bad.yaml:1: a codebook must be a mapping of keys, not a list"]),
    ("codes:\n  - name: a/b\n    definition: x\n",
     ["bad.yaml:2: code \"a/b\": a name may not contain '/' (it separates levels)"]),
    ("codes:\n  - name: a\n    guid: not-a-guid\n",
     ["bad.yaml:3: code \"a\": bad guid 'not-a-guid' (expected a UUID such as 1b4e28ba-2fa1-11d2-883f-0016d3cca427)"]),
    ("codes:\n  - name: a\n    definition: [x]\n    tags: {x: 1}\n",
     ["bad.yaml:3: code \"a\": 'definition' must be text, not a list",
      "bad.yaml:4: code \"a\": 'tags' must be a list, not a mapping"]),
    ("codes: []\n", ["bad.yaml:1: the codebook has no codes"]),
    ("", ["bad.yaml: the file is empty"]),
]


@pytest.mark.parametrize("text,errors", MALFORMED)
def test_malformed_codebooks_get_exact_messages(text, errors):
    with pytest.raises(CodebookError) as caught:
        parse_yaml(text, "bad.yaml")
    if errors is None:
        assert len(caught.value.errors) == 1
        assert caught.value.errors[0].startswith("bad.yaml:2: not valid YAML: ")
    else:
        assert caught.value.errors == errors


def test_all_errors_are_reported_at_once():
    text = textwrap.dedent("""\
        codes:
          - name: a
            defintion: x
          - name: b
            color: nope
          - name: a
        """)
    with pytest.raises(CodebookError) as caught:
        parse_yaml(text, "many.yaml")
    assert len(caught.value.errors) == 3
    assert [e.split(":")[1] for e in caught.value.errors] == ["3", "5", "6"]
