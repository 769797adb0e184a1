# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Faults the real service produces: every user ends in a known outcome, and a rerun finishes the job."""

import time

import pytest

from harness import DIRECTORY
from harness import DOMAIN
from harness import MODULE
from harness import base_seed
from harness import instance_id

# These tests hold no product subscription: the vocabularies differ only in subscription words.
VOCABULARIES = ("aws",)

INSTANCES = 8
PER_INSTANCE = 6
DENIED = instance_id(3)


def departing():
    return [(f"u{n}-{k}", instance_id(n)) for n in range(1, INSTANCES + 1) for k in range(PER_INSTANCE)]


def seed():
    associations = [dict(instance_id=i, username=u, domain=DOMAIN) for u, i in departing()]
    associations += [dict(instance_id=instance_id(n), username=f"stays{n}", domain=DOMAIN) for n in range(1, INSTANCES + 1)]
    return base_seed(instances=INSTANCES, associations=associations)


def task(**args):
    items = [dict(username=u, instance_id=i) for u, i in departing()]
    return {"name": "batch", MODULE: dict(state="absent", directory_id=DIRECTORY, domain=DOMAIN, users=items, **args), "register": "r"}


def completed_writes(emulator):
    """ARNs whose DisassociateUser the service accepted (or processed before a timeout)."""
    return {c["params"].get("InstanceUserArn") for c in emulator.calls(operation="DisassociateUser") if c["status"] == 200 or c["fault"] == "random/timeout"}


def live(emulator):
    return sorted((a["username"], a["instance_id"]) for a in emulator.state_dump()["associations"] if a["status"] != "DISASSOCIATED")


def outcomes(run):
    """Each item's outcome; asserts that none is unaccounted for."""
    results = run.last["results"]
    assert [(r["username"], r["instance_id"]) for r in results] == departing()
    seen = {}
    for r in results:
        if r["failed"]:
            seen[(r["username"], r["instance_id"])] = "failed"
            assert r["username"] in r["msg"] and r["instance_id"] in r["msg"], r["msg"]
        elif r["changed"]:
            seen[(r["username"], r["instance_id"])] = "changed"
            assert r["instance_user"]["status"] in ("DISASSOCIATED", "DISASSOCIATING")
        else:
            seen[(r["username"], r["instance_id"])] = "already_absent"
            assert "already absent" in r["msg"], r["msg"]
    return seen


def rerun_converges(emulator, ansible, first_writes, **args):
    """A rerun without faults: no completed write is repeated, and nobody departing is left."""
    emulator.set_faults({})
    emulator.clear_log()
    rerun = ansible.playbook([task(**args)])
    assert rerun.rc == 0, rerun.stdout[-2000:]
    again = {c["params"].get("InstanceUserArn") for c in emulator.calls(operation="DisassociateUser")}
    assert not again & first_writes
    assert live(emulator) == sorted((f"stays{n}", instance_id(n)) for n in range(1, INSTANCES + 1))
    return rerun


@pytest.mark.parametrize(
    "faults",
    [
        pytest.param({"throttle_rate": 0.3, "random_seed": 11}, id="throttling-30pct"),
        pytest.param({"error_rate": 0.05, "random_seed": 12}, id="5xx-5pct"),
        pytest.param({"drop_rate": 0.05, "timeout_rate": 0.05, "timeout_seconds": 2.5, "random_seed": 13, "fail_next": [
            {"operation": "DisassociateUser", "error": "timeout", "match": {"InstanceUserArn": "u2-1"}},
            {"operation": "DisassociateUser", "error": "drop", "match": {"InstanceUserArn": "u4-2"}},
            {"operation": "ListUserAssociations", "error": "drop", "match": {"InstanceId": instance_id(5)}},
        ]}, id="drops-and-timeouts"),
    ],
)
def test_random_faults_are_survived(lmus_emulator_factory, ansible_factory, faults):
    emulator = lmus_emulator_factory(seed=seed())
    arns = {a["username"]: a["arn"] for a in emulator.state_dump()["associations"]}
    for fault in faults.get("fail_next", []):
        if "InstanceUserArn" in fault["match"]:
            fault["match"]["InstanceUserArn"] = arns[fault["match"]["InstanceUserArn"]]  # named by user above
    emulator.set_faults(faults)
    ansible = ansible_factory(emulator)
    args = dict(aws_config={"read_timeout": 1, "connect_timeout": 1}) if "timeout_rate" in faults else {}
    run = ansible.playbook([task(**args)])
    assert run.rc == 0, run.stdout[-3000:]
    seen = outcomes(run)
    assert "failed" not in seen.values()
    assert len(emulator.calls(error=None)) < len(emulator.log)  # faults were injected
    if "fail_next" in faults:
        time.sleep(faults["timeout_seconds"])  # a timed-out call is logged once the emulator has answered it
        injected = {(c["operation"], c["fault"]) for c in emulator.log if c["fault"]}
        assert {("DisassociateUser", "fail_next/timeout"), ("DisassociateUser", "fail_next/drop"), ("ListUserAssociations", "fail_next/drop")} <= injected
        # The service did the timed-out write too: whichever of it and the retry lands second finds nothing to remove.
        assert seen[("u2-1", instance_id(2))] in ("changed", "already_absent")
        assert len(emulator.calls(operation="DisassociateUser", write=True)) > len(departing())
    assert live(emulator) == sorted((f"stays{n}", instance_id(n)) for n in range(1, INSTANCES + 1))
    rerun_converges(emulator, ansible, completed_writes(emulator), **args)


