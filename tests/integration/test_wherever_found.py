# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Batch items with state=absent that leave out the instance, product or identity provider:
the modules find every record of the user themselves, reading each place once."""

import math

import pytest

from harness import DIRECTORY
from harness import DOMAIN
from harness import INSTANCE_USERS_ONLY
from harness import MODULE
from harness import OTHER_DIRECTORY
from harness import instance_id
from harness import speak
from harness import words

SUBS = "lmus.user_subscriptions.lmus_product_subscription"
PAGE_SIZE = 2
DENIED = instance_id(4)


def seed():
    """Four instances over two directories; alice on all four (gone from the second), bob on one, carol stays."""
    data = dict(identity_providers=[], instances=[], associations=[], product_subscriptions=[])
    for n in range(1, 5):
        directory = DIRECTORY if n <= 2 else OTHER_DIRECTORY
        data["instances"].append(dict(instance_id=instance_id(n), directory_id=directory, products=["OFFICE_PROFESSIONAL_PLUS"]))
        data["associations"].append(dict(instance_id=instance_id(n), username="alice", domain=DOMAIN, status="DISASSOCIATED" if n == 2 else "ASSOCIATED"))
        data["associations"].append(dict(instance_id=instance_id(n), username="carol", domain=DOMAIN))
    data["associations"].append(dict(instance_id=instance_id(3), username="bob", domain=DOMAIN))
    for directory in (DIRECTORY, OTHER_DIRECTORY):
        data["product_subscriptions"].append(dict(username="alice", product="OFFICE_PROFESSIONAL_PLUS", directory_id=directory, domain=DOMAIN))
        data["product_subscriptions"].append(dict(username="carol", product="OFFICE_PROFESSIONAL_PLUS", directory_id=directory, domain=DOMAIN))
    data["product_subscriptions"].append(dict(username="alice", product="VISUAL_STUDIO_ENTERPRISE", directory_id=DIRECTORY, domain=DOMAIN))
    data["product_subscriptions"].append(dict(username="bob", product="VISUAL_STUDIO_ENTERPRISE", directory_id=DIRECTORY, domain=DOMAIN,
                                              status="<unsubscribed>"))
    return data


@pytest.fixture
def world(lmus_emulator_factory, vocabulary):
    # These tests stop subscriptions of users who are still associated, to test finding them: AWS's
    # rule that refuses that (see the offboard role's tests) is switched off here.
    return lmus_emulator_factory(seed=speak(seed(), vocabulary), page_size=PAGE_SIZE, rules={"refuse_stop_while_associated": False})


def remove(module=MODULE, **args):
    return {"name": "remove", module: dict(dict(state="absent"), **args), "register": "r"}


def entries(run, where="instance_id"):
    return [(r["username"], r[where], "failed" if r["failed"] else "changed" if r["changed"] else "unchanged") for r in run.last["results"]]


def live_associations(emulator):
    return sorted((a["username"], a["instance_id"]) for a in emulator.state_dump()["associations"] if a["status"] != "DISASSOCIATED")


def listings(emulator, operation):
    """How many times ``operation`` was listed from its first page."""
    return sum(1 for c in emulator.calls(operation=operation) if "NextToken" not in c["params"])


def pages(emulator, instance):
    return max(1, math.ceil(sum(1 for a in emulator.state_dump()["associations"] if a["instance_id"] == instance) / PAGE_SIZE))


@INSTANCE_USERS_ONLY
def test_users_without_instances_are_removed_wherever_found(world, ansible_factory):
    ansible = ansible_factory(world)
    task = remove(users=[dict(username="alice"), dict(username="bob"), dict(username="nobody")])
    every_page = sum(pages(world, instance_id(n)) for n in range(1, 5))

    check = ansible.playbook([task], check=True, diff=True)
    assert check.rc == 0, check.stdout[-3000:]
    assert world.calls(write=True) == []
    assert listings(world, "ListInstances") == 1
    assert len(world.calls(operation="ListUserAssociations")) == every_page  # each instance read once, for all three users
    expected = [
        ("alice", instance_id(1), "changed"), ("alice", instance_id(2), "unchanged"), ("alice", instance_id(3), "changed"),
        ("alice", instance_id(4), "changed"), ("bob", instance_id(3), "changed"), ("nobody", None, "unchanged"),
    ]
    assert entries(check) == expected
    assert check.last["summary"] == dict(total=6, changed=4, unchanged=2, failed=0)
    assert check.last["msg"] == (f"alice: would be removed from 3 instances, already absent on instance {instance_id(2)}; "
                                 f"bob: would be removed from instance {instance_id(3)}; nobody: not found")
    nobody = check.last["results"][-1]
    assert nobody["instance_user"] == {} and "has no association on the 4 instance(s) read" in nobody["msg"]
    assert check.last["results"][1]["instance_user"]["status"] == "DISASSOCIATED"
    assert len(check.last["diff"]["after"]) == 4

    world.clear_log()
    real = ansible.playbook([task])
    assert real.rc == 0, real.stdout[-3000:]
    assert entries(real) == expected
    writes = world.calls(write=True)
    assert [w["operation"] for w in writes] == ["DisassociateUser"] * 4 and all(w["error"] is None for w in writes)
    assert live_associations(world) == [("carol", instance_id(n)) for n in range(1, 5)]

    world.clear_log()
    rerun = ansible.playbook([task])
    assert rerun.rc == 0 and rerun.last["changed"] is False
    assert world.calls(write=True) == []
    assert [e[2] for e in entries(rerun)] == ["unchanged"] * 6


@INSTANCE_USERS_ONLY
def test_an_identity_provider_or_an_instance_narrows_the_search(world, ansible_factory):
    ansible = ansible_factory(world)
    run = ansible.playbook([remove(users=[dict(username="alice", directory_id=OTHER_DIRECTORY), dict(username="bob", instance_id=instance_id(3))])])
    assert run.rc == 0, run.stdout[-3000:]
    assert entries(run) == [("alice", instance_id(3), "changed"), ("alice", instance_id(4), "changed"), ("bob", instance_id(3), "changed")]
    # instance 3 is read once for both users; instances 1 and 2 (the other directory) are not read
    assert sorted({c["params"]["InstanceId"] for c in world.calls(operation="ListUserAssociations")}) == [instance_id(3), instance_id(4)]
    assert len(world.calls(operation="ListUserAssociations")) == pages(world, instance_id(3)) + pages(world, instance_id(4))
    assert live_associations(world) == sorted([("alice", instance_id(1))] + [("carol", instance_id(n)) for n in range(1, 5)])


@INSTANCE_USERS_ONLY
def test_an_unknown_instance_is_reported_not_failed(world, ansible_factory):
    run = ansible_factory(world).playbook([remove(users=[dict(username="alice", instance_id=instance_id(99))])])
    assert run.rc == 0
    [result] = run.last["results"]
    assert (result["instance_id"], result["changed"], result["failed"]) == (instance_id(99), False, False)
    assert "the instance was not found (ListInstances)" in result["msg"]
    assert world.calls(operation="ListUserAssociations") == [] and world.calls(write=True) == []


@INSTANCE_USERS_ONLY
def test_an_unreadable_instance_fails_only_its_entries(world, ansible_factory):
    world.set_faults({"access_denied_instances": [DENIED]})
    run = ansible_factory(world).playbook([remove(users=[dict(username="alice"), dict(username="bob")])])
    assert run.rc != 0
    assert entries(run) == [
        ("alice", instance_id(1), "changed"), ("alice", instance_id(2), "unchanged"), ("alice", instance_id(3), "changed"),
        ("alice", DENIED, "failed"), ("bob", instance_id(3), "changed"), ("bob", DENIED, "failed"),
    ]
    failed = [r for r in run.last["results"] if r["failed"]]
    assert {r["code"] for r in failed} == {"AccessDeniedException"}
    assert all(DENIED in r["msg"] and r["username"] in r["msg"] for r in failed)
    assert all(r["code"] is None for r in run.last["results"] if not r["failed"])
    assert live_associations(world) == sorted([("alice", DENIED)] + [("carol", instance_id(n)) for n in range(1, 5)])


@INSTANCE_USERS_ONLY
def test_list_instances_denied_fails_every_item_that_needed_it(world, ansible_factory):
    world.set_faults({"fail_next": [{"operation": "ListInstances", "error": "AccessDeniedException", "count": 100}]})
    items = [dict(username="alice"), dict(username="bob", instance_id=instance_id(3), directory_id=OTHER_DIRECTORY)]
    run = ansible_factory(world).playbook([remove(users=items)])
    assert run.rc != 0
    alice, bob = run.last["results"]
    assert alice["failed"] and alice["code"] == "AccessDeniedException" and "could not be looked for" in alice["msg"]
    assert alice["instance_id"] is None
    # bob's item names its instance and identity provider: it needs no ListInstances
    assert not bob["failed"] and bob["changed"], bob
    assert [w["params"]["InstanceUserArn"] for w in world.calls(write=True)] == [bob["instance_user"]["instance_user_arn"]]


def test_subscriptions_without_product_are_stopped_wherever_found(world, ansible_factory):
    ansible = ansible_factory(world)
    task = remove(SUBS, users=[dict(username="alice"), dict(username="bob"), dict(username="nobody")])
    check = ansible.playbook([task], check=True)
    assert check.rc == 0, check.stdout[-3000:]
    assert world.calls(write=True) == []
    assert listings(world, "ListIdentityProviders") == 1
    assert sorted(c["params"]["IdentityProvider"]["ActiveDirectoryIdentityProvider"]["DirectoryId"]
                  for c in world.calls(operation="ListProductSubscriptions") if "NextToken" not in c["params"]) == sorted([DIRECTORY, OTHER_DIRECTORY])
    expected = [
        ("alice", "OFFICE_PROFESSIONAL_PLUS", "changed"), ("alice", "VISUAL_STUDIO_ENTERPRISE", "changed"), ("alice", "OFFICE_PROFESSIONAL_PLUS", "changed"),
        ("bob", "VISUAL_STUDIO_ENTERPRISE", "unchanged"), ("nobody", None, "unchanged"),
    ]
    assert sorted(entries(check, "product")) == sorted(expected)
    assert "under the 2 identity provider(s) read" in check.last["results"][-1]["msg"]

    world.clear_log()
    real = ansible.playbook([task])
    assert real.rc == 0
    assert sorted(entries(real, "product")) == sorted(expected)
    assert [w["operation"] for w in world.calls(write=True)] == ["StopProductSubscription"] * 3
    active = sorted((s["username"], s["directory_id"]) for s in world.state_dump()["product_subscriptions"] if s["status"] == words(world)["subscribed"])
    assert active == sorted([("carol", DIRECTORY), ("carol", OTHER_DIRECTORY)])

    world.clear_log()
    rerun = ansible.playbook([task])
    assert rerun.rc == 0 and rerun.last["changed"] is False and world.calls(write=True) == []


def test_a_product_without_identity_provider_is_stopped_under_every_provider(world, ansible_factory):
    run = ansible_factory(world).playbook([remove(SUBS, users=[dict(username="alice", product="OFFICE_PROFESSIONAL_PLUS")])])
    assert run.rc == 0, run.stdout[-3000:]
    assert entries(run, "product") == [("alice", "OFFICE_PROFESSIONAL_PLUS", "changed")] * 2
    assert {c["params"]["Product"] for c in world.calls(operation="ListProductSubscriptions")} == {"OFFICE_PROFESSIONAL_PLUS"}
    live = sorted((s["username"], s["product"]) for s in world.state_dump()["product_subscriptions"]
                  if s["status"] == words(world)["subscribed"] and s["username"] == "alice")
    assert live == [("alice", "VISUAL_STUDIO_ENTERPRISE")]


@INSTANCE_USERS_ONLY
def test_items_that_differ_only_in_what_narrows_the_search_are_not_repeats(world, ansible_factory):
    items = [dict(username="alice", instance_id=instance_id(1)), dict(username="alice", instance_id=instance_id(3)),
             dict(username="alice", directory_id=OTHER_DIRECTORY), dict(username="alice", instance_id=instance_id(1))]
    run = ansible_factory(world).playbook([remove(users=items)])
    assert run.rc == 0, run.stdout[-3000:]
    assert entries(run) == [
        ("alice", instance_id(1), "changed"), ("alice", instance_id(3), "changed"),
        # instance 3 is also under OTHER_DIRECTORY: the same record, written once, for users[1]
        ("alice", instance_id(3), "unchanged"), ("alice", instance_id(4), "changed"),
        ("alice", instance_id(1), "unchanged"),
    ]
    assert "users[3] repeats users[0]" in " ".join(run.last.get("warnings", []))
    assert len(world.calls(write=True)) == 3


@INSTANCE_USERS_ONLY
def test_wait_follows_every_record_found_until_it_settles(lmus_emulator_factory, ansible_factory):
    emulator = lmus_emulator_factory(seed=speak(seed(), "aws"), page_size=PAGE_SIZE, transition_delay=1.2)
    run = ansible_factory(emulator).playbook([remove(users=[dict(username="alice"), dict(username="bob")])])
    assert run.rc == 0, run.stdout[-3000:]
    changed = [r for r in run.last["results"] if r["changed"]]
    assert [(r["username"], r["instance_id"]) for r in changed] == [
        ("alice", instance_id(1)), ("alice", instance_id(3)), ("alice", instance_id(4)), ("bob", instance_id(3))]
    assert {r["instance_user"]["status"] for r in changed} == {"DISASSOCIATED"}
    # the writes answered DISASSOCIATING; the module polled the instances again until each settled
    first_reads = sum(1 for c in emulator.calls(operation="ListUserAssociations") if "NextToken" not in c["params"])
    assert first_reads > 4
    assert live_associations(emulator) == [("carol", instance_id(n)) for n in range(1, 5)]
