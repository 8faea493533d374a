"""Transcript editor: listen to a transcribed recording and correct its draft, turn by turn.

Every change is stored at once (qualcode.recording.editing, one transaction and event each);
"Confirm transcript" makes the draft a codable document. Shortcuts: P plays the current turn,
J / K move to the next / previous turn, 1–9 give it that voice.
"""

from __future__ import annotations

import time

import streamlit as st

from qualcode.common.display import format_time, markdown_escape
from qualcode.common.errors import QualcodeError
from qualcode.recording import editing
from qualcode.recording.draft import confirm
from qualcode.recording.transcribe import time_left
from qualcode.ui.state import WARN, attempt, flash, store

CURSOR = "transcript.cursor"
PLAYING = "transcript.playing"
PAGE = 25


def _draft_names() -> list[str]:
    from qualcode.store import find_project

    with store().read() as session:
        project = find_project(session)
        return editing.drafts(session, project.id) if project else []


def _write(name: str, operation, *args, done: str | None = None) -> None:
    def run():
        from qualcode.ingest.documents import get_document
        with store().write() as session:
            operation(session, get_document(session, name), *args)
    attempt(run, done=done)


def _play(number: int) -> None:
    st.session_state[CURSOR] = number
    st.session_state[PLAYING] = number


def _move(step: int, total: int) -> None:
    st.session_state[CURSOR] = max(0, min(total - 1, st.session_state.get(CURSOR, 0) + step))


def _text_changed(name: str, number: int, key: str) -> None:
    _write(name, editing.edit_text, number, st.session_state[key])


def _speaker_changed(name: str, number: int, key: str) -> None:
    _write(name, editing.set_speaker, number, st.session_state[key])


def _split(name: str, number: int, key: str, text: str) -> None:
    words = st.session_state.get(key, "").strip()
    at = text.find(words) if words else -1
    if at <= 0:
        flash("Type the words the second turn starts with, exactly as they appear in the turn.", WARN)
        return
    _write(name, editing.split, number, at, done="Turn split")


def _rename(name: str) -> None:
    old, new = st.session_state.get("transcript.voice"), st.session_state.get("transcript.voice_name", "")
    if old:
        _write(name, editing.rename_voice, old, new, done="Voice renamed")


def _confirm(name: str) -> None:
    _write(name, confirm, done=f"{name} confirmed: it can be coded now")


def _player(view: editing.DraftView) -> None:
    playing = st.session_state.get(PLAYING)
    if view.recording is None:
        st.caption("The recording is not beside the project any more; the text can still be corrected.")
    elif playing is not None and playing < len(view.pieces):
        piece = view.pieces[playing]
        st.caption(f"Playing turn {playing + 1} from {format_time(piece.start_time)}")
        st.audio(view.recording, start_time=int(piece.start_time), end_time=int(piece.end_time) + 1, autoplay=True)


def _shortcuts(view: editing.DraftView, cursor: int) -> None:
    total = len(view.pieces)
    row = st.columns(4)
    row[0].button("Play", icon=":material/play_arrow:", shortcut="p", key="transcript.play_current",
                  on_click=_play, args=(cursor,), help="Play the current turn (P)")
    row[1].button("Previous", icon=":material/arrow_upward:", shortcut="k", key="transcript.previous",
                  on_click=_move, args=(-1, total), help="Previous turn (K)")
    row[2].button("Next", icon=":material/arrow_downward:", shortcut="j", key="transcript.next",
                  on_click=_move, args=(1, total), help="Next turn (J)")
    voices = st.columns(max(1, min(9, len(view.voices))))
    for number, voice in enumerate(view.voices[:9], start=1):
        voices[number - 1].button(markdown_escape(voice), key=f"transcript.voice.{number}", shortcut=str(number),
                                  on_click=_write, args=(view.name, editing.set_speaker, cursor, voice),
                                  help=f"The current turn is {voice} ({number})")


