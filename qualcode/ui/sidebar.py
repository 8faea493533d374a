"""The sidebar every page shares: which project, and who is coding (remembered in the URL)."""

from __future__ import annotations

import streamlit as st
from sqlalchemy import select

from qualcode.display import markdown_escape
from qualcode.model import Coder
from qualcode.review import blind_mode
from qualcode.store import find_project
from qualcode.ui.state import CODER_KEY, oidc_configured, store


def _human_coders() -> list[str]:
    with store().read() as session:
        current = find_project(session)
        if current is None:
            return []
        return list(session.scalars(select(Coder.name).where(Coder.project_id == current.id, Coder.kind == "human")
                                    .order_by(Coder.name)))


def _identity() -> None:
    if oidc_configured():
        if st.user.is_logged_in:
            st.caption(f"Coding as **{markdown_escape(str(st.user.get('name') or st.user.get('email')))}**")
            st.button("Log out", on_click=st.logout, icon=":material/logout:")
        else:
            st.button("Log in", on_click=st.login, type="primary", icon=":material/login:")
        return
    names = _human_coders()
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


def render() -> None:
    with st.sidebar:
        with store().read() as session:
            current = find_project(session)
        if current is not None:
            st.markdown(f"**{markdown_escape(current.name)}**")
            if blind_mode(current):
                st.caption(":material/visibility_off: Blind coding: you see only your own codings")
        _identity()
