# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The info modules: discovery across instances and identity providers, with each filter."""

import pytest
from lmus_emulator.emulator import filter_calls

from harness import DIRECTORY
from harness import DOMAIN
from harness import INSTANCE_USERS_ONLY
from harness import OTHER_DIRECTORY
from harness import instance_id
from harness import speak

INFO = "lmus.user_subscriptions.lmus_instance_user_info"
SUBS_INFO = "lmus.user_subscriptions.lmus_product_subscription_info"


def two_directory_seed():
    """Instances 1-4 under DIRECTORY, 5-6 under OTHER_DIRECTORY; alice everywhere, bob on odd instances."""
    seed = dict(identity_providers=[], instances=[], associations=[], product_subscriptions=[])
    for directory in (DIRECTORY, OTHER_DIRECTORY):
        seed["identity_providers"].append(dict(directory_id=directory, product="OFFICE_PROFESSIONAL_PLUS"))
    for n in range(1, 7):
        directory = DIRECTORY if n <= 4 else OTHER_DIRECTORY
        seed["instances"].append(dict(instance_id=instance_id(n), directory_id=directory, products=["OFFICE_PROFESSIONAL_PLUS"]))
        seed["associations"].append(dict(instance_id=instance_id(n), username="alice", domain=DOMAIN, status="ASSOCIATED" if n != 2 else "DISASSOCIATED"))
        if n % 2:
            seed["associations"].append(dict(instance_id=instance_id(n), username="bob", domain="lab.example.com"))
    for directory in (DIRECTORY, OTHER_DIRECTORY):
        for username, product in (("alice", "OFFICE_PROFESSIONAL_PLUS"), ("alice", "VISUAL_STUDIO_ENTERPRISE"), ("bob", "OFFICE_PROFESSIONAL_PLUS")):
            seed["product_subscriptions"].append(dict(username=username, product=product, directory_id=directory, domain=DOMAIN))
    seed["product_subscriptions"].append(dict(username="carol", product="OFFICE_PROFESSIONAL_PLUS", directory_id=DIRECTORY, domain=DOMAIN,
                                              status="<unsubscribed>"))
    return seed


@pytest.fixture
def info_world(lmus_emulator_factory, vocabulary):
    return lmus_emulator_factory(seed=speak(two_directory_seed(), vocabulary), page_size=2)


def pairs(result):
    return sorted((u["username"], u["instance_id"]) for u in result["instance_users"])


INSTANCE_USER_FILTERS = [
    ({}, [("alice", instance_id(n)) for n in range(1, 7)] + [("bob", instance_id(n)) for n in (1, 3, 5)]),
    ({"usernames": ["bob"]}, [("bob", instance_id(n)) for n in (1, 3, 5)]),
    ({"statuses": ["DISASSOCIATED"]}, [("alice", instance_id(2))]),
    ({"domain": "LAB.example.com"}, [("bob", instance_id(n)) for n in (1, 3, 5)]),
    ({"directory_id": OTHER_DIRECTORY}, [("alice", instance_id(5)), ("alice", instance_id(6)), ("bob", instance_id(5))]),
    ({"instance_ids": [instance_id(3), instance_id(4)]}, [("alice", instance_id(3)), ("alice", instance_id(4)), ("bob", instance_id(3))]),
    ({"instance_ids": [instance_id(1)], "directory_id": DIRECTORY, "usernames": ["alice"], "statuses": ["ASSOCIATED"]}, [("alice", instance_id(1))]),
]
SUBSCRIPTION_FILTERS = [
    ({}, 7),
    ({"directory_id": DIRECTORY}, 4),
    ({"product": "VISUAL_STUDIO_ENTERPRISE"}, 2),
    ({"usernames": ["bob"]}, 2),
    ({"statuses": ["<unsubscribed>"]}, 1),
    ({"statuses": ["<unsubscribed>", "<subscribed>"], "usernames": ["CAROL"]}, 1),
    ({"domain": "other.example.com"}, 0),
]


def filter_params(cases):
    """(n, expected) for each (args, expected) of a case list, with the arguments as the test's id."""
    return [pytest.param(n, expected, id=" ".join(f"{key}={value}" for key, value in args.items()) or "no filter")
            for n, (args, expected) in enumerate(cases)]


