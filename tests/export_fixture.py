"""A small coded project for the export and analysis tests: two focus groups (Russian, Kazakh),
the shipped public-services codebook, two human coders, and machine suggestions one of them decided on.

Units are turns, so each coded segment is one participant's utterance and every count is known:

    turn                              Aigerim                          Bolat
    Almaty 1  Айгерим  PROACTIVE      Proactive services               Proactive services
    Almaty 2  Ерлан    OUTAGE_RU      Outages, Waiting time            Outages
    Almaty 3  Айгерим  BROKER         Paid intermediaries              —
    Shymkent 1 Әсел    OUTAGE_KK      Outages                          Outages, Training
    Shymkent 2 Дәурен  VILLAGE        Rural, Elderly, Service in Kazakh (accepted 0.77)   Digital divide
    Shymkent 3 Әсел    KAZAKH_QUOTE   eGov portal                      —

The machine also suggested Usability on Almaty 1 (0.55), which Bolat rejected.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from qualcode.refi.codebook_files import read_codebook_file
from qualcode.codebook.codes import CodeTree, load_codebook
from qualcode.coding import apply_code, coder_named, decide
from qualcode.ingest.importer import ImportOptions, import_files
from qualcode.store.model import Coder, Coding, Document, Participant, Segment
from qualcode.store import Store, get_project

ROOT = Path(__file__).resolve().parent.parent
CODEBOOK = ROOT / "codebooks" / "public_services.yaml"

PROACTIVE = "Проактивная услуга пришла по SMS, я только подтвердила, очень удобно."
OUTAGE_RU = "Портал опять упал, пришлось идти в ЦОН и стоять в очереди два часа."
BROKER = "Посредник у входа предлагал ускорить всё за деньги, я отказалась."
OUTAGE_KK = "Жүйе құлап қалды, біз қағазбен жұмыс істедік, әріптестер бұған үйренбеген."
VILLAGE = "Ауылда интернет нашар, қарттарға көмек керек, қызмет қазақша болуы тиіс."
# every Kazakh letter beyond the Russian alphabet: ә ғ қ ң ө ұ ү һ і
KAZAKH_QUOTE = "Өңірдегі ұлттық қызмет һәм үйге жақын ғимарат бәрі үшін маңызды, көмек керек."
KAZAKH_LETTERS = "әғқңөұүһі"

ALMATY = f"""[00:00:05] Модератор: Добрый день. Расскажите, как вы получаете госуслуги.
[00:01:10] Айгерим: {PROACTIVE}
[00:02:20] Ерлан: {OUTAGE_RU}
[00:03:30] Айгерим: {BROKER}
"""
SHYMKENT = f"""[00:00:04] Жүргізуші: Қайырлы күн. Қызметтер туралы айтыңыздар.
[00:00:40] Әсел: {OUTAGE_KK}
[00:01:15] Дәурен: {VILLAGE}
[00:02:00] Әсел: {KAZAKH_QUOTE}
"""
ALMATY_ATTRS = """document: {group: recipients, site: Almaty, language: ru}
participants:
  Модератор: {role: moderator}
  Айгерим: {gender: female, type: recipient}
  Ерлан: {gender: male, type: recipient}
"""
SHYMKENT_ATTRS = """document: {group: providers, site: Shymkent, language: kk}
participants:
  Жүргізуші: {role: moderator}
  Әсел: {gender: female, type: provider}
  Дәурен: {gender: male, type: provider}
"""

C = {
    "proactive": "Channels and access/Proactive services",
    "portal": "Channels and access/eGov portal",
    "outages": "Digital experience/Outages and technical failures",
    "divide": "Digital experience/Digital divide",
    "usability": "Digital experience/Usability",
    "waiting": "Service quality/Waiting time and queues",
    "brokers": "Trust and integrity/Informal payments and corruption/Paid intermediaries",
    "training": "Provider side/Training",
    "rural": "Groups at risk/Rural residents",
    "elderly": "Groups at risk/Elderly",
    "kazakh": "Groups at risk/Language of service/Service in Kazakh",
}


def write_transcripts(folder: Path) -> list[Path]:
    files = []
    for name, text, attrs in (("fg_almaty", ALMATY, ALMATY_ATTRS), ("fg_shymkent", SHYMKENT, SHYMKENT_ATTRS)):
        (folder / f"{name}.txt").write_text(text, encoding="utf-8")
        (folder / f"{name}.attributes.yaml").write_text(attrs, encoding="utf-8")
        files.append(folder / f"{name}.txt")
    return files


def build_project(store: Store, folder: Path) -> dict:
    """Import, load the codebook, code as in the table above; returns segment ids by quote text."""
    results = import_files(store, write_transcripts(folder), ImportOptions(unit="turn"))
    assert all(r.status == "imported" for r in results), [r.error for r in results]
    book, warnings = read_codebook_file(CODEBOOK)
    with store.write() as session:
        project = get_project(session)
        load_codebook(session, project, book, warnings)
        tree = CodeTree(session, project)
        code = {key: tree.find(path).id for key, path in C.items()}
        segments = {}
        for seg in session.scalars(select(Segment).order_by(Segment.document_id, Segment.order)):
            segments[session.get(Document, seg.document_id).text[seg.start:seg.end]] = seg.id
        a, b = coder_named(session, project, "Aigerim"), coder_named(session, project, "Bolat")
        plan = [(a, PROACTIVE, "proactive"), (b, PROACTIVE, "proactive"), (a, OUTAGE_RU, "outages"),
                (a, OUTAGE_RU, "waiting"), (b, OUTAGE_RU, "outages"), (a, BROKER, "brokers"),
                (a, OUTAGE_KK, "outages"), (b, OUTAGE_KK, "outages"), (b, OUTAGE_KK, "training"),
                (a, VILLAGE, "rural"), (a, VILLAGE, "elderly"), (b, VILLAGE, "divide"), (a, KAZAKH_QUOTE, "portal")]
        for coder, text, key in plan:
            apply_code(session, project, coder, segments[text], code[key])
        machine = Coder(project_id=project.id, name="machine", kind="machine", engine="test", settings={})
        session.add(machine)
        session.flush()
        suggestions = {}
        for text, key, score in ((VILLAGE, "kazakh", 0.77), (PROACTIVE, "usability", 0.55)):
            seg = session.get(Segment, segments[text])
            suggestion = Coding(coder_id=machine.id, code_id=code[key], document_id=seg.document_id,
                                segment_id=seg.id, start=seg.start, end=seg.end, status="suggested", score=score)
            session.add(suggestion)
            session.flush()
            suggestions[key] = suggestion.id
        decide(session, project, a, suggestions["kazakh"], accept=True)
        decide(session, project, b, suggestions["usability"], accept=False)
        erlan = session.scalars(select(Participant).where(Participant.label == "Ерлан")).one()
        erlan.pseudonym = "Е. (предприниматель)"
    return segments


