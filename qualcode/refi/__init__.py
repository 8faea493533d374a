"""REFI-QDA, the exchange standard of NVivo, ATLAS.ti, MAXQDA and QualCoder: codebooks (`.qdc`) and
whole projects (`.qdpx`) in and out.

`qdc.py` (codebook ⇄ .qdc), `qdpx_export.py` (a project → .qdpx), `qdpx_read.py` (an untrusted .qdpx →
checked data), `qdpx_import.py` (that data → the project, one transaction), `positions.py` (their text
positions → our normalised offsets), `xml_helpers.py` (parser, elements, schema checks both formats
share). It may import the store, codes, ingest's decoding and safety; nothing below imports it but
the CLI, the UI and `codebook_files.py`.

Package `refi`: REFI-QDA in and out, and `codebook_files.py`, which reads a codebook file of either
kind. It may import `common`, `store`, `ingest`, `recording`, `codebook`, `autocode`, `coding`,
`team`, `deid`, `export`, `topics` (tests/test_layout.py checks it).
"""
