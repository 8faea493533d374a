"""REFI-QDA .qdpx: our export is schema-valid and deterministic, comes back unchanged through import,
other tools' quirks are read, and every bad file is refused with nothing stored."""

from __future__ import annotations

import argparse
import io
import json
import re
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from qualcode.cli import refi as cli_refi
from qualcode.refi.codebook_files import read_codebook_file
from qualcode.codebook.codes import load_codebook
from qualcode.coding import apply_code, coder_named, set_memo
from qualcode.common.errors import QualcodeError
from qualcode.refi.qdpx_import import import_qdpx
from qualcode.refi.positions import normalise
from qualcode.refi.qdpx_export import export_qdpx, validate_qde
from qualcode.ingest import decoding
from qualcode.ingest.importer import ImportOptions, import_files
from qualcode.store.model import Code, Coder, Coding, Document, Memo, Participant, Project, Segment
from qualcode.store import Store, get_project

ROOT = Path(__file__).resolve().parents[1]
TRANSCRIPTS = [ROOT / "transcripts" / "fg01_recipients_almaty.txt", ROOT / "transcripts" / "fg02_providers_astana.docx"]
NS = "urn:QDA-XML:project:1.0"


def _build(store: Store) -> None:
    """Two transcripts, the public-services codebook, two human coders, a machine suggestion, memos."""
    results = import_files(store, TRANSCRIPTS, ImportOptions())
    assert [r.status for r in results] == ["imported", "imported"], [r.error for r in results]
    book, warnings = read_codebook_file(ROOT / "codebooks" / "public_services.yaml")
    with store.write() as session:
        project = get_project(session)
        load_codebook(session, project, book, warnings)
        segments = session.scalars(select(Segment).order_by(Segment.id)).all()
        codes = session.scalars(select(Code).where(Code.parent_id.is_not(None)).order_by(Code.id)).all()
        aliya, ben = coder_named(session, project, "Алия"), coder_named(session, project, "Ben")
        for i, seg in enumerate(segments[5::11]):
            apply_code(session, project, aliya, seg.id, codes[i % len(codes)].id)
            if i % 3:
                apply_code(session, project, ben, seg.id, codes[(i * 7) % len(codes)].id)
        narrow = apply_code(session, project, ben, segments[40].id, codes[3].id,
                            start=segments[40].start + 3, end=segments[40].end - 2)
        set_memo(session, project, ben, narrow.id, "слишком узко? <check> ?> & so on")
        machine = Coder(project_id=project.id, name="auto", kind="machine", engine="zero-shot", settings={})
        session.add(machine)
        session.flush()
        session.add(Coding(coder_id=machine.id, code_id=codes[0].id, document_id=segments[2].document_id,
                           segment_id=segments[2].id, start=segments[2].start, end=segments[2].end,
                           status="suggested", score=0.75, reason="близко к примеру"))
        doc = session.scalars(select(Document).order_by(Document.id)).first()
        person = session.scalars(select(Participant).where(Participant.document_id == doc.id,
                                                           Participant.role == "participant")).first()
        person.pseudonym = "P1"
        for kind, target in (("project", None), ("document", doc.id), ("code", codes[1].id),
                             ("participant", person.id)):
            session.add(Memo(project_id=project.id, target_kind=kind, target_id=target, author="Алия",
                             text=f"memo on the {kind}: «ақпарат»"))


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> tuple[Path, Path]:
    """(the source project's database, its .qdpx), built once for the module."""
    folder = tmp_path_factory.mktemp("refi")
    store = Store(str(folder / "source.db"))
    _build(store)
    out = folder / "project.qdpx"
    export_qdpx(store, out)
    store.close()
    return folder / "source.db", out


def _qde(path: Path) -> bytes:
    with zipfile.ZipFile(path) as archive:
        return archive.read("project.qde")


