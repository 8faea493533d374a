"""The login page a team server shows to anyone not logged in, and logging out.

The token goes into session state (this tab) and into a cookie (a refresh or a new tab),
set by a line of JavaScript because Streamlit has no call that sets cookies. The token is
signed and expires (see qualcode.team.members); the cookie is SameSite=Strict, and Secure when
the app is served over https.
"""

from __future__ import annotations

import time

import streamlit as st

from qualcode.common.errors import QualcodeError
from qualcode.team.members import authenticate, issue_token, token_expiry
from qualcode.store import get_project
from qualcode.ui.state import TOKEN_KEY, oidc_configured, store

def _cookie_script(value: str, seconds: int) -> str:
    # the token is [0-9A-Za-z._-] only (members.issue_token), so it needs no quoting
    return (f"<script>document.cookie = '{TOKEN_KEY}={value}; path=/; max-age={max(seconds, 0)}; SameSite=Strict'"
            f" + (location.protocol === 'https:' ? '; Secure' : '');</script>")


def write_cookie() -> None:
    """Make this browser's cookie match the session: this login's token, or none after a logout.

    The cookie the browser sent is fixed when the tab connects, so until the next refresh the
    script is sent on every run; setting a cookie again is harmless, and a tab closed or moved on
    before the first script ran still ends up with the cookie."""
    token, sent = st.session_state.get(TOKEN_KEY), st.context.cookies.get(TOKEN_KEY)
    if token and sent != token:
        st.html(_cookie_script(token, int(token_expiry(token) - time.time())), unsafe_allow_javascript=True)
    elif token == "" and sent:
        st.html(_cookie_script("", 0), unsafe_allow_javascript=True)


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
