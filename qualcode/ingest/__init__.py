"""Getting transcripts in: bytes → `Parsed` (a reader per format, listed in `formats.py`) →
assembled text, turns and segments (`importer.py`), one transaction per file.

A new format is one reader module declaring a `base.Format` and one entry in
`formats.REGISTRY`; nothing else changes (see ARCHITECTURE.md).
"""
