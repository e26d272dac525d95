"""Progress events for whoever is watching (the CLI's progress bar). Counts only, never text."""

from __future__ import annotations

from collections.abc import Callable

Listener = Callable[[str, int, int], None]  # (stage, done, total)
_listeners: list[Listener] = []


def subscribe(listener: Listener) -> None:
    _listeners.append(listener)


def unsubscribe(listener: Listener) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def report(stage: str, done: int, total: int) -> None:
    for listener in list(_listeners):
        listener(stage, done, total)
