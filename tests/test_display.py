"""Display helpers: text is data, never markup; code colours map onto the badge palette."""

from __future__ import annotations

from qualcode.common.display import badge, badge_color, markdown_escape

HOSTILE = "<script>alert(1)</script> [link](http://x) ![img](x.png) $x$ **b** :red[r]"


def test_escaping_leaves_no_markup_characters_bare():
    escaped = markdown_escape(HOSTILE)
    for char in "<>[]()!$*:":
        assert all(escaped[i - 1] == "\\" for i, c in enumerate(escaped) if c == char)


def test_badges_pick_the_nearest_palette_colour_and_escape_the_label():
    assert [badge_color(c) for c in ("#1F77B4", "#FF7F0E", "#2CA02C", "#D62728", "#9467BD", "#BCBD22")] == \
        ["blue", "orange", "green", "red", "violet", "yellow"]
    assert badge_color("#7F7F7F") == badge_color(None) == badge_color("nonsense") == "gray"
    assert badge("Access/[x](y)", "#1F77B4") == ":blue-badge[Access/\\[x\\]\\(y\\)]"
