"""Pattern detectors: contact details, ID numbers, addresses, organisations, and name/place cues.

The exact ones (e-mail, phone, ИИН/БИН with its checksum, card numbers,
addresses, legal-form organisations) work in every language. The cue-based
ones (an honorific after a name, a surname ending, "X ауылы", "X district")
give Kazakh and English text what Natasha gives Russian.
"""

from __future__ import annotations

import re

from qualcode.deid import places
from qualcode.deid.candidate import Candidate
from qualcode.deid.lexicon import FIRST_NAMES, PUBLIC_PLACES
from qualcode.deid.names import inflects, skeleton

UP = "A-ZА-ЯЁӘҒҚҢӨҰҮҺІ"
CAP = rf"[{UP}][^\W\d_]*(?:-[^\W\d_]+)*"
PLACE_NAME = rf"{CAP}(?:-\d+)?"
_I = re.IGNORECASE

EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}")
PHONE = re.compile(r"(?<![\w+])(?:(?:\+7|8)[\s\-]?\(?\d{3}\)?|\(?7\d{2}\)?|\+(?!7)\d{1,3}[\s\-]?\(?\d{2,4}\)?)"
                   r"[\s\-]?\d{3}[\s\-]?(?:\d{2}[\s\-]?\d{2}|\d{4})(?!\d)")
LOCAL_PHONE = re.compile(r"(?:тел\.|телефон\w*|номер\w*|нөмір\w*|phone|call|звонит\w*|хабарлас\w*)[^\d\n]{0,20}?"
                         r"(?<!\d)(\d{3}[\s\-]\d{2}[\s\-]\d{2}|\d[\s\-]\d{2}[\s\-]\d{2}[\s\-]\d{2})(?![\d\-])", _I)
TWELVE_DIGITS = re.compile(r"(?<![\d\-])\d{12}(?![\d\-])")
CARD = re.compile(r"(?<!\d)\d{4}(?:[\s\-]?\d{4}){3}(?!\d)")
DOCUMENT_NUMBER = re.compile(r"(?:удостоверени\w*|паспорт\w*|куәлі\w*|ID card|passport|лицев\w+ сч\w*|договор\w*)"
                             r"[^\d\n]{0,25}?(?<![\d\w])([A-ZА-Я]?\d{6,10})(?!\d)", _I)
PLATE = re.compile(r"(?<!\w)\d{3}\s?[A-Z]{2,3}\s?\d{2}(?!\w)")

_NUM = r"\d+(?:[а-яa-zА-ЯA-Z](?![^\W\d_]))?(?:/\d+)?"
_STREET_WORD = rf"[{UP}][^\s,.;:!?»\"]*|би|батыра|батыр|хан|хана|ата"  # "Толе би", "Кабанбай батыра"
_STREET_NAME = rf"[«\"]?[{UP}\d][^\s,.;:!?»\"]*(?:\s+(?:{_STREET_WORD}))" + "{0,2}[»\"]?"
_SEP = r"(?:,\s*|\s+)"
_HOUSE = rf"(?:{_SEP}(?:(?i:д\.|дом|house|үй)\s*)?{_NUM}(?:-?үй\w*)?)"
_FLAT = rf"(?:{_SEP}(?:(?i:кв\.|квартира|офис|оф\.|apt\.?|apartment|flat)\s*{_NUM}|\d+-?пәтер\w*))"
ADDRESSES = (
    re.compile(rf"(?<!\w)(?i:ул\.|улиц\w*|пр\.|пр-т|просп\.|проспект\w*|пер\.|переул\w*|бульвар\w*|б-р|шоссе)"
               rf"\s*{_STREET_NAME}{_HOUSE}?{_FLAT}?"),
    re.compile(rf"(?<!\w)(?i:мкр\.?|мкрн\.?|микрорайон\w*)\s*{_STREET_NAME}{_HOUSE}{_FLAT}?"),
    re.compile(rf"(?<!\w){_STREET_NAME}\s+(?:көше|даңғыл|тұйық)\w*{_HOUSE}?{_FLAT}?"),
    re.compile(rf"(?<!\w){_STREET_NAME}\s+(?:шағын\s?аудан|ықшамаудан)\w*{_HOUSE}{_FLAT}?"),
    re.compile(rf"(?<!\w)\d+\s+{CAP}(?:\s+{CAP})?\s+(?:Street|St\.|Avenue|Ave\.|Road|Rd\.|Lane|Boulevard)"
               rf"(?:,?\s*(?:apt\.?|apartment|flat)\s*{_NUM})?"),
    re.compile(rf"(?<!\w){CAP}(?:\s+{CAP})?\s+(?:[Ss]treet|[Aa]venue|[Mm]icrodistrict)(?:,?\s*{_NUM})"
               rf"(?:,?\s*(?:apt\.?|apartment|flat)\s*{_NUM})?"),
    re.compile(rf"(?<!\w)(?i:д\.|дом|house)\s*{_NUM}{_FLAT}"),
)

