"""Progress bars for long CLI work, on stderr so that --json stdout stays clean."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Callable, Iterator

from tqdm import tqdm


@contextmanager
def progress_bar(total: int, label: str) -> Iterator[Callable[[], None]]:
    """Yield a function that advances the bar by one; silent when stderr is not a terminal."""
    with tqdm(total=total, desc=label, unit="file", file=sys.stderr, disable=None, leave=False) as bar:
        yield bar.update
