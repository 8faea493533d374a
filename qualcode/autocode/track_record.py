"""What a person can know about the machine's suggestions before trusting one.

Per code: the estimate the auto-coder made at its last run (the threshold, the precision the held-out
decisions promise at it, whether the code is still learning — the machine coder's
`settings["calibration"]`) beside what actually happened: of the machine's latest suggestions of the
code that a person decided, how many were accepted. And per group of sibling codes: whether the
machine treats them as exclusive, declared or inferred, recomputed from the codebook and the decisions
so far (what the next run will use), with the parent a researcher can overrule it on.

A suggestion counts once, by its most recent human decision; accepting it as another code counts
against the suggested one. Pure functions over a Session: the Code and Auto-code pages show them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from qualcode.codebook.codes import CodeTree
from qualcode.common.errors import QualcodeError
from qualcode.autocode.exclusivity import resolve_groups
from qualcode.store.model import Coder, Coding, Project
from qualcode.store import find_coder, record
from qualcode.autocode.suggest import POSITIVE, TARGET_SETTING, coded_leaves, group_candidates, machine_name

LAST_N = 50          # suggestions per code the track record looks back over
TARGET_RANGE = (0.5, 1.0)   # a target precision must be at least the first and below the second


@dataclass(frozen=True)
class Trust:
    """One code: the machine's estimate at its last run and its track record since."""

    threshold: float | None = None
    precision: float | None = None   # estimated precision at the threshold (held-out decisions)
    learning: bool = False           # too few decisions: only its most confident segments are suggested
    decisions: int = 0               # decisions the estimate rests on
    engine: str = "none"             # learned | zero-shot | none; "none" too when never calibrated
    accepted: int = 0                # of the machine's latest decided suggestions of this code
    rejected: int = 0

    @property
    def decided(self) -> int:
        return self.accepted + self.rejected

    @property
    def observed(self) -> float | None:
        """The share of decided suggestions that were accepted; None before any decision."""
        return self.accepted / self.decided if self.decided else None

    def estimate(self) -> str:
        """"est. precision 0.80", "still learning", or "" when the machine made no estimate."""
        if self.learning:
            return "still learning"
        return "" if self.precision is None else f"est. precision {self.precision:.2f}"

    def record(self) -> str:
        return f"{self.accepted} of {self.decided} accepted" if self.decided else "no decisions yet"

    def summary(self) -> str:
        """"est. precision 0.80 · 12 of 15 accepted": what the person deciding a suggestion can trust,
        shown beside its score."""
        return " · ".join(part for part in (self.estimate(), self.record()) if part)


@dataclass(frozen=True)
class GroupState:
    """Sibling codes of one parent and whether the machine treats them as exclusive, and why."""

    parent_id: int | None        # None: the top level (the codebook's flag)
    parent: str | None           # the parent's path, as `codes.set_exclusive` takes it
    members: list[str]           # the leaf codes in the group (the ones the machine suggests)
    declared: bool | None        # what the codebook says; None = not said
    exclusive: bool
    inferred: bool               # exclusive without the codebook saying so: a person may overrule it
    line: str                    # one line, as the auto-coder reports it

    @property
    def where(self) -> str:
        return self.parent or "top level"


def machine(session: Session, project: Project, owner: str | None = None) -> Coder | None:
    """The shared machine coder, or `owner`'s own under blind coding (`suggest.machine_name`)."""
    return find_coder(session, project.id, machine_name(owner))


def _settings(session: Session, project: Project, owner: str | None = None) -> dict:
    coder = machine(session, project, owner)
    return coder.settings if coder is not None else {}


def track_record(session: Session, project: Project, last_n: int = LAST_N, owner: str | None = None
                 ) -> dict[int, dict]:
    """Per code id: of the machine's last `last_n` suggestions of the code that a person decided, how many
    were accepted and rejected, and the observed precision (accepted / decided; None when none). Codes
    without a decided suggestion are absent."""
    coder = machine(session, project, owner)
    if coder is None:
        return {}
    suggestion, decision, human = aliased(Coding), aliased(Coding), aliased(Coder)
    rows = session.execute(
        select(suggestion.id, suggestion.code_id, decision.status, decision.code_id)
        .join(decision, decision.based_on_id == suggestion.id).join(human, human.id == decision.coder_id)
        .where(suggestion.coder_id == coder.id, suggestion.status == "suggested", human.kind == "human")
        .order_by(suggestion.id.desc(), decision.id.desc()))
    counts: dict[int, list[int]] = {}
    seen: set[int] = set()
    for suggestion_id, code_id, status, decided_code in rows:
        if suggestion_id in seen:            # an earlier decision on a suggestion already counted
            continue
        seen.add(suggestion_id)
        tally = counts.setdefault(code_id, [0, 0])
        if sum(tally) < last_n:
            tally[0 if status == "accepted" and decided_code == code_id else 1] += 1
    return {code_id: {"accepted": a, "rejected": r, "decided": a + r, "precision": a / (a + r)}
            for code_id, (a, r) in counts.items()}