_LEGAL = r"(?:ТОО|АО|ИП|ЖШС|АҚ|ЖК|ООО|ОАО|ЗАО|LLP|LLC|JSC)"
ORGANIZATIONS = (
    re.compile(rf"(?<!\w){_LEGAL}\s*[«\"“][^»\"”\n]{{1,60}}[»\"”]"),
    re.compile(rf"[«\"“][^»\"”\n]{{1,60}}[»\"”]\s*{_LEGAL}(?!\w)"),
    re.compile(rf"(?<!\w)(?:{CAP}\s+){{1,3}}(?:LLP|LLC|Ltd\.?|Inc\.?|JSC|University|Foundation|College|Institute|"
               rf"Academy|Bank|Company|Group|Centre|Center)(?!\w)"),
    re.compile(r"(?<!\w)(?:школ\w*|гимнази\w*|лице[йяюе]\w*|поликлиник\w*|больниц\w*|детск\w+\s+сад\w*|садик\w*|"
               r"колледж\w*|мектеп\w*|балабақша\w*|емхана\w*|аурухана\w*|school|clinic|hospital|kindergarten|"
               r"polyclinic)\s*(?:№|No\.?|N|number)\s*\d+", _I),
    re.compile(r"(?<!\w)(?:№\s*\d+|\d+-)\s*(?:мектеп|емхана|балабақша|гимназия|аурухана|лицей)\w*", _I),
)

# A name before a Kazakh honorific, or after an English title: the name alone is the span.
HONORIFIC = re.compile(rf"(?<!\w)({CAP})(?=\s+(?:ағай|апай|аға|апа|әпке|мырза|ханым|тәте)\w*)")
TITLE = re.compile(rf"(?<!\w)(?:Mr|Mrs|Ms|Miss|Dr|Prof)\.?\s+({CAP}(?:\s+{CAP})?)")
INTRODUCED = re.compile(rf"(?:called|named|name is|зовут|имя|атым|есімім|есімі)\s+({CAP})")
SURNAME = re.compile(r"(?<!\w)[A-ZА-ЯЁӘҒҚҢӨҰҮҺІ][^\W\d_]{2,}(?:ов|ова|ев|ева|ёв|ёва|ұлы|қызы|улы|кызы|ович|овна|евич|"
                     r"евна|ov|ova|ev|eva|uly|kyzy|ovich|ovna|evich|evna)"
                     r"(?:а|у|ым|ом|ой|е|ы|ға|қа|ке|ге|тың|тің|ның|нің|ды|ді|ты|ті|ны|ні|да|де|та|те|дан|ден|тан|тен|"
                     r"нан|нен|мен|бен|пен)?(?!\w)")
PLACES = (
    re.compile(rf"(?<!\w){PLACE_NAME}(?:\s+{PLACE_NAME})?\s+(?:ауыл|аудан|кент|елді\s+мекен|ықшамаудан|шағын\s?аудан|"
               rf"қалашығ|қалашық)\w*"),
    re.compile(rf"(?<!\w)(?i:село|селе|села|селом|с\.|аул|аула|ауле|посёлок|поселок|посёлке|поселке|пос\.|деревн\w+|"
               rf"микрорайон\w*|мкр\.?|мкрн\.?)\s*{PLACE_NAME}"),
    re.compile(rf"(?<!\w){PLACE_NAME}(?:\s+{PLACE_NAME})?\s+(?:village|district|settlement|microdistrict)"),
    re.compile(rf"(?<!\w)(?:village|district|town) of {PLACE_NAME}"),
)
# "live in X", "X-та тұрамын": a place by what is said about it (big cities are filtered out later).
PLACE_CUES = (
    re.compile(rf"(?:live in|lives in|living in|moved from|moved to|come from|comes from|village,|town,)"
               rf"\s+({PLACE_NAME})"),
    re.compile(rf"(?<!\w)({PLACE_NAME}(?:да|де|та|те|нда|нде|дан|ден|тан|тен|нан|нен))\s+(?:тұр|тұрам|тұрад|кел)"),
)
_ADDRESS_WORD = re.compile(r"(?i:мекенжай|адрес|address)")
_FIRST = frozenset(skeleton(n) for n in FIRST_NAMES)
# Words that open a sentence and are no part of the name after them ("Біздің Майкөл ауылы", "Our village").
LEADING_WORDS = frozenset("біздің бізде біз менің мен сенің олардың оның ал бірақ енді сонда содан мына сол осы бұл "
                          "ол our my the in at their his her this that every rural urban local наш наше наша мой моя "
                          "моё в на из кеше бүгін ертең анам әкем ағам әпкем інім сіңлім қарындасым ұлым қызым балам "
                          "немерем жездем жеңгем күйеуім әйелім досым көршім әжем атам нағашым".split())


def iin_valid(digits: str) -> bool:
    """Kazakhstan's ИИН/БИН check digit: weights 1..11, then 3..11,1,2 when the first gives 10."""
    values = [int(d) for d in digits]
    for weights in (range(1, 12), [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2]):
        check = sum(v * w for v, w in zip(values[:11], weights)) % 11
        if check != 10:
            return check == values[11]
    return False


