"""Codes in the store: load a codebook, edit the tree, and read it back — every change an Event.

Codes are matched on reload by GUID, else by path ("Parent/Child"), so an
edited file updates codes in place and codings keep pointing at them. A code
with codings is never deleted: when it disappears from a file it is archived
and the report says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qualcode.codebook import PATH_SEPARATOR, Codebook, CodebookError, CodeSpec
from qualcode.common.errors import QualcodeError
from qualcode.store.model import Code, Coder, Coding, Project, new_guid
from qualcode.store import atomic, record

SPEC_FIELDS = ("definition", "include", "exclude", "examples", "counter_examples", "color", "tags", "translations",
               "exclusive")
BOOK_EXCLUSIVE = "codebook_exclusive"  # Project.settings key of the codebook-level flag; absent when not said


@dataclass
class LoadReport:
    codes: int = 0
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    archived: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def snapshot(code: Code) -> dict:
    """The fields of a code as stored, for event before/after."""
    return {"name": code.name, "parent_id": code.parent_id, "guid": code.guid, "archived": code.archived,
            **{key: getattr(code, key) for key in SPEC_FIELDS}}


class CodeTree:
    """All codes of a project with their paths, loaded once per operation."""

    def __init__(self, session: Session, project: Project):
        self.session = session
        self.project = project
        self.codes: list[Code] = list(session.scalars(
            select(Code).where(Code.project_id == project.id).order_by(Code.order, Code.id)))
        self.by_id = {c.id: c for c in self.codes}

    def path(self, code: Code) -> str:
        parts, seen = [], set()
        while code is not None and code.id not in seen:
            seen.add(code.id)
            parts.append(code.name)
            code = self.by_id.get(code.parent_id)
        return PATH_SEPARATOR.join(reversed(parts))

    def find(self, path: str, include_archived: bool = False) -> Code:
        for code in self.codes:
            if self.path(code) == path and (include_archived or not code.archived):
                return code
        raise QualcodeError(f'no code "{path}" (see `qualcode codebook show`)')

    def children(self, code: Code | None) -> list[Code]:
        parent_id = code.id if code else None
        return [c for c in self.codes if c.parent_id == parent_id]

    def exclusive_groups(self) -> list[tuple[Code | None, list[Code], bool | None]]:
        """(parent, its live children, declared flag) for the top level (always first; parent None, the
        codebook's flag) and every live parent with two or more live children: the sets of codes
        within which `exclusive` says at most one applies, so the auto-coder can check or infer it."""
        groups: list[tuple[Code | None, list[Code], bool | None]] = []

        def visit(parent: Code | None) -> None:
            live = [c for c in self.children(parent) if not c.archived]
            if parent is None:
                groups.append((None, live, self.project.settings.get(BOOK_EXCLUSIVE)))
            elif len(live) >= 2:
                groups.append((parent, live, parent.exclusive))
            for child in live:
                visit(child)
        visit(None)
        return groups

    def coding_counts(self, coders: set[str] | None = None) -> dict[int, int]:
        """Codings per code id: every coder's, or only those of `coders` (blind coding: one's own)."""
        query = (select(Coding.code_id, func.count()).join(Code)
                 .where(Code.project_id == self.project.id).group_by(Coding.code_id))
        if coders is not None:
            query = query.join(Coder, Coder.id == Coding.coder_id).where(Coder.name.in_(coders))
        return {code_id: n for code_id, n in self.session.execute(query)}

    def subtree_codings(self, code: Code, counts: dict[int, int]) -> int:
        """Codings on a code and all its descendants."""
        return counts.get(code.id, 0) + sum(self.subtree_codings(c, counts) for c in self.children(code))

    def add(self, code: Code) -> None:
        self.session.add(code)
        self.session.flush()
        self.codes.append(code)
        self.by_id[code.id] = code

    def check_names(self) -> None:
        """Siblings must differ in name, archived codes with codings included."""
        counts = self.coding_counts()
        seen: dict[tuple, Code] = {}
        errors = []
        for code in self.codes:
            if code.archived and not counts.get(code.id):
                continue
            key = (code.parent_id, code.name.casefold())
            if key in seen:
                other = seen[key]
                errors.append(f'code "{self.path(code)}" clashes with another code of the same name '
                              f'({other.guid}, {"archived, " if other.archived else ""}{counts.get(other.id, 0)} codings); '
                              "rename one of them")
            seen[key] = code
        if errors:
            raise CodebookError(errors)


def _apply(code: Code, spec: CodeSpec, parent: Code | None, order: int) -> bool:
    """Copy a spec onto a stored code; True when anything changed."""
    wanted = {"name": spec.name, "parent_id": parent.id if parent else None, "order": order, "archived": False,
              **{key: getattr(spec, key) for key in SPEC_FIELDS}}
    changed = {k: v for k, v in wanted.items() if getattr(code, k) != v}
    for key, value in changed.items():
        setattr(code, key, value)
    return bool(set(changed) - {"order"})


@atomic
def load_codebook(session: Session, project: Project, book: Codebook, warnings: list[str]) -> LoadReport:
    """Add, update, archive or remove codes so that the project's tree matches the codebook."""
    tree = CodeTree(session, project)
    by_guid = {c.guid: c for c in tree.codes}
    old_paths = {tree.path(c): c for c in sorted(tree.codes, key=lambda c: c.archived, reverse=True)}
    report = LoadReport(warnings=list(warnings))
    file_guids = {spec.guid for _, spec in book.walk() if spec.guid}
    claimed: set[int] = set()

    def place(specs: list[CodeSpec], parent: Code | None, parent_path: str) -> None:
        for order, spec in enumerate(specs):
            path = f"{parent_path}{PATH_SEPARATOR}{spec.name}" if parent_path else spec.name
            code = by_guid.get(spec.guid) if spec.guid else None
            if code is None:
                candidate = old_paths.get(path)
                if candidate is not None and candidate.id not in claimed and candidate.guid not in file_guids:
                    code = candidate
            if code is None:
                code = Code(project_id=project.id, guid=spec.guid or new_guid(), name=spec.name)
                _apply(code, spec, parent, order)
                tree.add(code)
                record(session, project.id, "add", "code", code.id, after=snapshot(code))
                report.added.append(path)
            else:
                before = snapshot(code)
                if _apply(code, spec, parent, order):
                    session.flush()
                    record(session, project.id, "update", "code", code.id, before=before, after=snapshot(code))
                    report.updated.append(path)
            claimed.add(code.id)
            place(spec.children, code, path)

    place(book.codes, None, "")
    session.flush()
    counts = tree.coding_counts()
    for code in [c for c in tree.codes if c.id not in claimed and not c.archived]:
        path = tree.path(code)
        held = tree.subtree_codings(code, counts)
        if held:
            before = snapshot(code)
            code.archived = True
            record(session, project.id, "archive", "code", code.id, before=before, after=snapshot(code))
            report.archived.append(f"{path} ({held} codings)")
        else:
            record(session, project.id, "delete", "code", code.id, before=snapshot(code))
            session.delete(code)
            report.removed.append(path)
    tree.codes = [c for c in tree.codes if c.id in claimed or c.archived]
    session.flush()
    tree.check_names()
    project.settings = {**project.settings, "codebook": {"name": book.name, "description": book.description,
                                                         "languages": book.languages}}
    set_book_exclusive(session, project, book.exclusive)
    report.codes = sum(1 for c in tree.codes if not c.archived)
    return report


