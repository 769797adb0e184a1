# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""lmus_instance_user, one user at a time, through real ansible runs against the emulator."""

import pytest

from harness import DIRECTORY
from harness import DOMAIN
from harness import MODULE
from harness import base_seed
from harness import instance_id

# These tests hold no product subscription: the vocabularies differ only in subscription words.
VOCABULARIES = ("aws",)

I1 = instance_id(1)
I2 = instance_id(2)


def alice(**extra):
    return dict(username="alice", domain=DOMAIN, instance_id=I1, directory_id=DIRECTORY, **extra)


def absent_task(**args):
    return {"name": "absent", MODULE: dict(alice(state="absent"), **args), "register": "result"}


def present_task(**args):
    return {"name": "present", MODULE: dict(alice(state="present"), **args), "register": "result"}


def statuses(emulator, username="alice"):
    """(instance, domain) -> status for the user's associations, from the emulator's own state."""
    return {(a["instance_id"], a.get("domain")): a["status"] for a in emulator.state_dump()["associations"] if a["username"] == username}


def seeded(emulator, associations, **kwargs):
    emulator.load(base_seed(associations=associations, **kwargs))
    emulator.clear_log()
    return emulator


@pytest.fixture
def world(lmus_emulator):
    """alice on I1 and I2, bob on I1."""
    return seeded(
        lmus_emulator,
        [
            dict(instance_id=I1, username="alice", domain=DOMAIN),
            dict(instance_id=I2, username="alice", domain=DOMAIN),
            dict(instance_id=I1, username="bob", domain=DOMAIN),
        ],
    )


@pytest.mark.smoke
def test_absent_check_then_real_then_idempotent(world, ansible):
    check = ansible.playbook([absent_task()], check=True)
    assert check.rc == 0, check.stdout
    assert check.last["changed"] is True
    assert check.last["instance_user"]["status"] == "DISASSOCIATED"
    assert world.calls(write=True) == []
    assert statuses(world)[(I1, DOMAIN)] == "ASSOCIATED"

    real = ansible.playbook([absent_task()])
    assert real.rc == 0 and real.last["changed"] is True, real.stdout
    assert real.last["instance_user"]["status"] == "DISASSOCIATED"
    writes = world.calls(write=True)
    assert [w["operation"] for w in writes] == ["DisassociateUser"]
    assert statuses(world) == {(I1, DOMAIN): "DISASSOCIATED", (I2, DOMAIN): "ASSOCIATED"}
    assert statuses(world, "bob") == {(I1, DOMAIN): "ASSOCIATED"}

    world.clear_log()
    again_check = ansible.playbook([absent_task()], check=True)
    again = ansible.playbook([absent_task()])
    assert again_check.last["changed"] is False and again.last["changed"] is False
    # On every ansible-core of the support matrix (a smoke test): no run printed a warning (docs/support.md).
    assert [run.warnings() for run in (check, real, again_check, again)] == [[], [], [], []]
    assert "already absent" in again.last["msg"]
    assert world.calls(write=True) == []
    assert world.calls(operation="ListUserAssociations") != []


def test_never_associated_user_is_unchanged_without_writes(world, ansible):
    run = ansible.playbook([absent_task(username="carol")])
    assert run.rc == 0 and run.last["changed"] is False
    assert run.last["instance_user"] == {}
    assert world.calls(write=True) == []


def test_check_mode_diff_shows_before_and_after(world, ansible):
    run = ansible.playbook([absent_task()], check=True, diff=True)
    diff = run.last["diff"]
    assert diff["before"]["status"] == "ASSOCIATED" and diff["after"]["status"] == "DISASSOCIATED"
    assert diff["before"]["username"] == "alice" and diff["before"]["instance_id"] == I1
    assert world.calls(write=True) == []


def test_arn_only_absent_and_its_second_run(world, ansible):
    arn = next(a["arn"] for a in world.state_dump()["associations"] if a["username"] == "alice" and a["instance_id"] == I2)
    task = {"name": "by arn", MODULE: dict(state="absent", instance_user_arn=arn), "register": "result"}
    check = ansible.playbook([task], check=True)
    assert check.last["changed"] is True and world.calls(write=True) == []
    first = ansible.playbook([task])
    assert first.rc == 0 and first.last["changed"] is True, first.stdout
    assert first.last["instance_user"]["instance_id"] == I2
    [write] = world.calls(write=True)
    assert write["params"] == {"InstanceUserArn": arn}
    assert statuses(world) == {(I1, DOMAIN): "ASSOCIATED", (I2, DOMAIN): "DISASSOCIATED"}
    world.clear_log()
    second = ansible.playbook([task])
    assert second.rc == 0 and second.last["changed"] is False
    assert world.calls(write=True) == []


def test_present_then_idempotent_present_with_tags(world, ansible):
    task = present_task(username="carol", tags={"ticket": "HR-1"})
    check = ansible.playbook([task], check=True)
    assert check.last["changed"] is True and world.calls(write=True) == []
    first = ansible.playbook([task])
    assert first.rc == 0 and first.last["changed"] is True, first.stdout
    assert first.last["instance_user"]["status"] == "ASSOCIATED"
    [write] = world.calls(write=True)
    assert write["operation"] == "AssociateUser" and write["params"]["Tags"] == {"ticket": "HR-1"}
    world.clear_log()
    second = ansible.playbook([task])
    assert second.last["changed"] is False and world.calls(write=True) == []
    assert statuses(world, "carol") == {(I1, DOMAIN): "ASSOCIATED"}


