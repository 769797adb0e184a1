# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The write modules' ``msg`` when they may touch several records: what happened, per user, in one line.

``jdoe: removed from 3 instances, already absent on instance i-0123456789abcdef0; bob: not found``

The line is for people reading an ad-hoc command's output; ``results`` says the same as data.
It names at most MSG_USERS users, those with a failure first, then those with a change, and counts the others.
"""

from __future__ import annotations

from typing import Any
from typing import Callable
from typing import Optional

from .converge import ADDED
from .converge import FAILED
from .converge import NOT_FOUND
from .converge import REMOVED
from .converge import Outcome
from .names import name_key
from .resources import Resource

MSG_USERS = 10

# How each outcome is worded, in this order, for each kind of place. In check mode a write "would be" made.
PHRASES = {
    "instance_id": dict(removed="removed from", added="associated with", already_absent="already absent on",
                        already_present="already associated with", not_found="not found on", failed="failed on"),
    "product": dict(removed="unsubscribed from", added="subscribed to", already_absent="already unsubscribed from",
                    already_present="already subscribed to", not_found="not subscribed to", failed="failed for"),
}
# One place, several places.
PLACES = {"instance_id": ("instance {}", "{} instances"), "product": ("{}", "{} products")}

CodeOf = Callable[[Optional[BaseException]], Optional[str]]


def _phrase(resource: Resource, outcome: str, outcomes: list[Outcome], check_mode: bool, code_of: CodeOf) -> str:
    """``removed from 3 instances``, ``already absent on instance i-...``, ``failed (AccessDeniedException)``, ``not found``."""
    words = PHRASES[resource.place_option][outcome]
    if check_mode and outcome in (REMOVED, ADDED):
        words = f"would be {words}"
    places = list(dict.fromkeys(o.entry.item.where for o in outcomes if o.entry.item.where))
    one, many = PLACES[resource.place_option]
    if len(places) == 1:
        text = f"{words} {one.format(places[0])}"
    elif places:
        text = f"{words} {many.format(len(places))}"
    else:  # found nowhere, or the places could not be listed
        text = {NOT_FOUND: "not found", FAILED: "failed"}.get(outcome, words)
    if outcome == NOT_FOUND and places and all(o.entry.reason == "instance_not_listed" for o in outcomes):
        text = f"{one.format(places[0]) if len(places) == 1 else many.format(len(places))} not listed by ListInstances (an unknown instance ID)"
    codes = list(dict.fromkeys(code for code in (code_of(o.error) for o in outcomes) if code)) if outcome == FAILED else []
    return f"{text} ({', '.join(codes)})" if codes else text


def outcome_line(resource: Resource, outcomes: list[Outcome], check_mode: bool, code_of: CodeOf) -> str:
    """What happened to each user, in one line; ``code_of`` gives a failure's code.

    A user's entries are grouped by outcome (a failed entry counts as failed, whatever it wrote), and
    each group names its place when it has one, or counts them. An entry that another entry writes or
    reports (``duplicate_of``) is counted there only.
    """
    users: dict[Any, tuple[str, dict[str, list[Outcome]]]] = {}
    for outcome in outcomes:
        if outcome.duplicate_of:
            continue
        item = outcome.entry.item
        key = name_key(item.username) if item.username else ("arn", item.arn)
        _label, by_outcome = users.setdefault(key, (item.username or str(item.arn), {}))
        by_outcome.setdefault(FAILED if outcome.failed else outcome.outcome, []).append(outcome)
    order = list(PHRASES[resource.place_option])
    # The users with a failure first, then those with a change, then the others; each group in the order given.
    ranked = sorted(users.values(), key=lambda user: 0 if FAILED in user[1] else 1 if {REMOVED, ADDED} & set(user[1]) else 2)
    parts = [f"{label}: " + ", ".join(_phrase(resource, kind, by_outcome[kind], check_mode, code_of) for kind in order if kind in by_outcome)
             for label, by_outcome in ranked[:MSG_USERS]]
    if len(users) > MSG_USERS:
        failed = sum(1 for _label, by_outcome in ranked[MSG_USERS:] if FAILED in by_outcome)
        parts.append(f"and {len(users) - MSG_USERS} more users" + (f", {failed} of them with a failure" if failed else "") + " (see results)")
    return "; ".join(parts) or "no user given"
