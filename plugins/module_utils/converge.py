# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Bring the entries locate.py found to the desired state: decide, write (never in check mode), confirm, wait.

One entry's failure never stops the others: it is recorded in its Outcome.
Each record is written at most once, whichever entries found it.

Status words are read through Resource.phase (resources.py): a record whose phase
is unknown is never written and never waited for; a word first seen in a write's
own answer is learned for the run, with a warning. A ConflictException or
ResourceNotFoundException answer to a write is a claim: the record is read again,
and the entry is reported already present or absent only when that read confirms it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from typing import Callable
from typing import Optional

from .client import describe_error
from .client import error_code
from .client import write
from .concurrency import Failure
from .concurrency import run_bounded
from .locate import Entry
from .locate import matches
from .locate import read_places
from .resources import ADDING
from .resources import LIVE
from .resources import REMOVED as GONE
from .resources import REMOVING
from .resources import UNKNOWN
from .resources import Record
from .resources import Resource

# Seconds between polls while waiting: starts short, grows to the cap.
POLL_FIRST_DELAY = 1.0
POLL_MAX_DELAY = 5.0

REMOVED, ADDED = "removed", "added"
ALREADY = dict(absent="already_absent", present="already_present")
NOT_FOUND, FAILED = "not_found", "failed"

# The answer to a write that claims the work is already done, to be confirmed by a read.
CLAIMS = dict(absent="ResourceNotFoundException", present="ConflictException")


class Run:
    """What one module run learns as it goes: status words from write answers, and the warnings to give."""

    def __init__(self, resource: Resource, state: str, warn: Callable[[str], None]) -> None:
        self.resource = resource
        self.state = state
        self.warn = warn
        self.learned: dict[str, str] = {}
        self.warned: set[str] = set()

    def phase(self, record: Record) -> str:
        return self.resource.phase(record, self.learned)

    def settled(self, records: list[Record]) -> bool:
        return self.resource.is_settled(self.state, records, self.learned)

    def learn(self, record: Record, operation: str) -> None:
        """A write answered with a word nobody has told us about: for this run it means what the write did."""
        word = self.resource.word(record)
        if not self.resource.is_known(record, self.learned):
            self.learned[word] = GONE if self.state == "absent" else LIVE
            self.once(word, f"{operation} answered with status {word!r}, which this collection does not know; for this run it is taken "
                            f"to mean {self.resource.verbs[self.state]} (see docs/service-assumptions.md)")

    def by_date(self, records: list[Record]) -> None:
        """Warn, once per word, when a record's end date decided against its word: an unknown word, or a live one."""
        resource = self.resource
        for record in records:
            if not record.get(resource.end_date) or self.phase(record) not in (GONE, REMOVING):
                continue
            word, name = resource.word(record), record.get(resource.arn_field) or record.get("Username")
            if not resource.is_known(record, self.learned):
                self.once(word, f"status {word!r} of {resource.noun} {name} is not a word this collection knows; "
                                f"its {resource.end_date} ({record[resource.end_date]}) says it was removed")
            elif word in resource.words[LIVE] + resource.words[ADDING]:
                message = f"{resource.noun} {name} has status {word!r} but a {resource.end_date} ({record[resource.end_date]}): counted as removed"
                self.once(f"{word}+{resource.end_date}", message)

    def once(self, key: str, message: str) -> None:
        if key not in self.warned:
            self.warned.add(key)
            self.warn(message)


@dataclass
class Outcome:
    """What happened to one entry."""

    entry: Entry
    outcome: str = ""  # removed, added, already_absent, already_present, not_found or failed (nothing was written)
    changed: bool = False
    msg: str = ""
    before: Optional[Record] = None
    after: Optional[Record] = None
    error: Optional[BaseException] = None
    duplicate_of: Optional[str] = None  # the item whose entry writes (or reports) the same record
    shared_with: Optional["Outcome"] = None  # that entry's outcome
    pending: bool = False  # a write was made and has not settled yet
    settled: Optional[bool] = None  # for an entry with a write made: whether the change was seen done
    context: str = ""  # for a failure of a read: the entry it was made for
    detail: str = ""  # for a failure: what the module found out besides the AWS error
    accepted: bool = False  # at least one of its writes was accepted
    failed: bool = False
    claims: list[BaseException] = field(default_factory=list)  # write answers that say the work is already done

    def fail(self, error: Optional[BaseException], context: str = "", msg: str = "", detail: str = "") -> None:
        """The entry failed. A write the service accepted stays recorded as made (outcome removed or added,
        settled false): only an entry with no accepted write becomes outcome failed."""
        self.failed, self.error, self.context, self.detail, self.pending = True, error, context, detail, False
        if not self.accepted:
            self.outcome = FAILED
        self.msg = msg or (f"{context}: {describe_error(error)}" if context else describe_error(error)) + detail