def _turn(view: editing.DraftView, number: int, cursor: int) -> None:
    piece = view.pieces[number]
    with st.container(border=number == cursor):
        head = st.columns([2, 3, 3, 2], vertical_alignment="center")
        head[0].button(format_time(piece.start_time), icon=":material/play_arrow:", key=f"transcript.play.{number}",
                       on_click=_play,
                       args=(number,), help=f"Play turn {number + 1}", disabled=view.recording is None)
        key = f"transcript.speaker.{view.name}.{number}.{piece.speaker}"
        head[1].selectbox("Speaker", view.voices, index=view.voices.index(piece.speaker), key=key,
                          label_visibility="collapsed", on_change=_speaker_changed, args=(view.name, number, key))
        confidence = "" if piece.confidence is None else f" · confidence {piece.confidence:.2f}"
        head[2].markdown(f":gray[to {format_time(piece.end_time)} · "
                         f"{markdown_escape(piece.language)}{confidence}]")
        head[3].button("Merge with next", key=f"transcript.merge.{number}", disabled=number + 1 >= len(view.pieces),
                       on_click=_write, args=(view.name, editing.merge, number))
        runs = editing.marked(piece)
        if any(low for _, low in runs):
            st.markdown("".join(f":orange-background[{markdown_escape(text)}]" if low else markdown_escape(text)
                                for text, low in runs))
        key = f"transcript.text.{view.name}.{number}.{hash(piece.text)}"
        st.text_area("Text", piece.text, key=key, label_visibility="collapsed", on_change=_text_changed,
                     args=(view.name, number, key))
        split_key = f"transcript.split.{view.name}.{number}"
        left, right = st.columns([4, 1], vertical_alignment="bottom")
        left.text_input("Split before", key=split_key, placeholder="Words the next turn starts with")
        right.button("Split", key=f"transcript.do_split.{number}", on_click=_split,
                     args=(view.name, number, split_key, piece.text))


def _transcribe_upload() -> None:
    """Upload a recording and transcribe it here, with progress; the draft then opens below."""
    from qualcode.ingest.importer import ImportOptions
    from qualcode.recording.audio import EXTENSIONS
    from qualcode.recording.importing import import_upload

    with st.expander("Transcribe a recording", expanded=not _draft_names()):
        upload = st.file_uploader("Recording", type=[e.lstrip(".") for e in EXTENSIONS], key="transcript.upload")
        left, right = st.columns(2)
        language = left.selectbox("Language", ["auto", "ru", "kk", "en"], key="transcript.language")
        voices = right.number_input("Voices (0: estimate)", 0, 20, 0, key="transcript.voices")
        st.caption("Transcribed on this computer (Whisper base, about a tenth to a sixth of the recording's "
                   "length on two cores); nothing is uploaded anywhere. The recording is kept beside the project.")
        if upload is None or not st.button("Transcribe", type="primary", key="transcript.go"):
            return
        bar, began = st.progress(0.0, text="Transcribing…"), time.monotonic()

        def show(done: float, total: float) -> None:
            left = time_left(done, total, time.monotonic() - began)
            bar.progress(min(done / total, 1.0), text=f"Transcribed {format_time(done)} of {format_time(total)}"
                         + ("" if left is None else f", about {format_time(left)} left"))
        result = import_upload(store(), upload.name, upload.getvalue(), ImportOptions(language=language),
                               voices or None, progress=show)
    if result["status"] == "error":
        st.error(result["error"])
        return
    st.session_state["transcript.document"] = result["document"]
    flash(f"{result['document']}: {result['turns']} turns in {result['seconds']:.0f} s, ready to correct")
    st.rerun()


def render() -> None:
    st.header("Transcripts")
    _transcribe_upload()
    names = _draft_names()
    if not names:
        st.info("No draft transcripts. Transcribe a recording above (or `qualcode import RECORDING`); "
                "its transcript waits here until you confirm it.")
        return
    name = st.selectbox("Draft", names, key="transcript.document")
    try:
        with store().read() as session:
            view = editing.load_draft(session, name)
    except QualcodeError as err:
        st.error(str(err))
        return
    total = len(view.pieces)
    cursor = min(st.session_state.get(CURSOR, 0), total - 1)
    _player(view)
    _shortcuts(view, cursor)
    with st.expander("Name a voice"):
        st.selectbox("Voice", view.voices, key="transcript.voice")
        st.text_input("New name", key="transcript.voice_name", placeholder="e.g. Модератор")
        st.button("Rename", key="transcript.rename", on_click=_rename, args=(name,))
    first = (cursor // PAGE) * PAGE
    st.caption(f"Turns {first + 1}–{min(first + PAGE, total)} of {total}; words the model was unsure of are "
               "highlighted. Every change is saved at once.")
    for number in range(first, min(first + PAGE, total)):
        _turn(view, number, cursor)
    st.button("Confirm transcript", type="primary", key="transcript.confirm", on_click=_confirm, args=(name,),
              help="The draft becomes a normal document that can be coded; its text is then fixed")
