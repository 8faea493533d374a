"""Streamlit entry point: navigation over the pages in qualcode/ui — nothing else."""

import streamlit as st

from qualcode.ui.pages import navigation

st.set_page_config(page_title="QualCode", layout="wide")
pages, position = navigation()
st.navigation(pages, position=position).run()
