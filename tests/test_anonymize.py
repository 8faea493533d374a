"""De-identification end to end: real store, real Natasha, Russian/Kazakh/English text, the CLI contract."""

from __future__ import annotations

import copy
import csv
import json
import random

import pytest
from sqlalchemy import select

from qualcode import cli
from qualcode.deid.anonymize import (accept_confident, add_detection, apply, decide, deidentified_text, detect,
                                detection_rows, generate_pseudonyms, set_pseudonym)
from qualcode.deid.candidate import TYPES
from qualcode.deid.detect import Gazetteer, candidates, detect_text, resolve
from qualcode.deid.names import inflects
from qualcode.deid.rules import iin_valid
from qualcode.ingest.documents import get_document
from qualcode.common.errors import QualcodeError
from qualcode.ingest.importer import ImportOptions, import_files
from qualcode.store.model import Detection, Document
from qualcode.store import get_project

GROUP = (
    "Фокус-группа №7, получатели услуг\n"
    "[00:00:05] Модератор: Здравствуйте! Представьтесь, пожалуйста.\n"
    "[00:00:20] Айгерим: Меня зовут Айгерим, живу на ул. Абая, 15, кв. 3. Мой телефон +7 701 555 12 34.\n"
    "[00:00:40] Ерлан: Я с Айгеримой согласен. Айгерім-ге рахмет. В ЦОН и в акимат ходил, звонил на 1414.\n"
    "[00:01:00] Роза: Я купила розы к празднику. Ерланом все довольны, его ИИН 900101300126.\n"
    "[00:01:20] Айгерим: Мен Болат балқыту зауытында істеймін. Пишите на aigerim.s@mail.kz.\n"
    "[00:01:40] Ерлан: Мне помогал Марат Сапаров из ТОО «Казлогистик», спасибо Роза.\n"
)
SECOND = (
    "[00:00:05] Moderator: Tell us about the PSC.\n"
    "[00:00:20] Aruzhan: Marat Saparov helped me too. Марат Сапаров also works at the akimat, Aruzhan's friend says.\n"
)
SIDECAR = ("document: {group: recipients, settlement: rural}\n"
           "participants:\n  Айгерим: {type: recipient}\n  Ерлан: {type: provider, settlement: urban}\n")


@pytest.fixture
def project(store, tmp_path):
    (tmp_path / "fg07.txt").write_text(GROUP, encoding="utf-8")
    (tmp_path / "fg07.attributes.yaml").write_text(SIDECAR, encoding="utf-8")
    (tmp_path / "fg08.txt").write_text(SECOND, encoding="utf-8")
    results = import_files(store, [tmp_path / "fg07.txt"], ImportOptions(attributes=tmp_path / "fg07.attributes.yaml"))
    results += import_files(store, [tmp_path / "fg08.txt"], ImportOptions())
    assert [r.status for r in results] == ["imported", "imported"], [r.error for r in results]
    return store


def run_cli(store, capsys, *args) -> tuple[int, str, str]:
    """`qualcode --db URL anonymise …` through the real entry point."""
    code = cli.main(["--db", store.url, "anonymise", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def texts(rows, **where) -> list[str]:
    return [r["text"] for r in rows if all(r[k] == v for k, v in where.items())]


def test_detect_json_contract(project, capsys):
    code, out, _ = run_cli(project, capsys, "detect", "--json")
    assert code == 0
    rows = json.loads(out)
    with project.read() as session:
        stored = {d.name: d.text for d in session.scalars(select(Document))}
    for r in rows:
        assert {"document", "start", "end", "text", "type"} <= set(r)
        assert r["type"] in TYPES and stored[r["document"]][r["start"]:r["end"]] == r["text"]
    mine = [r for r in rows if r["document"] == "fg07.txt"]
    # the participants' own names in every form, each proposed whole
    assert {"Айгерим", "Айгеримой", "Айгерім-ге", "Ерланом", "Роза"} <= set(texts(mine, type="PERSON"))
    assert texts(mine, type="PHONE") == ["+7 701 555 12 34"]
    assert texts(mine, type="ID") == ["900101300126"]
    assert texts(mine, type="EMAIL") == ["aigerim.s@mail.kz"]
    assert texts(mine, type="ADDRESS") == ["ул. Абая, 15, кв. 3"]
    assert "ТОО «Казлогистик»" in texts(mine, type="ORGANIZATION")
    assert "Марат Сапаров" in texts(mine, type="PERSON")
    # public institutions are not personal data
    assert not [r for r in rows if any(p in r["text"] for p in ("ЦОН", "акимат", "1414", "PSC", "akimat"))]
    # speaker labels are the pseudonym table's business, not proposals; detections never overlap
    for doc, text in stored.items():
        spans = sorted((r["start"], r["end"]) for r in rows if r["document"] == doc)
        assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))
        assert not [s for s, _ in spans if text[s - 1:s] in ("\n", "") and text[s:].split(":", 1)[0].isalpha()]
    code, out, _ = run_cli(project, capsys, "detect", "--document", "fg08.txt", "--json")
    assert code == 0 and {r["document"] for r in json.loads(out)} == {"fg08.txt"}
    code, _, err = run_cli(project, capsys, "detect", "--document", "nope.txt")
    assert code == 1 and err.strip() == "qualcode: error: no document named 'nope.txt' (see `qualcode documents`)"


