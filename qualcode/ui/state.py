"""The store an app session works on, opened once per process."""

from __future__ import annotations

import streamlit as st

from qualcode.store import Store, resolve_url


@st.cache_resource(show_spinner=False)
def _open(url: str) -> Store:
    return Store(url)


def store() -> Store:
    """The database named by QUALCODE_DB (or ./qualcode.db)."""
    return _open(resolve_url())
