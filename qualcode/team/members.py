"""Team-server accounts: members with a role, argon2 password hashes, signed login tokens.

A project with no member is a single-user install and asks nobody to log in. Once one
member exists, the app shows nothing but the login form until someone logs in. A login
token is `member.version.expiry.signature`, signed with a key kept in the database (so
every app process on one database accepts it) and ended early by raising the member's
`token_version` (a password or role change, a removal).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qualcode.store.access import ROLES, Viewer, check_person_name
from qualcode.common.errors import QualcodeError
from qualcode.store.model import Member, Project, ServerKey
from qualcode.store import atomic, record

TOKEN_HOURS = 12
_HASHER = PasswordHasher()
_KEY_NAME = "login-token"
# verifying against this when the name is unknown takes as long as a real check
_DUMMY_HASH = _HASHER.hash("not a password")


def team_mode(session: Session, project: Project | None) -> bool:
    """True once the project has a member: then every page asks for a login."""
    return project is not None and bool(session.scalar(
        select(func.count()).select_from(Member).where(Member.project_id == project.id)))


def _role(role: str) -> str:
    if role not in ROLES:
        raise QualcodeError(f"unknown role '{role}' (roles: {', '.join(ROLES)})")
    return role


def member_named(session: Session, project: Project, name: str) -> Member:
    member = session.scalars(select(Member).where(Member.project_id == project.id, Member.name == name)).first()
    if member is None:
        raise QualcodeError(f"no member named '{name}'")
    return member


def list_members(session: Session, project: Project) -> list[Member]:
    return list(session.scalars(select(Member).where(Member.project_id == project.id).order_by(Member.name)))


@atomic
def add_member(session: Session, project: Project, name: str, role: str, password: str | None = None,
               oidc_subject: str | None = None) -> Member:
    """A new member; a password, an identity-provider subject, or both."""
    name = check_person_name(name)
    _role(role)
    if not password and not oidc_subject:
        raise QualcodeError(f"member '{name}' needs a password or an identity-provider subject")
    if session.scalars(select(Member.id).where(Member.project_id == project.id, Member.name == name)).first():
        raise QualcodeError(f"a member named '{name}' already exists")
    if oidc_subject and session.scalars(select(Member.id).where(Member.project_id == project.id,
                                                                Member.oidc_subject == oidc_subject)).first():
        raise QualcodeError(f"subject '{oidc_subject}' already belongs to another member")
    member = Member(project_id=project.id, name=name, role=role, token_version=0, oidc_subject=oidc_subject or None,
                    password_hash=_HASHER.hash(password) if password else None)
    session.add(member)
    session.flush()
    record(session, project.id, "add", "member", member.id, after={"name": name, "role": role})
    return member


@atomic
def remove_member(session: Session, project: Project, name: str) -> None:
    """Ends the member's logins; their codings stay, under their coder name."""
    member = member_named(session, project, name)
    record(session, project.id, "delete", "member", member.id, before={"name": member.name, "role": member.role})
    session.delete(member)


@atomic
def set_role(session: Session, project: Project, name: str, role: str) -> Member:
    member = member_named(session, project, name)
    before = member.role
    member.role = _role(role)
    member.token_version += 1             # open sessions carry the old role: they log in again
    record(session, project.id, "update", "member", member.id, before={"role": before}, after={"role": role})
    return member


@atomic
def set_password(session: Session, project: Project, name: str, password: str) -> Member:
    member = member_named(session, project, name)
    member.password_hash = _HASHER.hash(password)
    member.token_version += 1
    record(session, project.id, "update", "member", member.id, after={"password": "changed"})
    return member


def end_logins(session: Session, project: Project, token: str | None) -> None:
    """Log out: every login token of the member this token is for stops working, so a cookie the
    browser has not yet dropped (or a copy of it) cannot log in again."""
    member = member_for_token(session, project, token)
    if member is not None:
        member.token_version += 1
        record(session, project.id, "logout", "member", member.id)


def authenticate(session: Session, project: Project, name: str, password: str) -> Member:
    """The member whose name and password these are; one message for every failure, so a wrong
    name and a wrong password cannot be told apart."""
    member = session.scalars(select(Member).where(Member.project_id == project.id,
                                                  Member.name == (name or "").strip())).first()
    try:
        _HASHER.verify(member.password_hash if member and member.password_hash else _DUMMY_HASH, password or "")
        if member is None or member.password_hash is None:
            raise VerificationError
    except (VerificationError, InvalidHashError):
        raise QualcodeError("wrong name or password") from None
    return member


def member_for_subject(session: Session, project: Project, subject: str | None) -> Member | None:
    """The member an identity provider's stable subject (`sub`) belongs to."""
    if not subject:
        return None
    return session.scalars(select(Member).where(Member.project_id == project.id,
                                                Member.oidc_subject == subject)).first()


def viewer_of(member: Member) -> Viewer:
    return Viewer(member.name, member.role)


def _signing_key(session: Session) -> bytes:
    key = session.get(ServerKey, _KEY_NAME)
    if key is None:
        key = ServerKey(name=_KEY_NAME, value=secrets.token_urlsafe(32))
        session.add(key)
        session.flush()
    return key.value.encode()


def _sign(key: bytes, payload: str) -> str:
    digest = hmac.new(key, payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def issue_token(session: Session, member: Member, hours: float = TOKEN_HOURS, now: float | None = None) -> str:
    """A login token for `member`, valid `hours` from now (call inside a write transaction)."""
    expiry = int((now if now is not None else time.time()) + hours * 3600)
    payload = f"{member.id}.{member.token_version}.{expiry}"
    return f"{payload}.{_sign(_signing_key(session), payload)}"


def token_expiry(token: str) -> int:
    """When a well-formed token expires (seconds since the epoch); 0 for anything else."""
    parts = token.split(".")
    return int(parts[2]) if len(parts) == 4 and parts[2].isdigit() else 0


def member_for_token(session: Session, project: Project, token: str | None,
                     now: float | None = None) -> Member | None:
    """The member a login token is valid for, or None (forged, expired, revoked, removed, malformed)."""
    parts = (token or "").split(".")
    if len(parts) != 4 or not all(p.isdigit() for p in parts[:3]):
        return None
    member_id, version, expiry = (int(p) for p in parts[:3])
    key = session.get(ServerKey, _KEY_NAME)
    if key is None or not hmac.compare_digest(_sign(key.value.encode(), ".".join(parts[:3])), parts[3]):
        return None
    if expiry < (now if now is not None else time.time()):
        return None
    member = session.get(Member, member_id)
    if member is None or member.project_id != project.id or member.token_version != version:
        return None
    return member
