# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Bring located entries to the desired state: decide, write (never in check mode), wait.

One entry's failure never stops the others: it is recorded in its Outcome.
Each record is written at most once, whichever entries found it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from typing import Optional

from .client import describe_error
from .client import write
from .concurrency import Failure
from .concurrency import run_bounded
from .locate import Entry
from .locate import Located
from .locate import Place
from .locate import matches
from .locate import one_reader
from .locate import read_places
from .resources import Record
from .resources import Resource

# Seconds between polls while waiting: starts short, grows to the cap.
POLL_FIRST_DELAY = 1.0
POLL_MAX_DELAY = 5.0

REMOVED, ADDED = "removed", "added"
ALREADY = dict(absent="already_absent", present="already_present")
NOT_FOUND, FAILED = "not_found", "failed"


@dataclass
class Outcome:
    """What happened to one entry."""

    entry: Entry
    outcome: str = ""  # removed, added, already_absent, already_present, not_found or failed
    changed: bool = False
    msg: str = ""
    before: Optional[Record] = None
    after: Optional[Record] = None
    error: Optional[BaseException] = None
    duplicate_of: Optional[str] = None  # the item whose entry writes (or reports) the same record
    pending: bool = False  # a write was made and has not settled yet
    context: str = ""  # for a failure of a read: the entry it was made for

    @property
    def failed(self) -> bool:
        return self.outcome == FAILED

    def fail(self, error: Optional[BaseException], context: str = "", msg: str = "") -> None:
        self.outcome, self.error, self.context, self.pending = FAILED, error, context, False
        self.msg = msg or (f"{context}: {describe_error(error)}" if context else describe_error(error))


@dataclass
class Write:
    outcome: Outcome
    record: Optional[Record]  # the record to remove; None: one to add


def converge(client: Any, resource: Resource, state: str, located: Located, check_mode: bool = False,
             concurrency: int = 1, wait: bool = True, wait_timeout: int = 300) -> list[Outcome]:
    """Each entry's Outcome, in order."""
    outcomes = [Outcome(entry) for entry in located.entries]
    writes = one_write_per_record(resource, [w for outcome in outcomes for w in decide(resource, state, outcome, check_mode)])
    if writes and not check_mode:
        apply(client, resource, state, writes, concurrency)
        if wait:
            wait_until_settled(client, resource, state, [o for o in outcomes if o.pending], concurrency, wait_timeout)
    return outcomes


def decide(resource: Resource, state: str, outcome: Outcome, check_mode: bool) -> list[Write]:
    """Set the outcome's ``before`` and predicted ``after``; return the writes to make."""
    entry = outcome.entry
    if entry.error is not None:
        outcome.fail(entry.error, context=entry.who)
        return []
    records = entry.records
    outcome.before = resource.current(records)
    if state == "absent":
        todo: list[Optional[Record]] = [r for r in records if not resource.is_absent(r)]
    else:
        todo = [] if any(resource.is_present(r) for r in records) else [None]
    if not todo:
        outcome.after = outcome.before
        outcome.outcome = ALREADY[state] if records else NOT_FOUND
        outcome.msg = entry.note or f"{entry.who} is already {'absent' if state == 'absent' else resource.verbs[state]}"
        return []
    outcome.changed = True
    outcome.outcome = REMOVED if state == "absent" else ADDED
    outcome.after = predict(resource, state, entry, outcome.before)
    outcome.msg = f"{entry.who} {'would be' if check_mode else 'was'} {resource.verbs[state]}"
    return [Write(outcome, record) for record in todo]


def predict(resource: Resource, state: str, entry: Entry, before: Optional[Record]) -> Record:
    """The record as a write to ``state`` will leave it, as far as it is known before the write."""
    if state == "absent":
        return dict(before or {}, Status=resource.settled[state])
    item = entry.item
    record = {"Username": item.username, resource.place_field: item.where, "IdentityProvider": item.identity_provider, "Status": resource.settled[state]}
    if item.domain is not None:
        record["Domain"] = item.domain
    return record


def _write_key(resource: Resource, w: Write) -> tuple[Any, ...]:
    """What a write touches: the record's ARN (or its names), or for a new record the place, user and domain."""
    if w.record is not None:
        return (w.record.get(resource.arn_field),) if w.record.get(resource.arn_field) else (
            w.record.get(resource.place_field), w.record.get("Username"), (w.record.get("Domain") or "").lower())
    item = w.outcome.entry.item
    return (w.outcome.entry.place, item.username, (item.domain or "").lower())


