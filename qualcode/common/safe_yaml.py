"""The one way YAML is read here: node trees without anchors or aliases.

An alias makes a node shared, so walking a small file can mean visiting billions of nodes (the
"billion laughs"). Codebooks and sidecars never need them, so the first `&` or `*` is refused
while composing, before anything is expanded or walked.
"""

from __future__ import annotations

import yaml
from yaml.composer import ComposerError
from yaml.events import AliasEvent
from yaml.nodes import Node

REFUSED = "anchors and aliases (& and *) are not allowed"


class _NoAliases:
    """Refuses the first alias or anchor it meets, with the line it is on."""

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, AliasEvent) or getattr(event, "anchor", None) is not None:
            raise ComposerError(None, None, REFUSED, event.start_mark)
        return super().compose_node(parent, index)


class SafeLoader(_NoAliases, yaml.SafeLoader):
    """Standard tags (int, bool, null …), no aliases."""


class PlainLoader(_NoAliases, yaml.BaseLoader):
    """Every scalar a string, no aliases."""


def compose(text: str, plain: bool = False) -> Node | None:
    """The YAML node tree of `text` (None when empty); yaml.MarkedYAMLError on bad YAML, aliases included."""
    return yaml.compose(text, Loader=PlainLoader if plain else SafeLoader)
