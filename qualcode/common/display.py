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


# The colours Streamlit's Markdown can paint a badge with (no arbitrary colours without HTML).
BADGE_COLORS = ("red", "orange", "yellow", "green", "blue", "violet", "gray")
_HUES = ((15, "red"), (40, "orange"), (70, "yellow"), (165, "green"), (255, "blue"), (340, "violet"), (360, "red"))


def badge_color(hex_color: str | None) -> str:
    """The badge colour nearest a code's #RRGGBB, by hue (greys stay grey)."""
    try:
        r, g, b = (int(hex_color.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4))
    except (AttributeError, ValueError):
        return "gray"
    high, low = max(r, g, b), min(r, g, b)
    if high == 0 or (high - low) / high < 0.25:
        return "gray"
    span = high - low
    if high == r:
        hue = 60 * (((g - b) / span) % 6)
    elif high == g:
        hue = 60 * ((b - r) / span + 2)
    else:
        hue = 60 * ((r - g) / span + 4)
    return next(name for limit, name in _HUES if hue < limit)


def badge(label: str, hex_color: str | None) -> str:
    """Markdown for a coloured chip whose label is shown literally."""
    return f":{badge_color(hex_color)}-badge[{markdown_escape(label)}]"
