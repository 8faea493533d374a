"""Who is looking, and what blind coding lets them see.

A `Viewer` is the person an app session or command acts for. On a single-user install
(no member defined) that person is also the lead of their own project. While blind mode
is on, a coder sees only their own codings: every page and every machine output that
shows codings asks `visible_coders` which coders' work it may show.
"""

from __future__ import annotations

from dataclasses import dataclass

from qualcode.common.errors import QualcodeError
from qualcode.store.model import Project

LEAD, CODER, SOLO = "lead", "coder", "solo"
ROLES = (LEAD, CODER)
RESERVED_NAMES = ("machine", "consensus")   # coders the software writes as, never a person


@dataclass(frozen=True)
class Viewer:
    name: str | None      # None until someone has said (or logged in as) who they are
    role: str = SOLO      # lead | coder for a member; solo on a single-user install


def needs_login(viewer: Viewer) -> bool:
    """A team server's visitor who has not logged in: they see the login page and nothing else."""
    return viewer.name is None and viewer.role != SOLO


def can_lead(viewer: Viewer) -> bool:
    """Switching blind mode, comparing coders, reconciling and the pseudonym key are a lead's."""
    return viewer.role in (LEAD, SOLO)


def blind_mode(project: Project) -> bool:
    """Blind coding: each coder sees only their own codings (for independent double coding)."""
    return bool(project.settings.get("blind", False))


def visible_coders(project: Project, viewer: Viewer) -> set[str] | None:
    """The coders whose codings `viewer` may see: None for all of them, else a set of names."""
    if not blind_mode(project) or can_lead(viewer):
        return None
    return {viewer.name} if viewer.name else set()


def check_person_name(name: str) -> str:
    """A person's name, trimmed; the reserved coder names are refused."""
    name = (name or "").strip()
    if not name:
        raise QualcodeError("a person needs a name")
    if name.casefold() in RESERVED_NAMES:
        raise QualcodeError(f"'{name}' is reserved for the software's own coder; choose another name")
    return name
