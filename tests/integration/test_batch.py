# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""lmus_instance_user batch mode: many users, many instances, one task."""

import math
from collections import Counter

import pytest

from harness import DIRECTORY
from harness import DOMAIN
from harness import MODULE
from harness import base_seed
from harness import instance_id

# These tests hold no product subscription: the vocabularies differ only in subscription words.
VOCABULARIES = ("aws",)

INSTANCES = 22
PAGE_SIZE = 4
DENIED = instance_id(7)
UNKNOWN = instance_id(404)


def _world():
    """Per instance: 6 associated users, 2 disassociated ones, and 2 never associated (only requested)."""
    associations, items, expected = [], [], {}
    for n in range(1, INSTANCES + 1):
        iid = instance_id(n)
        for u in range(6):
            associations.append(dict(instance_id=iid, username=f"user{n}-{u}", domain=DOMAIN))
            items.append(dict(username=f"user{n}-{u}", instance_id=iid))
            expected[(f"user{n}-{u}", iid)] = "failed" if iid == DENIED else "changed"
        for u in range(6, 8):
            associations.append(dict(instance_id=iid, username=f"user{n}-{u}", domain=DOMAIN, status="DISASSOCIATED"))
            items.append(dict(username=f"user{n}-{u}", instance_id=iid))
            expected[(f"user{n}-{u}", iid)] = "failed" if iid == DENIED else "unchanged"
        for u in range(8, 10):
            items.append(dict(username=f"user{n}-{u}", instance_id=iid))
            expected[(f"user{n}-{u}", iid)] = "failed" if iid == DENIED else "unchanged"
        # someone who stays: never requested, must stay associated
        associations.append(dict(instance_id=iid, username=f"stays{n}", domain=DOMAIN))
    for u in range(3):
        items.append(dict(username=f"ghost{u}", instance_id=UNKNOWN))
        expected[(f"ghost{u}", UNKNOWN)] = "failed"
    return base_seed(instances=INSTANCES, associations=associations), items, expected


@pytest.fixture
def batch_world(lmus_emulator_factory):
    seed, items, expected = _world()
    emulator = lmus_emulator_factory(seed=seed, page_size=PAGE_SIZE, faults={"access_denied_instances": [DENIED]})
    return emulator, items, expected


def batch_task(items, **args):
    return {"name": "batch", MODULE: dict(state="absent", directory_id=DIRECTORY, domain=DOMAIN, users=items, **args), "register": "result"}


def outcome_of(result):
    return "failed" if result["failed"] else "changed" if result["changed"] else "unchanged"


def expected_list_calls(emulator, items):
    """One read per (instance, identity provider) group, times its pages; a failing instance answers once."""
    records = Counter(a["instance_id"] for a in emulator.state_dump()["associations"])
    calls = 0
    for iid in {i["instance_id"] for i in items}:
        calls += 1 if iid in (DENIED, UNKNOWN) else max(1, math.ceil(records[iid] / PAGE_SIZE))
    return calls


