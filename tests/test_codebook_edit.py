"""Codebook edits as a person types them, uploads, and per-code usage counts."""

from __future__ import annotations

import pytest

from qualcode.codebook import CodebookError, fields_from_form, to_yaml
from qualcode.refi.codebook_files import read_codebook_bytes
from qualcode.codebook.codes import to_codebook, usage_by_path
from qualcode.coding import coder_named, decide
from qualcode.refi.qdc import to_qdc
from qualcode.coding.review import load_review
from qualcode.store import get_project
from tests.review_fixture import DATA, DOCUMENT, review_project


def test_form_fields_split_examples_and_tags_and_check_the_colour():
    fields = fields_from_form(" Queues ", "", "", "one\n\n two \n", "", "#abc", "SWOT:weakness, PEST:social,SWOT:weakness")
    assert fields == {"definition": "Queues", "include": "", "exclude": "", "examples": ["one", "two"],
                      "counter_examples": [], "color": "#AABBCC", "tags": ["SWOT:weakness", "PEST:social"]}
    assert fields_from_form("", "", "", "", "", None, "")["color"] is None
    with pytest.raises(CodebookError, match="not a colour"):
        fields_from_form("", "", "", "", "", "blue", "")


def test_uploaded_codebooks_are_read_by_extension(tmp_path):
    data = (DATA / "autocode_codebook.yaml").read_bytes()
    book, _ = read_codebook_bytes(data, "book.yaml")
    assert [path for path, _ in book.walk()] == ["Waiting time", "Portal failures", "Informal payments"]
    again, _ = read_codebook_bytes(to_qdc(book), "book.qdc")
    assert [path for path, _ in again.walk()] == [path for path, _ in book.walk()]
    with pytest.raises(CodebookError, match="not UTF-8"):
        read_codebook_bytes("name: x".encode("utf-16"), "book.yaml")
    store = review_project(tmp_path)
    with store.read() as session:
        assert "Waiting time" in to_yaml(to_codebook(session, get_project(session)))


def test_usage_counts_codings_by_status(tmp_path):
    store = review_project(tmp_path)
    with store.write() as session:
        project = get_project(session)
        review = load_review(session, DOCUMENT, "Alice")
        decide(session, project, coder_named(session, project, "Alice"), review.segments[4].pending[0].id, True)
    with store.read() as session:
        usage = usage_by_path(session, get_project(session))
    assert usage["Informal payments"] == {"suggested": 2, "accepted": 1}
    assert usage["Waiting time"] == {"suggested": 2}