def test_common_word_names_are_proposed_visibly_never_replaced(project):
    rows = detect(project)
    roses = [r for r in rows if r["text"] == "розы"]
    assert len(roses) == 1 and roses[0]["confidence"] < 0.5 and "common word" in roses[0]["note"]
    steel = [r for r in rows if r["text"] == "Болат"]  # "Болат балқыту зауыты": a steel works
    assert all(r["confidence"] < 0.5 and "common word" in r["note"] for r in steel)
    roza = [r for r in rows if r["text"] == "Роза" and r["document"] == "fg07.txt"]
    assert roza and all("common word" in r["note"] for r in roza)
    with project.write() as session:
        project_row = get_project(session)
        report = accept_confident(session, project_row)
        assert report["still_proposed"] >= 2
        apply(session, project_row)
        view = deidentified_text(get_document(session, "fg07.txt"))
    assert "Я купила розы" in view.text and "Болат балқыту" in view.text and view.undecided >= 2


def test_apply_derives_a_view_and_leaves_the_text_alone(project):
    detect(project)
    with project.read() as session:
        before = {d.name: d.text for d in session.scalars(select(Document))}
    with project.write() as session:
        p = get_project(session)
        accept_confident(session, p)
        set_pseudonym(session, p, "Айгерим", "А. (получатель)")
        report = apply(session, p)
        assert {g["label"] for g in report["generated_pseudonyms"]} >= {"Ерлан", "Роза", "Модератор"}
    with project.read() as session:
        assert {d.name: d.text for d in session.scalars(select(Document))} == before
        doc = get_document(session, "fg07.txt")
        view = deidentified_text(doc)
        pseudonyms = {p.label: p.pseudonym for p in doc.participants}
        segments = [(s.start, s.end) for s in doc.segments]
    assert pseudonyms["Ерлан"] == "Participant 1 (provider, urban)"  # Айгерим has a chosen one
    assert pseudonyms["Роза"] == "Participant 2 (rural)" and pseudonyms["Модератор"] == "Moderator 1"
    for real in ("Айгерим", "Айгеримой", "Айгерім", "Ерлан", "Сапаров", "Казлогистик", "+7 701", "900101300126",
                 "Абая", "aigerim.s@"):
        assert real not in view.text, real
    assert view.text.count("А. (получатель)") >= 4  # speaker labels and every form of her name
    assert "В ЦОН и в акимат ходил, звонил на 1414." in view.text
    # offsets: every segment maps into the view, and its text there is the original with replacements
    for start, end in segments:
        new_start, new_end = view.span(start, end)
        assert 0 <= new_start <= new_end <= len(view.text)
        inside = [r for r in view.replacements if start <= r.start and r.end <= end]
        if not inside:
            assert view.text[new_start:new_end] == before["fg07.txt"][start:end]
        for r in inside:
            assert view.text[r.new_start:r.new_end] == r.text


def test_one_pseudonym_for_one_name_across_the_project(project):
    rows = detect(project)
    first = next(r for r in rows if r["document"] == "fg07.txt" and r["text"] == "Марат Сапаров")
    others = [r for r in rows if r["document"] == "fg08.txt" and "Сапаров" in r["text"]]
    with project.write() as session:
        p = get_project(session)
        decide(session, p, [first["id"]] + [r["id"] for r in others], "accepted")
        decide(session, p, [r["id"] for r in rows if r["document"] == "fg08.txt" and r["text"] == "Marat Saparov"],
               "rejected")
        apply(session, p)
        replaced = {r["replacement"] for r in detection_rows(session, p)
                    if r["text"] == "Марат Сапаров" and r["status"] == "accepted"}
    assert len(replaced) == 1 and replaced.pop().startswith("[PERSON ")