def set_book_exclusive(session: Session, project: Project, value: bool | None) -> None:
    """Keep the codebook-level flag in the project's settings (the key absent for None), logging a change."""
    before = project.settings.get(BOOK_EXCLUSIVE)
    if before == value:
        return
    settings = {k: v for k, v in project.settings.items() if k != BOOK_EXCLUSIVE}
    project.settings = settings if value is None else {**settings, BOOK_EXCLUSIVE: value}
    record(session, project.id, "exclusive", "project", project.id, before={BOOK_EXCLUSIVE: before},
           after={BOOK_EXCLUSIVE: value})


def _split(path: str) -> tuple[str, str]:
    parent, _, name = path.rpartition(PATH_SEPARATOR)
    if not name.strip():
        raise QualcodeError(f'"{path}" is not a code path (use "Parent/Child")')
    return parent, name.strip()


def _check_fields(fields: dict) -> None:
    unknown = set(fields) - set(SPEC_FIELDS)
    if unknown:
        raise QualcodeError(f"unknown code field(s): {', '.join(sorted(unknown))}")


@atomic
def add_code(session: Session, project: Project, path: str, **fields) -> Code:
    """Create a code at `path`; its parent must exist."""
    tree = CodeTree(session, project)
    parent_path, name = _split(path)
    parent = tree.find(parent_path) if parent_path else None
    _check_fields(fields)
    defaults = CodeSpec(name)
    code = Code(project_id=project.id, guid=new_guid(), name=name, parent_id=parent.id if parent else None,
                order=len(tree.children(parent)), archived=False,
                **{key: fields.get(key, getattr(defaults, key)) for key in SPEC_FIELDS})
    tree.add(code)
    tree.check_names()
    record(session, project.id, "add", "code", code.id, after=snapshot(code))
    return code


