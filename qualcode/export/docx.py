"""The Word quotes report: what authors cite from, restyle and cut into articles and the monograph.

Only Word's built-in styles are used (Title, Heading 1–4, Quote, Table Grid, Strong, Subtle
Emphasis), so an author restyles the whole report by changing a style. Codes follow the
codebook: Heading 1–3 by depth, a definition, counts, then the quotes with who said them.
A frequency table, a SWOT 2×2 matrix and a PEST table (from `swot: …` / `pest: …` tags) open
the report. The same project state gives the same document except for the date and the
file's timestamps; quote text is cleaned of characters Word's XML refuses, nothing else.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from docx import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm
from docx.text.paragraph import Paragraph
from docx.text.run import Run
from sqlalchemy.orm import Session

from qualcode.export import analysis
from qualcode.common.display import format_time
from qualcode.common.errors import QualcodeError
from qualcode.export.quotes import ACCEPTED, CONSENSUS, CodeInfo, Quote, QuoteSet, coded_quotes, printable

SWOT = ("strength", "weakness", "opportunity", "threat")
PEST = ("political", "economic", "social", "technological")
TEXT_WIDTH_CM = 16.0  # A4 less 2.5 cm margins
SHORT_QUOTE = 30  # characters; shorter quotes are fragments ("Да.", "Exactly") and rank last

LANGUAGE_TAGS = {"en": "en-GB", "ru": "ru-RU", "kk": "kk-KZ"}
LABELS: dict[str, dict] = {
    "en": {
        "title": "Coded quotes", "date": "Date", "codebook": "Codebook", "coder": "Coder",
        "coder_accepted": "all human coders (manual codings and accepted suggestions)",
        "coder_consensus": "consensus (reconciled codings)", "coder_human": "{name}",
        "coder_machine": "{name} (machine suggestions, not reviewed)",
        "agreement": "Agreement", "alpha": "Krippendorff's α", "cohen_kappa": "Cohen's κ", "fleiss_kappa": "Fleiss' κ",
        "percent": "agreement", "agreement_basis": "(means over codes, n = {n}; unit: {unit}; coders: {coders})",
        "unit_segment": "segment", "codes": "Codes", "all_codes": "all", "grouped_by": "Grouped by",
        "max_quotes": "Most quotes per code", "anonymised": "Participants",
        "anonymised_how": "anonymised (pseudonyms or numbers)", "quotes": "Quotes",
        "quotes_summary": "{quotes} from {quoted} of {documents} documents",
        "frequencies": "Code frequencies", "frequencies_note": "Coded segments per code and {key}.",
        "code": "Code", "total": "Total", "not_set": "not set",
        "swot": "SWOT matrix", "pest": "PEST analysis",
        "matrix_note": "The strongest quotes (up to {n} per cell) of the codes tagged for {framework}.",
        "swot_strength": "Strengths", "swot_weakness": "Weaknesses", "swot_opportunity": "Opportunities",
        "swot_threat": "Threats", "pest_political": "Political", "pest_economic": "Economic",
        "pest_social": "Social", "pest_technological": "Technological", "factor": "Factor",
        "strongest": "Codes and strongest quotes", "no_cell_codes": "No code carries this tag.",
        "no_cell_quotes": "No quotes yet.", "definition": "Definition",
        "n_quotes": "quotes", "n_participants": "participants", "n_documents": "documents", "n_groups": "groups",
        "summary": "Summary",
        "summary_note": "The quotes that together best cover what was said under this code (chosen by meaning, "
                        "central and different from each other); participants' own words, nothing rewritten.",
        "no_quotes": "No quotes for this code.", "no_quotes_parent": "No quotes coded directly; see the codes below.",
        "shown": "Showing {shown} of {total} quotes: the strongest, spread over {key}.",
        "empty": "No coded quotes yet for this selection (coder: {coder}).",
        "no_codebook": "The project has no codebook yet: load one with `qualcode codebook load`.",
        "also": "also coded", "unknown_speaker": "unknown speaker", "document": "document", "role": "role",
        "participant": "participant", "language": "language",
        "roles": {"participant": "participant", "moderator": "moderator", "observer": "observer"},
        "anonymous": {"participant": "Participant", "moderator": "Moderator", "observer": "Observer"},
    },
    "ru": {
        "title": "Цитаты по кодам", "date": "Дата", "codebook": "Кодовая книга", "coder": "Кодировщик",
        "coder_accepted": "все кодировщики (ручное кодирование и принятые предложения)",
        "coder_consensus": "консенсус (согласованное кодирование)", "coder_human": "{name}",
        "coder_machine": "{name} (машинные предложения без проверки)",
        "agreement": "Согласованность", "alpha": "α Криппендорфа", "cohen_kappa": "κ Коэна", "fleiss_kappa": "κ Флейсса",
        "percent": "процент совпадений",
        "agreement_basis": "(средние по кодам, n = {n}; единица: {unit}; кодировщики: {coders})",
        "unit_segment": "сегмент", "codes": "Коды", "all_codes": "все", "grouped_by": "Группировка",
        "max_quotes": "Максимум цитат на код", "anonymised": "Участники",
        "anonymised_how": "анонимизированы (псевдонимы или номера)", "quotes": "Цитаты",
        "quotes_summary": "{quotes}; документов с цитатами: {quoted} из {documents}",
        "frequencies": "Частота кодов", "frequencies_note": "Число закодированных сегментов по кодам; столбцы: {key}.",
        "code": "Код", "total": "Всего", "not_set": "не указано",
        "swot": "SWOT-матрица", "pest": "PEST-анализ",
        "matrix_note": "Наиболее показательные цитаты (до {n} в ячейке) кодов с метками {framework}.",
        "swot_strength": "Сильные стороны", "swot_weakness": "Слабые стороны", "swot_opportunity": "Возможности",
        "swot_threat": "Угрозы", "pest_political": "Политические", "pest_economic": "Экономические",
        "pest_social": "Социальные", "pest_technological": "Технологические", "factor": "Фактор",
        "strongest": "Коды и наиболее показательные цитаты", "no_cell_codes": "Нет кодов с этой меткой.",
        "no_cell_quotes": "Цитат пока нет.", "definition": "Определение",
        "n_quotes": "цитаты", "n_participants": "участники", "n_documents": "документы", "n_groups": "группы",
        "summary": "Резюме",
        "summary_note": "Цитаты, которые вместе лучше всего передают сказанное по этому коду (отобраны по смыслу: "
                        "центральные и непохожие друг на друга); слова участников, ничего не переписано.",
        "no_quotes": "Для этого кода нет цитат.",
        "no_quotes_parent": "Нет цитат, закодированных непосредственно этим кодом; см. подкоды ниже.",
        "shown": "Показано {shown} из {total} цитат: наиболее показательные, по разным значениям ({key}).",
        "empty": "Для этой выборки пока нет закодированных цитат (кодировщик: {coder}).",
        "no_codebook": "В проекте пока нет кодовой книги: загрузите её командой `qualcode codebook load`.",
        "also": "также коды", "unknown_speaker": "говорящий не указан", "document": "документ", "role": "роль",
        "participant": "участник", "language": "язык",
        "roles": {"participant": "участник", "moderator": "модератор", "observer": "наблюдатель"},
        "anonymous": {"participant": "Участник", "moderator": "Модератор", "observer": "Наблюдатель"},
    },
}


@dataclass
class ReportOptions:
    """How to lay the quotes out; which quotes come from `coded_quotes` (coder, codes, anonymise)."""

    group_by: str = "code"  # code | document | role | an attribute (bare, document:K or participant:K)
    max_quotes: int | None = None  # per code; the strongest, spread over groups
    language: str = "en"  # of the report's own words and of code names where the codebook translates them
    cooccurring: bool = True
    matrix_quotes: int = 3  # per SWOT / PEST cell
    agreement: dict | None = None  # from agreement_summary()
    generated_at: datetime | None = None
    summaries: dict[str, list[int]] | None = None  # code path → coding ids of its Summary quotes (summaries.report_picks)


def strength(q: Quote) -> tuple:
    """Sort key, strongest first: not a fragment, more coders agreeing, higher score, then position."""
    return (len(q.text.strip()) < SHORT_QUOTE, -len(q.coders), -(1.0 if q.score is None else q.score),
            q.document_id, q.start)


def strongest(quotes: list[Quote], n: int | None, spread: str) -> list[Quote]:
    """Up to n quotes, strongest first, taken in turn from each value of `spread` so one
    talkative group does not fill the report; returned in their original order."""
    if n is None or len(quotes) <= n:
        return list(quotes)
    queues: dict[str | None, list[Quote]] = {}
    for q in sorted(quotes, key=strength):
        queues.setdefault(q.value(spread), []).append(q)
    chosen: list[Quote] = []
    while len(chosen) < n:
        for queue in queues.values():
            if queue and len(chosen) < n:
                chosen.append(queue.pop(0))
    keep = {id(q) for q in chosen}
    return [q for q in quotes if id(q) in keep]


def agreement_summary(session: Session) -> dict | None:
    """Mean agreement of the human coders (not the consensus one) on segments, when two or more coded."""
    from sqlalchemy import func, select

    from qualcode.team.agreement import agreement_report
    from qualcode.store.model import Coder, Coding
    from qualcode.store import find_project
    from qualcode.team import project_ratings

    project = find_project(session)
    if project is None:
        return None
    names = list(session.scalars(select(Coder.name).join(Coding, Coding.coder_id == Coder.id)
                                 .where(Coder.project_id == project.id, Coder.kind == "human", Coder.name != CONSENSUS,
                                        Coding.status.in_(("manual", "accepted")))
                                 .group_by(Coder.id, Coder.name).having(func.count(Coding.id) > 0)
                                 .order_by(Coder.id)))
    if len(names) < 2:
        return None
    try:
        report = agreement_report(project_ratings(session, project, names, "segment"), bootstrap=0)
    except QualcodeError:
        return None
    overall = report["overall"]
    kappa = "cohen_kappa" if len(names) == 2 else "fleiss_kappa"
    return {"unit": "segment", "coders": names, "alpha": overall["krippendorff_alpha"], "kappa": overall[kappa],
            "kappa_name": kappa, "percent": overall["percent_agreement"],
            "codes": overall["codes_defined"]["krippendorff_alpha"]}


class _Writer:
    """A python-docx document with the report's few paragraph kinds, styles looked up once."""

    def __init__(self, options: ReportOptions, title: str):
        self.doc = Document()
        self.t = LABELS[options.language]
        self.lang = options.language
        styles = self.doc.styles
        self.table_style = styles["Table Grid"]
        self.end = self.doc.element.body.find(qn("w:sectPr"))  # new paragraphs go before it
        # Style ids set on the XML directly: python-docx's style setter scans every style each time.
        self.style_id = {name: styles[name].style_id for name in
                         ("Title", "Heading 1", "Heading 2", "Heading 3", "Heading 4", "Quote", "Strong",
                          "Subtle Emphasis")}
        section = self.doc.sections[0]
        section.page_width, section.page_height = Cm(21.0), Cm(29.7)
        section.left_margin = section.right_margin = Cm((21.0 - TEXT_WIDTH_CM) / 2)
        when = options.generated_at or datetime.now(UTC)
        props = self.doc.core_properties
        props.title, props.subject, props.comments, props.language = printable(title), self.t["title"], "", \
            LANGUAGE_TAGS.get(self.lang, "")
        props.author = props.last_modified_by = "QualCode"
        props.created = props.modified = when
        props.revision = 1
        self.when = when

    def paragraph(self, text: str = "", style: str = "Normal", lang: str | None = None, container=None) -> Paragraph:
        if container is None:  # python-docx would scan the whole body for the end on every paragraph
            element = OxmlElement("w:p")
            self.end.addprevious(element)
            p = Paragraph(element, self.doc._body)
        else:
            p = container.add_paragraph()
        if style != "Normal":
            p._p.style = self.style_id[style]
        if text:
            self.run(p, text, lang=lang)
        return p

    def run(self, paragraph: Paragraph, text: str, style: str | None = None, lang: str | None = None) -> None:
        r = paragraph._p.add_r()
        if style:
            r.style = self.style_id[style]
        if lang in LANGUAGE_TAGS:  # so Word proofs Russian and Kazakh quotes as such
            tag = OxmlElement("w:lang")
            tag.set(qn("w:val"), LANGUAGE_TAGS[lang])
            r.get_or_add_rPr().append(tag)
        text = printable(text)
        if "\n" in text or "\t" in text:
            Run(r, paragraph).text = text  # becomes <w:br/> and <w:tab/>
        else:
            r.add_t(text)  # python-docx's text setter walks the text a character at a time

    def heading(self, text: str, level: int) -> None:
        self.paragraph(text, f"Heading {min(max(level, 1), 4)}")

    def labelled(self, label: str, value: str) -> None:
        p = self.paragraph()
        self.run(p, f"{label}: ", "Strong")
        self.run(p, value)

    def note(self, text: str, container=None) -> None:
        self.run(self.paragraph(container=container), text, "Subtle Emphasis")

    def table(self, header: list[str], rows: list[list[str]], first_width: float = 6.0):
        """A Table Grid table with a bold header; the first column `first_width` cm, the rest share the page."""
        table = self.doc.add_table(rows=0, cols=len(header))
        table.style = self.table_style
        rest = Cm((TEXT_WIDTH_CM - first_width) / max(len(header) - 1, 1))
        for values, style in [(header, "Strong")] + [(row, None) for row in rows]:
            for i, (cell, text) in enumerate(zip(table.add_row().cells, values)):
                cell.width = Cm(first_width) if i == 0 else rest
                if text:
                    self.run(cell.paragraphs[0], text, style)
        return table

    def save(self) -> bytes:
        buffer = io.BytesIO()
        self.doc.save(buffer)
        return buffer.getvalue()


