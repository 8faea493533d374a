"""A cheap language guess for a transcript: en, ru or kk.

Kazakh is written in Cyrillic with nine extra letters; a text in which they
are frequent is Kazakh (mixed with Russian, as people speak), otherwise
mostly-Cyrillic text is Russian and mostly-Latin text English.
"""

KAZAKH_LETTERS = set("әғқңөұүһіӘҒҚҢӨҰҮҺІ")


def guess_language(text: str) -> str:
    sample = text[:200_000]
    cyrillic = sum(1 for ch in sample if "\u0400" <= ch <= "\u04ff")
    latin = sum(1 for ch in sample if ch.isascii() and ch.isalpha())
    if cyrillic < latin:
        return "en"
    kazakh = sum(1 for ch in sample if ch in KAZAKH_LETTERS)
    return "kk" if kazakh > 0.01 * max(cyrillic, 1) else "ru"