def _state(store: Store) -> dict:
    """What must survive the exchange, keyed by names and GUIDs rather than database ids."""
    with store.read() as session:
        docs = {d.id: d for d in session.scalars(select(Document))}
        coders = {c.id: c for c in session.scalars(select(Coder))}
        guids = {c.id: c.guid for c in session.scalars(select(Code))}
        codings = {(docs[c.document_id].name, c.start, c.end, coders[c.coder_id].name, guids[c.code_id], c.status,
                    c.memo) for c in session.scalars(select(Coding)) if c.status in ("manual", "accepted")}
        return {
            "texts": {d.name: d.text for d in docs.values()},
            "codings": {(*key[:5], key[6]) for key in codings},
            "participants": {(docs[p.document_id].name, p.label, p.role, p.pseudonym, tuple(sorted(p.attributes.items())))
                             for p in session.scalars(select(Participant))},
            "turns": {d.name: [(t.start, t.end, t.participant.label if t.participant else None, t.start_time)
                               for t in d.turns] for d in docs.values()},
            "segments": {d.name: [(s.start, s.end) for s in d.segments] for d in docs.values()},
            "attributes": {d.name: d.attributes for d in docs.values()},
            "codes": {(c.guid, c.name, c.color, tuple(c.tags), c.definition) for c in session.scalars(select(Code))
                      if not c.archived},
            "memos": {(m.target_kind, m.text, m.author) for m in session.scalars(select(Memo))},
        }


def _counts(store: Store) -> tuple[int, ...]:
    with store.read() as session:
        return tuple(session.scalar(select(func.count()).select_from(table))
                     for table in (Project, Document, Code, Coder, Coding, Memo))


def test_export_is_valid_and_deterministic(exported, tmp_path):
    db, qdpx = exported
    assert validate_qde(_qde(qdpx)) == []
    with zipfile.ZipFile(qdpx) as archive:
        names = archive.namelist()
    assert names[0] == "project.qde" and len(names) == 3
    assert all(n.startswith("sources/") and n.endswith(".txt") for n in names[1:])
    again = tmp_path / "again.qdpx"
    store = Store(str(db))
    summary = export_qdpx(store, again)
    assert again.read_bytes() == qdpx.read_bytes()
    assert summary["documents"] == 2 and set(summary["coders"]) == {"auto", "Алия", "Ben"}
    qde = _qde(qdpx).decode()
    assert 'name="auto"' in qde and "близко к примеру" not in qde  # suggestions only when asked
    with_suggestions = tmp_path / "suggestions.qdpx"
    export_qdpx(store, with_suggestions, suggestions=True)
    assert validate_qde(_qde(with_suggestions)) == [] and "близко к примеру" in _qde(with_suggestions).decode()


def test_round_trip_keeps_everything(exported, store, tmp_path):
    db, qdpx = exported
    result = import_qdpx(store, qdpx)
    assert [d["structure"] for d in result["documents"]] == ["qualcode", "qualcode"]
    assert result["warnings"] == []
    assert _state(store) == _state(Store(str(db)))
    again = tmp_path / "again.qdpx"
    export_qdpx(store, again)
    assert again.read_bytes() == qdpx.read_bytes()


def test_round_trip_keeps_machine_suggestions(exported, store, tmp_path):
    db, _ = exported
    qdpx = tmp_path / "suggestions.qdpx"
    export_qdpx(Store(str(db)), qdpx, suggestions=True)
    import_qdpx(store, qdpx)
    with store.read() as session:
        row = session.execute(select(Coder.kind, Coder.engine, Coding.status, Coding.score, Coding.reason)
                              .join(Coder).where(Coder.name == "auto")).one()
    assert tuple(row) == ("machine", "zero-shot", "suggested", 0.75, "близко к примеру")


def test_import_twice_is_refused_and_changes_nothing(exported, sqlite_store):
    _, qdpx = exported
    import_qdpx(sqlite_store, qdpx)
    before = _counts(sqlite_store)
    with pytest.raises(QualcodeError, match=r"document 'fg01_recipients_almaty.txt' is already in the project"):
        import_qdpx(sqlite_store, qdpx)
    assert _counts(sqlite_store) == before


