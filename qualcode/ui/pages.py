"""The app's pages, in navigation order."""

import streamlit as st

from qualcode.ui import documents_page

PAGES = [
    st.Page(documents_page.render, title="Documents", default=True),
]
