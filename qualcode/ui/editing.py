"""Editable tables that write each change to the store from the editor's on_change callback.

The editor's key carries a version that the callback bumps after writing, so
the next run draws a fresh editor over the stored rows: the change set is
never replayed on top of rows that already contain it (the cause of "every
second edit is lost").
"""

from __future__ import annotations

from typing import Callable

import pandas as pd
import streamlit as st

from qualcode.ui.state import attempt


def _version_key(name: str) -> str:
    return f"_{name}.version"


def table_editor(name: str, rows: list[dict], apply: Callable[[dict], None], **editor_args) -> None:
    """An st.data_editor over `rows`; `apply(change set)` stores the person's edit."""
    key = f"{name}.{st.session_state.get(_version_key(name), 0)}"

    def changed() -> None:
        attempt(apply, st.session_state[key])
        st.session_state[_version_key(name)] = st.session_state.get(_version_key(name), 0) + 1

    st.data_editor(pd.DataFrame(rows), key=key, on_change=changed, hide_index=True, **editor_args)