def test_text_without_our_turns_is_read_again(exported, sqlite_store, tmp_path):
    """Another tool re-saved our file and dropped our instructions: the speakers come back from the text."""
    _, qdpx = exported
    stripped = tmp_path / "stripped.qdpx"
    with zipfile.ZipFile(qdpx) as source, zipfile.ZipFile(stripped, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            if name.endswith(".qde"):
                data = b"\n".join(line for line in data.split(b"\n") if b"<?qualcode " not in line)
            target.writestr(name, data)
    result = import_qdpx(sqlite_store, stripped)
    by_name = {d["name"]: d for d in result["documents"]}
    assert by_name["fg01_recipients_almaty.txt"]["structure"] == "speaker turns"
    with sqlite_store.read() as session:
        labels = set(session.scalars(select(Participant.label).join(Document)
                                     .where(Document.name == "fg01_recipients_almaty.txt")))
    assert {"Модератор", "Айгерим", "Ерлан"} <= labels


# ---------------------------------------------------------------- other tools' files

INTERVIEW = ("Interviewer: How did you apply?\r\n\r\nAnna: I waited two hours in the queue.\r\n"
             "Then I gave up.\r\n\r\nInterviewer: And online?\r\n\r\nAnna: The app never works for me.\r\n")
FIELD_NOTES = "Field notes. The centre was crowded; people waited outside."
G = {name: f"{{{n:08X}-AAAA-4BBB-8CCC-{n:012X}}}" for n, name in enumerate(
    ("user", "queues", "online", "gender", "age", "anna", "interview", "notes", "s1", "c1", "s2", "c2", "s3", "c3",
     "note", "s4", "c4"), start=0xA0)}


def _crlf_one(text: str, piece: str) -> tuple[int, int]:
    """Where `piece` is when `\\r\\n` counts as one character, as some tools count."""
    collapsed = text.replace("\r\n", "\n")
    start = collapsed.index(piece)
    return start, start + len(piece)


def _foreign_qde() -> str:
    q1 = _crlf_one(INTERVIEW, "I waited two hours in the queue.\r\nThen I gave up.".replace("\r\n", "\n"))
    q2 = _crlf_one(INTERVIEW, "The app never works for me.")
    return f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="{NS}" name="Foreign" origin="Another tool 3.1">
  <Users><User guid="{G['user']}" name="Dana"/></Users>
  <CodeBook><Codes>
    <Code guid="{G['queues']}" name="Queues" isCodable="true" color="#F0A">
      <Description>Waiting in line.</Description>
      <Code guid="{G['online'].lower()}" name="Online" isCodable="true" color="#0a0"/>
    </Code>
  </Codes></CodeBook>
  <Variables>
    <Variable guid="{G['gender']}" name="gender" typeOfVariable="Text"/>
    <Variable guid="{G['age']}" name="age" typeOfVariable="Integer"/>
  </Variables>
  <Cases>
    <Case guid="{G['anna']}" name="Anna">
      <VariableValue><VariableRef targetGUID="{G['gender']}"/><TextValue>female</TextValue></VariableValue>
      <VariableValue><VariableRef targetGUID="{G['age']}"/><IntegerValue>34</IntegerValue></VariableValue>
      <SourceRef targetGUID="{G['interview']}"/>
    </Case>
  </Cases>
  <Sources>
    <TextSource guid="{G['interview']}" name="Interview 1" plainTextPath="internal://{G['interview'][1:-1]}.txt">
      <PlainTextSelection guid="{G['s1']}" startPosition="{q1[0]}" endPosition="{q1[1]}" creatingUser="{G['user']}">
        <Coding guid="{G['c1']}" creatingUser="{G['user']}"><CodeRef targetGUID="{G['queues']}"/></Coding>
      </PlainTextSelection>
      <PlainTextSelection guid="{G['s2']}" startPosition="{q2[0]}" endPosition="{q2[1]}">
        <Coding guid="{G['c2']}" creatingUser="{G['user']}"><CodeRef targetGUID="{G['online']}"/>
          <NoteRef targetGUID="{G['note']}"/></Coding>
      </PlainTextSelection>
    </TextSource>
    <PDFSource guid="{G['c4']}" name="Leaflet" path="internal://leaflet.pdf"/>
    <TextSource guid="{G['notes']}" name="Field notes">
      <PlainTextContent>{FIELD_NOTES}</PlainTextContent>
      <PlainTextSelection guid="{G['s3']}" startPosition="13" endPosition="40">
        <Coding guid="{G['c3']}"><CodeRef targetGUID="{G['queues']}"/></Coding>
      </PlainTextSelection>
    </TextSource>
  </Sources>
  <Notes><Note guid="{G['note']}" name="n1"><PlainTextContent>Is this about the app or the portal?</PlainTextContent></Note></Notes>
  <Sets/>
</Project>
"""


def _qdpx(path: Path, files: dict[str, bytes | str]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data.encode("utf-8") if isinstance(data, str) else data)
    return path


def test_foreign_project_with_quirks(sqlite_store, tmp_path):
    path = _qdpx(tmp_path / "foreign.qdpx", {"Foreign Export.qde": _foreign_qde(),
                                              f"sources/{G['interview'][1:-1]}.txt": INTERVIEW})
    result = import_qdpx(sqlite_store, path)
    docs = {d["name"]: d for d in result["documents"]}
    assert docs["Interview 1"]["positions"] == "\\r\\n as one character"
    assert docs["Interview 1"]["structure"] == "speaker turns"
    assert docs["Field notes"]["structure"] == "one turn"
    assert result["coders"] == ["Dana", "imported"] and result["codings"] == 3
    assert result["warnings"] == ["PDFSource 'Leaflet' was left out (only text sources are read)"]
    with sqlite_store.read() as session:
        quotes = {(doc.text[c.start:c.end], code.name, code.guid, code.color, coder.name, c.memo)
                  for c, doc, code, coder in session.execute(select(Coding, Document, Code, Coder)
                                                             .join(Document).join(Code).join(Coder))}
        anna = session.scalars(select(Participant).where(Participant.label == "Anna")).one()
        interview = session.scalars(select(Document).where(Document.name == "Interview 1")).one()
        interviewer = session.scalars(select(Participant).where(Participant.label == "Interviewer")).one()
    queues, online = G["queues"][1:-1].lower(), G["online"][1:-1].lower()
    assert quotes == {
        ("I waited two hours in the queue.\nThen I gave up.", "Queues", queues, "#FF00AA", "Dana", None),
        ("The app never works for me.", "Online", online, "#00AA00", "Dana", "Is this about the app or the portal?"),
        (FIELD_NOTES[13:40], "Queues", queues, "#FF00AA", "imported", None),
    }
    assert (anna.attributes, anna.role) == ({"gender": "female", "age": "34"}, "participant")
    assert interviewer.role == "moderator"
    assert "\r" not in interview.text and interview.format == "qdpx"
    assert validate_qde(_qde(_export(sqlite_store, tmp_path))) == []


def _export(store: Store, folder: Path) -> Path:
    out = folder / "back.qdpx"
    export_qdpx(store, out)
    return out


def test_positions_in_code_points_stay_put(sqlite_store, tmp_path):
    """The same file counted as the standard says (\\r\\n is two characters) maps to the same words."""
    qde = _foreign_qde()
    for piece in ("I waited two hours in the queue.\r\nThen I gave up.", "The app never works for me."):
        wrong = _crlf_one(INTERVIEW, piece.replace("\r\n", "\n"))
        right = (INTERVIEW.index(piece), INTERVIEW.index(piece) + len(piece))
        qde = qde.replace(f'startPosition="{wrong[0]}" endPosition="{wrong[1]}"',
                          f'startPosition="{right[0]}" endPosition="{right[1]}"')
    path = _qdpx(tmp_path / "standard.qdpx", {"project.qde": qde, f"sources/{G['interview'][1:-1]}.txt": INTERVIEW})
    result = import_qdpx(sqlite_store, path)
    assert result["documents"][0]["positions"] == "code points"
    with sqlite_store.read() as session:
        texts = {doc.text[c.start:c.end] for c, doc in session.execute(select(Coding, Document).join(Document))}
    assert "The app never works for me." in texts


@pytest.mark.parametrize("raw", [
    "a  \r\nb\tc\u00a0d\r\n\r\n  e",
    "и\u0306ә\u0306 x\u200b\x01y   \rz\x0bq\ufeff",
    "",
    "\r\n\r\n",
])
def test_normalise_matches_import_and_maps_every_offset(raw):
    text, offsets = normalise(raw)
    assert text == decoding.normalize(raw)
    assert len(offsets) == len(raw) + 1 and offsets[-1] == len(text)
    assert offsets == sorted(offsets)


# ---------------------------------------------------------------- refusals

def _bad_cases(tmp_path: Path) -> list[tuple[Path, str]]:
    valid_source = f"sources/{G['interview'][1:-1]}.txt"
    invalid = _foreign_qde().replace('name="Online" isCodable="true"', 'name="Online"')
    outside = _foreign_qde().replace(f'internal://{G["interview"][1:-1]}.txt', "internal://../secret.txt")
    not_zip = tmp_path / "notzip.qdpx"
    not_zip.write_bytes(b"<Project/> this is not a zip")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project.qde", _foreign_qde())
        archive.writestr("sources/big.txt", b"\0" * 20_000_000)
    bomb = tmp_path / "bomb.qdpx"
    bomb.write_bytes(buffer.getvalue())
    duplicate = _foreign_qde().replace('color="#0a0"/>', 'color="#0a0"/>\n      <Code guid="a0a0a0a0-aaaa-4bbb-'
                                       '8ccc-0000000000ff" name="online" isCodable="true"/>')
    return [
        (not_zip, f"{not_zip}: not a zip file (a .qdpx is a zip holding a .qde project file)"),
        (_qdpx(tmp_path / "noqde.qdpx", {valid_source: INTERVIEW}), "{path}: no .qde project file inside"),
        (_qdpx(tmp_path / "invalid.qdpx", {"project.qde": invalid, valid_source: INTERVIEW}),
         "{path}: project.qde does not follow the REFI-QDA project schema: line 7: Element "
         "'{urn:QDA-XML:project:1.0}Code': The attribute 'isCodable' is required but missing."),
        (_qdpx(tmp_path / "outside.qdpx", {"project.qde": outside, valid_source: INTERVIEW}),
         "{path}: source 'Interview 1': plainTextPath 'internal://../secret.txt' points outside its own folder"),
        (_qdpx(tmp_path / "duplicate.qdpx", {"project.qde": duplicate, valid_source: INTERVIEW}),
         '{path}: codebook: project.qde:8: code "Queues": duplicate code name "online" among siblings '
         "(first at line 7)"),
        (bomb, "{path}: REFI-QDA project has a compression ratio of NUMBER:1 (suspected zip bomb)"),
        (_qdpx(tmp_path / "dangling.qdpx", {"project.qde": _foreign_qde().replace(
            f'<CodeRef targetGUID="{G["queues"]}"/></Coding>\n      </PlainTextSelection>\n      <PlainTextSelection',
            f'<CodeRef targetGUID="{G["user"]}"/></Coding>\n      </PlainTextSelection>\n      <PlainTextSelection'),
            valid_source: INTERVIEW}),
         "{path}: source 'Interview 1': a coding refers to code " + G["user"][1:-1].lower()
         + ", which is not in the codebook"),
    ]


def test_bad_files_are_refused_with_nothing_stored(sqlite_store, tmp_path):
    for path, message in _bad_cases(tmp_path):
        with pytest.raises(QualcodeError) as caught:
            import_qdpx(sqlite_store, path)
        expected = re.escape(message.replace("{path}", str(path))).replace("NUMBER", r"\d+")
        assert re.fullmatch(expected, str(caught.value)), str(caught.value)
        assert _counts(sqlite_store) == (0, 0, 0, 0, 0, 0), path.name


def test_missing_file_and_unwritable_target(sqlite_store, tmp_path):
    with pytest.raises(QualcodeError, match="no such file"):
        import_qdpx(sqlite_store, tmp_path / "nothing.qdpx")
    with pytest.raises(QualcodeError, match="the database has no project yet"):
        export_qdpx(sqlite_store, tmp_path / "out.qdpx")
    with sqlite_store.write() as session:
        get_project(session)
    with pytest.raises(QualcodeError, match=r"out.qdpx: cannot be written"):
        export_qdpx(sqlite_store, tmp_path / "missing" / "out.qdpx")
    assert not list(tmp_path.glob("**/*.tmp"))


def test_import_project_command(exported, tmp_path, capsys):
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db")
    common.add_argument("--json", action="store_true")
    parser = argparse.ArgumentParser(prog="qualcode")
    cli_refi.add_commands(parser.add_subparsers(dest="command"), common)
    _, qdpx = exported
    args = parser.parse_args(["import-project", str(qdpx), "--db", str(tmp_path / "cli.db"), "--json"])
    assert args.func(args) == 0
    result = json.loads(capsys.readouterr().out)
    assert [d["name"] for d in result["documents"]] == ["fg01_recipients_almaty.txt", "fg02_providers_astana.docx"]
    assert result["coders"] == ["Ben", "auto", "Алия"] and result["warnings"] == []
    args = parser.parse_args(["import-project", str(qdpx), "--db", str(tmp_path / "cli2.db")])
    assert args.func(args) == 0
    assert "fg01_recipients_almaty.txt: 286 turns (qualcode)" in capsys.readouterr().out
