"""Chart specs for topics (Altair), for the UI to show with st.altair_chart; no Streamlit here.

Both take the frames of `qualcode.topics.topic_runs`: `run_topics_table` (topic, size, keywords,
label) and `prevalence` (topic, keywords, <attribute>, segments, share).
"""

from __future__ import annotations

import altair as alt
import pandas as pd


def _name(frame: pd.DataFrame) -> pd.Series:
    """"3: очередь, талон, ЦОН" — or the code name once a topic was promoted."""
    labels = frame["label"] if "label" in frame else [None] * len(frame)
    return pd.Series([f"{topic}: {label or words}" for topic, label, words in zip(frame["topic"], labels,
                                                                                 frame["keywords"])],
                     index=frame.index)


def sizes_chart(topics: pd.DataFrame) -> alt.Chart:
    """Segments per topic, largest first."""
    data = topics.assign(name=_name(topics))
    return (alt.Chart(data).mark_bar()
            .encode(x=alt.X("size:Q", title="segments"), y=alt.Y("name:N", sort="-x", title=None),
                    tooltip=["topic", "size", "keywords"])
            .properties(title="Topic sizes"))


def prevalence_heatmap(prevalence: pd.DataFrame, by: str) -> alt.Chart:
    """Topic × attribute value, coloured by the share of that value's segments in the topic."""
    data = prevalence.assign(name=_name(prevalence))
    return (alt.Chart(data).mark_rect()
            .encode(x=alt.X(f"{by}:N", title=by), y=alt.Y("name:N", title=None, sort=alt.SortField("topic")),
                    color=alt.Color("share:Q", title="share", scale=alt.Scale(scheme="blues")),
                    tooltip=["topic", "keywords", by, "segments", alt.Tooltip("share:Q", format=".0%")])
            .properties(title=f"Topic prevalence by {by}"))