def calibration_of(session: Session, project: Project, owner: str | None = None) -> dict[int, dict]:
    """Per code id: the machine's calibration at its last run (threshold, precision, learning, decisions,
    engine); empty before the first run."""
    return {int(code_id): cal for code_id, cal in _settings(session, project, owner).get("calibration", {}).items()}


def exclusive_groups_report(session: Session, project: Project, owner: str | None = None) -> list[str]:
    """The last run's one-line descriptions of the exclusive code groups."""
    return list(_settings(session, project, owner).get("groups", []))


def code_trust(session: Session, project: Project, last_n: int = LAST_N, owner: str | None = None
               ) -> dict[int, Trust]:
    """Per code id with a calibration or a track record: both together (of `owner`'s machine under blind coding)."""
    estimates = calibration_of(session, project, owner)
    records = track_record(session, project, last_n, owner)
    fields = ("threshold", "precision", "learning", "decisions", "engine")
    return {code_id: Trust(**{k: v for k, v in estimates.get(code_id, {}).items() if k in fields},
                           accepted=records.get(code_id, {}).get("accepted", 0),
                           rejected=records.get(code_id, {}).get("rejected", 0))
            for code_id in sorted(estimates.keys() | records.keys())}


def code_table(session: Session, project: Project, last_n: int = LAST_N, owner: str | None = None) -> list[dict]:
    """One row per live code the machine suggests or has suggested, in codebook order, for the Auto-code page."""
    tree = CodeTree(session, project)
    trust = code_trust(session, project, last_n, owner)
    return [{"code": tree.path(code), "threshold": t.threshold, "estimated precision": t.precision,
             "learning": t.learning, "decisions": t.decisions, "engine": t.engine, "track record": t.record(),
             "observed precision": t.observed}
            for code in tree.codes if not code.archived and (t := trust.get(code.id)) is not None]


def set_target_precision(session: Session, project: Project, value: float, actor: str | None = None) -> float:
    """Set the project's target precision (0.5 ≤ value < 1); the next auto-coding run calibrates to it."""
    low, high = TARGET_RANGE
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value < high:
        raise QualcodeError(f"the target precision must be at least {low} and below {high:g}, not {value!r}")
    before = project.settings.get(TARGET_SETTING)
    project.settings = {**project.settings, TARGET_SETTING: float(value)}
    record(session, project.id, "update", "project", project.id, before={TARGET_SETTING: before},
           after={TARGET_SETTING: float(value)}, actor=actor)
    return float(value)


def _decisions(session: Session, project: Project, column: dict[int, int], owner: str | None = None
               ) -> dict[int, dict[int, bool]]:
    """Human codings on segments as the auto-coder reads them: {code column: {segment id: positive?}};
    only `owner`'s under blind coding."""
    whose = Coder.kind == "human" if owner is None else Coder.name == owner
    rows = session.execute(select(Coding.segment_id, Coding.code_id, Coding.status)
                           .join(Coder, Coder.id == Coding.coder_id)
                           .where(Coder.project_id == project.id, whose,
                                  Coding.segment_id.is_not(None), Coding.code_id.in_(column.keys()))
                           .order_by(Coding.id))
    decisions: dict[int, dict[int, bool]] = {}
    for segment_id, code_id, status in rows:
        decisions.setdefault(column[code_id], {})[segment_id] = status in POSITIVE
    return decisions


def exclusive_groups(session: Session, project: Project, owner: str | None = None) -> list[GroupState]:
    """The groups of two or more sibling leaf codes the auto-coder considers, with what holds for each now:
    `CodeTree.exclusive_groups` resolved against the decisions so far, as the next run will resolve them."""
    tree = CodeTree(session, project)
    leaves = coded_leaves(tree)
    column = {c.id: j for j, c in enumerate(leaves)}
    candidates = group_candidates(tree, leaves)
    groups = resolve_groups([(columns, declared) for _, columns, declared in candidates],
                            _decisions(session, project, column, owner))
    names = [tree.path(c) for c in leaves]
    return [GroupState(parent.id if parent else None, tree.path(parent) if parent else None,
                       [names[j] for j in group.columns], group.declared, group.exclusive, group.inferred,
                       group.describe(names))
            for (parent, _, _), group in zip(candidates, groups)]
