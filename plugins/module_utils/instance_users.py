# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""User associations (AssociateUser / DisassociateUser) as a kind for reconcile.py."""

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from .associations import ABSENT_STATUSES
from .associations import ASSOCIATED
from .associations import DISASSOCIATED
from .associations import PRESENT_STATUSES
from .associations import associate_user
from .associations import disassociate_user
from .associations import list_instances
from .associations import list_user_associations
from .concurrency import Failure
from .concurrency import run_bounded
from .identity import build_identity_provider
from .identity import identity_key
from .reconcile import Target
from .validation import LmusInputError
from .validation import check_arn
from .validation import check_instance_id
from .validation import check_username

ITEM_KEYS = ("username", "instance_id", "domain", "directory_id", "identity_provider", "instance_user_arn", "tags")


class InstanceGroup:
    """The records one ListUserAssociations call reads: an instance under one identity provider."""

    def __init__(self, instance_id, identity_provider):
        self.instance_id = instance_id
        self.identity_provider = identity_provider
        self._key = (instance_id, identity_key(identity_provider))

    def __eq__(self, other):
        return isinstance(other, InstanceGroup) and self._key == other._key

    def __hash__(self):
        return hash(self._key)

    def __repr__(self):
        return f"InstanceGroup{self._key!r}"


def build_target(index, item, state, label=""):
    """Check one requested item (before any API call) and make its Target.

    ``item`` holds the module options (ITEM_KEYS); ``label`` prefixes option
    names in messages, e.g. ``users[3]``.
    """
    prefix = f"{label}." if label else ""
    arn = item.get("instance_user_arn")
    identity_provider = build_identity_provider(item.get("directory_id"), item.get("identity_provider"), prefix)
    if item.get("instance_id") is not None:
        check_instance_id(item["instance_id"], f"{prefix}instance_id")
    if arn is not None:
        if state != "absent":
            raise LmusInputError(f"{prefix}instance_user_arn: only valid with state=absent, got {arn!r} with state={state}")
        check_arn(arn, f"{prefix}instance_user_arn")
    else:
        check_username(item.get("username"), f"{prefix}username")
        missing = [] if item.get("instance_id") is not None else [f"{prefix}instance_id"]
        if identity_provider is None:
            missing.append(f"{prefix}directory_id or {prefix}identity_provider")
        if missing:
            raise LmusInputError(f"missing {' and '.join(missing)}: both are needed to name user {item['username']!r} (or give {prefix}instance_user_arn)")
    if item.get("tags") and state == "absent":
        raise LmusInputError(f"{prefix}tags: only valid with state=present (tags are set by AssociateUser), got {item['tags']!r}")
    target = Target(
        index,
        label,
        username=item.get("username"),
        domain=item.get("domain"),
        arn=arn,
        instance_id=item.get("instance_id"),
        identity_provider=identity_provider,
        tags=item.get("tags"),
    )
    if target.extra["instance_id"] and identity_provider:
        target.group = InstanceGroup(target.extra["instance_id"], identity_provider)
    return target


def _who(target):
    user = f"user {target.username!r}" if target.username else f"association {target.arn}"
    return f"{user} on instance {target.extra.get('instance_id')}" if target.extra.get("instance_id") else user