def test_association_stuck_in_disassociating_times_out_and_is_not_written_again(lmus_emulator_factory, ansible_factory):
    emulator = lmus_emulator_factory(seed=seed(), transition_delay=0.2)
    stuck = departing()[:2]
    for username, iid in stuck:
        emulator.set_status(iid, username, "ASSOCIATED", domain=DOMAIN, stuck=True)
    ansible = ansible_factory(emulator)
    run = ansible.playbook([task(wait_timeout=3)])
    assert run.rc != 0
    seen = outcomes(run)
    assert {k for k, v in seen.items() if v == "failed"} == set(stuck)
    for r in run.last["results"][:2]:
        assert "timed out after 3s" in r["msg"] and "DISASSOCIATING" in r["msg"]
    assert run.last["summary"]["failed"] == 2 and run.last["summary"]["changed"] == len(departing()) - 2
    first = completed_writes(emulator)
    emulator.clear_log()
    still_stuck = ansible.playbook([task(wait_timeout=3)])
    assert still_stuck.rc == 0 and emulator.calls(write=True) == []  # DISASSOCIATING needs no second call
    assert {r["changed"] for r in still_stuck.last["results"]} == {False}
    assert first


def test_user_disassociated_between_read_and_write_counts_as_already_absent(lmus_emulator_factory, ansible_factory):
    emulator = lmus_emulator_factory(seed=seed())
    raced = set(departing()[5:8])
    arns = {(a["username"], a["instance_id"]): a["arn"] for a in emulator.state_dump()["associations"]}
    by_arn = {arns[k]: k for k in raced}

    def someone_else_was_faster(operation, params):
        if operation == "DisassociateUser" and params.get("InstanceUserArn") in by_arn:
            username, iid = by_arn[params["InstanceUserArn"]]
            emulator.set_status(iid, username, "DISASSOCIATED", domain=DOMAIN)

    emulator.add_hook(someone_else_was_faster)
    ansible = ansible_factory(emulator)
    run = ansible.playbook([task()])
    assert run.rc == 0, run.stdout[-2000:]
    seen = outcomes(run)
    assert {k for k, v in seen.items() if v == "already_absent"} == raced
    assert len(emulator.calls(operation="DisassociateUser", error="ResourceNotFoundException")) == len(raced)
    rerun_converges(emulator, ansible, completed_writes(emulator))


def test_access_denied_instance_fails_its_users_only_and_a_rerun_finishes(lmus_emulator_factory, ansible_factory):
    emulator = lmus_emulator_factory(seed=seed(), faults={"access_denied_instances": [DENIED]})
    ansible = ansible_factory(emulator)
    run = ansible.playbook([task()])
    assert run.rc != 0
    seen = outcomes(run)
    assert {k for k, v in seen.items() if v == "failed"} == {(u, i) for u, i in departing() if i == DENIED}
    for r in run.last["results"]:
        if r["failed"]:
            assert "AccessDeniedException" in r["msg"]
    first = completed_writes(emulator)
    assert len(first) == len(departing()) - PER_INSTANCE
    rerun = rerun_converges(emulator, ansible, first)
    assert rerun.last["summary"]["changed"] == PER_INSTANCE


def test_lost_answers_to_writes_are_retried_and_converge(lmus_emulator_factory, ansible_factory):
    """The service did the write but its answer was lost: botocore retries, the retry finds the work done."""
    emulator = lmus_emulator_factory(seed=seed())
    arns = {a["username"]: a["arn"] for a in emulator.state_dump()["associations"]}
    emulator.set_faults({"fail_next": [
        {"operation": "DisassociateUser", "error": "drop_after", "match": {"InstanceUserArn": arns["u1-0"]}},
        {"operation": "DisassociateUser", "error": "drop_after", "match": {"InstanceUserArn": arns["u5-3"]}},
    ]})
    ansible = ansible_factory(emulator)
    run = ansible.playbook([task()])
    assert run.rc == 0, run.stdout[-2000:]
    seen = outcomes(run)
    assert seen[("u1-0", instance_id(1))] == seen[("u5-3", instance_id(5))] == "already_absent"
    assert "failed" not in seen.values()
    assert len(emulator.calls(operation="DisassociateUser", error="ResourceNotFoundException")) == 2
    rerun_converges(emulator, ansible, completed_writes(emulator))
    emulator.set_faults({"fail_next": [{"operation": "AssociateUser", "error": "drop_after", "match": {"Username": "newcomer"}}]})
    present = {"name": "present", MODULE: dict(username="newcomer", instance_id=instance_id(2), directory_id=DIRECTORY, domain=DOMAIN),
               "register": "r"}
    created = ansible.playbook([present])
    assert created.rc == 0, created.stdout[-2000:]
    assert not created.last.get("failed")
    assert created.last["instance_user"]["status"] == "ASSOCIATED"  # the wait confirmed what the conflict said
    errors = [c["error"] for c in emulator.calls(operation="AssociateUser")]
    assert errors[0] == "drop" and set(errors[1:]) == {"ConflictException"}  # botocore retries the 500 a couple of times
    emulator.clear_log()
    again = ansible.playbook([present])
    assert again.last["changed"] is False and emulator.calls(write=True) == []
