"""QualCode: qualitative coding of focus-group transcripts with machine suggestions."""

__version__ = "0.1.0"
