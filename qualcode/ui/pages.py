"""The app's pages, in navigation order, and who may open them.

A page is a module in `qualcode/ui/` with a `render()` function and one line in SEAMS,
the only place pages are registered. On a team server, someone not logged in gets the
login page and nothing else, and the pages in LEAD_ONLY are a lead's.
"""

from __future__ import annotations

import importlib
from typing import Callable

import streamlit as st

from qualcode.store.access import can_lead, needs_login
from qualcode.ui import login, sidebar
from qualcode.ui.state import show_flash, viewer

# (section, module under qualcode.ui, title, icon, url path); the first is the default page
SEAMS = [
    ("Project", "project_page", "Project", ":material/folder_open:", "project"),
    ("Project", "codebook_page", "Codebook", ":material/account_tree:", "codebook"),
    ("Project", "anonymize_page", "Anonymise", ":material/shield_person:", "anonymise"),
    ("Project", "transcript_page", "Transcripts", ":material/graphic_eq:", "transcripts"),
    ("Coding", "code_page", "Code", ":material/edit_note:", "code"),
    ("Coding", "autocode_page", "Auto-code", ":material/auto_awesome:", "autocode"),
    ("Analyse", "topics_page", "Topics", ":material/bubble_chart:", "topics"),
    ("Analyse", "analysis_page", "Search & summaries", ":material/manage_search:", "analyse"),
    ("Analyse", "agreement_page", "Agreement", ":material/group:", "agreement"),
    ("Report", "export_page", "Export", ":material/download:", "export"),
]
LEAD_ONLY = {"agreement_page", "anonymize_page"}   # comparing and reconciling; the pseudonym key


def framed(render: Callable[[], None]) -> Callable[[], None]:
    """Every page checks who is looking, then draws the shared sidebar and pending toasts first."""
    name = render.__module__.rsplit(".", 1)[-1]

    def page() -> None:
        who = viewer()
        login.write_cookie()
        if needs_login(who):
            login.render()
            return
        sidebar.render(who)
        if name in LEAD_ONLY and not can_lead(who):
            st.info("Only a lead opens this page.")
            return
        show_flash()
        render()
    page.__name__ = name
    return page


def _pages() -> list[tuple[str, str, st.Page]]:
    """(section, module, page) for every page, in navigation order; made anew for each run, because
    Streamlit's navigation takes over the page objects it is given."""
    return [(section, module, st.Page(framed(importlib.import_module(f"qualcode.ui.{module}").render), title=title,
                                      icon=icon, url_path=url_path, default=index == 0))
            for index, (section, module, title, icon, url_path) in enumerate(SEAMS)]




def navigation() -> tuple[dict[str, list], str]:
    """The pages this browser session may open now, and where the menu goes. Before a login every
    page draws only the login form (so an address like /code asks for it too) and the menu is hidden;
    a lead's pages are listed for a lead only."""
    who = viewer()
    if needs_login(who):
        return {"": [page for _, _, page in _pages()]}, "hidden"
    sections: dict[str, list] = {}
    for section, module, page in _pages():
        if module not in LEAD_ONLY or can_lead(who):
            sections.setdefault(section, []).append(page)
    return sections, "sidebar"
