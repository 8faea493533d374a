"""Import end to end: every format into a real store, offsets, idempotency, bad input, concurrency."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import docx
import openpyxl
import pytest

from qualcode.ingest.documents import document_detail, get_document, list_documents
from qualcode.ingest.importer import ImportOptions, import_files

KK = "ә ғ қ ң ө ұ ү һ і"

TXT = (
    "Фокус-группа №3, г. Шымкент\n"
    "[00:00:05] Модератор: Сәлеметсіздер ме! Расскажите про ЦОН, т.е. про ваш опыт.\n"
    "[00:00:20] Айгерим: ХҚКО-ға бардым, кезек өте үлкен болды. Ждала 3 часа.\n"
    "Итог: потеряла полдня.\n"
    "[00:01:02] Ерлан: Мен eGov арқылы бәрін онлайн жасаймын. Это удобно.\n"
    "[00:01:30] Модератор: А что с ЭЦП?\n"
    "[00:01:41] Айгерим: ЭЦП-ны телефонға орнату қиын.\n"
)


def write(path: Path, data: bytes | str, encoding: str = "utf-8") -> Path:
    path.write_bytes(data if isinstance(data, bytes) else data.encode(encoding))
    return path


def make_docx(path: Path) -> Path:
    document = docx.Document()
    document.add_heading("Фокус-группа с поставщиками услуг", level=1)
    for speaker, text in [("Модератор", "Какая у вас нагрузка?"), ("Жанар", f"Очень большая, күніне 80 адам. {KK}."),
                          ("Модератор", "А KPI?"), ("Жанар", "KPI давит, т.к. рейтинг каждый день.")]:
        paragraph = document.add_paragraph()
        paragraph.add_run(f"{speaker}:").bold = True
        paragraph.add_run(f" {text}")
    buffer = io.BytesIO()
    document.save(buffer)
    return write(path, buffer.getvalue())


VTT = """WEBVTT

3f1c2a7e-5b1d-4c8e-9a61-2f0d4e6b7c11/12-0
00:00:03.120 --> 00:00:07.480
<v Moderator>Welcome, thanks for joining.</v>

3f1c2a7e-5b1d-4c8e-9a61-2f0d4e6b7c11/13-0
00:00:08.000 --> 00:00:12.000
<v Moderator>Right.</v> <v Arman Bekov>Yes, our IT &amp; data team helps.</v>

3f1c2a7e-5b1d-4c8e-9a61-2f0d4e6b7c11/14-0
00:00:12.500 --> 00:00:15.000
<v Arman Bekov>The integration is slow.</v>
"""

SRT = """1
00:00:01,000 --> 00:00:04,000
Жүргізуші: Қайырлы күн! Бастайық.

2
00:00:04,500 --> 00:00:09,000
Гүлнар: Мен ХҚКО-ға екі рет бардым, очередь үлкен.

