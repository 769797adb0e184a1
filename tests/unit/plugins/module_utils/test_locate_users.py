# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Items that name only the user (state=absent, batch mode): where they are found, and what is written."""

from ansible_collections.lmus.user_subscriptions.plugins.module_utils import instance_users
from ansible_collections.lmus.user_subscriptions.plugins.module_utils import product_subscriptions
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.reconcile import Reconciler

from ansible_collections.lmus.user_subscriptions.tests.unit.plugins.module_utils.fakes import IDP
from ansible_collections.lmus.user_subscriptions.tests.unit.plugins.module_utils.fakes import FakeClient
from ansible_collections.lmus.user_subscriptions.tests.unit.plugins.module_utils.fakes import FakeSubscriptionClient
from ansible_collections.lmus.user_subscriptions.tests.unit.plugins.module_utils.fakes import association
from ansible_collections.lmus.user_subscriptions.tests.unit.plugins.module_utils.fakes import subscription

I1 = "i-0123456789abcdef0"
I2 = "i-0123456789abcdef1"


def run(module, client, items, **kwargs):
    targets = [module.build_target(n, dict(item), "absent", label=f"users[{n}]") for n, item in enumerate(items)]
    kind = module.InstanceUserKind() if module is instance_users else module.ProductSubscriptionKind()
    return Reconciler(kind, client, "absent", concurrency=4, **kwargs).run(targets)


def test_a_user_in_two_domains_on_one_instance_gets_a_result_per_domain():
    client = FakeClient([association("alice", I1, domain="corp.example.com", n=1), association("alice", I1, domain="lab.example.com", n=2),
                         association("alice", I2, n=3)], instances=[dict(InstanceId=i, IdentityProvider=IDP) for i in (I1, I2)])
    outcomes = run(instance_users, client, [dict(username="alice")])
    assert [(o.target.extra["instance_id"], o.target.domain, o.changed) for o in outcomes] == [
        (I1, "corp.example.com", True), (I1, "lab.example.com", True), (I2, "corp.example.com", True)]
    assert len(client.writes()) == 3


def test_a_record_without_domain_keeps_the_item_open_to_any_domain():
    client = FakeClient([association("alice", I1, domain=None, n=1), association("alice", I1, domain="corp.example.com", n=2)],
                        instances=[dict(InstanceId=I1, IdentityProvider=IDP)])
    [outcome] = run(instance_users, client, [dict(username="alice")])
    assert outcome.target.domain is None and outcome.changed
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
    assert [(o.target.index, o.target.extra["product"], o.changed) for o in outcomes] == [(0, "OFFICE", True), (1, "OFFICE", False), (1, "VS", True)]
    assert sorted(c[1]["ProductUserArn"][-1] for c in client.writes()) == ["1", "2"]
    assert "the same change is made for users[0]" in outcomes[1].msg