@pytest.mark.smoke
def test_batch_of_200_users_across_22_instances(batch_world, ansible_factory):
    emulator, items, expected = batch_world
    assert len(items) >= 200 and len({i["instance_id"] for i in items}) >= 20
    ansible = ansible_factory(emulator)
    reads = expected_list_calls(emulator, items)

    check = ansible.playbook([batch_task(items)], check=True)
    assert check.rc != 0  # the denied and unknown instances fail, in check mode too
    assert emulator.calls(write=True) == []
    assert [outcome_of(r) for r in check.last["results"]] == [expected[(i["username"], i["instance_id"])] for i in items]
    assert len(emulator.calls(operation="ListUserAssociations")) == reads
    emulator.clear_log()

    real = ansible.playbook([batch_task(items, concurrency=8)])
    results = real.last["results"]
    assert real.rc != 0 and len(results) == len(items)
    assert [(r["username"], r["instance_id"]) for r in results] == [(i["username"], i["instance_id"]) for i in items]
    assert [outcome_of(r) for r in results] == [expected[(i["username"], i["instance_id"])] for i in items]
    counts = Counter(expected.values())
    assert real.last["summary"] == dict(total=len(items), changed=counts["changed"], unchanged=counts["unchanged"], failed=counts["failed"])
    # msg: the users with a failure first (in the order given), what happened to each and where; the others counted,
    # with how many of them failed; the first failure
    msg = real.last["msg"]
    failed_users = list(dict.fromkeys(u for (u, _i), outcome in expected.items() if outcome == "failed"))
    assert len(failed_users) > 10
    assert msg.startswith(f"{failed_users[0]}: failed on instance {DENIED} (AccessDeniedException); "
                          f"{failed_users[1]}: failed on instance {DENIED} (AccessDeniedException); "), msg
    head, failure = msg.split("; first failure: ")
    users = len({i["username"] for i in items})
    assert head.endswith(f"; and {users - 10} more users, {len(failed_users) - 10} of them with a failure (see results)") and head.count(": ") == 10
    assert "AccessDeniedException" in failure and DENIED in failure and "user7-0" in failure
    for r in results:
        if r["instance_id"] == DENIED:
            assert "AccessDeniedException" in r["msg"] and r["username"] in r["msg"] and DENIED in r["msg"]
        if r["instance_id"] == UNKNOWN:
            assert "ResourceNotFoundException" in r["msg"] and UNKNOWN in r["msg"]
        if outcome_of(r) == "changed":
            assert r["instance_user"]["status"] == "DISASSOCIATED"

    writes = emulator.calls(write=True)
    assert len(writes) == counts["changed"]
    assert len({w["params"]["InstanceUserArn"] for w in writes}) == counts["changed"]
    assert len(emulator.calls(operation="ListUserAssociations")) == reads
    state = {(a["username"], a["instance_id"]): a["status"] for a in emulator.state_dump()["associations"]}
    for (username, iid), outcome in expected.items():
        if outcome == "changed":
            assert state[(username, iid)] == "DISASSOCIATED"
    assert all(state[(f"stays{n}", instance_id(n))] == "ASSOCIATED" for n in range(1, INSTANCES + 1))
    assert all(state[(f"user7-{u}", DENIED)] == "ASSOCIATED" for u in range(6))

    emulator.clear_log()
    rerun = ansible.playbook([batch_task(items)])
    assert rerun.last["summary"]["changed"] == 0
    assert rerun.last["summary"]["failed"] == counts["failed"]
    assert emulator.calls(write=True) == []


def test_batch_item_values_override_top_level_defaults(lmus_emulator_factory, ansible_factory):
    other = "d-abcdef0123"
    seed = base_seed(instances=1, associations=[dict(instance_id=instance_id(1), username="a", domain=DOMAIN)])
    seed["identity_providers"].append(dict(directory_id=other, product="OFFICE_PROFESSIONAL_PLUS"))
    seed["instances"].append(dict(instance_id=instance_id(2), directory_id=other, products=["OFFICE_PROFESSIONAL_PLUS"]))
    seed["associations"].append(dict(instance_id=instance_id(2), username="b", domain="lab.example.com"))
    emulator = lmus_emulator_factory(seed=seed)
    items = [dict(username="a"), dict(username="b", instance_id=instance_id(2), directory_id=other, domain="lab.example.com")]
    task = {"name": "batch", MODULE: dict(state="absent", directory_id=DIRECTORY, domain=DOMAIN, instance_id=instance_id(1), users=items), "register": "r"}
    run = ansible_factory(emulator).playbook([task])
    assert run.rc == 0, run.stdout
    assert [r["changed"] for r in run.last["results"]] == [True, True]
    groups = {(c["params"]["InstanceId"], c["params"]["IdentityProvider"]["ActiveDirectoryIdentityProvider"]["DirectoryId"])
              for c in emulator.calls(operation="ListUserAssociations")}
    assert groups == {(instance_id(1), DIRECTORY), (instance_id(2), other)}


