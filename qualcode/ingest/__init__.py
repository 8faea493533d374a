"""Getting transcripts in: bytes → `Parsed` (a reader per format, listed in `formats.py`) →
assembled text, turns and segments (`importer.py`), one transaction per file.

A new format is one reader module declaring a `base.Format` and one entry in
`formats.REGISTRY`; nothing else changes (see ARCHITECTURE.md).

Package `ingest`: the format registry and readers, decoding, speakers, sidecars, assembly,
segmentation (`segment.py`) and read-side views of documents (`documents.py`). It may import
`common`, `store` (tests/test_layout.py checks it).
"""
