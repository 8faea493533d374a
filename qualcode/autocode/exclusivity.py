"""Which codes exclude each other, declared in the codebook or read from the coders' decisions.

A codebook may say `exclusive: true` on a parent (or at its top) — one speech act per utterance,
SWOT's four cells. Most do not say: siblings that the coders never applied together over at
least MIN_EVIDENCE coded segments behave as exclusive, and the app says so; `exclusive: false`
overrules that. A group is *exhaustive* when, in addition, every decided segment carries exactly
one of its codes: then every segment gets the most likely one, as a coder would give it.
The engines work on the leaf codes that are siblings; decisions are {column: {row: positive?}}.
"""

from __future__ import annotations

from dataclasses import dataclass

MIN_EVIDENCE = 20   # coded segments before exclusivity or exhaustiveness is inferred


@dataclass
class Group:
    columns: list[int]          # sibling leaf codes (engine columns)
    declared: bool | None       # what the codebook says; None = not said
    exclusive: bool             # at most one of them per segment
    exhaustive: bool            # exactly one of them on every decided segment
    evidence: int               # decided segments with one of the group's codes

    @property
    def inferred(self) -> bool:
        return self.exclusive and self.declared is None

    def describe(self, names: list[str]) -> str:
        """One line for the app and the CLI: what holds for this group and why."""
        members = ", ".join(names[c] for c in self.columns)
        if not self.exclusive:
            why = "the codebook says so" if self.declared is False else (
                "too few coded segments to tell" if self.evidence < MIN_EVIDENCE else "coders applied two together")
            return f"not exclusive ({why}): {members}"
        how = "declared" if self.declared else f"inferred from {self.evidence} coded segments"
        every = "; every decided segment has exactly one, so each segment gets one" if self.exhaustive else ""
        return f"exclusive ({how}{every}): {members}"


def positives_by_row(decisions: dict[int, dict[int, bool]]) -> tuple[dict[int, set[int]], set[int]]:
    """{row: codes a person applied to it} and every decided row."""
    positives: dict[int, set[int]] = {}
    decided: set[int] = set()
    for column, rows in decisions.items():
        for row, yes in rows.items():
            decided.add(row)
            if yes:
                positives.setdefault(row, set()).add(column)
    return positives, decided


def resolve_groups(candidates: list[tuple[list[int], bool | None]],
                   decisions: dict[int, dict[int, bool]]) -> list[Group]:
    """Groups of two or more sibling columns with what holds for each, given the decisions so far."""
    positives, decided = positives_by_row(decisions)
    groups = []
    for columns, declared in candidates:
        if len(columns) < 2:
            continue
        members = set(columns)
        counts = [len(codes & members) for codes in positives.values()]
        evidence = sum(1 for c in counts if c)
        used = set().union(*(codes & members for codes in positives.values())) if positives else set()
        together = any(c > 1 for c in counts)
        exclusive = declared if declared is not None else (
            evidence >= MIN_EVIDENCE and len(used) >= 2 and not together)
        exhaustive = bool(exclusive and not together and len(decided) >= MIN_EVIDENCE and len(used) >= 2
                          and all(len(positives.get(row, set()) & members) == 1 for row in decided))
        groups.append(Group(list(columns), declared, bool(exclusive), exhaustive, evidence))
    return groups