@atomic
def update_code(session: Session, project: Project, path: str, **fields) -> Code:
    """Change a code's definition, criteria, examples, colour, tags or translations."""
    tree = CodeTree(session, project)
    code = tree.find(path)
    _check_fields(fields)
    before = snapshot(code)
    for key, value in fields.items():
        setattr(code, key, value)
    session.flush()
    record(session, project.id, "update", "code", code.id, before=before, after=snapshot(code))
    return code


@atomic
def rename_code(session: Session, project: Project, path: str, new_name: str) -> Code:
    tree = CodeTree(session, project)
    code = tree.find(path)
    new_name = new_name.strip()
    if not new_name or PATH_SEPARATOR in new_name:
        raise QualcodeError(f"'{new_name}' is not a valid code name")
    before = snapshot(code)
    code.name = new_name
    tree.check_names()
    record(session, project.id, "rename", "code", code.id, before=before, after=snapshot(code))
    return code


@atomic
def move_code(session: Session, project: Project, path: str, new_parent_path: str | None) -> Code:
    """Put a code (with its subtree) under another parent, or at the top with None/''."""
    tree = CodeTree(session, project)
    code = tree.find(path)
    parent = tree.find(new_parent_path) if new_parent_path else None
    ancestor = parent
    while ancestor is not None:
        if ancestor.id == code.id:
            raise QualcodeError(f'cannot move "{path}" under its own descendant "{new_parent_path}"')
        ancestor = tree.by_id.get(ancestor.parent_id)
    before = snapshot(code)
    code.parent_id = parent.id if parent else None
    code.order = len(tree.children(parent))
    tree.check_names()
    record(session, project.id, "move", "code", code.id, before=before, after=snapshot(code))
    return code


@atomic
def set_exclusive(session: Session, project: Project, path: str | None, value: bool | None) -> Code | None:
    """Declare a code's children (path None: the top-level codes) mutually exclusive (True), combinable
    (False) or not said (None); returns the code, or None for the codebook."""
    if value is not None and not isinstance(value, bool):
        raise QualcodeError(f"exclusive must be true, false or not said, not {value!r}")
    if path is None:
        set_book_exclusive(session, project, value)
        return None
    code = CodeTree(session, project).find(path)
    if code.exclusive != value:
        before = snapshot(code)
        code.exclusive = value
        record(session, project.id, "exclusive", "code", code.id, before=before, after=snapshot(code))
    return code


@atomic
def archive_code(session: Session, project: Project, path: str) -> Code:
    """Hide a code from coding; its codings stay and it can be restored by a reload."""
    tree = CodeTree(session, project)
    code = tree.find(path)
    before = snapshot(code)
    code.archived = True
    record(session, project.id, "archive", "code", code.id, before=before, after=snapshot(code))
    return code


