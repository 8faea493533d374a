"""Editing participants and document attributes, and table edits applied as change sets."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from qualcode.coding.attributes import (add_participant_attribute, apply_edits, changed_cells, participant_table,
                                 set_document_attributes, update_participant)
from qualcode.ingest.documents import get_document
from qualcode.common.errors import QualcodeError
from qualcode.store.model import Event
from qualcode.store import get_project
from tests.review_fixture import DOCUMENT, review_project


@pytest.fixture
def store(tmp_path):
    s = review_project(tmp_path)
    yield s
    s.close()


def table(store):
    with store.read() as session:
        return participant_table(get_document(session, DOCUMENT))


def edit(store, operation, *args):
    with store.write() as session:
        doc = get_document(session, DOCUMENT)
        return operation(session, get_project(session), doc.id, *args)


def test_participants_are_edited_cell_by_cell_and_logged(store):
    assert table(store)[1] == {"label": "Айгерим", "role": "participant", "pseudonym": ""}
    edit(store, update_participant, "Айгерим", {"role": "observer", "pseudonym": "P1", "region": " Almaty "})
    edit(store, add_participant_attribute, "gender")
    rows = table(store)
    assert rows[1] == {"label": "Айгерим", "role": "observer", "pseudonym": "P1", "region": "Almaty", "gender": ""}
    assert rows[2] == {"label": "Ерлан", "role": "participant", "pseudonym": "", "region": "", "gender": ""}
    with pytest.raises(QualcodeError, match="not a role"):
        edit(store, update_participant, "Ерлан", {"role": "boss"})
    with pytest.raises(QualcodeError, match="fix it when importing"):
        edit(store, update_participant, "Ерлан", {"label": "Erlan"})
    with pytest.raises(QualcodeError, match="no participant"):
        edit(store, update_participant, "Nobody", {"role": "observer"})
    with pytest.raises(QualcodeError, match="column of its own"):
        edit(store, add_participant_attribute, "role")
    with store.read() as session:
        events = session.scalars(select(Event).where(Event.target_kind == "participant")).all()
    assert events[0].before["role"] == "participant" and events[0].after["attributes"] == {"region": "Almaty"}


def test_document_attributes_are_replaced_as_a_whole(store):
    edit(store, set_document_attributes, {"group": "recipients", " site ": "Almaty", "date": None})
    with store.read() as session:
        assert get_document(session, DOCUMENT).attributes == {"group": "recipients", "site": "Almaty", "date": ""}
    with pytest.raises(QualcodeError, match="needs a name"):
        edit(store, set_document_attributes, {"": "x"})


def test_table_edits_become_rows_and_changed_cells():
    rows = [{"attribute": "group", "value": "a"}, {"attribute": "site", "value": "b"}]
    edits = {"edited_rows": {"0": {"value": "A"}}, "added_rows": [{"attribute": "date", "value": "2026"}],
             "deleted_rows": [1]}
    assert apply_edits(rows, edits) == [{"attribute": "group", "value": "A"}, {"attribute": "date", "value": "2026"}]
    assert changed_cells(rows, {"edited_rows": {0: {"value": "a"}, 1: {"value": "c", "attribute": "site"}}}) == \
        {1: {"value": "c"}}