def test_repeated_items_are_written_once_with_a_warning(lmus_emulator_factory, ansible_factory):
    emulator = lmus_emulator_factory(seed=base_seed(instances=1, associations=[dict(instance_id=instance_id(1), username="a", domain=DOMAIN)]))
    items = [dict(username="a"), dict(username="a"), dict(username="a", domain=DOMAIN.upper())]
    task = {"name": "batch", MODULE: dict(state="absent", directory_id=DIRECTORY, instance_id=instance_id(1), users=items), "register": "r"}
    run = ansible_factory(emulator).playbook([task])
    assert run.rc == 0, run.stdout
    assert len(emulator.calls(write=True)) == 1
    assert [r["changed"] for r in run.last["results"]] == [True, False, False]
    assert any("users[1] repeats users[0]" in w for w in run.last.get("warnings", []))


def test_unknown_item_key_fails_before_any_api_call(batch_world, ansible_factory):
    emulator, items, _expected = batch_world
    bad = [dict(items[0]), dict(items[1], colour="blue")]
    run = ansible_factory(emulator).playbook([batch_task(bad)])
    assert run.rc != 0 and "colour" in run.last["msg"]
    assert emulator.log == []


def test_bad_item_value_names_the_item(batch_world, ansible_factory):
    emulator, items, _expected = batch_world
    bad = [dict(items[0]), dict(items[1], instance_id="i-bad")]
    run = ansible_factory(emulator).playbook([batch_task(bad)])
    assert run.rc != 0 and "users[1].instance_id: 'i-bad'" in run.last["msg"]
    assert emulator.log == []


def test_batch_waits_for_every_item(lmus_emulator_factory, ansible_factory):
    associations = [dict(instance_id=instance_id(1 + n % 3), username=f"u{n}", domain=DOMAIN) for n in range(12)]
    emulator = lmus_emulator_factory(seed=base_seed(instances=3, associations=associations), transition_delay=1.2)
    items = [dict(username=f"u{n}", instance_id=instance_id(1 + n % 3)) for n in range(12)]
    run = ansible_factory(emulator).playbook([batch_task(items)])
    assert run.rc == 0, run.stdout
    assert {r["instance_user"]["status"] for r in run.last["results"]} == {"DISASSOCIATED"}
    # The waiting reads, in rounds: the module sleeps a second or more between rounds, and the reads of one round start
    # together. Each round reads each instance with a pending item once, not once per user (4 per instance here); the
    # first reads all three, as every item is pending then. Later rounds read the instances not settled yet.
    writes_done = max(call["time"] for call in emulator.calls(write=True))
    polls = sorted((call["time"], call["params"]["InstanceId"]) for call in emulator.calls(operation="ListUserAssociations")
                   if call["time"] > writes_done)
    rounds = []
    for when, instance in polls:
        if not rounds or when - rounds[-1][-1][0] > 0.9:
            rounds.append([])
        rounds[-1].append((when, instance))
    assert rounds, "the module did not wait for the records to settle"
    assert sorted(instance for _when, instance in rounds[0]) == [instance_id(n) for n in (1, 2, 3)], rounds
    for polled in rounds:
        assert len({instance for _when, instance in polled}) == len(polled), f"an instance was read twice in one round: {rounds}"


def test_batch_diff_lists_the_changed_items(batch_world, ansible_factory):
    emulator, items, _expected = batch_world
    run = ansible_factory(emulator).playbook([batch_task(items[:8])], check=True, diff=True)
    diff = run.last["diff"]
    assert len(diff["before"]) == 6 and all(v["status"] == "ASSOCIATED" for v in diff["before"].values())
    assert all(v["status"] == "DISASSOCIATED" for v in diff["after"].values())
