"""Team-server commands: `qualcode members add|list|remove|role|password` and `qualcode blind on|off`.

Whoever can run these can open the database, so they need no login; each change is an event.
Passwords come from $QUALCODE_PASSWORD or a prompt without echo, never from the command line
(where `ps` and the shell history would keep them).
"""

from __future__ import annotations

import getpass
import os

from qualcode.store.access import ROLES
from qualcode.cli.common import emit, open_store
from qualcode.common.errors import QualcodeError


def _password(name: str) -> str:
    password = os.environ.get("QUALCODE_PASSWORD")
    if password is None:
        try:
            password = getpass.getpass(f"Password for {name}: ")
            if getpass.getpass("Again: ") != password:
                raise QualcodeError("the two passwords differ")
        except EOFError:
            raise QualcodeError("no password: set QUALCODE_PASSWORD or run in a terminal") from None
    if len(password) < 8:
        raise QualcodeError("a password needs at least 8 characters")
    return password


def _describe(member) -> dict:
    return {"name": member.name, "role": member.role, "password": member.password_hash is not None,
            "oidc_subject": member.oidc_subject}


def cmd_members_add(args) -> int:
    from qualcode.team.members import add_member
    from qualcode.store import get_project

    password = None if args.oidc_subject and os.environ.get("QUALCODE_PASSWORD") is None else _password(args.name)
    with open_store(args).write() as session:
        member = _describe(add_member(session, get_project(session), args.name, args.role, password,
                                      args.oidc_subject))
    emit(member, args.json, lambda m: print(f"added {m['name']} ({m['role']}); the app now asks everyone "
                                             f"to log in"))
    return 0


def cmd_members_list(args) -> int:
    from qualcode.team.members import list_members
    from qualcode.store import find_project

    with open_store(args).read() as session:
        project = find_project(session)
        members = [_describe(m) for m in list_members(session, project)] if project else []

    def human(rows: list[dict]) -> None:
        if not rows:
            print("no members: the app runs for one person without logins")
        for m in rows:
            login = "password" if m["password"] else ""
            if m["oidc_subject"]:
                login = f"{login} + provider" if login else "provider"
            print(f"{m['name']:<24} {m['role']:<6} {login}")
    emit(members, args.json, human)
    return 0


def _change(args, operation, done: str) -> int:
    from qualcode.store import get_project

    with open_store(args).write() as session:
        result = operation(session, get_project(session, create=False))
    emit(result, args.json, lambda r: print(done.format(**r)))
    return 0


def cmd_members_remove(args) -> int:
    from qualcode.team.members import remove_member

    def remove(session, project) -> dict:
        remove_member(session, project, args.name)
        return {"name": args.name, "removed": True}
    return _change(args, remove, "removed {name}; their codings stay")


def cmd_members_role(args) -> int:
    from qualcode.team.members import set_role
    return _change(args, lambda s, p: _describe(set_role(s, p, args.name, args.role)), "{name} is now a {role}")


def cmd_members_password(args) -> int:
    from qualcode.team.members import set_password
    password = _password(args.name)
    return _change(args, lambda s, p: _describe(set_password(s, p, args.name, password)),
                   "password of {name} changed; their open logins end")


def cmd_blind(args) -> int:
    from qualcode.coding.review import set_blind_mode
    from qualcode.store import get_project

    with open_store(args).write() as session:
        set_blind_mode(session, get_project(session), args.state == "on")
    emit({"blind": args.state == "on"}, args.json,
          lambda r: print("blind coding on: each coder sees only their own codings" if r["blind"]
                          else "blind coding off: coders see each other's codings"))
    return 0


def add_commands(sub, common) -> None:
    p = sub.add_parser("members", help="team-server accounts: add, list, remove, change a role or password")
    actions = p.add_subparsers(dest="members_command", required=True, metavar="ACTION")
    q = actions.add_parser("add", parents=[common], help="a new member (password from $QUALCODE_PASSWORD or a prompt)")
    q.add_argument("name", metavar="NAME")
    q.add_argument("--role", choices=ROLES, required=True)
    q.add_argument("--oidc-subject", metavar="SUB", help="the identity provider's stable subject for this person "
                                                         "(logins through [auth] in secrets.toml)")
    q.set_defaults(func=cmd_members_add)
    q = actions.add_parser("list", parents=[common], help="every member with their role")
    q.set_defaults(func=cmd_members_list)
    q = actions.add_parser("remove", parents=[common], help="remove a member (their codings stay)")
    q.add_argument("name", metavar="NAME")
    q.set_defaults(func=cmd_members_remove)
    q = actions.add_parser("role", parents=[common], help="make a member a lead or a coder")
    q.add_argument("name", metavar="NAME")
    q.add_argument("role", choices=ROLES)
    q.set_defaults(func=cmd_members_role)
    q = actions.add_parser("password", parents=[common], help="set a member's password (ends their logins)")
    q.add_argument("name", metavar="NAME")
    q.set_defaults(func=cmd_members_password)
    p = sub.add_parser("blind", parents=[common], help="blind coding on or off (each coder sees only their own)")
    p.add_argument("state", choices=("on", "off"))
    p.set_defaults(func=cmd_blind)
