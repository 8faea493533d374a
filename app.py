"""Streamlit entry point: navigation over the pages in qualcode/ui — nothing else.

A QualcodeError that no page caught (a database busy past its timeout, one that cannot be opened)
is shown as its one line, never as a traceback.
"""

import streamlit as st

from qualcode.common.display import markdown_escape
from qualcode.common.errors import QualcodeError
from qualcode.ui.pages import navigation

st.set_page_config(page_title="QualCode", layout="wide")
try:
    pages, position = navigation()
    st.navigation(pages, position=position).run()
except QualcodeError as err:
    st.error(markdown_escape(str(err)), icon=":material/error:")
