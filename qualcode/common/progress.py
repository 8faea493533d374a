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


@contextmanager
def step_bar(label: str) -> Iterator[Callable[[int, int], None]]:
    """Yield a function `(done, total)` for work whose total is known only once it starts."""
    bar = tqdm(desc=label, unit="text", file=sys.stderr, disable=None, leave=False)

    def advance(done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()
    with bar:
        yield advance
