"""Outputs: Word quotes reports, tables, REFI-QDA exchange files.

Package `export`: coded quotes (`quotes.py`), frequencies and crosstabs (`analysis.py`), the Word
report (`docx.py`) and tables (`tables.py`). It may import `common`, `store`, `ingest`, `recording`,
`codebook`, `autocode`, `coding`, `team`, `deid` (tests/test_layout.py checks it).
"""
