# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Bring many requested items to their desired state with few API calls.

The story is the same for user associations and product subscriptions:
read each group of records once, decide per item, write only what differs
(never in check mode), then wait for the writes to settle. A *kind* object
(see instance_users.py) supplies what differs between resources.

One item's failure never stops the others: it is recorded in its Outcome.
"""

import time

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from .client import describe_error
from .concurrency import Failure
from .concurrency import run_bounded

# Seconds between polls while waiting: starts short, grows to the cap.
POLL_FIRST_DELAY = 1.0
POLL_MAX_DELAY = 5.0


class Outcome:
    def __init__(self, target):
        self.target = target
        self.changed = False
        self.failed = False
        self.msg = ""
        self.before = None
        self.after = None
        self.error = None
        self.who = None
        self.pending = False  # a write was made and has not settled yet
        self.shared_with = None  # the outcome whose write also serves this one
        self.poll_error = None  # the last failed read while waiting

    def fail(self, error, who=None):
        """Record the error; ``who`` names the item when the error is about its whole group."""
        self.failed = True
        self.error = error
        self.who = who
        self.msg = f"{who}: {describe_error(error)}" if who else describe_error(error)


def _groups_of(targets):
    groups = {}
    for target in targets:
        if target.group is not None:
            groups.setdefault(target.group, []).append(target)
    return groups


def _read_groups(kind, client, groups, concurrency, cache=None):
    """Read each group once, concurrently; a group's failure is kept as a Failure."""
    cache = {} if cache is None else cache
    todo = [group for group in groups if group not in cache]
    reads = run_bounded(lambda group: kind.read_group(client, group, groups[group]), todo, concurrency)
    cache.update(zip(todo, reads))
    return cache


