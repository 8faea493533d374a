"""From a recording to a transcript: decode (`audio.py`), the packaged Whisper model
(`whisper_files.py`), speech to timed utterances (`transcribe.py`, the engine), voices grouped
without a diarization model (`voices.py`), and the draft a researcher corrects and confirms
(`draft.py`, `editing.py`, the runners).

Package `recording`: recordings to draft transcripts. It may import `common`, `store`, `ingest`
(tests/test_layout.py checks it).
"""
