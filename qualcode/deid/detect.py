"""All detectors over one text, then one deterministic answer per stretch of text.

Candidates of one type that overlap are merged (Natasha's "Ерлан Сапаров" and
the participant "Ерлан" become one PERSON that keeps the participant link).
Candidates of different types that overlap are settled by priority (exact
patterns, then participants' names and user lists, then guesses), then by
length, then by position; the loser is named in the winner's note, so an
overlap is never dropped unseen.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from qualcode.deid import kazakh, lexicon, organizations, people, places, rules
from qualcode.deid.candidate import Candidate
from qualcode.deid.names import MIN_STEM, WORD, canonical, inflects, is_capitalised, name_match, skeleton, tokens

_ROLES = frozenset(skeleton(w) for w in lexicon.ROLE_LABELS)
_PUBLIC = re.compile("|".join([rf"(?<!\w){re.escape(t)}" for t in lexicon.PUBLIC_INSTITUTIONS]
                              + [rf"^{re.escape(t)}$" for t in lexicon.NOT_NAMES]))
_INTRODUCED = re.compile(rf"(?:{'|'.join(re.escape(w) for w in lexicon.INTRODUCERS)})\.?(?:\s+\w+)?[\s,:]+$",
                         re.IGNORECASE)
CONTEXT_WINDOW = 60


@dataclass
class Gazetteer:
    """Who may be named: this document's participants (label → name words), other names, user terms."""

    participants: dict[str, list[str]] = field(default_factory=dict)
    other_names: list[str] = field(default_factory=list)
    flag_terms: list[tuple[str, str]] = field(default_factory=list)  # (term, type)
    keep_terms: list[str] = field(default_factory=list)

    @staticmethod
    def name_words(label: str) -> list[str]:
        """The words of a speaker label that can be a name ("Светлана Петровна" yes, "P3", "Модератор" no)."""
        words = WORD.findall(label)
        return [w for w in words if len(w) >= 2 and is_capitalised(w) and skeleton(w) not in _ROLES]

    @classmethod
    def of(cls, labels, other_labels=(), flag_terms=(), keep_terms=()) -> Gazetteer:
        participants = {label: cls.name_words(label) for label in labels}
        mine = {skeleton(w) for words in participants.values() for w in words}
        others = sorted({w for label in other_labels for w in cls.name_words(label) if skeleton(w) not in mine})
        return cls({k: v for k, v in participants.items() if v}, others, list(flag_terms), list(keep_terms))

    def with_speakers_of(self, text: str) -> Gazetteer:
        """Also the speakers whose "Name:" lines import took for speech: their names are as private."""
        labels = people.unrecognised_speakers(text, self.participants)
        found = {label: self.name_words(label) for label in labels}
        return Gazetteer({**self.participants, **{k: v for k, v in found.items() if v}}, self.other_names,
                         self.flag_terms, self.keep_terms)


def is_public(text: str) -> bool:
    """A public institution, a country, a region or a big city: not personal data."""
    folded = text.casefold()
    if _PUBLIC.search(folded):
        return True
    words = WORD.findall(text)
    return bool(words) and all(w.casefold() == "г" or w.casefold().startswith(lexicon.CITY_WORDS)
                               or any(inflects(w, p) for p in lexicon.PUBLIC_PLACES) for w in words)


def _index(names) -> dict[str, list[str]]:
    """Names by the first letters of their skeleton: a form of a name starts with them."""
    index = defaultdict(list)
    for name in names:
        index[skeleton(name)[:MIN_STEM]].append(name)
    return index


_FIRST_NAMES = _index(sorted(set(lexicon.FIRST_NAMES)))


def _same_spelling(word: str, name: str) -> bool:
    """Whether `word` starts like `name` letter for letter (not only once Kazakh letters are folded)."""
    fold = lambda w: w.casefold().replace("ё", "е")[:MIN_STEM]  # noqa: E731
    return fold(word) == fold(name)