def test_wait_follows_disassociating_until_disassociated(lmus_emulator_factory, ansible_factory):
    emulator = lmus_emulator_factory(seed=base_seed(associations=[dict(instance_id=I1, username="alice", domain=DOMAIN)]), transition_delay=1.5)
    run = ansible_factory(emulator).playbook([absent_task()])
    assert run.rc == 0, run.stdout
    assert run.last["instance_user"]["status"] == "DISASSOCIATED"
    reads = emulator.calls(operation="ListUserAssociations")
    assert len(reads) >= 2  # the decision read, then at least one poll
    assert len(emulator.calls(write=True)) == 1


def test_no_wait_returns_the_transitional_status(lmus_emulator_factory, ansible_factory):
    emulator = lmus_emulator_factory(seed=base_seed(associations=[dict(instance_id=I1, username="alice", domain=DOMAIN)]), transition_delay=30)
    run = ansible_factory(emulator).playbook([absent_task(wait=False)])
    assert run.rc == 0 and run.last["instance_user"]["status"] == "DISASSOCIATING"
    assert len(emulator.calls(operation="ListUserAssociations")) == 1


def test_wait_timeout_fails_the_task(lmus_emulator_factory, ansible_factory):
    emulator = lmus_emulator_factory(seed=base_seed(associations=[dict(instance_id=I1, username="alice", domain=DOMAIN)]), transition_delay=60)
    run = ansible_factory(emulator).playbook([absent_task(wait_timeout=2)])
    assert run.rc != 0
    assert "timed out after 2s" in run.last["msg"] and "DISASSOCIATING" in run.last["msg"]


def test_throttled_calls_are_retried_to_success(world, ansible):
    # More throttles than botocore's own attempts, so the module's retry has to carry it.
    world.set_faults({"fail_next": [{"operation": "DisassociateUser", "error": "ThrottlingException", "count": 4}]})
    run = ansible.playbook([absent_task()])
    assert run.rc == 0 and run.last["changed"] is True, run.stdout
    calls = world.calls(operation="DisassociateUser")
    assert [c["error"] for c in calls] == ["ThrottlingException"] * 4 + [None]
    assert statuses(world)[(I1, DOMAIN)] == "DISASSOCIATED"


def test_internal_server_errors_are_retried(world, ansible):
    world.set_faults({"fail_next": [{"operation": "ListUserAssociations", "error": "InternalServerException", "count": 4}]})
    run = ansible.playbook([absent_task()])
    assert run.rc == 0 and run.last["changed"] is True, run.stdout
    assert [c["error"] for c in world.calls(operation="ListUserAssociations")][:5] == ["InternalServerException"] * 4 + [None]


@pytest.mark.smoke
def test_bad_input_fails_before_any_api_call(world, ansible):
    """The play stops at the task, naming the option and the value; every other bad input is in test_bad_input.py."""
    run = ansible.playbook([absent_task(instance_id="i-12345")])
    assert run.rc != 0
    assert "instance_id: 'i-12345' is not a valid EC2 instance ID" in run.last["msg"]
    assert world.log == []


def test_access_denied_is_reported_with_code_user_and_instance(world, ansible):
    world.set_faults({"access_denied_instances": [I1]})
    run = ansible.playbook([absent_task()])
    assert run.rc != 0
    msg = run.last["msg"]
    assert "AccessDeniedException" in msg and I1 in msg and "alice" in msg
    assert run.last["error"]["code"] == "AccessDeniedException"
    assert world.calls(write=True) == []


def test_unknown_instance_is_reported(world, ansible):
    run = ansible.playbook([absent_task(instance_id=instance_id(99))])
    assert run.rc != 0 and "ResourceNotFoundException" in run.last["msg"] and instance_id(99) in run.last["msg"]


def test_adhoc_absent_check_then_real_then_idempotent(world, ansible):
    args = alice(state="absent")
    check = ansible.adhoc(args, check=True)
    assert check.rc == 0 and check.last["changed"] is True
    assert world.calls(write=True) == []
    real = ansible.adhoc(args)
    assert real.rc == 0 and real.last["changed"] is True
    again = ansible.adhoc(args)
    assert again.rc == 0 and again.last["changed"] is False
    assert len(world.calls(write=True)) == 1


def test_identity_provider_dict_is_sent_as_the_api_union(world, ansible):
    provider = {"active_directory_identity_provider": {"directory_id": DIRECTORY, "active_directory_type": "AWS_MANAGED"}}
    task = {"name": "present", MODULE: dict(username="dave", instance_id=I2, identity_provider=provider), "register": "result"}
    run = ansible.playbook([task])
    assert run.rc == 0 and run.last["changed"] is True, run.stdout
    [write] = world.calls(write=True)
    assert write["params"]["IdentityProvider"] == {"ActiveDirectoryIdentityProvider": {"DirectoryId": DIRECTORY, "ActiveDirectoryType": "AWS_MANAGED"}}


def test_arn_on_an_unreadable_instance_fails_with_the_code(world, ansible):
    arn = next(a["arn"] for a in world.state_dump()["associations"] if a["username"] == "alice" and a["instance_id"] == I2)
    world.set_faults({"access_denied_instances": [I2]})
    run = ansible.playbook([{"name": "by arn", MODULE: dict(state="absent", instance_user_arn=arn), "register": "result"}])
    assert run.rc != 0
    assert "could not be looked for" in run.last["msg"] and arn in run.last["msg"] and "AccessDeniedException" in run.last["msg"]
    assert world.calls(write=True) == []
