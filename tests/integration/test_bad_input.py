# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Bad input: a clear error naming the option and the value, before any API call; big and repeated lists handled."""

import pytest

from harness import DIRECTORY
from harness import DOMAIN
from harness import MODULE
from harness import base_seed
from harness import instance_id

# Bad input is refused before any API call, whatever the service would answer.
VOCABULARIES = ("aws",)

SUBS = "lmus.user_subscriptions.lmus_product_subscription"
I1 = instance_id(1)
GOOD = dict(state="absent", username="alice", instance_id=I1, directory_id=DIRECTORY)
ARN = "arn:aws:license-manager-user-subscriptions:us-east-1:123456789012:instance-user/0123456789abcdef"

CASES = [
    ("short instance id", MODULE, dict(GOOD, instance_id="i-123"), "instance_id: 'i-123' is not a valid EC2 instance ID"),
    ("instance id with a space", MODULE, dict(GOOD, instance_id=I1 + " "), f"instance_id: '{I1} ' is not a valid EC2 instance ID"),
    ("upper-case instance id", MODULE, dict(GOOD, instance_id=I1.upper()), f"instance_id: '{I1.upper()}'"),
    ("short directory id", MODULE, dict(GOOD, directory_id="d-123"), "directory_id: 'd-123' is not a valid directory ID"),
    ("upper-case directory id", MODULE, dict(GOOD, directory_id="D-1234567890"), "directory_id: 'D-1234567890'"),
    ("malformed ARN", MODULE, dict(state="absent", instance_user_arn="arn:aws:foo"), "instance_user_arn: 'arn:aws:foo' is not a valid ARN"),
    ("empty username", MODULE, dict(GOOD, username=""), "username: a non-empty user name is required, got ''"),
    ("blank username", MODULE, dict(GOOD, username="   "), "username: a non-empty user name is required, got '   '"),
    ("users with username", MODULE, dict(GOOD, users=[dict(username="bob")]), "mutually exclusive: users|username"),
    ("users with ARN", MODULE, dict(state="absent", instance_user_arn=ARN, users=[dict(username="bob")]), "mutually exclusive: users|instance_user_arn"),
    ("tags with absent", MODULE, dict(GOOD, tags={"team": "ops"}), "tags: only valid with state=present, got {'team': 'ops'}"),
    ("ARN with present", MODULE, dict(state="present", instance_user_arn=ARN), f"instance_user_arn: only valid with state=absent, got '{ARN}'"),
    ("directory and identity provider", MODULE,
     dict(GOOD, identity_provider={"active_directory_identity_provider": {"directory_id": DIRECTORY}}), "mutually exclusive: directory_id|identity_provider"),
    ("unknown key in an item", MODULE, dict(state="absent", directory_id=DIRECTORY, users=[dict(username="a", instance_id=I1, colour="blue")]), "colour"),
    ("item that is neither a user name nor a mapping", MODULE, dict(state="absent", directory_id=DIRECTORY, users=["alice", True]),
     "users[1]: true (a YAML boolean) is not a user name"),
    ("users that is not a list", MODULE, dict(state="absent", directory_id=DIRECTORY, users=83), "users: 83 (a YAML number) is not a list of users"),
    ("bad instance id in an item", MODULE,
     dict(state="absent", directory_id=DIRECTORY, users=[dict(username="a", instance_id=I1), dict(username="b", instance_id="i-x")]),
     "users[1].instance_id: 'i-x'"),
    ("item without instance to associate", MODULE, dict(state="present", directory_id=DIRECTORY, users=[dict(username="a")]), "missing users[0].instance_id"),
    ("single user without instance to associate", MODULE, dict(state="present", username="alice", directory_id=DIRECTORY),
     "missing instance_id: needed to name user 'alice'"),
    ("item without product to start", SUBS, dict(state="present", users=[dict(username="a", directory_id=DIRECTORY)]), "missing users[0].product"),
    ("item with both identity options", MODULE,
     dict(state="absent", users=[dict(username="a", instance_id=I1, directory_id=DIRECTORY,
                                      identity_provider={"active_directory_identity_provider": {"directory_id": DIRECTORY}})]),
     "users[0]: parameters are mutually exclusive: directory_id|identity_provider"),
    ("unknown key in an item's identity provider", MODULE,
     dict(state="absent", users=[dict(username="a", instance_id=I1, identity_provider={"active_directory_identity_provider": {"bogus": 1}})]),
     "unsupported parameters: users[0].identity_provider.active_directory_identity_provider.bogus"),
    ("item with username and ARN", MODULE, dict(state="absent", users=[dict(username="a", instance_user_arn=ARN)]),
     "users[0]: parameters are mutually exclusive: username|instance_user_arn"),
    ("concurrency of the wrong type", MODULE, dict(GOOD, concurrency="many"), "concurrency"),
    ("concurrency out of range", MODULE, dict(GOOD, concurrency=0), "concurrency: must be between 1 and 64, got 0"),
    ("zero wait_timeout", MODULE, dict(GOOD, wait_timeout=0), "wait_timeout: must be at least 1 second, got 0"),
    ("unknown state", MODULE, dict(GOOD, state="gone"), "state"),
    ("product ARN with present", SUBS,
     dict(state="present", product_user_arn=ARN.replace("instance-user", "product-user")), "product_user_arn: only valid with state=absent"),
    ("product missing", SUBS, dict(state="present", username="alice", directory_id=DIRECTORY), "missing product"),
]


