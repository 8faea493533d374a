"""Kazakhstan's places from `data/places_kz.txt`, bare or with their place word, in any case form.

Natasha misses "Талдыкоргана" and reads no Kazakh at all; the list finds
"Қызылорда облысы", "Шиелі ауданынан", "в Жанакоргане". A region or a
regional centre is broad (often named by the study design itself), so it is
proposed for a person to decide but never accepted in bulk; a district, a
town, a village, a micro-district or a street narrows down who speaks.
"""

from __future__ import annotations

import re

from qualcode.deid import listed
from qualcode.deid.candidate import Candidate

BROAD = ("region", "centre")
BROAD_CONFIDENCE = 0.45
BROAD_NOTE = "a region or a regional centre: identifying only with other details; accept unless the design names it"
_W = r"[^\W\d_]*"
# A place word after the name ("облысы", "ауданынан", "района") or before it ("село", "мкр", "область").
AFTER = re.compile(rf"[ \t]+(?:облыс|аудан|қала|кала|ауыл|аул|кент|ықшамаудан|шағын\s?аудан|елді\s+мекен|област|"
                   rf"обл\.|район|р-н|region|district|city|town|village|oblast|microdistrict){_W}", re.IGNORECASE)
BEFORE = re.compile(rf"(?<![^\W\d_])(?:област{_W}|район{_W}|город{_W}|г\.|сел[оеау]{_W}|с\.|пос[её]л{_W}|пос\.|"
                    rf"аул{_W}|микрорайон{_W}|мкр{_W}\.?|деревн{_W}|(?:city|town|village|region) of)\s*$",
                    re.IGNORECASE)
# A street is named in the genitive after a preposition or a street word ("на Жандосова", "угол Абая").
STREET_CUE = re.compile(rf"(?<![^\W\d_])(?:на|по|с|со|угол|углу|пересечени{_W}|между|до|от|возле|около|улиц{_W}|"
                        rf"ул\.|проспект{_W}|пр\.|пр-т|просп\.|и)\s+$", re.IGNORECASE)


def _lexicon() -> listed.Lexicon:
    return listed.lexicon("places_kz.txt", columns=True)


def _span(text: str, hit: listed.Hit) -> tuple[int, int] | None:
    """The place with its place word, or None when the list needs a place word and there is none."""
    kind, start, end = hit.entry.payload, hit.start, hit.end
    if kind == "street":
        return (start, end) if STREET_CUE.search(text[max(0, start - 20):start]) else None
    after = AFTER.match(text, end)
    before = BEFORE.search(text[max(0, start - 25):start])
    head_needed = hit.entry.ambiguous or (listed.is_adjective(text[start:end].split()[-1]) and kind != "town")
    if head_needed and not (after or before or hit.numbered):
        return None
    return (start - len(before.group()) if before else start), (after.end() if after else end)


def find(text: str) -> list[Candidate]:
    """LOCATION candidates for every listed place; broad ones at a confidence bulk acceptance leaves alone."""
    found = []
    for hit in _lexicon().find(text):
        span = _span(text, hit)
        if span is None:
            continue
        if hit.entry.payload in BROAD:
            found.append(Candidate(*span, "LOCATION", "list:place", BROAD_CONFIDENCE, [BROAD_NOTE],
                                   ceiling=BROAD_CONFIDENCE))
        else:
            found.append(Candidate(*span, "LOCATION", "list:place", 0.75, ceiling=1.0))
    return found


def is_broad(word: str) -> bool:
    """Whether a word is a form of a region or a regional centre ("Қызылорданың")."""
    hits = _lexicon().find(word)
    return any(h.entry.payload in BROAD and not h.entry.ambiguous and (h.start, h.end) == (0, len(word)) for h in hits)
