"""The sidebar every page shares: which project, and who is coding.

On a team server it names the member logged in; on a single-user install, the person
picked here (kept in the URL, so a refresh keeps it) — and it says there are no logins.
"""

from __future__ import annotations

import streamlit as st

from qualcode.store.access import SOLO, Viewer, blind_mode
from qualcode.coding import human_coder_names
from qualcode.common.display import markdown_escape
from qualcode.store import find_project
from qualcode.ui import login
from qualcode.ui.state import CODER_KEY, oidc_configured, store


def _signed_in(who: Viewer) -> None:
    st.caption(f"Logged in as **{markdown_escape(who.name or '')}** · {who.role}")
    st.button("Log out", on_click=login.log_out, icon=":material/logout:")


def _picker(names: list[str]) -> None:
    if oidc_configured():
        if st.user.is_logged_in:
            st.caption(f"Coding as **{markdown_escape(str(st.user.get('name') or st.user.get('email')))}**")
            st.button("Log out", on_click=st.logout, icon=":material/logout:")
        else:
            st.button("Log in", on_click=st.login, type="primary", icon=":material/login:")
        return
    if CODER_KEY not in st.session_state:                     # a new session (a refresh): the URL says who
        st.session_state[CODER_KEY] = st.query_params.get(CODER_KEY)
    chosen = st.session_state[CODER_KEY]
    st.selectbox("Coding as", names + [chosen] if chosen and chosen not in names else names, key=CODER_KEY,
                 accept_new_options=True, placeholder="Pick or type your name",
                 help="Kept in the page address: a refresh keeps it.")
    if st.session_state[CODER_KEY]:
        st.query_params[CODER_KEY] = st.session_state[CODER_KEY]
    else:
        st.query_params.pop(CODER_KEY, None)
    st.caption("Single-user mode: no logins. A team server starts with `qualcode members add`.")


def render(who: Viewer) -> None:
    with st.sidebar:
        with store().read() as session:
            current = find_project(session)
            names = human_coder_names(session, current) if current is not None and who.role == SOLO else []
        if current is not None:
            st.markdown(f"**{markdown_escape(current.name)}**")
            if blind_mode(current):
                st.caption(":material/visibility_off: Blind coding: you see only your own codings")
        if who.role == SOLO:
            _picker(names)
        else:
            _signed_in(who)