class Reconciler:
    def __init__(self, kind, client, state, check_mode=False, concurrency=1, wait=True, wait_timeout=300):
        self.kind = kind
        self.client = client
        self.state = state
        self.check_mode = check_mode
        self.concurrency = concurrency
        self.wait = wait
        self.wait_timeout = wait_timeout
        self.cache = {}
        self._index = {}

    def run(self, targets):
        """Each target's Outcomes, in order: one, or one per place where a target without one was found."""
        outcomes = [Outcome(target) for target in targets]
        groups = _groups_of([o.target for o in outcomes])
        unplaced = [o for o in outcomes if o.target.group is None]
        where = self.kind.candidate_groups(self.client, [o.target for o in unplaced], self.concurrency)
        for outcome, candidates in zip(unplaced, where):
            if isinstance(candidates, Failure):
                outcome.fail(candidates.exception, who=f"{self.kind.who(outcome.target)} could not be looked for")
                continue
            for group in candidates:
                groups.setdefault(group, []).append(outcome.target)
        _read_groups(self.kind, self.client, groups, self.concurrency, self.cache)
        candidates_of = {id(o): c for o, c in zip(unplaced, where)}
        outcomes = [found for o in outcomes for found in (self._locate(o, candidates_of[id(o)]) if id(o) in candidates_of else [o])]
        writes = self._unclaimed([w for o in outcomes if not o.failed for w in self._decide(o)])
        if writes and not self.check_mode:
            self._apply(writes)
            if self.wait:
                self._wait([o for o in outcomes if o.pending])
        return outcomes

    def _locate(self, outcome, candidates):
        """The outcomes of a target without a group, once its candidate groups are read.

        A target named by ARN gets the group that holds the ARN. A user gets one
        outcome per place (see the kind's ``places``) where a record of theirs is,
        and one per candidate group that could not be read.
        """
        target = outcome.target
        if outcome.failed:
            return [outcome]
        if target.arn:
            found = self.kind.resolve_arn(outcome, candidates, self.cache)
            if found is not None:
                group, record = found
                placed = target.placed(group, **self.kind.place_of(group, record))
                placed.username, placed.domain = record["Username"], record.get("Domain")
                outcome.target = placed
            return [outcome]
        located = []
        for group in candidates:
            records = self.cache.get(group)
            matches = None if isinstance(records, Failure) else [r for r in self._candidates(target, group) if self.kind.matches(target, r)]
            if matches != []:
                located.extend(Outcome(target.placed(group, **place)) for place in self.kind.places(group, matches))
        if not located:
            outcome.msg = self.kind.describe_not_found(target, candidates)
        return located or [outcome]

    def _decide(self, outcome):
        """Set ``before`` and the predicted ``after``; return the writes to make."""
        target = outcome.target
        records = self.cache.get(target.group)
        if isinstance(records, Failure):
            outcome.fail(records.exception, who=self.kind.who(target))
            return []
        matches = [r for r in self._candidates(target, target.group) if self.kind.matches(target, r)]
        outcome.before = self.kind.current(matches)
        writes = self.kind.plan(target, self.state, matches)
        if not writes:
            outcome.after = outcome.before
            outcome.msg = outcome.msg or self.kind.describe_unchanged(target, self.state, outcome.before)
            return []
        outcome.changed = True
        outcome.after = self.kind.predict(target, self.state, outcome.before)
        outcome.msg = self.kind.describe_change(target, self.state, self.check_mode)
        return [(outcome, record) for record in writes]

    def _candidates(self, target, group):
        """The group's records with the target's user name or ARN, from an index built once per group."""
        index = self._index.get(group)
        if index is None:
            index = self._index[group] = {}
            for record in self.cache.get(group) or []:
                index.setdefault(record.get("Username"), []).append(record)
                index.setdefault(("arn", record.get(self.kind.ARN_FIELD)), []).append(record)
        return index.get(("arn", target.arn) if target.arn else target.username, [])

    def _unclaimed(self, writes):
        """One write per record: an item whose writes another item already makes is unchanged itself."""
        claimed, kept = {}, []
        for outcome, record in writes:
            key = (record.get(self.kind.ARN_FIELD) or id(record)) if record is not None else (
                outcome.target.group, outcome.target.username, (outcome.target.domain or "").lower())
            owner = claimed.setdefault(key, outcome)
            if owner is outcome:
                kept.append((outcome, record))
            else:
                outcome.shared_with = owner
        writing = {id(o) for o, _record in kept}
        for outcome, _record in writes:
            if id(outcome) not in writing and outcome.changed:
                outcome.changed = False
                label = outcome.shared_with.target.label or "another item"
                outcome.msg = f"{self.kind.who(outcome.target)}: the same change is made for {label}"
        return kept

    def _apply(self, writes):
        """Make the writes; an item is changed when at least one of its writes was made."""
        results = run_bounded(lambda write: self.kind.write(self.client, write[0].target, self.state, write[1]), writes, self.concurrency)
        made, answered_none = set(), []
        for (outcome, _record), result in zip(writes, results):
            if isinstance(result, Failure):
                outcome.fail(result.exception)
            elif result is None:
                answered_none.append(outcome)
            else:
                made.add(id(outcome))
                outcome.after = result
                outcome.pending = outcome.pending or not self.kind.settled(self.state, [result])
        for outcome in answered_none:
            if id(outcome) in made or outcome.failed:
                continue
            # The service says it is already so: someone (or a retried call) got there first.
            outcome.changed = False
            outcome.after = self.kind.predict(outcome.target, self.state, outcome.before) if self.state == "absent" else None
            outcome.msg = self.kind.describe_unchanged(outcome.target, self.state, None)
            outcome.pending = self.state == "present"  # a conflict is checked by the wait

    def _wait(self, pending):
        deadline = time.monotonic() + self.wait_timeout
        delay = POLL_FIRST_DELAY
        while pending:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            time.sleep(min(delay, remaining))
            delay = min(delay * 2, POLL_MAX_DELAY)
            groups = _groups_of([o.target for o in pending])
            reads = _read_groups(self.kind, self.client, groups, self.concurrency)
            pending = [o for o in pending if not self._settle(o, reads.get(o.target.group))]
        for outcome in pending:
            outcome.failed = True
            outcome.msg = self.kind.describe_timeout(outcome.target, self.state, self.wait_timeout, outcome.after)
            if outcome.poll_error is not None:
                outcome.msg += f"; the last read failed: {describe_error(outcome.poll_error)}"

    def _settle(self, outcome, records):
        if isinstance(records, Failure):
            outcome.poll_error = records.exception
            return False  # a failed poll is retried at the next round
        matches = [r for r in records or [] if self.kind.matches(outcome.target, r)]
        if not self.kind.settled(self.state, matches):
            if matches:
                outcome.after = self.kind.current(matches)
            return False
        outcome.after = self.kind.current(matches)
        outcome.pending = False
        return True


class ReadGroup:
    """What one paginated list call reads; equal groups share one read. Subclasses set ``key``."""

    key = ()

    def __eq__(self, other):
        return type(other) is type(self) and self.key == other.key

    def __hash__(self):
        return hash(self.key)

    def __repr__(self):
        return f"{type(self).__name__}{self.key!r}"


