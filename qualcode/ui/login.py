"""The login page a team server shows to anyone not logged in, and logging out.

The token goes into session state (this tab) and into a cookie (a refresh or a new tab), set
by a small frame of our own (`cookie_component/`) because Streamlit has no call that sets cookies;
nothing is rendered as HTML in the page. The token is
signed and expires (see qualcode.team.members); the cookie is SameSite=Strict, and Secure when
the app is served over https.
"""

from __future__ import annotations

import time
from pathlib import Path

import streamlit as st
import streamlit.components.v1 as components

from qualcode.common.errors import QualcodeError
from qualcode.team.members import authenticate, end_logins, issue_token, token_expiry
from qualcode.store import get_project
from qualcode.ui.state import TOKEN_KEY, oidc_configured, store

# a frame of our own that sets the cookie (Streamlit has no call for it); see cookie_component/index.html
_set_cookie = components.declare_component("qualcode_login_cookie", path=str(Path(__file__).parent / "cookie_component"))


def write_cookie() -> None:
    """Make this browser's cookie match the session: this login's token, or none after a logout.

    The cookie the browser sent is fixed when the tab connects, so until the next refresh the
    frame is drawn on every run (it sets the cookie once per value); a tab that moved on before
    the frame first ran still ends up with the cookie."""
    token, sent = st.session_state.get(TOKEN_KEY), st.context.cookies.get(TOKEN_KEY)
    if token and sent != token:
        _set_cookie(name=TOKEN_KEY, value=token, seconds=int(token_expiry(token) - time.time()), key="login.cookie")
    elif token == "" and sent:
        _set_cookie(name=TOKEN_KEY, value="", seconds=0, key="login.cookie")


def _log_in() -> None:
    name, password = st.session_state.get("login.name", ""), st.session_state.get("login.password", "")
    try:
        with store().write() as session:
            member = authenticate(session, get_project(session, create=False), name, password)
            token = issue_token(session, member)
    except QualcodeError as err:
        st.session_state["login.error"] = str(err)
        return
    st.session_state[TOKEN_KEY] = token
    st.session_state.pop("login.error", None)


def log_out() -> None:
    if oidc_configured():
        st.logout()
        return
    with store().write() as session:             # the token ends on the server, whatever the cookie does
        end_logins(session, get_project(session, create=False), st.session_state.get(TOKEN_KEY))
    st.session_state[TOKEN_KEY] = ""          # not absent: the cookie this session started with is spent


def render() -> None:
    """Only this, until someone logs in."""
    st.title("QualCode")
    if oidc_configured():
        if st.user.is_logged_in:
            st.error("You are signed in with the identity provider, but you are not a member of this project. "
                     "Ask a lead to add you with this command:")
            st.code(f"qualcode members add NAME --role coder --oidc-subject {st.user.get('sub')}", language=None)
            st.button("Log out", on_click=st.logout)
        else:
            st.button("Log in", on_click=st.login, type="primary", icon=":material/login:")
        return
    with st.form("login"):
        st.text_input("Name", key="login.name")
        st.text_input("Password", type="password", key="login.password")
        st.form_submit_button("Log in", type="primary", on_click=_log_in)
    if error := st.session_state.get("login.error"):
        st.error(error)
