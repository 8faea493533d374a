"""The app's pages, in navigation order, and the seams where later pages plug in.

A page is a module in `qualcode/ui/` with a `render()` function. Topics,
agreement and export pages are written with their own issues: once
`qualcode/ui/topics_page.py` (or `agreement_page.py`, `export_page.py`) exists
it appears in the navigation under its section, with no change here.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Callable

import streamlit as st

from qualcode.ui import autocode_page, code_page, codebook_page, project_page, sidebar
from qualcode.ui.state import show_flash

# (section, module under qualcode.ui, title, icon, url path)
SEAMS = [
    ("Project", "anonymise_page", "Anonymise", ":material/shield_person:", "anonymise"),
    ("Analyse", "topics_page", "Topics", ":material/bubble_chart:", "topics"),
    ("Analyse", "agreement_page", "Agreement", ":material/group:", "agreement"),
    ("Report", "export_page", "Export", ":material/download:", "export"),
]


def framed(render: Callable[[], None]) -> Callable[[], None]:
    """Every page draws the shared sidebar and pending toasts first."""
    def page() -> None:
        sidebar.render()
        show_flash()
        render()
    page.__name__ = render.__module__.rsplit(".", 1)[-1]
    return page


def _pages() -> dict[str, list]:
    sections: dict[str, list] = {"Project": [
        st.Page(framed(project_page.render), title="Project", icon=":material/folder_open:", url_path="project",
                default=True),
        st.Page(framed(codebook_page.render), title="Codebook", icon=":material/account_tree:", url_path="codebook"),
    ], "Coding": [
        st.Page(framed(code_page.render), title="Code", icon=":material/edit_note:", url_path="code"),
        st.Page(framed(autocode_page.render), title="Auto-code", icon=":material/auto_awesome:", url_path="autocode"),
    ]}
    for section, module, title, icon, url_path in SEAMS:
        if importlib.util.find_spec(f"qualcode.ui.{module}") is not None:
            page_module = importlib.import_module(f"qualcode.ui.{module}")
            sections.setdefault(section, []).append(
                st.Page(framed(page_module.render), title=title, icon=icon, url_path=url_path))
    return sections


PAGES = _pages()
