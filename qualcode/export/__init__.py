"""Outputs: Word quotes reports, tables, REFI-QDA exchange files."""