@pytest.fixture
def filtered(shared_run, vocabulary):
    """Each filter case of both info modules as a task of one playbook, against one emulator speaking the vocabulary
    (conftest.shared_run); the results hold each case's arguments, in that vocabulary, and its result."""
    cases = {}
    if vocabulary == "aws":  # test_instance_user_info_filters runs under "aws" only (INSTANCE_USERS_ONLY)
        cases.update({f"instance users {n}": (INFO, args) for n, (args, _expected) in enumerate(INSTANCE_USER_FILTERS)})
    cases.update({f"subscriptions {n}": (SUBS_INFO, speak(args, vocabulary)) for n, (args, _expected) in enumerate(SUBSCRIPTION_FILTERS)})

    def make(ansible):
        results = ansible.each_task({name: {module: args} for name, (module, args) in cases.items()})
        return {name: [cases[name][1], result] for name, result in results.items()}

    return shared_run(f"info-filters-{vocabulary}", speak(two_directory_seed(), vocabulary), make, vocabulary=vocabulary, page_size=2)


@INSTANCE_USERS_ONLY
@pytest.mark.parametrize("n,expected", filter_params(INSTANCE_USER_FILTERS))
def test_instance_user_info_filters(filtered, n, expected):
    _args, result = filtered["results"][f"instance users {n}"]
    assert not result.get("failed"), result
    assert result["changed"] is False
    assert pairs(result) == sorted(expected)
    assert filter_calls(filtered["log"], write=True) == []


@INSTANCE_USERS_ONLY
def test_instance_user_info_reads_each_instance_once_with_its_own_identity_provider(info_world, ansible_factory):
    run = ansible_factory(info_world).playbook([{"name": "info", INFO: {}, "register": "r"}])
    assert run.rc == 0
    reads = info_world.calls(operation="ListUserAssociations")
    first_pages = [c for c in reads if "NextToken" not in c["params"]]
    assert len(first_pages) == 6
    seen = {c["params"]["InstanceId"]: c["params"]["IdentityProvider"]["ActiveDirectoryIdentityProvider"]["DirectoryId"] for c in first_pages}
    assert seen == {instance_id(n): DIRECTORY if n <= 4 else OTHER_DIRECTORY for n in range(1, 7)}
    assert [c["params"] for c in info_world.calls(operation="ListInstances") if "NextToken" not in c["params"]] == [{}]


@INSTANCE_USERS_ONLY
def test_instance_user_info_with_ids_and_directory_skips_list_instances(info_world, ansible_factory):
    run = ansible_factory(info_world).playbook([{"name": "info", INFO: {"instance_ids": [instance_id(1)], "directory_id": DIRECTORY}, "register": "r"}])
    assert run.rc == 0 and info_world.calls(operation="ListInstances") == []


@INSTANCE_USERS_ONLY
def test_instance_user_info_reports_a_failing_instance_and_lists_the_rest(info_world, ansible_factory):
    info_world.set_faults({"access_denied_instances": [instance_id(3)]})
    task = {"name": "info", INFO: {"usernames": ["alice"]}, "register": "r", "ignore_errors": True}
    run = ansible_factory(info_world).playbook([task])
    result = run.last
    assert result["failed"] is True
    assert [f["instance_id"] for f in result["failures"]] == [instance_id(3)]
    assert result["failures"][0]["code"] == "AccessDeniedException"
    assert len(result["instance_users"]) == 5


@INSTANCE_USERS_ONLY
def test_instance_user_info_refuses_a_bad_instance_id(info_world, ansible_factory):
    run = ansible_factory(info_world).playbook([{"name": "info", INFO: {"instance_ids": [instance_id(1), "i-nope"]}, "register": "r"}])
    assert run.rc != 0 and "instance_ids[1]: 'i-nope'" in run.last["msg"]
    assert info_world.log == []


@pytest.mark.parametrize("n,expected", filter_params(SUBSCRIPTION_FILTERS))
def test_product_subscription_info_filters(filtered, n, expected):
    args, result = filtered["results"][f"subscriptions {n}"]
    assert not result.get("failed"), result
    assert len(result["product_subscriptions"]) == expected
    for sub in result["product_subscriptions"]:
        for key, wanted in (("usernames", "username"), ("statuses", "status")):
            if key in args:
                assert sub[wanted].casefold() in [value.casefold() for value in args[key]]
        if "product" in args:
            assert sub["product"] == args["product"]


def test_product_subscription_info_reads_every_identity_provider(info_world, ansible_factory):
    run = ansible_factory(info_world).playbook([{"name": "info", SUBS_INFO: {}, "register": "r"}])
    assert run.rc == 0
    directories = {c["params"]["IdentityProvider"]["ActiveDirectoryIdentityProvider"]["DirectoryId"]
                   for c in info_world.calls(operation="ListProductSubscriptions")}
    assert directories == {DIRECTORY, OTHER_DIRECTORY}
    assert [c["params"] for c in info_world.calls(operation="ListIdentityProviders") if "NextToken" not in c["params"]] == [{}]
