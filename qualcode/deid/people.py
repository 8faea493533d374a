"""Whole names: a first name grown to the surname or patronymic after it; speakers import did not see.

"Peter Collins", "Виктор Николаевич", "Нұрлан Серікұлы": once a first name is
found (a participant's, a listed one, Natasha's), the capitalised words right
after it are the rest of the name, unless they are a place, an organisation,
a public name or a word that merely opens the next clause. A line that opens
with "Нұрлан:" names a speaker even where import took it for speech, so their
name is looked for in every form like a participant's.
"""

from __future__ import annotations

import re

from qualcode.deid.candidate import Candidate
from qualcode.deid.lexicon import FIRST_NAMES
from qualcode.deid.names import skeleton
from qualcode.deid.rules import CAP

NEXT = re.compile(rf" ({CAP})")
REST_OF_NAME = 2  # a patronymic and a surname at most
# Capitalised English words that are no surname: pronouns, connectives, days and months.
NOT_SURNAMES = frozenset(
    "i i'm i've i'd the a an and but or so we you he she they it my our your his her their this that there then "
    "when what who why how yes no ok okay thanks thank hello hi mr mrs ms dr monday tuesday wednesday thursday "
    "friday saturday sunday january february march april may june july august september october november "
    "december".split())
LABEL = re.compile(rf"^(?:\[[\d:.,]+\]\s*)?({CAP}(?: {CAP})?):", re.MULTILINE)
_FIRST = frozenset(skeleton(n) for n in FIRST_NAMES)


def rest_of_names(text: str, found: list[Candidate], is_public) -> list[Candidate]:
    """PERSON candidates for the surname or patronymic after each one-word-or-more PERSON in `found`."""
    taken = {i for c in found if c.type != "PERSON" for i in range(c.start, c.end)}  # a place, a bank …
    more = []
    for cand in (c for c in found if c.type == "PERSON"):
        end = cand.end
        for _ in range(REST_OF_NAME):
            m = NEXT.match(text, end)
            if not m or m.start(1) in taken or not _surname_like(m.group(1)) or is_public(m.group(1)):
                break
            more.append(Candidate(m.start(1), m.end(1), "PERSON", cand.source, cand.confidence,
                                  ["the rest of a name"], cand.participant))
            end = m.end(1)
    return more


def _surname_like(word: str) -> bool:
    return word.casefold() not in NOT_SURNAMES and not word.isupper() and any(ch.islower() for ch in word)


def unrecognised_speakers(text: str, labels) -> list[str]:
    """Line-initial "Name:" labels that are not among `labels` and start with a known first name."""
    known = set(labels)
    found = {m.group(1) for m in LABEL.finditer(text)}
    return sorted(label for label in found - known if skeleton(label.split()[0]) in _FIRST)