@pytest.fixture
def refused(shared_run):
    """Every case of CASES as a task of one playbook, against one emulator (conftest.shared_run)."""
    seed = base_seed(instances=1, associations=[dict(instance_id=I1, username="alice", domain=DOMAIN)])
    return shared_run("bad-input", seed, lambda ansible: ansible.each_task({name: {module: args} for name, module, args, _needle in CASES}))


@pytest.mark.parametrize("name,needle", [pytest.param(case[0], case[3], id=case[0]) for case in CASES])
def test_bad_input_is_refused_before_any_api_call(refused, name, needle):
    result = refused["results"][name]
    assert result.get("failed") is True, result
    assert needle in result["msg"], result["msg"]
    assert refused["log"] == []


def test_ten_thousand_items_in_one_task(lmus_emulator_factory, ansible_factory):
    instances, per_instance = 50, 200
    associations = [dict(instance_id=instance_id(n), username=f"user{k}", domain=DOMAIN) for n in range(1, instances + 1) for k in range(0, per_instance, 2)]
    emulator = lmus_emulator_factory(seed=base_seed(instances=instances, associations=associations), page_size=100)
    items = [dict(username=f"user{k}", instance_id=instance_id(n)) for n in range(1, instances + 1) for k in range(per_instance)]
    task = {"name": "big", MODULE: dict(state="absent", directory_id=DIRECTORY, domain=DOMAIN, users=items), "register": "r"}
    run = ansible_factory(emulator).playbook([task], check=True)
    assert run.rc == 0, run.stdout[-2000:]
    assert run.last["summary"] == dict(total=10000, changed=5000, unchanged=5000, failed=0)
    assert len(emulator.calls(operation="ListUserAssociations")) == instances  # 100 records per instance: one page each
    assert emulator.calls(write=True) == []


def test_repeated_items_in_a_large_list_are_written_once(lmus_emulator_factory, ansible_factory):
    associations = [dict(instance_id=I1, username=f"user{k}", domain=DOMAIN) for k in range(20)]
    emulator = lmus_emulator_factory(seed=base_seed(instances=1, associations=associations))
    items = [dict(username=f"user{k % 20}") for k in range(100)]
    task = {"name": "repeats", MODULE: dict(state="absent", directory_id=DIRECTORY, instance_id=I1, users=items), "register": "r"}
    run = ansible_factory(emulator).playbook([task])
    assert run.rc == 0
    assert len(emulator.calls(write=True)) == 20
    assert len(run.last["results"]) == 100 and run.last["summary"]["changed"] == 20
    assert len(run.last["warnings"]) == 80 and "users[20] repeats users[0]" in run.last["warnings"][0]
