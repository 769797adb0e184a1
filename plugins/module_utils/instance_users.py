# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""User associations (AssociateUser / DisassociateUser) as a kind for reconcile.py."""

from .associations import associate_user
from .associations import disassociate_user
from .associations import list_instances
from .associations import list_user_associations
from .concurrency import Failure
from .concurrency import run_bounded
from .identity import identity_key
from .reconcile import ReadGroup
from .reconcile import UserRecordKind
from .statuses import ASSOCIATED
from .statuses import ASSOCIATION_ABSENT
from .statuses import ASSOCIATION_PRESENT
from .statuses import DISASSOCIATED
from .targets import build_user_target
from .validation import check_instance_id

ITEM_KEYS = ("username", "instance_id", "domain", "directory_id", "identity_provider", "instance_user_arn", "tags")

# What a batch result says of its item.
RESULT_FIELDS = dict(
    username=lambda t: t.username,
    instance_id=lambda t: t.extra.get("instance_id"),
    domain=lambda t: t.domain,
)


class InstanceGroup(ReadGroup):
    """The records one ListUserAssociations read covers: an instance under one identity provider."""

    def __init__(self, instance_id, identity_provider):
        self.instance_id = instance_id
        self.identity_provider = identity_provider
        self.key = (instance_id, identity_key(identity_provider))


def instance_groups_of(instances, instance_ids=None, identity_provider=None):
    """The read groups of listed instances (InstanceSummaries) that have an identity provider,
    narrowed to ``instance_ids`` and to ``identity_provider`` when given."""
    wanted = identity_key(identity_provider)
    return [InstanceGroup(s["InstanceId"], s["IdentityProvider"]) for s in instances
            if s.get("IdentityProvider") and (not instance_ids or s["InstanceId"] in instance_ids)
            and wanted in (None, identity_key(s["IdentityProvider"]))]


def _check_item(item, prefix):
    if item.get("instance_id") is not None:
        check_instance_id(item["instance_id"], f"{prefix}instance_id")


def _group_of(target):
    if target.extra["instance_id"] and target.extra["identity_provider"]:
        return InstanceGroup(target.extra["instance_id"], target.extra["identity_provider"])
    return None


def build_target(index, item, state, label=""):
    """Check one requested item (before any API call) and make its Target."""
    return build_user_target(index, item, state, label, "instance_user_arn", ("instance_id",), _group_of, _check_item)


class InstanceUserKind(UserRecordKind):
    """User associations with instances, for reconcile.py."""

    ARN_FIELD = "InstanceUserArn"
    PLACE_FIELD = ("InstanceId", "instance_id")
    NOUN = "association"
    PRESENT_STATUSES = ASSOCIATION_PRESENT
    ABSENT_STATUSES = ASSOCIATION_ABSENT
    DONE = dict(present=ASSOCIATED, absent=DISASSOCIATED)
    VERBS = dict(present="associated", absent="disassociated")

    def who(self, target):
        user = f"user {target.username!r}" if target.username else f"association {target.arn}"
        return f"{user} on instance {target.extra['instance_id']}" if target.extra.get("instance_id") else user

    def read(self, client, group, username=None):
        return list_user_associations(client, group.instance_id, group.identity_provider, username=username)

    def candidate_groups(self, client, targets, concurrency):
        """The instances (from ListInstances) that may hold each target's associations.

        One unfiltered ListInstances covers every target when any lacks an instance ID;
        otherwise each instance is listed by ID. A target with an identity provider
        only looks at instances with that provider.
        """
        if not targets:
            return []
        wanted = {t.extra.get("instance_id") for t in targets}
        if None in wanted:
            wanted = {None}  # one unfiltered ListInstances covers every target
        listed = dict(zip(wanted, run_bounded(lambda i: list_instances(client, i), wanted, concurrency)))
        shared = {}  # equal filters share one list of groups
        candidates = []
        for target in targets:
            instance_id, provider = target.extra.get("instance_id"), target.extra.get("identity_provider")
            instances = listed[None if None in listed else instance_id]
            key = (instance_id, identity_key(provider))
            if isinstance(instances, Failure):
                candidates.append(instances)
            elif key in shared:
                candidates.append(shared[key])
            else:
                candidates.append(shared.setdefault(key, instance_groups_of(instances, instance_id and [instance_id], provider)))
        return candidates

    def places(self, group, matches):
        return [dict(instance_id=group.instance_id, identity_provider=group.identity_provider, domain=domain) for domain in self.domains(matches)]

    def describe_not_found(self, target, candidates):
        if not candidates:
            if target.extra.get("instance_id"):
                found = "the instance was not found"
            elif target.extra.get("identity_provider"):
                found = "no instance has this identity provider"
            else:
                found = "no instance was found"
            return f"{self.who(target)}: {found} (ListInstances), nothing to remove"
        if target.extra.get("instance_id"):
            return self.describe_unchanged(target, "absent", None)
        return f"{self.who(target)} has no association on the {len(candidates)} instance(s) read, nothing to remove"

    def write(self, client, target, state, record):
        if state == "absent":
            return disassociate_user(client, record)
        extra = target.extra
        return associate_user(client, target.username, extra["instance_id"], extra["identity_provider"], target.domain, extra.get("tags"))
