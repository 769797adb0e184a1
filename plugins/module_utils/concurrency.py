# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Bounded concurrency for API calls that share one client."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any
from typing import Callable
from typing import Iterable


class Failure:
    """What a call raised, kept in place of its result so the others go on."""

    def __init__(self, exception: BaseException) -> None:
        self.exception = exception

    def __repr__(self) -> str:
        return f"Failure({self.exception!r})"


def _guarded(func: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def call(item: Any) -> Any:
        try:
            return func(item)
        except Exception as e:  # pylint: disable=broad-except
            return Failure(e)

    return call


def run_bounded(func: Callable[[Any], Any], items: Iterable[Any], concurrency: int) -> list[Any]:
    """``[func(item) for item in items]`` with at most ``concurrency`` calls in flight.

    Results come back in input order; an exception becomes a Failure in its slot.
    """
    items = list(items)
    if concurrency <= 1 or len(items) <= 1:
        return [_guarded(func)(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(concurrency, len(items))) as pool:
        return list(pool.map(_guarded(func), items))