class UserRecordKind:
    """The part of a kind that is the same for associations and subscriptions.

    Records are the API's summaries (InstanceUserSummary, ProductUserSummary): a
    user name, a domain, a status and an ARN. Subclasses set the class attributes
    and implement ``read``, ``candidate_groups``, ``places``, ``write`` and ``who``.
    """

    ARN_FIELD = None
    PLACE_FIELD = (None, None)  # (record field, target extra) naming where a record is, besides its identity provider
    PRESENT_STATUSES = ()  # a record in one of these satisfies state=present
    ABSENT_STATUSES = ()  # a record in one of these needs no write for state=absent
    DONE = {}  # state -> the status a write settles into
    VERBS = {}  # state -> past participle, e.g. "disassociated"

    NOUN = "record"  # what an ARN names, in messages

    def candidate_groups(self, client, targets, concurrency):
        """For each target without a group: the groups that may hold its records, or a Failure."""
        raise NotImplementedError

    def places(self, group, matches):
        """The places (dicts of the target's extra fields) where a user's ``matches`` in ``group`` are.

        ``matches`` is None when the group could not be read: one place, to fail.
        """
        raise NotImplementedError

    def place_of(self, group, record):
        """The place of one record found by ARN."""
        [place] = self.places(group, [record])
        return place

    @staticmethod
    def domains(matches):
        """The domains of a user's ``matches``, each to get its own result; [None] (any domain) when one has none."""
        found = {}
        for record in matches or []:
            domain = record.get("Domain")
            if domain is None:
                return [None]
            found.setdefault(domain.lower(), domain)
        return list(found.values()) or [None]

    def describe_not_found(self, target, candidates):
        return f"no {self.NOUN} of {self.who(target)} was found in {len(candidates)} place(s) read, nothing to remove"

    def resolve_arn(self, outcome, groups, cache):
        """The (group, record) with the outcome's ARN among the read ``groups``, or None.

        Not found: nothing to remove, unless a group that could hold it was not read,
        in which case the outcome fails with that read's error.
        """
        target = outcome.target
        unread = None
        for group in groups:
            records = cache.get(group)
            if isinstance(records, Failure):
                unread = unread or records
                continue
            for record in records:
                if record.get(self.ARN_FIELD) == target.arn:
                    return group, record
        if unread is not None:
            outcome.fail(unread.exception, who=f"{self.NOUN} {target.arn} could not be looked for")
        else:
            outcome.msg = f"no {self.NOUN} with ARN {target.arn} was found, nothing to remove"
        return None

    def read_group(self, client, group, targets):
        """Read the group once; narrowed to one user when it is the group's only user."""
        usernames = {t.username for t in targets}
        one_user = usernames.pop() if len(usernames) == 1 and not any(t.arn for t in targets) else None
        return self.read(client, group, one_user)

    def matches(self, target, record):
        if target.arn:
            return record.get(self.ARN_FIELD) == target.arn
        if record.get("Username") != target.username:
            return False
        return target.domain is None or (record.get("Domain") or "").lower() == target.domain.lower()

    def current(self, matches):
        """The record that best shows the state: a present one first, then a live one, then the last."""
        for wanted in (lambda status: status in self.PRESENT_STATUSES, lambda status: status not in self.ABSENT_STATUSES):
            for record in matches:
                if wanted(record.get("Status")):
                    return record
        return matches[-1] if matches else None

    def plan(self, target, state, matches):
        """The records to remove (absent), or ``[None]`` meaning one record to create (present)."""
        if state == "absent":
            return [r for r in matches if r.get("Status") not in self.ABSENT_STATUSES]
        if any(r.get("Status") in self.PRESENT_STATUSES for r in matches):
            return []
        return [None]

    def predict(self, target, state, before):
        if state == "absent":
            return dict(before or {}, Status=self.DONE[state])
        return dict(self.new_record(target), Status=self.DONE[state])

    def settled(self, state, records):
        if state == "absent":
            return all(r.get("Status") == self.DONE[state] for r in records)
        return any(r.get("Status") == self.DONE[state] for r in records)

    def new_record(self, target):
        """The record a write for state=present makes, as far as it is known before the write."""
        field, key = self.PLACE_FIELD
        record = {"Username": target.username, field: target.extra[key], "IdentityProvider": target.extra["identity_provider"]}
        if target.domain is not None:
            record["Domain"] = target.domain
        return record

    def describe_unchanged(self, target, state, before):
        return f"{self.who(target)} is already {'absent' if state == 'absent' else self.VERBS[state]}"

    def describe_change(self, target, state, check_mode):
        return f"{self.who(target)} {'would be' if check_mode else 'was'} {self.VERBS[state]}"

    def describe_timeout(self, target, state, timeout, last):
        status = (last or {}).get("Status", "unknown")
        return f"timed out after {timeout}s waiting for {self.who(target)} to become {self.DONE[state]} (last status {status})"


def to_result(record):
    """A record as the modules return it: snake_case, ``{}`` for none."""
    return camel_dict_to_snake_dict(record) if record else {}
