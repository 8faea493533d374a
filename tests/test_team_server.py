"""The team server: members and roles, login tokens, the login gate on every page, and blind coding
enforced on every page and in the machine. Real stores (SQLite, and PostgreSQL in CI), the real app
pages through AppTest, the real CLI entry point."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from qualcode.cli import main
from qualcode.codebook.codes import CodeTree
from qualcode.coding import apply_code, coder_named
from qualcode.autocode.embed import MINILM_MODEL_ID, load_embedder
from qualcode.common.errors import QualcodeError
from qualcode.team.members import (add_member, authenticate, end_logins, issue_token, list_members, member_for_token,
                              remove_member, set_password, set_role, team_mode, token_expiry)
from qualcode.store.model import Coder, Coding, Event, Member, Segment
from qualcode.coding.review import load_review, set_blind_mode
from qualcode.store import Store, get_project
from qualcode.autocode.suggest import Scope, load_corpus, machine_name, run_autocode
from qualcode.ui.pages import SEAMS
from tests.review_fixture import DOCUMENT, PORTAL, review_project

TIMEOUT = 60
PASSWORDS = {"Lena": "lead-pass-1", "Alice": "alice-pass-1", "Bob": "bob-pass-12"}
BOB_ONLY = "Informal payments"          # a code only Bob applies, on the PORTAL segment


# ---- accounts and tokens, on each database ----

def test_members_hash_passwords_and_tokens_end_with_a_change(store):
    with store.write() as session:
        project = get_project(session)
        assert not team_mode(session, project)
        add_member(session, project, "Әсел", "coder", "құпия-сөз-1")
        add_member(session, project, "Lena", "lead", PASSWORDS["Lena"])
    with store.write() as session:
        project = get_project(session)
        assert team_mode(session, project)
        stored = session.scalars(select(Member).where(Member.name == "Әсел")).one()
        assert stored.password_hash.startswith("$argon2") and "құпия" not in stored.password_hash
        member = authenticate(session, project, "Әсел", "құпия-сөз-1")
        token = issue_token(session, member, now=1_000_000)
        assert member_for_token(session, project, token, now=1_000_000 + 3600).name == "Әсел"
        assert member_for_token(session, project, token, now=1_000_000 + 13 * 3600) is None      # expired
        forged = token.rsplit(".", 1)[0] + ".AAAA"
        assert member_for_token(session, project, forged, now=1_000_000) is None
        other = token.replace(f"{member.id}.", f"{member.id + 1}.", 1)                    # someone else's id
        assert member_for_token(session, project, other, now=1_000_000) is None
        assert member_for_token(session, project, "garbage", now=1_000_000) is None
        assert token_expiry(token) == 1_000_000 + 12 * 3600 and token_expiry("garbage") == 0
        fresh = issue_token(session, member)
        end_logins(session, project, fresh)                                    # logging out ends every login
        assert member_for_token(session, project, fresh) is None
        assert member_for_token(session, project, token, now=1_000_000) is None
        token = issue_token(session, member, now=1_000_000)
    for wrong in (("Әсел", "wrong"), ("Nobody", "құпия-сөз-1")):
        with store.read() as session, pytest.raises(QualcodeError, match="^wrong name or password$"):
            authenticate(session, get_project(session, create=False), *wrong)
    with store.write() as session:
        project = get_project(session)
        set_role(session, project, "Әсел", "lead")
        assert member_for_token(session, project, token, now=1_000_000) is None            # old role: log in again
        token = issue_token(session, authenticate(session, project, "Әсел", "құпия-сөз-1"), now=1_000_000)
        set_password(session, project, "Әсел", "жаңа-сөз-22")
        assert member_for_token(session, project, token, now=1_000_000) is None
        remove_member(session, project, "Әсел")
        assert [m.name for m in list_members(session, project)] == ["Lena"]
        actions = [e.action for e in session.scalars(select(Event).where(Event.target_kind == "member"))]
        assert actions == ["add", "add", "logout", "update", "update", "delete"]


@pytest.mark.parametrize("name", ["machine", "Consensus", " machine "])
def test_reserved_coders_are_never_a_person(store, name):
    with store.write() as session, pytest.raises(QualcodeError, match="reserved"):
        add_member(session, get_project(session), name, "coder", "long-enough-1")


def test_cli_members_and_blind(tmp_path, monkeypatch, capsys):
    db = str(tmp_path / "cli.db")
    monkeypatch.setenv("QUALCODE_PASSWORD", "cli-pass-123")
    assert main(["--db", db, "members", "add", "machine", "--role", "coder"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "reserved" in err and "Traceback" not in err
    assert main(["--db", db, "members", "add", "consensus", "--role", "lead"]) == 1
    capsys.readouterr()
    assert main(["--db", db, "members", "add", "Ерлан", "--role", "coder"]) == 0
    assert main(["--db", db, "members", "add", "Lena", "--role", "lead", "--json"]) == 0
    assert json.loads(capsys.readouterr().out.split("\n", 1)[1]) == {
        "name": "Lena", "role": "lead", "password": True, "oidc_subject": None}
    assert main(["--db", db, "members", "role", "Ерлан", "lead"]) == 0
    assert main(["--db", db, "members", "remove", "Lena"]) == 0
    capsys.readouterr()
    assert main(["--db", db, "members", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == [
        {"name": "Ерлан", "role": "lead", "password": True, "oidc_subject": None}]
    monkeypatch.setenv("QUALCODE_PASSWORD", "short")
    assert main(["--db", db, "members", "add", "Bob", "--role", "coder"]) == 1
    assert "at least 8" in capsys.readouterr().err
    assert main(["--db", db, "blind", "on", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"blind": True}
    with Store(db).read() as session:
        assert get_project(session, create=False).settings["blind"] is True


# ---- blind coding in the machine ----

@pytest.fixture
def two_coders(tmp_path, monkeypatch):
    """The review group with members Lena (lead), Alice and Bob (coders); Bob applied a code only he uses,
    Alice accepted a suggestion; blind coding on. The app reads this store."""
    store = review_project(tmp_path)
    with store.write() as session:
        project = get_project(session)
        for name, password in PASSWORDS.items():
            add_member(session, project, name, "lead" if name == "Lena" else "coder", password)
        tree = CodeTree(session, project)
        portal = session.scalars(select(Segment).where(Segment.order == 2)).one()
        apply_code(session, project, coder_named(session, project, "Bob"), portal.id, tree.find(BOB_ONLY).id)
        apply_code(session, project, coder_named(session, project, "Alice"), portal.id,
                   tree.find("Portal failures").id)
        set_blind_mode(session, project, True)
    monkeypatch.setenv("QUALCODE_DB", store.url)
    yield store
    store.close()


def test_each_coder_learns_from_their_own_decisions_only(two_coders):
    with two_coders.read() as session:
        project = get_project(session, create=False)
        tree = CodeTree(session, project)
        ids = [c.id for c in tree.codes]
        column = {c.id: j for j, c in enumerate(tree.codes)}
        alice = load_corpus(session, project.id, Scope(coder="Alice"), ids)
        everyone = load_corpus(session, project.id, Scope(), ids)
    assert set(alice.decisions) == {column[tree.find("Portal failures").id]}
    assert column[tree.find(BOB_ONLY).id] in everyone.decisions
    assert {code for _, code in alice.decided} == {tree.find("Portal failures").id}


def test_a_blind_run_is_one_coders_and_only_they_see_it(two_coders):
    with pytest.raises(QualcodeError, match="blind coding is on"):
        run_autocode(two_coders, "zero-shot")
    embedder = load_embedder(MINILM_MODEL_ID)
    report = run_autocode(two_coders, "zero-shot", Scope(coder="Alice"), min_score=0.0, embedder=embedder)
    assert report["suggestions"] > 0
    with two_coders.read() as session:
        mine = session.scalars(select(Coder).where(Coder.name == machine_name("Alice"))).one()
        assert mine.kind == "machine" and mine.settings["for"] == "Alice"
        written = session.scalars(select(Coding).where(Coding.coder_id == mine.id)).all()
        assert len(written) == report["suggestions"]
        alice, bob = load_review(session, DOCUMENT, "Alice"), load_review(session, DOCUMENT, "Bob")
    assert sum(len(s.pending) for s in alice.segments) > 0
    assert sum(len(s.pending) for s in bob.segments) == 0          # Alice's machine is not Bob's
    portal_alice = next(s for s in alice.segments if s.text == PORTAL)
    assert [alice.codes[c.code_id].path for c in portal_alice.chips] == ["Portal failures"]    # not Bob's code


# ---- the app: a login gate on every page, blind coding on every page ----

def _page(module: str) -> None:
    import importlib

    from qualcode.ui.pages import framed
    framed(importlib.import_module(f"qualcode.ui.{module}").render)()


def _open(module: str, **params) -> AppTest:
    at = AppTest.from_function(_page, args=(module,), default_timeout=TIMEOUT)
    for key, value in params.items():
        at.query_params[key] = value
    return at


def _run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _log_in(at: AppTest, name: str, password: str | None = None) -> AppTest:
    at.text_input(key="login.name").input(name)
    at.text_input(key="login.password").input(PASSWORDS.get(name, "") if password is None else password)
    at.button[0].click()
    return _run(at)


def _everything(node) -> str:
    """Every value, label, option and body the page shows, main area and sidebar."""
    found = []
    for attr in ("value", "label", "options", "body", "placeholder", "help"):
        try:
            value = getattr(node, attr)
        except Exception:   # widgets without that property raise
            continue
        if value is not None and not callable(value):
            found.append(str(value.to_dict()) if hasattr(value, "to_dict") else str(value))
    return "\n".join(found + [_everything(child) for child in getattr(node, "children", {}).values()])


MODULES = [module for _, module, *_ in SEAMS]


@pytest.mark.parametrize("module", MODULES)
def test_not_logged_in_every_page_shows_only_the_login_form(two_coders, module):
    at = _run(_open(module, coder="Bob"))               # ?coder= names nobody on a team server
    assert [t.label for t in at.text_input] == ["Name", "Password"]
    assert at.text_input[1].proto.type == at.text_input[1].proto.PASSWORD
    assert [b.label for b in at.button] == ["Log in"]
    shown = _everything(at._tree)
    assert "Bob" not in shown and "group.txt" not in shown and not at.sidebar.children
    assert not at.dataframe and not at.selectbox


def test_a_wrong_password_is_refused_with_one_line(two_coders):
    at = _log_in(_run(_open("code_page")), "Alice", "nope")
    assert [e.value for e in at.error] == ["wrong name or password"]
    assert [t.label for t in at.text_input] == ["Name", "Password"]


@pytest.mark.parametrize("module", [m for m in MODULES if m not in ("agreement_page", "anonymize_page")])
def test_a_blind_coder_never_sees_another_coders_work(two_coders, module):
    at = _log_in(_run(_open(module, coder="Bob")), "Alice")
    shown = _everything(at._tree)
    assert "Logged in as **Alice** · coder" in shown
    assert "Bob" not in shown
    if module == "code_page":
        assert "Portal failures" in shown and f"{BOB_ONLY}]" not in shown.split(PORTAL, 1)[1].split("\n")[1]


@pytest.mark.parametrize("module", ["agreement_page", "anonymize_page"])
def test_comparison_and_the_key_are_a_leads(two_coders, module):
    coder = _log_in(_run(_open(module)), "Alice")
    assert [i.value for i in coder.info] == ["Only a lead opens this page."]
    assert "Bob" not in _everything(coder._tree)
    lead = _log_in(_run(_open(module)), "Lena")
    assert not [i for i in lead.info if i.value == "Only a lead opens this page."]
    if module == "agreement_page":
        assert "Bob" in _everything(lead._tree)


def test_only_a_lead_switches_blind_coding(two_coders):
    coder = _log_in(_run(_open("project_page")), "Alice")
    toggle = coder.toggle(key="project.blind")
    assert toggle.disabled and toggle.value is True
    lead = _log_in(_run(_open("project_page")), "Lena")
    toggle = lead.toggle(key="project.blind")
    assert not toggle.disabled
    toggle.set_value(False)
    _run(lead)
    with two_coders.read() as session:
        project = get_project(session, create=False)
        assert project.settings["blind"] is False
        event = session.scalars(select(Event).where(Event.target_kind == "project").order_by(Event.id.desc())).first()
        assert event.actor == "Lena" and event.after == {"blind": False}


def test_no_person_codes_as_the_machine(two_coders, tmp_path):
    with two_coders.write() as session:
        project = get_project(session)
        machine = session.scalars(select(Coder).where(Coder.kind == "machine")).first()
        with pytest.raises(QualcodeError, match="software's own coder"):
            coder_named(session, project, machine.name)
    rows = tmp_path / "codings.csv"
    rows.write_text("segment,code\n1,Waiting time\n", encoding="utf-8")
    assert main(["--db", two_coders.url, "codings", "import", str(rows), "--coder", "machine"]) == 1