@dataclass
class Write:
    outcome: Outcome
    record: Optional[Record]  # the record to remove; None: one to add


def converge(client: Any, resource: Resource, state: str, entries: list[Entry], check_mode: bool = False, concurrency: int = 1,
             wait: bool = True, wait_timeout: int = 300, warn: Callable[[str], None] = lambda message: None) -> list[Outcome]:
    """Each entry's Outcome, in order."""
    run = Run(resource, state, warn)
    outcomes = [Outcome(entry) for entry in entries]
    writes = one_write_per_record(resource, [w for outcome in outcomes for w in decide(run, outcome, check_mode)])
    if writes and not check_mode:
        apply(client, run, writes, concurrency)
        confirm(client, run, [o for o in outcomes if o.claims and not o.failed], concurrency)
        if wait:
            wait_until_settled(client, run, [o for o in outcomes if o.pending], concurrency, wait_timeout)
        for outcome in outcomes:
            owner = outcome.shared_with
            if owner is not None and owner.failed and not outcome.failed:
                outcome.fail(owner.error, msg=f"{outcome.entry.who}: the change made for {outcome.duplicate_of} failed: {owner.msg}")
    for outcome in outcomes:
        if outcome.failed and not outcome.accepted:
            outcome.changed, outcome.after = False, outcome.before  # nothing was written: the record is as it was read
    return outcomes


def _unknown(run: Run, outcome: Outcome, records: list[Record]) -> None:
    record = next(r for r in records if run.phase(r) == UNKNOWN)
    name = record.get(run.resource.arn_field) or f"of user {record.get('Username')!r}"
    outcome.fail(None, msg=f"{outcome.entry.who}: {run.resource.noun} {name} has status {record.get('Status')!r}, which this collection does not "
                           f"know, and no {run.resource.end_date}; nothing was written (see docs/service-assumptions.md)")


def decide(run: Run, outcome: Outcome, check_mode: bool) -> list[Write]:
    """Set the outcome's ``before`` and predicted ``after``; return the writes to make."""
    resource, state, entry = run.resource, run.state, outcome.entry
    if entry.error is not None:
        outcome.fail(entry.error, context=entry.who)
        return []
    records = entry.records
    phases = [run.phase(r) for r in records]
    run.by_date(records)
    outcome.before = resource.current(records, run.learned)
    if state == "absent":
        todo: list[Optional[Record]] = [r for r, phase in zip(records, phases) if phase in (LIVE, ADDING)]
    else:
        todo = [] if {LIVE, ADDING} & set(phases) else [None]
    if UNKNOWN in phases and (state == "absent" or todo):
        _unknown(run, outcome, records)
        return []
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
    """The record as a write to ``state`` will leave it, as far as it is known before the write (check mode shows it)."""
    if state == "absent":
        return dict(before or {}, Status=resource.predicted[state])
    item = entry.item
    record = {"Username": item.username, resource.place_field: item.where, "IdentityProvider": item.identity_provider, "Status": resource.predicted[state]}
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
            outcome.changed, outcome.shared_with = False, owner
            outcome.duplicate_of = owner.entry.item.label or "another item"
            outcome.msg = f"{outcome.entry.who}: the same change is made for {outcome.duplicate_of}"
    return kept


def _call(client: Any, resource: Resource, state: str, w: Write) -> Record:
    if state == "absent":
        record = w.record or {}
        what = resource.remove_what.format(username=record.get("Username"), where=record.get(resource.place_field))
        if record.get(resource.arn_field):
            params = {resource.arn_field: record[resource.arn_field]}
        else:
            params = {name: record.get(name) for name in ("Username", resource.place_field, "IdentityProvider", "Domain")}
        return write(client, resource.remove_call, what, resource.summary_key, **params)
    item = w.outcome.entry.item
    what = resource.add_what.format(username=item.username, where=item.where)
    return write(client, resource.add_call, what, resource.summary_key, Username=item.username,
                 IdentityProvider=item.identity_provider, Domain=item.domain, Tags=item.tags, **{resource.place_field: item.where})