class InstanceUserKind:
    """What reconcile.py needs to know about user associations."""

    def read_group(self, client, group, targets):
        usernames = {t.username for t in targets}
        one_user = usernames.pop() if len(usernames) == 1 and not any(t.arn for t in targets) else None
        return list_user_associations(client, group.instance_id, group.identity_provider, username=one_user)

    def locate(self, client, outcomes, cache, concurrency):
        """Find the associations named only by ARN: list the instances, read each once."""
        if not outcomes:
            return
        instance_lists = {}
        wanted = {o.target.extra.get("instance_id") for o in outcomes}
        if None in wanted:
            wanted = {None}  # one unfiltered ListInstances covers every target
        for instance_id, result in zip(wanted, run_bounded(lambda i: list_instances(client, i), wanted, concurrency)):
            instance_lists[instance_id] = result
        groups = {}
        for instances in instance_lists.values():
            for summary in [] if isinstance(instances, Failure) else instances:
                if summary.get("IdentityProvider"):
                    groups.setdefault(InstanceGroup(summary["InstanceId"], summary["IdentityProvider"]), [])
        todo = [g for g in groups if g not in cache]
        cache.update(zip(todo, run_bounded(lambda g: list_user_associations(client, g.instance_id, g.identity_provider), todo, concurrency)))
        for outcome in outcomes:
            target = outcome.target
            instances = instance_lists[None if None in instance_lists else target.extra.get("instance_id")]
            if isinstance(instances, Failure):
                outcome.fail(instances.exception)
                continue
            for group in groups:
                records = cache.get(group)
                if isinstance(records, Failure) or (target.extra.get("instance_id") not in (None, group.instance_id)):
                    continue
                found = [r for r in records if r.get("InstanceUserArn") == target.arn]
                if found:
                    target.group = group
                    target.username = found[0]["Username"]
                    target.domain = found[0].get("Domain")
                    target.extra.update(instance_id=group.instance_id, identity_provider=group.identity_provider)
                    break
            else:
                outcome.msg = f"no association with ARN {target.arn} was found, nothing to remove"

    def matches(self, target, record):
        if target.arn:
            return record.get("InstanceUserArn") == target.arn
        if record.get("Username") != target.username:
            return False
        return target.domain is None or (record.get("Domain") or "").lower() == target.domain.lower()

    def current(self, matches):
        """The record that best shows the user's state on the instance: present first, then live."""
        for wanted in (lambda status: status in PRESENT_STATUSES, lambda status: status not in ABSENT_STATUSES):
            for record in matches:
                if wanted(record.get("Status")):
                    return record
        return matches[-1] if matches else None

    def plan(self, target, state, matches):
        """The records to disassociate (absent), or ``[None]`` meaning one AssociateUser (present)."""
        if state == "absent":
            return [r for r in matches if r.get("Status") not in ABSENT_STATUSES]
        if any(r.get("Status") in PRESENT_STATUSES for r in matches):
            return []
        return [None]

    def predict(self, target, state, before):
        if state == "absent":
            return dict(before or {}, Status=DISASSOCIATED)
        after = dict(
            Username=target.username,
            InstanceId=target.extra["instance_id"],
            IdentityProvider=target.extra["identity_provider"],
            Status=ASSOCIATED,
        )
        if target.domain is not None:
            after["Domain"] = target.domain
        return after

    def write(self, client, target, state, record):
        if state == "absent":
            return disassociate_user(client, record)
        extra = target.extra
        return associate_user(client, target.username, extra["instance_id"], extra["identity_provider"], target.domain, extra.get("tags"))

    def settled(self, state, records):
        if state == "absent":
            return all(r.get("Status") == DISASSOCIATED for r in records)
        return any(r.get("Status") == ASSOCIATED for r in records)

    def describe_unchanged(self, target, state, before):
        if state == "absent":
            return f"{_who(target)} is already absent"
        return f"{_who(target)} is already associated"

    def describe_change(self, target, state, check_mode):
        verb = "disassociated" if state == "absent" else "associated"
        return f"{_who(target)} {'would be' if check_mode else 'was'} {verb}"

    def describe_timeout(self, target, state, timeout, last):
        goal = DISASSOCIATED if state == "absent" else ASSOCIATED
        status = (last or {}).get("Status", "unknown")
        return f"timed out after {timeout}s waiting for {_who(target)} to become {goal} (last status {status})"


def to_result(record):
    """An InstanceUserSummary as the module returns it: snake_case, ``{}`` for none."""
    return camel_dict_to_snake_dict(record) if record else {}
