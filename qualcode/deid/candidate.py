"""One proposed identifier in a text: where, what kind, who found it and how sure."""

from __future__ import annotations

from dataclasses import dataclass, field

TYPES = ("PERSON", "LOCATION", "ORGANIZATION", "PHONE", "EMAIL", "ID", "ADDRESS")
# Exact patterns outrank the participants' names, which outrank statistical guesses,
# so an overlap always resolves the same way whatever order the detectors ran in.
PRIORITY = {"rule": 3, "participant": 2, "user": 2, "list": 2, "pattern": 1, "names": 1, "natasha": 1}


@dataclass
class Candidate:
    start: int
    end: int
    type: str
    source: str  # rule:<what> | participant | user | list:<what> | pattern:<what> | names | natasha
    confidence: float
    notes: list[str] = field(default_factory=list)
    participant: str | None = None  # the speaker label this is a form of
    # The most a list lets a stretch be worth whoever else finds it (a region: 0.45), None: no say.
    ceiling: float | None = None

    @property
    def priority(self) -> int:
        return PRIORITY[self.source.split(":", 1)[0]]

    def overlaps(self, other: Candidate) -> bool:
        return self.start < other.end and other.start < self.end

    @property
    def note(self) -> str | None:
        return "; ".join(dict.fromkeys(self.notes)) or None