def labels(language: str) -> dict:
    """The report's own words in one language."""
    if language not in LABELS:
        raise QualcodeError(f"report language '{language}' is not available (use {', '.join(sorted(LABELS))})")
    return LABELS[language]


class _Report:
    def __init__(self, quoteset: QuoteSet, options: ReportOptions):
        words = labels(options.language)
        if options.max_quotes is not None and options.max_quotes < 1:
            raise QualcodeError("--max-quotes must be 1 or more")
        self.qs, self.o = quoteset, options
        if options.group_by != "code":
            quoteset.check_key(options.group_by)
        self.key = options.group_by if options.group_by != "code" else self._default_key()
        title = f"{words['title']}: {quoteset.project}" if quoteset.project else words["title"]
        self.w = _Writer(options, title)
        self.t = self.w.t
        self.title = title
        self.by_code: dict[str, list[Quote]] = {c.path: [] for c in quoteset.codes}
        for q in quoteset.quotes:
            self.by_code[q.code].append(q)
        self.names = {c.path: c.label(options.language) for c in quoteset.outline + quoteset.codes}

    def _default_key(self) -> str:
        return "group" if any(q.value("group") for q in self.qs.quotes) else "document"

    def key_label(self) -> str:
        if self.key in ("document", "role", "participant", "coder", "language"):
            return self.t[self.key]
        return self.key.partition(":")[2] or self.key

    def code_name(self, path: str) -> str:
        return self.names[path]

    def build(self) -> bytes:
        self.w.paragraph(self.title, "Title")
        self.title_block()
        if not self.qs.codes:
            self.w.note(self.t["no_codebook"])
        elif not self.qs.quotes:
            self.w.note(self.t["empty"].format(coder=self.coder_text()))
        if self.qs.codes:
            self.frequency_table()
            self.swot()
            self.pest()
            for code in self.qs.codes:
                self.code_section(code)
        return self.w.save()

    # ------------------------------------------------------------ title block

    def coder_text(self) -> str:
        kind = self.qs.coder_kind
        if kind == ACCEPTED:
            return self.t["coder_accepted"]
        if kind == CONSENSUS:
            return self.t["coder_consensus"]
        return self.t["coder_machine" if kind == "machine" else "coder_human"].format(name=self.qs.coder)

    def number(self, value: float, digits: int = 2) -> str:
        text = f"{value:.{digits}f}"
        return text.replace(".", ",") if self.o.language == "ru" else text

    def agreement_text(self, a: dict) -> str:
        parts = [f"{self.t[key]} {self.number(a[value])}" for key, value in
                 (("alpha", "alpha"), (a["kappa_name"], "kappa")) if a.get(value) is not None]
        if a.get("percent") is not None:
            parts.append(f"{self.t['percent']} {self.number(100 * a['percent'], 1)}%")
        return "; ".join(parts) + " " + self.t["agreement_basis"].format(
            n=a["codes"], unit=self.t[f"unit_{a['unit']}"], coders=", ".join(a["coders"]))

    def title_block(self) -> None:
        t, qs, o = self.t, self.qs, self.o
        self.w.labelled(t["date"], self.w.when.date().isoformat())
        if qs.codebook:
            self.w.labelled(t["codebook"], qs.codebook)
        self.w.labelled(t["coder"], self.coder_text())
        if o.agreement:
            self.w.labelled(t["agreement"], self.agreement_text(o.agreement))
        self.w.labelled(t["codes"], "; ".join(qs.selected) if qs.selected else t["all_codes"])
        if o.group_by != "code":
            self.w.labelled(t["grouped_by"], self.key_label())
        if o.max_quotes:
            self.w.labelled(t["max_quotes"], str(o.max_quotes))
        if qs.anonymised:
            self.w.labelled(t["anonymised"], t["anonymised_how"])
        quoted = len({q.document_id for q in qs.quotes})
        self.w.labelled(t["quotes"], t["quotes_summary"].format(quotes=len(qs.quotes), quoted=quoted,
                                                                documents=qs.documents))

    # ------------------------------------------------------------ overview tables

    def indented(self, code: CodeInfo) -> str:
        return "\u2003" * code.depth + code.label(self.o.language)

    def frequency_table(self) -> None:
        t = self.t
        self.w.heading(t["frequencies"], 1)
        self.w.paragraph(t["frequencies_note"].format(key=self.key_label()))
        cross = analysis.crosstab(self.qs, self.key, "segments")
        totals = analysis.frequencies(self.qs)["segments"]
        groups = [str(c) if c != analysis.NOT_SET else t["not_set"] for c in cross.columns]
        rows = [[self.indented(code), *[str(v) for v in cross.loc[code.path]], str(totals[code.path])]
                for code in self.qs.codes]
        self.w.table([t["code"], *groups, t["total"]], rows)

    def cell_quotes(self, framework: str, value: str) -> tuple[list[str], list[Quote]]:
        """The tagged codes of one matrix cell and its strongest quotes, one per segment."""
        codes = [c for c in self.qs.codes if value in c.tag_values(framework)]
        seen, quotes = set(), []
        for q in sorted((q for c in codes for q in self.by_code[c.path]), key=strength):
            if q.unit not in seen:
                seen.add(q.unit)
                quotes.append(q)
        limit = min(self.o.matrix_quotes, self.o.max_quotes or self.o.matrix_quotes)
        picked = strongest(quotes, limit, "code")
        return [c.label(self.o.language) for c in codes], sorted(picked, key=strength)

    def matrix_quote(self, container, q: Quote) -> None:
        p = self.w.paragraph(container=container)
        self.w.run(p, f"«{q.text.strip()}»", lang=q.language)
        p.add_run().add_break()
        self.w.run(p, f"— {self.who(q)}, {q.document} ({self.code_name(q.code)})", "Subtle Emphasis")

    def tagged(self, framework: str) -> bool:
        return any(c.tag_values(framework) for c in self.qs.codes)

    def swot(self) -> None:
        if not self.tagged("swot"):
            return
        self.w.heading(self.t["swot"], 1)
        self.w.paragraph(self.t["matrix_note"].format(n=self.o.matrix_quotes, framework="SWOT"))
        table = self.w.doc.add_table(rows=2, cols=2)
        table.style = self.w.table_style
        for i, value in enumerate(SWOT):
            cell = table.rows[i // 2].cells[i % 2]
            codes, quotes = self.cell_quotes("swot", value)
            self.w.run(cell.paragraphs[0], self.t[f"swot_{value}"], "Strong")
            self.fill_cell(cell, codes, quotes)

    def fill_cell(self, cell, codes: list[str], quotes: list[Quote]) -> None:
        if codes:
            self.w.run(cell.add_paragraph(), f"{self.t['codes']}: {'; '.join(codes)}", "Subtle Emphasis")
        if not quotes:
            self.w.note(self.t["no_cell_quotes"] if codes else self.t["no_cell_codes"], cell)
        for q in quotes:
            self.matrix_quote(cell, q)

    def pest(self) -> None:
        if not self.tagged("pest"):
            return
        self.w.heading(self.t["pest"], 1)
        self.w.paragraph(self.t["matrix_note"].format(n=self.o.matrix_quotes, framework="PEST"))
        table = self.w.table([self.t["factor"], self.t["strongest"]], [], first_width=3.5)
        for value in PEST:
            cells = table.add_row().cells
            cells[0].width, cells[1].width = Cm(3.5), Cm(TEXT_WIDTH_CM - 3.5)
            self.w.run(cells[0].paragraphs[0], self.t[f"pest_{value}"], "Strong")
            codes, quotes = self.cell_quotes("pest", value)
            self.fill_cell(cells[1], codes, quotes)
            first = cells[1].paragraphs[0]
            first._p.getparent().remove(first._p)  # the cell's empty first paragraph

    # ------------------------------------------------------------ per code

    def who(self, q: Quote) -> str:
        return q.participant or self.t["unknown_speaker"]

    def attribution(self, q: Quote) -> str:
        details = [self.t["roles"].get(q.role, q.role) if q.role else None, q.value("group")]
        person = self.who(q) + (f" ({', '.join(d for d in details if d)})" if any(details) else "")
        parts = [person, q.document, format_time(q.time)]
        text = "— " + ", ".join(p for p in parts if p)
        if self.o.cooccurring and q.cooccurring:
            text += f"; {self.t['also']}: " + "; ".join(self.code_name(c) for c in q.cooccurring)
        return text

    def quote(self, q: Quote) -> None:
        p = self.w.paragraph(style="Quote")
        self.w.run(p, q.text.strip(), lang=q.language)
        p.add_run().add_break()
        self.w.run(p, self.attribution(q), "Subtle Emphasis")

    def counts(self, quotes: list[Quote]) -> str:
        t = self.t
        parts = [(t["n_quotes"], len(quotes)),
                 (t["n_participants"], len({q.participant_id for q in quotes if q.participant_id is not None})),
                 (t["n_documents"], len({q.document_id for q in quotes}))]
        if self.key != "document":
            label = t["n_groups"] if self.key == "group" else f"{t['n_groups']} ({self.key_label()})"
            parts.append((label, len({q.value(self.key) for q in quotes})))
        text = "; ".join(f"{label}: {n}" for label, n in parts)
        return text[0].upper() + text[1:]

    def code_section(self, code: CodeInfo) -> None:
        t = self.t
        self.w.heading(code.label(self.o.language), min(code.depth + 1, 3))
        definition = code.describe(self.o.language)
        if definition:
            self.w.labelled(t["definition"], definition)
        quotes = self.by_code[code.path]
        if not quotes:
            self.w.note(t["no_quotes_parent"] if code.has_children else t["no_quotes"])
            return
        self.w.paragraph(self.counts(quotes))
        self.summary(code, quotes)
        chosen = strongest(quotes, self.o.max_quotes, self.key)
        if len(chosen) < len(quotes):
            self.w.note(t["shown"].format(shown=len(chosen), total=len(quotes), key=self.key_label()))
        if self.o.group_by == "code":
            for q in chosen:
                self.quote(q)
            return
        for value in analysis.group_values(chosen, self.key):
            members = [q for q in chosen if (q.value(self.key) or analysis.NOT_SET) == value]
            shown = t["not_set"] if value == analysis.NOT_SET else value
            self.w.heading(f"{self.key_label()}: {shown}", 4)
            for q in members:
                self.quote(q)


    def summary(self, code: CodeInfo, quotes: list[Quote]) -> None:
        """The "Summary" block: the chosen quotes, in the order chosen (most central first)."""
        picked = (self.o.summaries or {}).get(code.path)
        if not picked:
            return
        by_id = {q.coding_id: q for q in quotes}
        self.w.heading(self.t["summary"], 4)
        self.w.note(self.t["summary_note"])
        for coding_id in picked:
            if coding_id in by_id:
                self.quote(by_id[coding_id])


def render(quoteset: QuoteSet, options: ReportOptions | None = None) -> bytes:
    """The report of an already gathered QuoteSet as .docx bytes."""
    return _Report(quoteset, options or ReportOptions()).build()


def build_report(session: Session, coder: str = ACCEPTED, codes: list[str] | None = None, anonymise: bool = False,
                 options: ReportOptions | None = None) -> tuple[bytes, QuoteSet]:
    """Gather the quotes (anonymous names in the report's language) and the agreement, then render;
    returns the .docx bytes and the quotes it holds."""
    options = options or ReportOptions()
    quoteset = coded_quotes(session, coder, codes, anonymise, labels(options.language)["anonymous"])
    if options.agreement is None:
        options = replace(options, agreement=agreement_summary(session))
    return render(quoteset, options), quoteset
