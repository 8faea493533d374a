"""De-identification internals: finding identifiers in plain text.

`detect.detect_text` is the pure entry point (text in, candidate spans out);
`qualcode.anonymize` stores them as proposals and derives de-identified views.
"""
