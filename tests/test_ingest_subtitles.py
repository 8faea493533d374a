"""WebVTT (Teams, Zoom, plain captions) and SRT readers, from bytes as users' tools write them."""

from __future__ import annotations

import unicodedata

import pytest

from qualcode.common.errors import IngestError
from qualcode.ingest.decoding import decode, normalize
from qualcode.ingest.subtitles import parse_srt, parse_timestamp, parse_vtt

TEAMS_VTT = """WEBVTT - Teams transcript
Kind: captions

NOTE
Recorded in Almaty

STYLE
::cue { color: white }

3a9f1c2e-77b1-4f6e-9d1a-2b3c4d5e6f70/12-0
00:00:03.120 --> 00:00:07.400
<v Модератор>Добрый день! Расскажите о ЦОНе.</v>

3a9f1c2e-77b1-4f6e-9d1a-2b3c4d5e6f70/13-0
00:00:07.400 --> 00:00:12.000 align:start position:10%
<v Айгерим Сейтқалиқызы>Очередь &amp; запись онлайн — </v><v Модератор>Понятно.</v>

3a9f1c2e-77b1-4f6e-9d1a-2b3c4d5e6f70/14-0
00:12.000 --> 00:15.500
<v.loud Ерлан>Мен <i>келісемін</i>: ұзақ күттік,
<c.yellow>бірақ</c> <00:00:13.000>қызмет жақсы.</v>

00:00:15.500 --> 00:00:18.250
<v Ерлан>Әсіресе &lt;Е-гов&gt; &#39;үй&#39;&nbsp;һ.</v>

00:00:18.250 --> 00:00:20.000
<v Модератор>Спасибо, Ерлан.
"""

ZOOM_VTT = """WEBVTT

1
00:00:01.000 --> 00:00:04.000
Модератор: Сәлеметсіз бе! Қалай ойлайсыз?

2
00:00:04.500 --> 00:00:06.000
Алтынай: Менің ойымша,

3
00:00:06.000 --> 00:00:09.000
Алтынай: кезек өте ұзын.

4
00:00:09.000 --> 00:00:11.000
Ерлан: Итог: всё плохо.

5
00:00:11.000 --> 00:00:12.000
Модератор: Рахмет.
"""

SRT = """1
00:00:01,000 --> 00:00:04,000
Модератор: Что вы думаете о госуслугах?

2
00:00:04,000 --> 00:00:06,500
[Иван] Всё устраивает,
но долго.

3
00:00:06,500 --> 00:00:08,000
[Иван] Очень долго.

00:00:08,000 --> 00:00:09,000
<v Мария>Согласна &amp; поддерживаю.</v>

5
00:00:09,000 --> 00:00:10,000
{\\an8}<font color="#ffff00">Модератор:</font> Спасибо.
"""


def _read(data: bytes) -> tuple[str, str]:
    text, encoding = decode(data)
    return normalize(text), encoding


def _triples(parsed):
    return [(t.speaker, t.text, t.start_time, t.end_time) for t in parsed.turns]


def test_teams_vtt_with_bom_crlf_voices_tags_and_entities():
    text, encoding = _read(b"\xef\xbb\xbf" + TEAMS_VTT.replace("\n", "\r\n").encode("utf-8"))
    parsed = parse_vtt(text)
    assert encoding == "utf-8-sig"
    assert parsed.format == "vtt"
    assert _triples(parsed) == [
        ("Модератор", "Добрый день! Расскажите о ЦОНе.", 3.12, 7.4),
        ("Айгерим Сейтқалиқызы", "Очередь & запись онлайн —", 7.4, 12.0),
        ("Модератор", "Понятно.", 7.4, 12.0),
        ("Ерлан", "Мен келісемін: ұзақ күттік, бірақ қызмет жақсы. Әсіресе <Е-гов> 'үй' һ.", 12.0, 18.25),
        ("Модератор", "Спасибо, Ерлан.", 18.25, 20.0),
    ]


def test_zoom_vtt_prefixes_merge_and_nfc():
    decomposed = unicodedata.normalize("NFD", ZOOM_VTT)
    assert decomposed != ZOOM_VTT  # "й" decomposes; normalize must recompose it
    text, _ = _read(decomposed.encode("utf-8"))
    assert _triples(parse_vtt(text)) == [
        ("Модератор", "Сәлеметсіз бе! Қалай ойлайсыз?", 1.0, 4.0),
        ("Алтынай", "Менің ойымша, кезек өте ұзын.", 4.5, 9.0),
        ("Ерлан", "Итог: всё плохо.", 9.0, 11.0),
        ("Модератор", "Рахмет.", 11.0, 12.0),
    ]


def test_one_off_prefix_in_plain_captions_stays_text():
    text = ("WEBVTT\n\n00:01.000 --> 00:03.000\nОчередь была длинной.\n\n"
            "00:03.000 --> 00:05.000\nИтог: всё плохо.\n\n00:05.000 --> 00:07.000\nТак и запишем.\n")
    assert _triples(parse_vtt(text)) == [
        (None, "Очередь была длинной. Итог: всё плохо. Так и запишем.", 1.0, 7.0)]


def test_text_outside_a_voice_and_escaped_voice_tag_stay_unattributed():
    text = "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v Bob>Hi</v> &lt;v Ann&gt;joke\n"
    assert _triples(parse_vtt(text)) == [("Bob", "Hi", 1.0, 2.0), (None, "<v Ann>joke", 1.0, 2.0)]