def _names(text: str, gazetteer: Gazetteer) -> list[Candidate]:
    """Forms of the participants' names, of other groups' participants and of common first names.

    A capital that opens a sentence says nothing, so there the other names
    must be spelled exactly ("Жаңа", "new", is not "Жанна").
    """
    labels = _index(w for words in gazetteer.participants.values() for w in words)
    owner = {w: label for label, words in gazetteer.participants.items() for w in words}
    others = _index(gazetteer.other_names)
    found = []
    for token in tokens(text):
        capital = is_capitalised(token.text)
        initial = rules.sentence_initial(text, token.start)
        key = skeleton(token.text)[:MIN_STEM]
        hit = False
        for word in labels.get(key, ()):
            span = name_match(token, word)
            if span and (capital or len(skeleton(word)) >= 4):
                confidence, notes = 1.0, []
                if not capital:
                    confidence, notes = 0.7, ["lowercase: check it is the name"]
                elif initial and not _same_spelling(token.text, word):
                    confidence, notes = 0.45, [f"opens a sentence and is spelled unlike «{word}»: check it is the name"]
                found.append(Candidate(*span, "PERSON", "participant", confidence, notes, owner[word]))
                hit = True
        if hit or not capital:
            continue
        for index, confidence, notes in ((others, 0.8, ["a participant's name in another document"]),
                                         (_FIRST_NAMES, 0.7, [])):
            span = next((span for word in index.get(key, ()) if (span := name_match(token, word))
                         and (not initial or token.head.casefold().replace("ё", "е") == word.casefold())), None)
            if span:
                found.append(Candidate(*span, "PERSON", "names", confidence, list(notes)))
                break
    return found


def _user_terms(text: str, gazetteer: Gazetteer) -> list[Candidate]:
    found = []
    for term, kind in gazetteer.flag_terms:
        words = WORD.findall(term)
        if len(words) == 1:
            found += [Candidate(*span, kind, "user", 0.9) for token in tokens(text)
                      if (span := name_match(token, term))]
        else:
            found += [Candidate(m.start(), m.end(), kind, "user", 0.9)
                      for m in re.finditer(rf"(?<!\w){re.escape(term)}(?!\w)", text, re.IGNORECASE)]
    return found


def _ambiguity(text: str, cand: Candidate) -> None:
    """Lower a one-word name that is also a common word ("Роза", "Болат"), and say why."""
    words = WORD.findall(text[cand.start:cand.end])
    if cand.type != "PERSON" or len(words) != 1:  # a full name ("Роза Ивановна") is plainly a name
        return
    head = re.split(r"[-'’]", words[0])[0]
    gloss = next((g for name, g in lexicon.COMMON_WORD_NAMES.items() if inflects(head, name)), None)
    if gloss is None:
        return
    around = (text[max(0, cand.start - CONTEXT_WINDOW):cand.start] + " "
              + text[cand.end:cand.end + CONTEXT_WINDOW]).casefold()
    cue = next((c for c in lexicon.COMMON_WORD_CONTEXT if c in around), None)
    if _INTRODUCED.search(text[max(0, cand.start - 25):cand.start]) and is_capitalised(head):
        cand.notes.append(f"«{head}» is also a common word ({gloss}), but it is introduced as a name")
    elif not is_capitalised(head) or cue:
        cand.confidence = min(cand.confidence, 0.2)
        why = "written in lowercase" if not is_capitalised(head) else f"«{cue}…» is nearby"
        cand.notes.append(f"«{head}» is also a common word ({gloss}), {why}: probably not a name")
    else:
        cand.confidence = min(cand.confidence, 0.6 if cand.participant else 0.45)
        cand.notes.append(f"«{head}» is also a common word ({gloss}): check it is a name here")


