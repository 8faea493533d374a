"""Streamlit pages and components. The only place that imports Streamlit; no rules live here."""
