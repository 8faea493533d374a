"""De-identification internals: finding identifiers in plain text.

`detect.detect_text` is the pure entry point (text in, candidate spans out);
`qualcode.deid.anonymize` stores them as proposals and derives de-identified views.

Package `deid`: the detectors (the engine) and `anonymize.py`, its runner in a project. It may
import `common`, `store`, `ingest`, `recording`, `codebook`, `autocode`, `coding`, `team`
(tests/test_layout.py checks it).
"""
