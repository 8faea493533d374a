"""Streamlit pages and components. The only place that imports Streamlit; no rules live here.

Package `ui`. It may import `common`, `store`, `ingest`, `recording`, `codebook`, `autocode`,
`coding`, `team`, `deid`, `export`, `topics`, `refi`, `assistant`, `cli` (tests/test_layout.py
checks it).
"""