def _merge_same_type(found: list[Candidate], text: str) -> list[Candidate]:
    """Union overlapping candidates of one type; join a first name and a surname split by one space."""
    merged: list[Candidate] = []
    for cand in sorted(found, key=lambda c: (c.type, c.start, -c.end, c.source, -c.confidence, c.participant or "")):
        last = merged[-1] if merged and merged[-1].type == cand.type else None
        adjacent = (last is not None and cand.type == "PERSON" and text[last.end:cand.start] == " "
                    and not (last.participant and cand.participant and last.participant != cand.participant))
        if last is not None and (cand.start < last.end or adjacent):
            if last.participant and cand.participant and last.participant != cand.participant:
                last.notes.append(f"also a form of participant {cand.participant}")
            last.end = max(last.end, cand.end)
            if cand.confidence > last.confidence:  # a doubt the stronger reading answers is dropped
                last.notes = [n for n in last.notes if n.startswith("also a form")]
            if cand.confidence >= last.confidence:
                last.notes += cand.notes
            last.confidence = max(last.confidence, cand.confidence)
            last.participant = last.participant or cand.participant
            if cand.ceiling is not None:
                last.ceiling = max(last.ceiling or 0.0, cand.ceiling)
            if cand.priority > last.priority or (cand.priority == last.priority and cand.source < last.source):
                last.source = cand.source
        else:
            merged.append(Candidate(cand.start, cand.end, cand.type, cand.source, cand.confidence,
                                    list(cand.notes), cand.participant, cand.ceiling))
    for cand in merged:
        if cand.ceiling is not None and cand.confidence > cand.ceiling:  # a region Natasha was surer of
            cand.confidence = cand.ceiling
            cand.notes.append(places.BROAD_NOTE)
    return merged


def resolve(found: list[Candidate], text: str) -> list[Candidate]:
    """Non-overlapping candidates in text order; each loser named in the winner's note."""
    chosen: list[Candidate] = []
    for cand in sorted(_merge_same_type(found, text), key=lambda c: (-c.priority, -(c.end - c.start), c.start, c.type)):
        rival = next((c for c in chosen if c.overlaps(cand)), None)
        if rival is None:
            chosen.append(cand)
        else:
            rival.notes.append(f"overlapped {cand.type} «{text[cand.start:cand.end]}» ({cand.source})")
    return sorted(chosen, key=lambda c: c.start)


def _admissible(text: str, cand: Candidate, skip, keep: set[str]) -> bool:
    """Trim a candidate to one line and say whether it may be proposed at all."""
    newline = text.find("\n", cand.start, cand.end)
    if newline != -1:  # a span never runs into the next line ("М.\nРасшифровка")
        cand.end = newline
    cand.start, cand.end = rules.trim(text, cand.start, cand.end)
    piece = text[cand.start:cand.end]
    if cand.end <= cand.start or any(cand.start < e and s < cand.end for s, e in skip):
        return False
    if cand.source != "user" and (canonical(piece) in keep or cand.participant is None and cand.type in (
            "PERSON", "LOCATION", "ORGANIZATION") and is_public(piece)):
        return False
    if cand.source == "natasha" and cand.type == "PERSON":
        if len(piece) <= 2:
            return False  # "Да", "Ол": a short word at the head of a sentence
        if " " not in piece and rules.sentence_initial(text, cand.start):
            cand.confidence = 0.4
            cand.notes.append("one capitalised word opening a sentence: check it is a name")
    return True


def candidates(text: str, gazetteer: Gazetteer | None = None, skip=(), use_ner: bool = True) -> list[Candidate]:
    """What every detector proposes, before overlaps are settled; `skip` spans (speaker labels) excluded."""
    from qualcode.deid.ner import ner_candidates

    gazetteer = (gazetteer or Gazetteer()).with_speakers_of(text)
    found = rules.contact_and_id(text) + rules.addresses_and_organizations(text) + rules.cues(text)
    found += places.find(text) + organizations.find(text) + kazakh.find(text)
    found += _names(text, gazetteer) + _user_terms(text, gazetteer)
    if use_ner:
        found += ner_candidates(text)
    found += people.rest_of_names(text, found, is_public)
    keep = {canonical(t) for t in gazetteer.keep_terms}
    return [c for c in found if _admissible(text, c, skip, keep)]


def detect_text(text: str, gazetteer: Gazetteer | None = None, skip=(), use_ner: bool = True) -> list[Candidate]:
    """Every identifier proposed in `text`, non-overlapping, in text order."""
    chosen = resolve(candidates(text, gazetteer, skip, use_ner), text)
    for cand in chosen:
        _ambiguity(text, cand)
    return chosen
