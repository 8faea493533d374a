"""Frequencies, crosstabs and co-occurrence of codes as pandas frames, and charts of them.

Everything counts from a `QuoteSet`, so the report, the tables, the CLI and the app give the
same numbers. A "segment" count is of distinct coded units (a quote's segment), which is what
a reader means by "how often was this said"; participants and documents are distinct people
and transcripts. Rows are codes in codebook order (their paths), zeros included.
"""

from __future__ import annotations

import pandas as pd

from qualcode.export.quotes import Quote, QuoteSet

MEASURES = ("segments", "participants", "documents", "quotes")
NOT_SET = "(not set)"


def _distinct(quotes: list[Quote], measure: str) -> int:
    if measure == "quotes":
        return len(quotes)
    if measure == "segments":
        return len({q.unit for q in quotes})
    if measure == "participants":
        return len({q.participant_id for q in quotes if q.participant_id is not None})
    if measure == "documents":
        return len({q.document_id for q in quotes})
    raise ValueError(f"unknown measure {measure!r} (use {', '.join(MEASURES)})")


def _by_code(quoteset: QuoteSet) -> dict[str, list[Quote]]:
    grouped: dict[str, list[Quote]] = {c.path: [] for c in quoteset.codes}
    for q in quoteset.quotes:
        grouped.setdefault(q.code, []).append(q)
    return grouped


def frequencies(quoteset: QuoteSet) -> pd.DataFrame:
    """Per code: quotes, distinct segments, participants and documents."""
    grouped = _by_code(quoteset)
    frame = pd.DataFrame([{m: _distinct(qs, m) for m in MEASURES} for qs in grouped.values()],
                         index=pd.Index(list(grouped), name="code"), columns=list(MEASURES), dtype="int64")
    return frame


def group_values(quotes: list[Quote], by: str) -> list[str]:
    """The values of `by` in the quotes, sorted, with NOT_SET last when some quote lacks it."""
    values = {q.value(by) for q in quotes}
    return sorted(v for v in values if v is not None) + ([NOT_SET] if None in values else [])


def crosstab(quoteset: QuoteSet, by: str, measure: str = "segments") -> pd.DataFrame:
    """Code × values of an attribute (document or participant, or `document`/`role`), counting `measure`."""
    quoteset.check_key(by)
    columns = group_values(quoteset.quotes, by)
    cells: dict[tuple[str, str], list[Quote]] = {}
    for q in quoteset.quotes:
        cells.setdefault((q.code, q.value(by) or NOT_SET), []).append(q)
    codes = list(_by_code(quoteset))
    data = [[_distinct(cells.get((code, v), []), measure) for v in columns] for code in codes]
    return pd.DataFrame(data, index=pd.Index(codes, name="code"), columns=pd.Index(columns, name=by), dtype="int64")


def cooccurrence(quoteset: QuoteSet) -> pd.DataFrame:
    """Code × code: segments carrying both codes; the diagonal is the segments carrying the code."""
    codes = list(_by_code(quoteset))
    position = {c: i for i, c in enumerate(codes)}
    units: dict[tuple, set[str]] = {}
    for q in quoteset.quotes:
        units.setdefault(q.unit, set()).add(q.code)
    counts = [[0] * len(codes) for _ in codes]
    for present in units.values():
        for a in present:
            for b in present:
                counts[position[a]][position[b]] += 1
    return pd.DataFrame(counts, index=pd.Index(codes, name="code"), columns=pd.Index(codes, name="with code"),
                        dtype="int64")


def nonzero(frame: pd.DataFrame) -> pd.DataFrame:
    """Drop the all-zero rows (and, for a square code × code matrix, the matching columns)."""
    keep = frame.index[frame.sum(axis=1) > 0]
    if frame.columns.name == "with code":
        return frame.loc[keep, keep]
    return frame.loc[keep]


def bar_chart(freq: pd.DataFrame, measure: str = "segments"):
    """A horizontal Altair bar chart of one frequency measure, codes in codebook order."""
    import altair as alt

    data = freq.reset_index()[["code", measure]]
    return (alt.Chart(data).mark_bar()
            .encode(x=alt.X(f"{measure}:Q", title=measure), y=alt.Y("code:N", sort=list(data["code"]), title=None),
                    tooltip=["code", measure])
            .properties(height=alt.Step(18)))


def heatmap(matrix: pd.DataFrame, value: str = "segments"):
    """An Altair heatmap of a code × something matrix (crosstab or co-occurrence)."""
    import altair as alt

    rows, cols = matrix.index.name or "row", matrix.columns.name or "column"
    if rows == cols:
        cols = f"{cols} (column)"
    # fixed field names: an attribute such as "document:site" would read as Altair's "field:type" shorthand
    data = matrix.rename_axis(index="row", columns="column").stack().rename("value").reset_index()
    base = alt.Chart(data).encode(x=alt.X("column:N", sort=list(matrix.columns), title=None),
                                  y=alt.Y("row:N", sort=list(matrix.index), title=None))
    return (base.mark_rect().encode(color=alt.Color("value:Q", scale=alt.Scale(scheme="blues"), title=value),
                                    tooltip=[alt.Tooltip("row:N", title=rows), alt.Tooltip("column:N", title=cols),
                                             alt.Tooltip("value:Q", title=value)])
            + base.mark_text(fontSize=10).encode(text=alt.Text("value:Q")))
