"""Attribute sidecars (YAML and CSV): loading, merging per file, finding, and refusing bad ones."""

from __future__ import annotations

import pytest

from qualcode.common.errors import IngestError
from qualcode.ingest.sidecar import attributes_for, find_sidecar, load_sidecar

YAML = """# Almaty groups
document: {group: recipients, date: 2026-03-14, site: Almaty}
participants:
  Айгерим: {role: participant, gender: female, age_band: 25-34, region: Almaty, type: recipient}
  Модератор: {role: модератор}
  Ерлан:
    Роль: наблюдатель
    region: NO
    joined: 12:30
    note:
files:
  fg2.vtt:
    document: {site: Шымкент}
    participants:
      Айгерим: {age_band: 35-44}
      Нұрлан: {role: Participant}
"""

AIGERIM = {"role": "participant", "gender": "female", "age_band": "25-34", "region": "Almaty",
           "type": "recipient"}


def _write(tmp_path, name: str, content: bytes | str):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def test_yaml_sidecar_keeps_values_as_written(tmp_path):
    sidecar = load_sidecar(_write(tmp_path, "fg.attributes.yaml", YAML))
    assert sidecar.documents == {None: {"group": "recipients", "date": "2026-03-14", "site": "Almaty"},
                                 "fg2.vtt": {"site": "Шымкент"}}
    assert sidecar.participants[None] == {
        "Айгерим": AIGERIM,
        "Модератор": {"role": "moderator"},
        "Ерлан": {"role": "observer", "region": "NO", "joined": "12:30"},  # no False, no 750
    }


def test_attributes_for_merges_generic_and_per_file_sections(tmp_path):
    sidecar = load_sidecar(_write(tmp_path, "fg.attributes.yml", YAML))
    document, people = attributes_for(sidecar, "fg2.vtt")
    assert document == {"group": "recipients", "date": "2026-03-14", "site": "Шымкент"}
    assert people["Айгерим"] == {**AIGERIM, "age_band": "35-44"}
    assert people["Нұрлан"] == {"role": "participant"}
    document, people = attributes_for(sidecar, "/data/groups/fg1.vtt")
    assert document["site"] == "Almaty"
    assert sorted(people) == ["Айгерим", "Ерлан", "Модератор"]
    assert people["Айгерим"]["age_band"] == "25-34"


def test_csv_sidecar_with_bom_semicolons_and_file_column(tmp_path):
    text = ("Участник;Файл;Роль;Пол;Возраст\r\n"
            "Модератор;;модератор;;\r\n"
            "Айгерим;fg1.vtt;participant;ж;25-34\r\n"
            ";;;;\r\n"
            "Айгерим;fg2.vtt;;ж;35-44\r\n")
    sidecar = load_sidecar(_write(tmp_path, "fg.attributes.csv", b"\xef\xbb\xbf" + text.encode("utf-8")))
    assert sidecar.documents == {}
    assert sidecar.participants == {
        None: {"Модератор": {"role": "moderator"}},
        "fg1.vtt": {"Айгерим": {"role": "participant", "Пол": "ж", "Возраст": "25-34"}},
        "fg2.vtt": {"Айгерим": {"Пол": "ж", "Возраст": "35-44"}},
    }
    assert attributes_for(sidecar, "fg1.vtt")[1] == {
        "Модератор": {"role": "moderator"},
        "Айгерим": {"role": "participant", "Пол": "ж", "Возраст": "25-34"}}


def test_csv_sidecar_in_cp1251(tmp_path):
    text = "говорящий,регион\nИван,Караганда\n"
    sidecar = load_sidecar(_write(tmp_path, "x.attributes.csv", text.encode("cp1251")))
    assert sidecar.participants == {None: {"Иван": {"регион": "Караганда"}}}


@pytest.mark.parametrize("content, message", [
    ("participants:\n  Айгерим: {role: boss}\n",
     "line 2: participants.Айгерим.role: 'boss' is not a role (use moderator, participant or observer)"),
    ("document: [a, b]\n", "line 1: document should be a mapping"),
    ("participants:\n  A: {age: [1, 2]}\n", "line 2: participants.A.age should be a single value"),
    ("colour: red\n", "line 1: unknown key 'colour' (expected document, participants, files)"),
    ("files:\n  fg.vtt:\n    files: {}\n",
     "line 3: unknown key 'files.fg.vtt.files' (expected document, participants)"),
    ("participants:\n  A: {role: moderator\n", "line 3: malformed YAML"),
    ("participants:\n  A: {}\n  A: {}\n", "line 3: 'A' appears twice in participants"),
    ("- a\n- b\n", "line 1: the file should be a mapping"),
    ("# nothing here\n", "holds no attributes"),
    ("", "the file is empty"),
])
def test_bad_yaml_sidecars(tmp_path, content, message):
    path = _write(tmp_path, "fg.attributes.yaml", content)
    with pytest.raises(IngestError) as err:
        load_sidecar(path)
    assert str(err.value).startswith(f"attributes file fg.attributes.yaml: {message}")


@pytest.mark.parametrize("content, message", [
    ("name,age\nA,3\n", "no speaker column"),
    ("speaker,age\nA,3\n,4\n", "row 3: the speaker cell is empty"),
    ("speaker,file\nA,fg.vtt\nA,fg.vtt\n", "row 3: 'A' is listed twice for fg.vtt"),
    ("label,role\nA,boss\n", "row 2: A.role: 'boss' is not a role"),
])
def test_bad_csv_sidecars(tmp_path, content, message):
    with pytest.raises(IngestError) as err:
        load_sidecar(_write(tmp_path, "fg.attributes.csv", content))
    assert str(err.value).startswith(f"attributes file fg.attributes.csv: {message}")


def test_unsupported_and_missing_sidecar_files(tmp_path):
    with pytest.raises(IngestError, match="^attributes file a.json: must be a .yaml, .yml or .csv file$"):
        load_sidecar(_write(tmp_path, "a.json", "{}"))
    with pytest.raises(IngestError, match=r"^attributes file gone.yaml: cannot be read \("):
        load_sidecar(tmp_path / "gone.yaml")


def test_find_sidecar(tmp_path):
    for name in ("fg1.vtt", "fg1.attributes.yaml", "fg2.vtt", "fg2.vtt.attributes.csv", "fg3.vtt",
                 "fg4.vtt", "fg4.attributes.yaml", "fg4.attributes.csv"):
        _write(tmp_path, name, "x")
    assert find_sidecar(tmp_path / "fg1.vtt") == tmp_path / "fg1.attributes.yaml"
    assert find_sidecar(tmp_path / "fg2.vtt") == tmp_path / "fg2.vtt.attributes.csv"
    assert find_sidecar(tmp_path / "fg3.vtt") is None
    with pytest.raises(IngestError, match="more than one attributes file beside it "
                                          r"\(fg4.attributes.yaml, fg4.attributes.csv\)"):
        find_sidecar(tmp_path / "fg4.vtt")