def test_apply_covers_a_document_imported_after_review(project, tmp_path):
    rows = detect(project, ["fg07.txt"])
    marat = next(r for r in rows if r["text"] == "Марат Сапаров")
    with project.write() as session:
        p = get_project(session)
        accept_confident(session, p)
        apply(session, p)
        replacement = session.get(Detection, marat["id"]).replacement
    (tmp_path / "fg09.txt").write_text("Модератор: Кто помог?\nЖанна: Марат Сапаров из ТОО «Казлогистик».\n",
                                       encoding="utf-8")
    import_files(project, [tmp_path / "fg09.txt"], ImportOptions())
    with project.write() as session:
        p = get_project(session)
        assert apply(session, p)["propagated"] == 2
        late = {r["text"]: r for r in detection_rows(session, p, ["fg09.txt"])}
        assert late["Марат Сапаров"]["status"] == "accepted" and late["Марат Сапаров"]["replacement"] == replacement
        assert late["ТОО «Казлогистик»"]["source"] == "propagated"
        view = deidentified_text(get_document(session, "fg09.txt"))
    assert "Сапаров" not in view.text and "Казлогистик" not in view.text


def test_a_span_marked_by_hand(project):
    detect(project)
    with project.write() as session:
        p = get_project(session)
        text = get_document(session, "fg07.txt").text
        start = text.index("празднику")
        row = add_detection(session, p, "fg07.txt", start, start + len("празднику"), "LOCATION")
        assert row["status"] == "accepted" and row["source"] == "manual"
        with pytest.raises(QualcodeError, match="overlaps detection"):
            add_detection(session, p, "fg07.txt", start + 2, start + 5, "LOCATION")
        with pytest.raises(QualcodeError, match="not a span of text"):
            add_detection(session, p, "fg07.txt", 10, 5, "LOCATION")


def test_empty_pseudonym_and_replacement_refused(project, capsys):
    with project.write() as session:
        p = get_project(session)
        with pytest.raises(QualcodeError, match="empty pseudonym refused for participant 'Ерлан'"):
            set_pseudonym(session, p, "Ерлан", "   ")
        with pytest.raises(QualcodeError, match="own name"):
            set_pseudonym(session, p, "Ерлан", "ерлан")
    code, _, err = run_cli(project, capsys, "pseudonym", "set", "Ерлан", "")
    assert code == 1 and err.count("\n") == 1 and "empty pseudonym refused" in err
    rows = detect(project)
    person = next(r for r in rows if r["text"] == "Марат Сапаров")
    code, _, err = run_cli(project, capsys, "accept", str(person["id"]), "--as", " ")
    assert code == 1 and "empty replacement is refused" in err
    with project.read() as session:
        assert {p.pseudonym for d in session.scalars(select(Document)) for p in d.participants} == {None}
        assert session.get(Detection, person["id"]).status == "proposed"


def test_view_refuses_rather_than_showing_real_names(project):
    rows = detect(project)
    with project.write() as session:
        p = get_project(session)
        with pytest.raises(QualcodeError, match="has no pseudonym"):
            deidentified_text(get_document(session, "fg07.txt"))
        generate_pseudonyms(session, p)
        decide(session, p, [rows[0]["id"]], "accepted")
        with pytest.raises(QualcodeError, match="accepted after the last apply"):
            deidentified_text(get_document(session, rows[0]["document"]))


def test_redetect_keeps_decisions(project):
    rows = detect(project)
    phone = next(r for r in rows if r["type"] == "PHONE")
    email = next(r for r in rows if r["type"] == "EMAIL")
    with project.write() as session:
        decide(session, get_project(session), [phone["id"]], "rejected")
        decide(session, get_project(session), [email["id"]], "accepted", replacement="[e-mail]")
    again = detect(project)
    assert len(again) == len(rows)
    by_id = {r["id"]: r for r in again}
    assert by_id[phone["id"]]["status"] == "rejected" and by_id[email["id"]]["replacement"] == "[e-mail]"


