"""Timestamps as transcripts write them ('1:02:03.5', '02:03', Teams' '0:0:5,160') → seconds."""


def to_seconds(stamp: str) -> float:
    """h:m:s, m:s or s, with '.' or ',' before the fraction; the caller checks the shape."""
    seconds = 0.0
    for part in stamp.strip().replace(",", ".").split(":"):
        seconds = seconds * 60 + float(part)
    return seconds
