"""A text with spans replaced, and the map from original offsets to the new ones.

Codings and segments keep their offsets into the stored text; whoever shows
or exports them de-identified maps each offset through `DeidentifiedText`.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass


@dataclass(frozen=True)
class Replacement:
    start: int  # in the original text
    end: int
    new_start: int  # in the de-identified text
    new_end: int
    type: str  # SPEAKER for a speaker label, else the identifier type
    text: str  # what stands there now


@dataclass(frozen=True)
class DeidentifiedText:
    text: str
    replacements: list[Replacement]
    undecided: int  # proposals nobody has accepted or rejected yet: their text is still shown

    def offset(self, position: int, side: str = "start") -> int:
        """Where an original offset lands; inside a replaced span, at its start or end (`side`)."""
        i = bisect.bisect_right([r.start for r in self.replacements], position) - 1
        if i < 0:
            return position
        r = self.replacements[i]
        if position == r.start:
            return r.new_start
        if position < r.end:
            return r.new_start if side == "start" else r.new_end
        return r.new_end + (position - r.end)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """An original span (a segment, a coding) in the de-identified text, widened to whole replacements."""
        return self.offset(start, "start"), self.offset(end, "end")


def replace_spans(text: str, spans: list[tuple[int, int, str, str]], undecided: int = 0) -> DeidentifiedText:
    """Replace non-overlapping (start, end, new text, type) spans of `text`."""
    parts, done, shift, last = [], [], 0, 0
    for start, end, new, kind in sorted(spans):
        if start < last:
            raise ValueError(f"overlapping replacements at {start}")
        parts += [text[last:start], new]
        done.append(Replacement(start, end, start + shift, start + shift + len(new), kind, new))
        shift += len(new) - (end - start)
        last = end
    parts.append(text[last:])
    return DeidentifiedText("".join(parts), done, undecided)
