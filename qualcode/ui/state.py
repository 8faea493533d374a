"""What an app session shares across pages: the store, who is coding, and messages for the next run."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import streamlit as st
from sqlalchemy.orm import Session

from qualcode.coding import coder_named
from qualcode.display import markdown_escape
from qualcode.errors import QualcodeError
from qualcode.model import Coder, Project
from qualcode.store import Store, get_project, resolve_url

DONE, WARN, INFO, UNDONE = ":material/check_circle:", ":material/warning:", ":material/info:", ":material/undo:"
CODER_KEY = "coder"        # also the URL query parameter that remembers the coder across refreshes
_FLASH = "_flash"


@st.cache_resource(show_spinner=False)
def _open(url: str) -> Store:
    return Store(url)


def store() -> Store:
    """The database named by QUALCODE_DB (or ./qualcode.db)."""
    return _open(resolve_url())


def oidc_configured() -> bool:
    """True when secrets.toml has an [auth] section: coders then log in with st.login."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def coder_name() -> str | None:
    """Who is coding: the logged-in user under OIDC, else the name picked in the sidebar (kept in the URL)."""
    if oidc_configured():
        return (st.user.get("name") or st.user.get("email")) if st.user.is_logged_in else None
    return st.session_state.get(CODER_KEY) or None


@contextmanager
def coding() -> Iterator[tuple[Session, Project, Coder]]:
    """A write transaction with the project and the current coder, for one decision."""
    name = coder_name()
    if not name:
        raise QualcodeError("pick who is coding in the sidebar first")
    with store().write() as session:
        current = get_project(session, create=False)
        yield session, current, coder_named(session, current, name)


def flash(message: str, icon: str = DONE) -> None:
    """A message to show as a toast on the next run (callbacks cannot draw)."""
    st.session_state[_FLASH] = (message, icon)


def show_flash() -> None:
    if _FLASH in st.session_state:
        message, icon = st.session_state.pop(_FLASH)
        st.toast(markdown_escape(message), icon=icon)


def attempt(action, *args, done: str | None = None, **kwargs):
    """Run a store action from a callback; its QualcodeError becomes an error toast, not a traceback."""
    try:
        result = action(*args, **kwargs)
    except QualcodeError as err:
        flash(str(err), WARN)
        return None
    if done:
        flash(done)
    return result


def write_project(operation, *args, done: str | None = None, **kwargs):
    """From a callback: `operation(session, project, *args, **kwargs)` in its own write transaction; its result,
    or None when its QualcodeError became an error toast."""
    def run():
        with store().write() as session:
            return operation(session, get_project(session, create=False), *args, **kwargs)
    return attempt(run, done=done)
