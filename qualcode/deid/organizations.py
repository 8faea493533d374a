"""Named organisations: the list in `data/organizations_kz.txt`, and names a type word or quotes announce.

An employer, a bank, a shop or a school narrows down who speaks, so Kazpost,
Kaspi or «Береке» дүкені are proposed; public institutions stay unflagged
(`lexicon.PUBLIC_INSTITUTIONS`, checked later for every candidate). Kazakh,
which Natasha does not read, names them with a type word after the name
("Сәтбаев университеті", "«Ақ Ниет» қоғамдық қоры").
"""

from __future__ import annotations

import re

from qualcode.deid import listed
from qualcode.deid.candidate import Candidate
from qualcode.deid.ner import cyrillic_sentences
from qualcode.deid.rules import UP, sentence_initial, skip_leading

_W = r"[^\W\d_]*"
QUOTED = r"[«\"“][^»\"”\n]{1,60}[»\"”]"
_KK_TYPES = (r"(?:серіктестіг|компания|банк|дүкен|кәсіпорн|комбинат|палата|клуб|қауымдастығ|бірлестіг|қоры|қорын|"
             r"қорына|қорынан|қорында|орталығ|университет|колледж|мектеб|қоғам|зауыт|фабрика|шаруа\s+қожалығ|"
             r"балабақша|дәріхана|мейрамхана|ассоциация|холдинг)") + _W
_KK_ADJECTIVES = r"(?:ұлттық|мемлекеттік|халықаралық|медициналық|техникалық|аграрлық|педагогикалық|қоғамдық)"
_RU_TYPES = (r"(?:компани|фирм|фонд|магазин|супермаркет|салон|кафе|ресторан|клиник|завод|комбинат|агентств|"
             r"ассоциаци|садик|детск\w+\s+сад|кооператив|объединени|холдинг|банк|сеть|сети)") + _W
# Capitalised and not an abbreviation, two letters or more ("В банке", «ИИН» name nothing).
_NAME_WORD = rf"[{UP}][^\W\d_]*?[a-zа-яёәғқңөұүһі][^\W\d_]*(?:-[^\W\d_]+)*"
PATTERNS = (
    (re.compile(rf"{QUOTED}(?:\s+{_KK_ADJECTIVES})?\s+{_KK_TYPES}"), 0.75, []),
    (re.compile(rf"(?<![^\W\d_])(?i:{_RU_TYPES}|ОФ|ҚҚ|КХ|ШҚ)\s*{QUOTED}"), 0.75, []),
    # a quoted name, not a quoted remark: one word that is no verb or abbreviation, or capitalised words only
    (re.compile(rf"[«\"“](?:(?!\w+(?:ться|ть|йте|ите)[»\"”]){_NAME_WORD}|{_NAME_WORD}(?:[ -]{_NAME_WORD}){{1,3}})"
                rf"[»\"”]"), 0.45, ["a name in quotes: check it is an organisation"]),
)
# Kazakh names an organisation by a type word after it ("Сәтбаев университеті"); Natasha reads the Russian.
KAZAKH_TYPED = re.compile(rf"(?<![^\W\d_]){_NAME_WORD}(?:\s+{_NAME_WORD}){{0,2}}(?:\s+{_KK_ADJECTIVES})?\s+{_KK_TYPES}")


def find(text: str) -> list[Candidate]:
    """ORGANIZATION candidates from the list and from the type words and quotes around a name."""
    found = []
    for hit in listed.lexicon("organizations_kz.txt", columns=False).find(text):
        if hit.entry.ambiguous and sentence_initial(text, hit.start):
            continue  # "Мечта" opening a sentence is a dream
        found.append(Candidate(hit.start, hit.end, "ORGANIZATION", "list:organization", 0.6))
    for pattern, confidence, notes in PATTERNS:
        found += [Candidate(m.start(), m.end(), "ORGANIZATION", "pattern:organization", confidence, list(notes))
                  for m in pattern.finditer(text)]
    for offset, sentence, language in cyrillic_sentences(text):
        if language == "kk":
            found += [Candidate(offset + skip_leading(sentence, m.start(), m.end(), names=True), offset + m.end(),
                                "ORGANIZATION", "pattern:organization", 0.7) for m in KAZAKH_TYPED.finditer(sentence)]
    return found

