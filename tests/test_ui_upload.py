"""The upload card says what import is unsure of before anything is stored."""

from __future__ import annotations

from tests.test_ui_apptest import ok, page

ONCE = ("Модератор: Сәлеметсіздер ме! Кім бастайды?\nМарина: Я начну, у нас в селе нет ЦОНа.\n"
        "Нұрлан: Мен Нұрланмын, Қызылорда облысынан келдім.\nМодератор: Рақмет.\nМарина: Итог: очередь на полдня.\n")


def test_upload_preview_shows_warnings_and_languages(tmp_path, monkeypatch):
    monkeypatch.setenv("QUALCODE_DB", str(tmp_path / "empty.db"))
    at = ok(page("project_page"))
    at.file_uploader(key="upload.files").upload("fg07.txt", ONCE.encode("utf-8"))
    ok(at.run())
    assert list(at.data_editor[0].value["speaker as found"]) == ["Модератор", "Марина", "Нұрлан"]
    [warning] = [w.value.replace("\\", "") for w in at.warning]
    assert warning.startswith("line 3: 'Нұрлан' speaks once: a speaker? Imported as one")
    assert {m.label: m.value for m in at.metric}["Language"] == "kk + ru"