def test_cli_review_apply_show_and_key(project, capsys, tmp_path):
    assert run_cli(project, capsys, "detect")[0] == 0
    code, out, _ = run_cli(project, capsys, "accept", "--all", "--json")
    assert code == 0 and json.loads(out)["accepted"] > 5
    code, out, err = run_cli(project, capsys, "apply", "--json")
    assert code == 0 and json.loads(out)["undecided"] >= 2
    code, out, err = run_cli(project, capsys, "show", "fg07.txt")
    assert code == 0 and "Айгерим" not in out and "Participant 1 (recipient, rural): Меня зовут" in out
    assert "undecided proposals" in err
    key = tmp_path / "key.csv"
    code, _, err = run_cli(project, capsys, "key", "export", str(key))
    assert code == 0 and "keep it apart" in err
    rows = list(csv.DictReader(key.read_text(encoding="utf-8-sig").splitlines()))
    aigerim = next(r for r in rows if r["real"] == "Айгерим" and r["kind"] == "participant")
    assert aigerim["pseudonym"] == "Participant 1 (recipient, rural)"
    assert {"Айгеримой", "Айгерім-ге"} <= set(aigerim["forms"].split(" | "))
    # a CSV cell starting with + gets a leading quote, so no spreadsheet reads it as a formula
    assert any(r["kind"] == "mention" and r["real"] == "'+7 701 555 12 34" for r in rows)
    code, _, err = run_cli(project, capsys, "key", "export", str(tmp_path / "key.txt"))
    assert code == 1 and ".csv or .json" in err


def test_overlaps_resolve_the_same_way_whatever_the_order():
    text = "Пишите Ерлану на erlan.saparov@mail.kz или заходите: ул. Абая, 15. Ерлан Сапаров всегда поможет."
    gazetteer = Gazetteer.of(["Ерлан", "Модератор"])
    found = detect_text(text, gazetteer)
    assert [(text[c.start:c.end], c.type) for c in found] == [
        ("Ерлану", "PERSON"), ("erlan.saparov@mail.kz", "EMAIL"), ("ул. Абая, 15", "ADDRESS"),
        ("Ерлан Сапаров", "PERSON")]
    email, address = found[1], found[2]
    # the losers are named, not dropped unseen
    assert email.source == "rule:email" and "PERSON «erlan»" in email.note
    assert "LOCATION «Абая»" in address.note
    assert found[3].participant == "Ерлан"  # Natasha's full name and the participant's first name, merged
    raw = candidates(text, gazetteer)
    expected = [(c.start, c.end, c.type, c.source, c.note) for c in resolve(copy.deepcopy(raw), text)]
    for seed in range(5):
        shuffled = copy.deepcopy(raw)
        random.Random(seed).shuffle(shuffled)
        assert [(c.start, c.end, c.type, c.source, c.note) for c in resolve(shuffled, text)] == expected


def test_user_lists_flag_and_keep():
    text = "Мы ходили в Жасыл Бақ и в Кок-Тобе, потом к Бекзату."
    flagged = detect_text(text, Gazetteer.of([], flag_terms=[("Жасыл Бақ", "ORGANIZATION")], keep_terms=["Бекзат"]))
    got = {text[c.start:c.end]: c.type for c in flagged}
    assert got.get("Жасыл Бақ") == "ORGANIZATION" and "Бекзату" not in got


@pytest.mark.parametrize("form", ["Айгерим", "Айгерим-ге", "Айгеримой", "Айгерімнің", "Айгерімге", "Aigerim",
                                  "Айгерімді", "Айгерімде", "Айгерімнен", "Айгеріммен", "Айгерімдер"])
def test_inflected_forms_of_a_name(form):
    assert inflects(form.replace("-", ""), "Айгерим")


@pytest.mark.parametrize("form", ["Ерлана", "Ерланом", "Ерлану", "Ерланға", "Ерланның", "Ерланды", "Ерланда",
                                  "Ерланнан", "Ерланмен", "Yerlan"])
def test_inflected_forms_of_erlan(form):
    assert inflects(form, "Ерлан")


@pytest.mark.parametrize("word,name", [("Ерланов", "Ерлан"), ("Виктория", "Виктор"), ("жанармай", "Жанар"),
                                       ("Асет", "Асель")])
def test_other_words_are_not_forms_of_a_name(word, name):
    assert not inflects(word, name)


def test_iin_checksum():
    assert iin_valid("900101300126") and iin_valid("850715400317")
    assert not iin_valid("900101300127") and not iin_valid("123456789012")
    found = detect_text("Номер 900101300127 и ИИН 850715400317.", use_ner=False)
    assert [(c.type, c.confidence >= 0.9, bool(c.note)) for c in found] == [("ID", False, True), ("ID", True, False)]
