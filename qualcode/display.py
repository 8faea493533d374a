"""Show transcript and codebook text as text: escape it before any Markdown renderer sees it."""

from __future__ import annotations

import re

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$&:])")


def markdown_escape(text: str) -> str:
    """Backslash-escape every character Markdown (or its HTML pass-through) could interpret."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def format_time(seconds: float | None) -> str:
    """h:mm:ss for a turn's start time; empty when the format carries no times."""
    if seconds is None:
        return ""
    whole = int(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"