3
00:00:09,500 --> 00:00:12,000
Жүргізуші: Рақмет.
"""


def make_xlsx(path: Path) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Speaker", "Start time", "Text"])
    sheet.append(["Moderator", "00:00:02", "How do you use the eGov app?"])
    sheet.append(["Dana", "00:00:10", "Every week. Digital signature on the phone works."])
    sheet.append(["Moderator", "00:00:30", "Any problems?"])
    sheet.append(["Timur", "00:00:35", "Sometimes it logs me out."])
    buffer = io.BytesIO()
    book.save(buffer)
    return write(path, buffer.getvalue())


SURVEY = ("\ufeffID респондента;Регион;Пол;Что бы вы улучшили в работе госуслуг?\n"
          "R1;Алматы;ж;Убрать очереди в ЦОН.\n"
          "R2;Туркестанская обл.;м;Интернет в селе жоқ, ЭЦП істемейді.\n"
          "R3;Астана;ж;\n"
          "R4;Астана;м;Больше онлайн-услуг, e.g. справки.\n")


@pytest.fixture
def samples(tmp_path) -> dict[str, Path]:
    return {
        "txt": write(tmp_path / "fg_kk.txt", TXT),
        "cp1251": write(tmp_path / "fg_cp1251.txt", TXT.replace(KK, "").replace("\n", "\r\n")
                        .replace("Сәлеметсіздер ме", "Здравствуйте").replace("ХҚКО-ға бардым, кезек өте үлкен болды", "Ходила в ЦОН")
                        .replace("Мен eGov арқылы бәрін онлайн жасаймын", "Я всё делаю онлайн")
                        .replace("ЭЦП-ны телефонға орнату қиын", "ЭЦП на телефон поставить сложно"), "cp1251"),
        "docx": make_docx(tmp_path / "providers.docx"),
        "vtt": write(tmp_path / "teams.vtt", "\ufeff" + VTT.replace("\n", "\r\n")),
        "srt": write(tmp_path / "shymkent.srt", SRT),
        "xlsx": make_xlsx(tmp_path / "app.xlsx"),
        "csv": write(tmp_path / "survey.csv", SURVEY),
    }


def assert_offsets_hold(detail: dict) -> None:
    text = detail["text"]
    for seg in detail["segments"]:
        assert seg["text"] == text[seg["start"]:seg["end"]] and seg["text"].strip() == seg["text"] != ""
        turn = detail["turns"][seg["turn"]]
        assert turn["start"] <= seg["start"] < seg["end"] <= turn["end"]
    for turn in detail["turns"]:
        assert text[turn["start"]:turn["end"]].strip()


def test_every_format_imports_with_offsets(store, samples):
    results = import_files(store, samples.values(), ImportOptions())
    assert [r.status for r in results] == ["imported"] * 7, [r.error for r in results]
    by_format = {r.file: r for r in results}
    txt = by_format[str(samples["txt"])]
    assert txt.speakers == {"Модератор": 2, "Айгерим": 2, "Ерлан": 1} and txt.moderator == "Модератор"
    assert txt.language == "kk" and txt.encoding == "utf-8"
    assert by_format[str(samples["cp1251"])].encoding == "cp1251"
    assert by_format[str(samples["vtt"])].speakers == {"Moderator": 1, "Arman Bekov": 1}
    assert by_format[str(samples["srt"])].moderator == "Жүргізуші"
    assert by_format[str(samples["docx"])].speakers == {"Модератор": 2, "Жанар": 2}
    assert by_format[str(samples["csv"])].speakers == {"R1": 1, "R2": 1, "R4": 1}
    with store.read() as session:
        for r in results:
            assert_offsets_hold(document_detail(get_document(session, Path(r.file).name)))
        kk = document_detail(get_document(session, "fg_kk.txt"))
        survey = document_detail(get_document(session, "survey.csv"))
        teams = document_detail(get_document(session, "teams.vtt"))
    aigerim = kk["turns"][1]
    assert kk["text"][aigerim["start"]:aigerim["end"]] == \
        "ХҚКО-ға бардым, кезек өте үлкен болды. Ждала 3 часа.\nИтог: потеряла полдня."
    assert aigerim["start_time"] == 20.0 and aigerim["speaker"] == "Айгерим"
    assert "Итог" not in kk["speakers"]
    assert any("IT & data team" in s["text"] for s in teams["segments"])
    assert survey["speakers"]["R2"]["attributes"]["Регион"] == "Туркестанская обл."
    assert "\r" not in kk["text"] and "\ufeff" not in teams["text"]


def test_reimport_is_unchanged_and_stores_nothing_new(store, samples):
    import_files(store, [samples["txt"], samples["docx"]], ImportOptions())
    again = import_files(store, [samples["txt"], samples["docx"]], ImportOptions())
    assert [r.status for r in again] == ["unchanged", "unchanged"]
    assert again[0].speakers == {"Модератор": 2, "Айгерим": 2, "Ерлан": 1}
    with store.read() as session:
        assert len(list_documents(session)) == 2


@pytest.mark.parametrize("unit,expected", [("turn", 5), ("sentence", 9), ("window:2", 6)])
def test_units(store, samples, unit, expected):
    [result] = import_files(store, [samples["txt"]], ImportOptions(unit=unit))
    assert result.segments == expected and result.unit == unit


def _zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"\0" * 60_000_000)
    return buffer.getvalue()


BAD = {
    "empty.txt": (b"", "the file is empty"),
    "binary.txt": (bytes(range(256)) * 40, "binary file"),
    "truncated.docx": (None, "not a valid Word document"),
    "bomb.docx": (None, "zip bomb"),
    "notext.docx": (None, "contains no text"),
    "nocues.vtt": (b"WEBVTT\n\nNOTE nothing here\n", "no cues"),
    "latin.txt": (None, "cannot be decoded"),
    "noheader.vtt": (b"00:00:01.000 --> 00:00:02.000\nA: b\n", "WEBVTT"),
    "notes.pdf": (b"%PDF-1.4", "unsupported file type"),
}


def test_bad_inputs_get_one_line_and_the_batch_goes_on(store, samples, tmp_path):
    paths = []
    for name, (data, _) in BAD.items():
        if name == "truncated.docx":
            data = samples["docx"].read_bytes()[:3000]
        elif name == "bomb.docx":
            data = _zip_bomb()
        elif name == "notext.docx":
            buffer = io.BytesIO()
            docx.Document().save(buffer)
            data = buffer.getvalue()
        elif name == "latin.txt":
            data = bytes(range(128, 256)) * 20
        paths.append(write(tmp_path / name, data))
    paths.append(samples["srt"])
    results = import_files(store, paths, ImportOptions(max_bytes=10_000_000))
    for result, (name, (_, message)) in zip(results, BAD.items()):
        assert result.status == "error", name
        assert result.error.startswith(str(tmp_path / name) + ": ") and message in result.error, result.error
        assert "\n" not in result.error and "Traceback" not in result.error
    assert results[-1].status == "imported"
    with store.read() as session:
        assert [d["name"] for d in list_documents(session)] == ["shymkent.srt"]


def test_file_over_the_size_limit(store, tmp_path):
    big = write(tmp_path / "big.txt", "Модератор: " + "очередь " * 200_000)
    [result] = import_files(store, [big], ImportOptions(max_bytes=1_000_000))
    assert result.status == "error" and "over the 1 MB limit" in result.error


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "qualcode.cli", *args], capture_output=True, text=True,
                          timeout=300)


def test_cli_contract(tmp_path, samples):
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    bad = write(tmp_path / "empty.txt", b"")
    proc = run_cli("--db", db, "import", str(samples["txt"]), str(bad), "--json")
    assert proc.returncode == 1
    out = json.loads(proc.stdout)
    assert [r["status"] for r in out] == ["imported", "error"]
    for key in ("file", "status", "format", "encoding", "turns", "segments", "speakers", "moderator", "error",
                "warnings"):
        assert key in out[0] and key in out[1]
    assert out[0]["warnings"] == [] and out[1]["warnings"] == []
    assert out[1]["error"] == f"{bad}: the file is empty"
    again = json.loads(run_cli("--db", db, "import", str(samples["txt"]), "--json").stdout)
    assert again[0]["status"] == "unchanged"
    docs = json.loads(run_cli("--db", db, "documents", "--json").stdout)
    assert [d["name"] for d in docs] == ["fg_kk.txt"] and docs[0]["turns"] == 5
    shown = json.loads(run_cli("--db", db, "show", "fg_kk.txt", "--json").stdout)
    assert {"name", "format", "encoding", "language", "languages", "attributes", "text", "speakers", "turns",
            "segments"} <= set(shown)
    assert shown["language"] == "kk" and shown["languages"] == ["kk", "ru"]
    assert [t["language"] for t in shown["turns"]] == ["kk", "kk", "kk", "ru", "kk"]  # "А что с ЭЦП?" is Russian
    assert shown["speakers"]["Модератор"] == {"turns": 2, "role": "moderator", "attributes": {}}
    assert_offsets_hold(shown)
    missing = run_cli("--db", db, "show", "nope.txt", "--json")
    assert missing.returncode == 1 and missing.stderr.strip() == \
        "qualcode: error: no document named 'nope.txt' (see `qualcode documents`)"


def test_two_processes_importing_at_once_lose_nothing(tmp_path):
    db = tmp_path / "shared.db"
    files = []
    for i in range(12):
        files.append(write(tmp_path / f"group{i:02d}.txt", TXT.replace("Шымкент", f"Шымкент, группа {i}")))
    half_a, half_b = files[:8], files[4:]  # four files are imported by both at once
    procs = [subprocess.Popen([sys.executable, "-m", "qualcode.cli", "--db", str(db), "import", *map(str, part),
                               "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for part in (half_a, half_b)]
    outputs = [json.loads(p.communicate(timeout=300)[0]) for p in procs]
    statuses = [r["status"] for out in outputs for r in out]
    assert statuses.count("imported") == 12 and statuses.count("unchanged") == 4
    docs = json.loads(run_cli("--db", str(db), "documents", "--json").stdout)
    assert sorted(d["name"] for d in docs) == [f.name for f in files]
    assert all(d["segments"] == 9 for d in docs)


def test_shipped_samples_are_the_demo_material(store):
    from qualcode.demo import transcript_files

    root = Path(__file__).resolve().parent.parent
    results = import_files(store, transcript_files(root / "transcripts"), ImportOptions())
    assert [r.status for r in results] == ["imported"] * 7, [r.error for r in results]
    by_name = {Path(r.file).name: r for r in results}
    formats = {r.format for r in results}
    assert formats == {"txt", "docx", "vtt", "srt", "xlsx", "csv"}
    for name, result in by_name.items():
        if name != "survey_open_answers.csv":
            assert result.moderator is not None, name
            assert 6 <= len(result.speakers) <= 9, (name, result.speakers)
    with store.read() as session:
        for name in ("fg01_recipients_almaty.txt", "fg02_providers_astana.docx"):
            detail = document_detail(get_document(session, name))
            words = sum(len(detail["text"][t["start"]:t["end"]].split()) for t in detail["turns"])
            assert words >= 6000, (name, words)
            assert detail["attributes"]["group"] in ("recipients", "providers")
            assert all(info["attributes"] or info["role"] == "moderator" for info in detail["speakers"].values())
        assert by_name["fg04_shymkent_kk_ru.srt"].language == "kk"
        assert by_name["fg05_en_teams.vtt"].language == "en"
    # the survey is mostly Russian with some Kazakh and English answers; no sample leaves import unsure
    assert by_name["survey_open_answers.csv"].languages == ["ru", "kk", "en"]
    assert all(r.warnings == [] for r in results), [r.warnings for r in results]


MIXED = """Фокус-группа, Кызылорда
Модератор: Добрый день! Расскажите, пожалуйста, как вы получаете государственные услуги.
Нұрлан: Мен ауылда тұрамын. Жоба құны 5 млрд. АҚШ долларын құрады, бірақ интернет әлі де өте нашар.
Айгерим: Я обычно всё делаю через портал, но иногда приходится ехать в ЦОН, и это очень долго.
Модератор: Да.
Айгерим: А в Қызылорда облысы с этим ещё хуже, там очередь на полдня.
Peter: I'm Peter Collins from the Almaty office, and for us the app works well.
"""


def test_mixed_russian_kazakh_document_has_a_language_per_turn(store, tmp_path):
    path = write(tmp_path / "mixed.txt", MIXED)
    [result] = import_files(store, [path], ImportOptions())
    assert result.status == "imported" and result.language == "ru" and result.languages == ["ru", "kk", "en"]
    # Нұрлан and Peter speak once: imported as speakers, and the file says so
    assert result.speakers == {"Модератор": 2, "Нұрлан": 1, "Айгерим": 2, "Peter": 1}
    assert [w.split(": ")[1] for w in result.warnings] == ["line 3", "line 7"]
    assert all(w.startswith(f"{path}: line ") for w in result.warnings)
    with store.read() as session:
        detail = document_detail(get_document(session, "mixed.txt"))
    assert_offsets_hold(detail)
    assert detail["language"] == "ru" and detail["languages"] == ["ru", "kk", "en"]
    assert [t["language"] for t in detail["turns"]] == ["ru", "kk", "ru", "ru", "ru", "en"]
    # the Kazakh turn is split by Kazakh rules: "млрд." before "АҚШ" ends no sentence
    kazakh = [s["text"] for s in detail["segments"] if s["turn"] == 1]
    assert kazakh == ["Мен ауылда тұрамын.", "Жоба құны 5 млрд. АҚШ долларын құрады, бірақ интернет әлі де өте нашар."]
    [forced] = import_files(store, [write(tmp_path / "forced.txt", MIXED + "\n")], ImportOptions(language="kk"))
    assert forced.language == "kk" and forced.languages == ["kk"]


RAGGED = ("ID,Регион,Пол,Что бы вы улучшили в работе госуслуг?\n"
          "R1,Алматы,ж,Убрать очереди в ЦОН.\n"
          "R2,Қызылорда облысы,м,В селе нет ЦОНа, приходится ехать 60 км.\n")


def test_ragged_survey_row_is_rejoined_and_the_import_says_so(store, tmp_path):
    path = write(tmp_path / "ragged.csv", RAGGED)
    [result] = import_files(store, [path], ImportOptions())
    assert result.status == "imported" and result.warnings == [
        f"{path}: row 3: more fields than the header (an unquoted ',' in the text?), rejoined into "
        "'Что бы вы улучшили в работе госуслуг?'"]
    with store.read() as session:
        detail = document_detail(get_document(session, "ragged.csv"))
    r2 = detail["turns"][1]
    assert detail["text"][r2["start"]:r2["end"]] == "В селе нет ЦОНа, приходится ехать 60 км."
    assert detail["speakers"]["R2"]["attributes"] == {"Регион": "Қызылорда облысы", "Пол": "м"}
