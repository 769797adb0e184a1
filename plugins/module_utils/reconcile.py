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

from .client import describe_error
from .concurrency import Failure
from .concurrency import run_bounded

# Seconds between polls while waiting: starts short, grows to the cap.
POLL_FIRST_DELAY = 1.0
POLL_MAX_DELAY = 5.0


class Target:
    """One requested item: where it is (``group``) and who it is."""

    def __init__(self, index, label, username=None, domain=None, arn=None, **extra):
        self.index = index
        self.label = label  # e.g. "" or "users[3]": prefixes messages in batch mode
        self.username = username
        self.domain = domain
        self.arn = arn
        self.extra = extra
        self.group = None  # set by the kind once the target's location is known


class Outcome:
    def __init__(self, target):
        self.target = target
        self.changed = False
        self.failed = False
        self.msg = ""
        self.before = None
        self.after = None
        self.error = None
        self.pending = False  # a write was made and has not settled yet

    def fail(self, error):
        self.failed = True
        self.error = error
        self.msg = describe_error(error)


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

    def run(self, targets):
        outcomes = [Outcome(target) for target in targets]
        self.kind.locate(self.client, [o for o in outcomes if o.target.group is None], self.cache, self.concurrency)
        groups = _groups_of([o.target for o in outcomes if not o.failed])
        _read_groups(self.kind, self.client, groups, self.concurrency, self.cache)
        writes = [w for o in outcomes if not o.failed for w in self._decide(o)]
        if writes and not self.check_mode:
            self._apply(writes)
            if self.wait:
                self._wait([o for o in outcomes if o.pending])
        return outcomes

    def _decide(self, outcome):
        """Set ``before`` and the predicted ``after``; return the writes to make."""
        target = outcome.target
        records = self.cache.get(target.group)
        if isinstance(records, Failure):
            outcome.fail(records.exception)
            return []
        matches = [r for r in records or [] if self.kind.matches(target, r)]
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

    def _apply(self, writes):
        results = run_bounded(lambda write: self.kind.write(self.client, write[0].target, self.state, write[1]), writes, self.concurrency)
        for (outcome, _record), result in zip(writes, results):
            if isinstance(result, Failure):
                outcome.fail(result.exception)
            elif result is None:
                # The service no longer knew it: someone else got there first.
                outcome.changed = False
                outcome.after = None
                outcome.msg = self.kind.describe_unchanged(outcome.target, self.state, None)
            else:
                outcome.after = result
                outcome.pending = not self.kind.settled(self.state, [result])

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

    def _settle(self, outcome, records):
        if isinstance(records, Failure):
            return False  # a failed poll is retried at the next round
        matches = [r for r in records or [] if self.kind.matches(outcome.target, r)]
        if not self.kind.settled(self.state, matches):
            if matches:
                outcome.after = self.kind.current(matches)
            return False
        outcome.after = self.kind.current(matches)
        outcome.pending = False
        return True
