# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What the info modules list: associations across instances, subscriptions across identity providers.

Reads run concurrently, one paginated read per group; a group whose read fails
is reported in ``failures`` while the others are still listed.
"""

from .associations import list_instances
from .client import describe_error
from .client import error_code
from .concurrency import Failure
from .concurrency import run_bounded
from .identity import directory_of
from .instance_users import InstanceGroup
from .instance_users import InstanceUserKind
from .instance_users import instance_groups_of
from .product_subscriptions import ProductSubscriptionKind
from .product_subscriptions import SubscriptionGroup
from .subscriptions import registered_identity_providers


def listing_failure(error, **where):
    """A failure record for a read that names no group (ListInstances, ListIdentityProviders)."""
    return dict(where, code=error_code(error), msg=describe_error(error), exception=error)


def keep(record, usernames=None, statuses=None, domain=None):
    """Whether a record passes the info modules' filters (all optional)."""
    if usernames and record.get("Username") not in usernames:
        return False
    if statuses and record.get("Status") not in statuses:
        return False
    return not domain or (record.get("Domain") or "").lower() == domain.lower()


def _read_all(kind, client, groups, usernames, concurrency):
    one_user = usernames[0] if usernames and len(set(usernames)) == 1 else None
    reads = run_bounded(lambda group: kind.read(client, group, one_user), groups, concurrency)
    records, failures = [], []
    for group, read in zip(groups, reads):
        if isinstance(read, Failure):
            failures.append(dict(listing_failure(read.exception), group=group))
        else:
            records.extend(read)
    return records, failures


def instance_groups(client, instance_ids=None, identity_provider=None):
    """The (instance, identity provider) groups to read, and the requested instances that were not found.

    With both instance IDs and an identity provider no ListInstances call is needed.
    Otherwise each instance is read with the identity provider ListInstances gives it.
    """
    if instance_ids and identity_provider:
        return [InstanceGroup(i, identity_provider) for i in dict.fromkeys(instance_ids)], []
    groups = instance_groups_of(list_instances(client), instance_ids, identity_provider)
    found = {g.instance_id for g in groups}
    return groups, [i for i in dict.fromkeys(instance_ids or []) if i not in found]


def discover_instance_users(client, groups, usernames=None, statuses=None, domain=None, concurrency=8):
    records, failures = _read_all(InstanceUserKind(), client, groups, usernames, concurrency)
    for failure in failures:
        failure["instance_id"] = failure.pop("group").instance_id
    return [r for r in records if keep(r, usernames, statuses, domain)], failures


def subscription_groups(client, identity_provider=None, product=None):
    """One group per identity provider (the given one, or every registered one) for the product (None: all)."""
    if identity_provider:
        return [SubscriptionGroup(identity_provider, product)]
    return [SubscriptionGroup(p, product) for p in registered_identity_providers(client)]


def discover_product_subscriptions(client, groups, usernames=None, statuses=None, domain=None, concurrency=8):
    records, failures = _read_all(ProductSubscriptionKind(), client, groups, usernames, concurrency)
    for failure in failures:
        failure["directory_id"] = directory_of(failure.pop("group").identity_provider)
    return [r for r in records if keep(r, usernames, statuses, domain)], failures


def exit_discovery(module, result_key, records, failures, to_result, **extra):
    """Exit with the records; fail (still returning them) when any read failed."""
    result = {result_key: [to_result(r) for r in records], "failures": [{k: v for k, v in f.items() if k != "exception"} for f in failures]}
    result.update(extra)
    if failures:
        for failure in failures[1:]:
            module.warn(failure["msg"])
        module.fail_json_aws(failures[0]["exception"], msg=f"{len(failures)} read(s) failed, the list is incomplete; first: {failures[0]['msg']}", **result)
    module.exit_json(changed=False, **result)