@pytest.mark.parametrize("text, message", [
    ("1\n00:00:01.000 --> 00:00:02.000\nhi\n", "not a WebVTT file (missing the WEBVTT header)"),
    ("WEBVTTX\n\n00:00:01.000 --> 00:00:02.000\nhi\n", "not a WebVTT file (missing the WEBVTT header)"),
    ("WEBVTT\n\nNOTE only a comment\n", "the WebVTT file contains no cues"),
    ("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n\n", "the WebVTT file contains no cues"),
    ("WEBVTT\n\n00:00:01.000 --> 00:00:0x.000\nhi\n", "line 3: malformed cue timing '00:00:01.000 --> 00:00:0x.000'"),
    ("WEBVTT\n\nid\n00:00:01.000 --> 00:01:99.000\nhi\n", "line 4: malformed cue timing"),
    ("WEBVTT\n\n00:00:05.000 --> 00:00:01.000\nhi\n", "line 3: the cue ends before it starts"),
    ("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nhi\n\nstray line\n", "line 6: text outside a cue: 'stray line'"),
])
def test_vtt_errors(text, message):
    with pytest.raises(IngestError) as err:
        parse_vtt(text)
    assert str(err.value).startswith(message)


def test_srt_in_cp1251_with_crlf_and_three_speaker_forms():
    text, encoding = _read(SRT.replace("\n", "\r\n").encode("cp1251"))
    parsed = parse_srt(text)
    assert encoding == "cp1251"
    assert parsed.format == "srt"
    assert _triples(parsed) == [
        ("Модератор", "Что вы думаете о госуслугах?", 1.0, 4.0),
        ("Иван", "Всё устраивает, но долго. Очень долго.", 4.0, 8.0),
        ("Мария", "Согласна & поддерживаю.", 8.0, 9.0),
        ("Модератор", "Спасибо.", 9.0, 10.0),
    ]


@pytest.mark.parametrize("text, message", [
    ("", "the SRT file contains no cues"),
    ("1\n00:00:01,000 --> 00:00:02,000\n\n", "the SRT file contains no cues"),
    ("1\n00:00:01,000 -> 00:00:02,000\nhi\n", "line 2: malformed cue timing"),
    ("1\n00:00:01,000 --> 00:00:02,000\nhi\n\nHello\nworld\n", "line 5: expected a cue number and a timing line"),
])
def test_srt_errors(text, message):
    with pytest.raises(IngestError) as err:
        parse_srt(text)
    assert str(err.value).startswith(message)


@pytest.mark.parametrize("stamp, seconds", [
    ("01:02:03.500", 3723.5), ("2:03,5", 123.5), ("00:01:05", 65.0), ("65.5", 65.5), ("12", 12.0)])
def test_parse_timestamp(stamp, seconds):
    assert parse_timestamp(stamp) == seconds


@pytest.mark.parametrize("stamp", ["1:75", "abc", "", "-5", "1e3", "10:00 AM"])
def test_parse_timestamp_rejects(stamp):
    with pytest.raises(ValueError):
        parse_timestamp(stamp)


ZOOM_WITH_COLONS = """WEBVTT

1
00:00:01.000 --> 00:00:04.000
Модератор: Қанша уақыт күттіңіздер?

2
00:00:04.500 --> 00:00:08.000
Ерлан: Өте ұзақ күттік.

3
00:00:08.000 --> 00:00:12.000
The queue was long: almost two hours, and the hall was full.

4
00:00:12.000 --> 00:00:14.000
Итог: полдня потеряно.

5
00:00:14.000 --> 00:00:17.000
Peter: I'm Peter Collins, I waited too.

6
00:00:17.000 --> 00:00:19.000
Модератор: Рахмет.

7
00:00:19.000 --> 00:00:21.000
Ерлан: Иә.
"""


def test_zoom_cue_with_a_colon_continues_the_speaker():
    parsed = parse_vtt(ZOOM_WITH_COLONS)
    assert _triples(parsed) == [
        ("Модератор", "Қанша уақыт күттіңіздер?", 1.0, 4.0),
        ("Ерлан", "Өте ұзақ күттік. The queue was long: almost two hours, and the hall was full. "
                  "Итог: полдня потеряно.", 4.5, 14.0),
        ("Peter", "I'm Peter Collins, I waited too.", 14.0, 17.0),
        ("Модератор", "Рахмет.", 17.0, 19.0),
        ("Ерлан", "Иә.", 19.0, 21.0),
    ]
    assert parsed.warnings == ["cue at 0:00:14: 'Peter' speaks once: a speaker? Imported as one "
                               "(\"Peter: I'm Peter Collins, I waited too.\"); rename or merge it before import if not"]


def test_srt_lower_case_line_after_a_label_is_speech_unless_the_sidecar_knows_the_label():
    text = ("1\n00:00:01,000 --> 00:00:03,000\nЖүргізуші: Сұрақ бар ма?\n\n"
            "2\n00:00:03,000 --> 00:00:05,000\nҚанат: жоқ, бәрі түсінікті\n\n"
            "3\n00:00:05,000 --> 00:00:07,000\n[күлкі] Жарайды.\n\n"
            "4\n00:00:07,000 --> 00:00:09,000\nЖүргізуші: Рақмет.\n")
    unsure = parse_srt(text)
    assert _triples(unsure) == [
        ("Жүргізуші", "Сұрақ бар ма? Қанат: жоқ, бәрі түсінікті [күлкі] Жарайды. Рақмет.", 1.0, 9.0)]
    assert unsure.warnings[0].startswith("cue at 0:00:03: 'Қанат' speaks once: a speaker? Kept as text")
    known = parse_srt(text, declared={"Қанат"})
    assert _triples(known) == [
        ("Жүргізуші", "Сұрақ бар ма?", 1.0, 3.0),
        ("Қанат", "жоқ, бәрі түсінікті [күлкі] Жарайды.", 3.0, 7.0),  # a sound note is no speaker
        ("Жүргізуші", "Рақмет.", 7.0, 9.0),
    ]
    assert known.warnings == []