def one_write_per_record(resource: Resource, writes: list[Write]) -> list[Write]:
    """The writes to make: a record found by several entries is written once, for the first.

    An entry all of whose writes another entry makes is unchanged itself, and names that entry.
    """
    owners: dict[tuple[Any, ...], Outcome] = {}
    kept, shared = [], []
    for w in writes:
        owner = owners.setdefault(_write_key(resource, w), w.outcome)
        if owner is w.outcome:
            kept.append(w)
        else:
            shared.append((w.outcome, owner))
    writing = {id(w.outcome) for w in kept}
    for outcome, owner in shared:
        if id(outcome) not in writing:
            outcome.changed = False
            outcome.duplicate_of = owner.entry.item.label or "another item"
            outcome.msg = f"{outcome.entry.who}: the same change is made for {outcome.duplicate_of}"
    return kept


def _call(client: Any, resource: Resource, state: str, w: Write) -> Optional[Record]:
    if state == "absent":
        record = w.record or {}
        what = resource.remove_what.format(username=record.get("Username"), where=record.get(resource.place_field))
        if record.get(resource.arn_field):
            params = {resource.arn_field: record[resource.arn_field]}
        else:
            params = {name: record.get(name) for name in ("Username", resource.place_field, "IdentityProvider", "Domain")}
        return write(client, resource.remove_call, what, resource.summary_key, none_on=("ResourceNotFoundException",), **params)
    item = w.outcome.entry.item
    what = resource.add_what.format(username=item.username, where=item.where)
    return write(client, resource.add_call, what, resource.summary_key, none_on=("ConflictException",), Username=item.username,
                 IdentityProvider=item.identity_provider, Domain=item.domain, Tags=item.tags, **{resource.place_field: item.where})


def apply(client: Any, resource: Resource, state: str, writes: list[Write], concurrency: int) -> None:
    """Make the writes; an entry is changed when at least one of its writes was made."""
    answers = run_bounded(lambda w: _call(client, resource, state, w), writes, concurrency)
    made, answered_none = set(), []
    for w, answer in zip(writes, answers):
        outcome = w.outcome
        if isinstance(answer, Failure):
            outcome.fail(answer.exception)
        elif answer is None:
            answered_none.append(outcome)
        else:
            made.add(id(outcome))
            outcome.after = answer
            outcome.pending = outcome.pending or not resource.is_settled(state, [answer])
    for outcome in answered_none:
        if id(outcome) in made or outcome.failed:
            continue
        # The service says it is already so: someone (or a retried call) got there first.
        outcome.changed = False
        outcome.outcome = ALREADY[state]
        outcome.after = predict(resource, state, outcome.entry, outcome.before) if state == "absent" else None
        outcome.msg = f"{outcome.entry.who} is already {'absent' if state == 'absent' else resource.verbs[state]}"
        outcome.pending = state == "present"  # a conflict is checked by the wait


def wait_until_settled(client: Any, resource: Resource, state: str, pending: list[Outcome], concurrency: int, timeout: int) -> None:
    """Poll the places of pending outcomes, each place once a round, until every outcome settles or the time is up."""
    deadline = time.monotonic() + timeout
    delay = POLL_FIRST_DELAY
    poll_errors: dict[int, BaseException] = {}
    while pending:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        time.sleep(min(delay, remaining))
        delay = min(delay * 2, POLL_MAX_DELAY)
        readers: dict[Place, list[Any]] = {}
        for outcome in pending:
            readers.setdefault(outcome.entry.place, []).append(outcome.entry.item)
        reads = read_places(client, resource, {where: one_reader(readers[where]) for where in readers}, concurrency)
        still = []
        for outcome in pending:
            read = reads[outcome.entry.place]
            if isinstance(read, Failure):
                poll_errors[id(outcome)] = read.exception  # retried at the next round
                still.append(outcome)
                continue
            found = matches(resource, outcome.entry.item, read)
            if found:
                outcome.after = resource.current(found)
            if resource.is_settled(state, found):
                outcome.pending = False
            else:
                still.append(outcome)
        pending = still
    for outcome in pending:
        status = (outcome.after or {}).get("Status", "unknown")
        msg = f"timed out after {timeout}s waiting for {outcome.entry.who} to become {resource.settled[state]} (last status {status})"
        if id(outcome) in poll_errors:
            msg += f"; the last read failed: {describe_error(poll_errors[id(outcome)])}"
        outcome.fail(poll_errors.get(id(outcome)), msg=msg)