def luhn_valid(digits: str) -> bool:
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def _spans(pattern: re.Pattern, text: str, group: int = 0):
    for m in pattern.finditer(text):
        yield m.start(group), m.end(group)


def trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Drop trailing punctuation a pattern swallowed ("ул. Абая, 15," → "ул. Абая, 15")."""
    while end > start and text[end - 1] in " ,.;:":
        end -= 1
    return start, end


def contact_and_id(text: str) -> list[Candidate]:
    found = [Candidate(*trim(text, s, e), "EMAIL", "rule:email", 0.99) for s, e in _spans(EMAIL, text)]
    for s, e in _spans(PHONE, text):
        digits = re.sub(r"\D", "", text[s:e])
        if digits[1:4] != "800":  # 8-800 numbers are toll-free lines of organisations
            found.append(Candidate(s, e, "PHONE", "rule:phone", 0.95))
    found += [Candidate(s, e, "PHONE", "rule:phone", 0.8) for s, e in _spans(LOCAL_PHONE, text, 1)]
    for s, e in _spans(TWELVE_DIGITS, text):
        if iin_valid(text[s:e]):
            found.append(Candidate(s, e, "ID", "rule:iin", 0.97))
        else:
            found.append(Candidate(s, e, "ID", "rule:iin", 0.6, ["12 digits but no valid ИИН/БИН check digit"]))
    for s, e in _spans(CARD, text):
        if luhn_valid(re.sub(r"\D", "", text[s:e])):
            found.append(Candidate(s, e, "ID", "rule:card", 0.9, ["bank card number"]))
    found += [Candidate(s, e, "ID", "rule:document", 0.85) for s, e in _spans(DOCUMENT_NUMBER, text, 1)]
    found += [Candidate(s, e, "ID", "rule:plate", 0.8, ["vehicle plate"]) for s, e in _spans(PLATE, text)]
    return found


def addresses_and_organizations(text: str) -> list[Candidate]:
    found = [Candidate(skip_leading(text, s, e), trim(text, s, e)[1], "ADDRESS", "rule:address", 0.9)
             for pattern in ADDRESSES for s, e in _spans(pattern, text)]
    found += [Candidate(*trim(text, s, e), "ORGANIZATION", "rule:organization", 0.85)
              for pattern in ORGANIZATIONS for s, e in _spans(pattern, text)]
    return found


def cues(text: str) -> list[Candidate]:
    """Names and places recognised by the words around them (all languages, any participant)."""
    found = [Candidate(s, e, "PERSON", "pattern:honorific", 0.75) for s, e in _spans(HONORIFIC, text, 1)
             if text[s:e].casefold() not in LEADING_WORDS]  # "Менің әпкем": "my sister", not a name
    found += [Candidate(s, e, "PERSON", "pattern:title", 0.85) for s, e in _spans(TITLE, text, 1)]
    for s, e in _spans(SURNAME, text):
        if not sentence_initial(text, s) or re.match(rf"\s+{CAP}", text[e:]):
            found.append(Candidate(s, e, "PERSON", "pattern:surname", 0.7))
    found += [Candidate(s, e, "PERSON", "pattern:introduced", 0.8) for s, e in _spans(INTRODUCED, text, 1)]
    places = [trim(text, s, e) for pattern in PLACES for s, e in _spans(pattern, text)]
    places += [(s, e) for pattern in PLACE_CUES for s, e in _spans(pattern, text, 1)]
    for s, e in places:
        s = skip_leading(text, s, e, names=True)
        if re.search(f"[{UP}]", text[s:e]):  # "Our village" minus "Our" names no place
            found.append(Candidate(s, e, "LOCATION", "pattern:place", 0.75))
    return found


def skip_leading(text: str, start: int, end: int, names: bool = False) -> int:
    """Move `start` past an opening pronoun, a city ("Шымкенттің …") or, with `names`, a first name
    ("Гүлмира Бәйдібек ауданында") that a pattern swallowed; streets are named after people, so not there."""
    first = re.match(r"[^\W\d_]+\s+", text[start:end])
    word = first.group().strip() if first else ""
    if first and (word.casefold() in LEADING_WORDS or _ADDRESS_WORD.match(word) or (names and skeleton(word) in _FIRST)
                  or any(inflects(word, p) for p in PUBLIC_PLACES) or places.is_broad(word)):
        return start + first.end()
    return start


def sentence_initial(text: str, start: int) -> bool:
    """Whether a word at `start` opens a sentence, line or quote (where capitals say nothing)."""
    before = re.sub(r"(?:\[[^\]\n]*\]|\([^)\n]*\))\s*$", "", text[max(0, start - 80):start].rstrip())
    before = before.rstrip(" \t\"«“'(—-–")  # "[смех] Серьёзно." opens a sentence too
    return not before or before[-1] in ".!?…:\n"
