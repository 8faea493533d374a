"""What an app session shares across pages: the store, who is coding, and messages for the next run."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import streamlit as st
from sqlalchemy.orm import Session

from streamlit.runtime.scriptrunner import get_script_run_ctx

from qualcode.store.access import CODER, Viewer, blind_mode, check_person_name, visible_coders
from qualcode.coding import coder_named
from qualcode.common.display import markdown_escape
from qualcode.common.errors import QualcodeError
from qualcode.team.members import member_for_subject, member_for_token, team_mode, viewer_of
from qualcode.store.model import Coder, Project
from qualcode.store import Store, add_actor_lookup, find_project, get_project, resolve_url

DONE, WARN, INFO, UNDONE = ":material/check_circle:", ":material/warning:", ":material/info:", ":material/undo:"
CODER_KEY = "coder"        # single-user mode: also the URL query parameter that remembers the coder
TOKEN_KEY = "login_token"  # team mode: the signed login token, also kept in a cookie of this name
_ACTOR_KEY = "_actor"
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


def login_token() -> str | None:
    """This browser session's login token: once logged in, the session's; on a fresh session (a
    refresh), the cookie the browser sent."""
    if TOKEN_KEY not in st.session_state:
        st.session_state[TOKEN_KEY] = st.context.cookies.get(TOKEN_KEY) or ""
    return st.session_state[TOKEN_KEY] or None


def _solo_name() -> str | None:
    if oidc_configured():
        return (st.user.get("name") or st.user.get("email")) if st.user.is_logged_in else None
    return st.session_state.get(CODER_KEY) or None


def viewer() -> Viewer:
    """Who this browser session acts for. In team mode: the member logged in (by token, or by the
    identity provider's stable subject), else nobody — `Viewer(None)`. On a single-user install:
    the person named by the identity provider or the sidebar picker."""
    with store().read() as session:
        project = find_project(session)
        if team_mode(session, project):
            if oidc_configured():
                member = member_for_subject(session, project, st.user.get("sub")) if st.user.is_logged_in else None
            else:
                member = member_for_token(session, project, login_token())
            who = viewer_of(member) if member else Viewer(None, CODER)
        else:
            who = Viewer(_solo_name())
    st.session_state[_ACTOR_KEY] = who.name
    return who


def coder_name() -> str | None:
    """The name this session codes under (see `viewer`)."""
    return viewer().name


def visible() -> set[str] | None:
    """The coders whose codings this session may see (`access.visible_coders`); None for all."""
    who = viewer()
    with store().read() as session:
        project = find_project(session)
        return visible_coders(project, who) if project is not None else None


def machine_owner() -> str | None:
    """Under blind coding, this session's coder, whose own machine suggests to them; else None (shared)."""
    with store().read() as session:
        project = find_project(session)
        return coder_name() if project is not None and blind_mode(project) else None


def _session_actor() -> str | None:
    """The event log's actor inside an app session: whoever that session last resolved as its viewer."""
    return st.session_state.get(_ACTOR_KEY) if get_script_run_ctx(suppress_warning=True) else None


add_actor_lookup(_session_actor)


@contextmanager
def coding() -> Iterator[tuple[Session, Project, Coder]]:
    """A write transaction with the project and the current coder, for one decision."""
    name = coder_name()
    if not name:
        raise QualcodeError("log in, or pick who is coding in the sidebar, first")
    check_person_name(name)
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