def apply(client: Any, run: Run, writes: list[Write], concurrency: int) -> None:
    """Make the writes. An entry is changed when at least one of its writes was accepted; an answer that
    claims the work is already done is kept for confirm()."""
    answers = run_bounded(lambda w: _call(client, run.resource, run.state, w), writes, concurrency)
    for w, answer in zip(writes, answers):
        outcome = w.outcome
        if isinstance(answer, Failure):
            if error_code(answer.exception) == CLAIMS[run.state]:
                outcome.claims.append(answer.exception)
            else:
                outcome.fail(answer.exception)
            continue
        run.learn(answer, run.resource.remove_call if run.state == "absent" else run.resource.add_call)
        outcome.after = answer
        outcome.settled = run.settled([answer])
        outcome.pending = outcome.pending or not outcome.settled
        outcome.accepted = True
    for w in writes:
        if w.outcome.accepted:
            w.outcome.claims = []  # another of its writes was accepted: the entry changed; the wait follows its records


def confirm(client: Any, run: Run, claimed: list[Outcome], concurrency: int) -> None:
    """Read again the places of writes answered "already so", and believe the answer only when the read agrees."""
    if not claimed:
        return
    reads = read_places(client, run.resource, list(dict.fromkeys(o.entry.place for o in claimed)), concurrency)
    for outcome in claimed:
        read = reads[outcome.entry.place]
        claim = outcome.claims[0]
        if isinstance(read, Failure):
            outcome.fail(claim, detail=f"; reading it back to confirm failed: {describe_error(read.exception)}")
            continue
        found = matches(run.resource, outcome.entry.item, read)
        phases = {run.phase(r) for r in found}
        done = (phases <= {GONE, REMOVING}) if run.state == "absent" else bool(phases & {LIVE, ADDING})
        if not done:
            listed = ", ".join(sorted(str(r.get("Status")) for r in found)) or "none"
            outcome.fail(claim, detail=f"; but the {run.resource.noun} read back does not show that (status: {listed})")
            continue
        outcome.changed = False
        outcome.outcome = ALREADY[run.state]
        outcome.after = run.resource.current(found, run.learned)
        outcome.msg = f"{outcome.entry.who} is already {'absent' if run.state == 'absent' else run.resource.verbs[run.state]} (confirmed by reading it back)"
        outcome.pending = not run.settled(found)


def wait_until_settled(client: Any, run: Run, pending: list[Outcome], concurrency: int, timeout: int) -> None:
    """Poll the places of pending outcomes, each place once a round, until every outcome settles or the time is up.

    An outcome is polled only while its record is in a known phase on the way; a word nobody
    knows ends its wait at once (as a failure, unless the record's end date settles it).
    """
    resource = run.resource
    deadline = time.monotonic() + timeout
    delay = POLL_FIRST_DELAY
    poll_errors: dict[int, BaseException] = {}
    while pending:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        time.sleep(min(delay, remaining))
        delay = min(delay * 2, POLL_MAX_DELAY)
        reads = read_places(client, resource, list(dict.fromkeys(o.entry.place for o in pending)), concurrency)
        still = []
        for outcome in pending:
            read = reads[outcome.entry.place]
            if isinstance(read, Failure):
                poll_errors[id(outcome)] = read.exception  # retried at the next round
                still.append(outcome)
                continue
            found = matches(resource, outcome.entry.item, read)
            run.by_date(found)
            if found:
                outcome.after = resource.current(found, run.learned)
            if run.settled(found):
                outcome.pending, outcome.settled = False, True
            elif UNKNOWN in {run.phase(r) for r in found}:
                odd = next(r for r in found if run.phase(r) == UNKNOWN)
                outcome.settled = False
                outcome.fail(None, msg=f"{outcome.entry.who}: the write was accepted, but the service now reports status {odd.get('Status')!r}, "
                                       "which this collection does not know; not waiting for it (see docs/service-assumptions.md)")
            else:
                still.append(outcome)
        pending = still
    for outcome in pending:
        outcome.settled = False
        status = (outcome.after or {}).get("Status", "unknown")
        msg = f"timed out after {timeout}s waiting for {outcome.entry.who} to be {resource.verbs[run.state]} (last status {status})"
        if id(outcome) in poll_errors:
            msg += f"; the last read failed: {describe_error(poll_errors[id(outcome)])}"
        outcome.fail(poll_errors.get(id(outcome)), msg=msg)
