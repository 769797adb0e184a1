# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Items that name only the user (state=absent, batch mode): where they are found, and what is written."""

from ansible_collections.lmus.user_subscriptions.plugins.module_utils.converge import converge
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.items import parse_items
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.locate import locate_instance_users
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.locate import locate_product_subscriptions
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.resources import ASSOCIATIONS
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.resources import SUBSCRIPTIONS

from ansible_collections.lmus.user_subscriptions.tests.unit.plugins.module_utils.fakes import IDP
from ansible_collections.lmus.user_subscriptions.tests.unit.plugins.module_utils.fakes import FakeClient
from ansible_collections.lmus.user_subscriptions.tests.unit.plugins.module_utils.fakes import FakeSubscriptionClient
from ansible_collections.lmus.user_subscriptions.tests.unit.plugins.module_utils.fakes import association
from ansible_collections.lmus.user_subscriptions.tests.unit.plugins.module_utils.fakes import subscription

I1 = "i-0123456789abcdef0"
I2 = "i-0123456789abcdef1"


instance_users = (ASSOCIATIONS, locate_instance_users)
product_subscriptions = (SUBSCRIPTIONS, locate_product_subscriptions)


def run(module, client, items, **kwargs):
    """``state: absent`` with ``users: items``, in one run."""
    resource, locate = module
    params = dict(state="absent", users=items, concurrency=4, wait_timeout=300, tags=None)
    parsed, _repeats = parse_items(params, resource)
    return converge(client, resource, "absent", locate(client, parsed, 4), concurrency=4, **kwargs)


def test_a_user_in_two_domains_on_one_instance_gets_a_result_per_domain():
    client = FakeClient([association("alice", I1, domain="corp.example.com", n=1), association("alice", I1, domain="lab.example.com", n=2),
                         association("alice", I2, n=3)], instances=[dict(InstanceId=i, IdentityProvider=IDP) for i in (I1, I2)])
    outcomes = run(instance_users, client, [dict(username="alice")])
    assert [(o.entry.item.where, o.entry.item.domain, o.changed) for o in outcomes] == [
        (I1, "corp.example.com", True), (I1, "lab.example.com", True), (I2, "corp.example.com", True)]
    assert len(client.writes()) == 3


def test_a_record_without_domain_keeps_the_item_open_to_any_domain():
    client = FakeClient([association("alice", I1, domain=None, n=1), association("alice", I1, domain="corp.example.com", n=2)],
                        instances=[dict(InstanceId=I1, IdentityProvider=IDP)])
    [outcome] = run(instance_users, client, [dict(username="alice")])
    assert outcome.entry.item.domain is None and outcome.changed
    assert len(client.writes()) == 2


def test_no_instance_with_the_identity_provider_says_so():
    client = FakeClient([], instances=[dict(InstanceId=I1, IdentityProvider=IDP)])
    [outcome] = run(instance_users, client, [dict(username="alice", directory_id="d-0000000000")])
    assert "no instance has this identity provider (ListInstances)" in outcome.msg
    assert not outcome.changed and not outcome.failed


def test_a_subscription_reached_through_two_reads_is_stopped_once():
    # users[0] reads (provider, OFFICE), users[1] reads (provider, every product): two copies of the same record.
    client = FakeSubscriptionClient([subscription("alice", "OFFICE", n=1), subscription("alice", "VS", n=2)])
    outcomes = run(product_subscriptions, client, [dict(username="alice", product="OFFICE", directory_id="d-1234567890"),
                                                   dict(username="alice", directory_id="d-1234567890")])
    assert [(o.entry.item.index, o.entry.item.where, o.changed) for o in outcomes] == [(0, "OFFICE", True), (1, "OFFICE", False), (1, "VS", True)]
    assert sorted(c[1]["ProductUserArn"][-1] for c in client.writes()) == ["1", "2"]
    assert "the same change is made for users[0]" in outcomes[1].msg
