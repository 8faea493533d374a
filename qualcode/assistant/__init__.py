"""Package `assistant`: the analysis assistant — search, summaries, contrasts, the consistency audit,
sub-codes and the coder report — extractive only: it ranks and selects what participants said, never writes a word. It may import
`common`, `store`, `ingest`, `recording`, `codebook`, `autocode`, `coding`, `team`, `deid`,
`export`, `topics`, `refi` (tests/test_layout.py checks it).
"""