@atomic
def merge_codes(session: Session, project: Project, source_path: str, target_path: str) -> dict:
    """Fold `source` into `target`: codings become the union, children move, source is archived."""
    tree = CodeTree(session, project)
    source, target = tree.find(source_path), tree.find(target_path)
    if source.id == target.id:
        raise QualcodeError("a code cannot be merged into itself")
    if tree.path(target).startswith(tree.path(source) + PATH_SEPARATOR):
        raise QualcodeError(f'cannot merge "{source_path}" into its own descendant')
    key = lambda c: (c.coder_id, c.document_id, c.start, c.end, c.status)  # noqa: E731
    on_target = {key(c) for c in session.scalars(select(Coding).where(Coding.code_id == target.id))}
    moved = duplicates = 0
    for coding in session.scalars(select(Coding).where(Coding.code_id == source.id)):
        if key(coding) in on_target:
            session.delete(coding)  # the target already holds an identical coding
            duplicates += 1
        else:
            coding.code_id = target.id
            on_target.add(key(coding))
            moved += 1
    for child in tree.children(source):
        child.parent_id = target.id
    before = snapshot(source)
    target.examples = target.examples + [e for e in source.examples if e not in target.examples]
    source.archived = True
    tree.check_names()
    result = {"source": source_path, "target": target_path, "moved": moved, "duplicates": duplicates}
    record(session, project.id, "merge", "code", source.id, before=before, after={**snapshot(source), **result})
    return result


def code_rows(session: Session, project: Project, include_archived: bool = False,
              coders: set[str] | None = None) -> list[dict]:
    """Every code, parents first, as the `codebook show --json` rows (counting only `coders`' codings if given)."""
    tree = CodeTree(session, project)
    counts = tree.coding_counts(coders)
    rows = []

    def visit(parent: Code | None) -> None:
        for code in tree.children(parent):
            if code.archived and not include_archived:
                continue
            rows.append({"path": tree.path(code), "name": code.name, "definition": code.definition,
                         "include": code.include, "exclude": code.exclude, "examples": code.examples,
                         "counter_examples": code.counter_examples, "tags": code.tags,
                         "translations": code.translations, "guid": code.guid, "color": code.color,
                         "exclusive": code.exclusive, "parent": tree.path(parent) if parent else None,
                         "archived": code.archived, "codings": counts.get(code.id, 0)})
            visit(code)
    visit(None)
    return rows


def to_codebook(session: Session, project: Project) -> Codebook:
    """The project's active codes as a Codebook, for export."""
    tree = CodeTree(session, project)
    meta = project.settings.get("codebook", {})

    def specs(parent: Code | None) -> list[CodeSpec]:
        return [CodeSpec(name=c.name, guid=c.guid, children=specs(c),
                         **{key: getattr(c, key) for key in SPEC_FIELDS})
                for c in tree.children(parent) if not c.archived]
    return Codebook(name=meta.get("name") or project.name, description=meta.get("description", ""),
                    languages=list(meta.get("languages", [])), exclusive=project.settings.get(BOOK_EXCLUSIVE),
                    codes=specs(None))


def active_code_count(session: Session, project: Project) -> int:
    """Codes not archived: the figure the Project page shows."""
    return session.scalar(select(func.count(Code.id)).where(Code.project_id == project.id,
                                                            Code.archived.is_(False)))


def usage_by_path(session: Session, project: Project, coders: set[str] | None = None) -> dict[str, dict[str, int]]:
    """Per code path: its codings by status (suggested, accepted, rejected, manual), for the codebook view;
    only those of `coders` when given."""
    tree = CodeTree(session, project)
    query = (select(Coding.code_id, Coding.status, func.count()).join(Code)
             .where(Code.project_id == project.id).group_by(Coding.code_id, Coding.status))
    if coders is not None:
        query = query.join(Coder, Coder.id == Coding.coder_id).where(Coder.name.in_(coders))
    rows = session.execute(query)
    usage: dict[str, dict[str, int]] = {}
    for code_id, status, n in rows:
        usage.setdefault(tree.path(tree.by_id[code_id]), {})[status] = n
    return usage
