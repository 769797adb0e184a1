# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What ad-hoc commands give the write modules: users as user names, and a user without a place."""

import pytest

from ansible_collections.lmus.user_subscriptions.plugins.module_utils.items import parse_items
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.items import write_argument_spec
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.resources import ASSOCIATIONS
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.resources import SUBSCRIPTIONS
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.validation import LmusInputError

I1 = "i-0123456789abcdef0"
DIRECTORY = "d-1234567890"
BASE = dict(users=None, username=None, domain=None, instance_id=None, instance_user_arn=None, product=None, product_user_arn=None,
            directory_id=None, identity_provider=None, tags=None, concurrency=8, wait=True, wait_timeout=300, state="absent")


def parse(resource=ASSOCIATIONS, **params):
    items, _repeats = parse_items(dict(BASE, **params), resource)
    return items


def names(items):
    return [item.username for item in items]


@pytest.mark.parametrize("resource", [ASSOCIATIONS, SUBSCRIPTIONS])
def test_users_is_raw_so_that_ansible_neither_splits_a_yaml_scalar_nor_refuses_user_names(resource):
    # As a list, Ansible would make `users: yes` the list ["True"] and `users: 0123` the list ["83"].
    spec = write_argument_spec(resource)["users"]
    assert spec["type"] == "raw" and "elements" not in spec
    assert set(spec["options"]) == {"username", "domain", "directory_id", "identity_provider", resource.place_option, resource.arn_option}


@pytest.mark.parametrize("users,expected", [
    ("jdoe,bob", ["jdoe", "bob"]),  # -a "state=absent users=jdoe,bob"
    ("jdoe", ["jdoe"]),
    ("jdoe, bob", ["jdoe", "bob"]),  # spaces around a name are dropped
    (["jdoe", "bob"], ["jdoe", "bob"]),  # users: [jdoe, bob]
    (["jdoe", {"username": "bob", "instance_id": I1}], ["jdoe", "bob"]),
    (["0123", "yes"], ["0123", "yes"]),  # quoted in YAML: taken as they are
    ([], []),
])
def test_user_names_stand_for_items_that_name_only_the_user(users, expected):
    items = parse(users=users)
    assert names(items) == expected
    assert all(item.identity_provider is None for item in items) and [item.label for item in items] == [f"users[{n}]" for n in range(len(expected))]


def test_a_user_name_item_takes_the_top_level_defaults():
    [jdoe, bob] = parse(users="jdoe,bob", instance_id=I1, directory_id=DIRECTORY, domain="corp.example.com")
    assert (jdoe.where, jdoe.domain, jdoe.identity_provider) == (I1, "corp.example.com", {"ActiveDirectoryIdentityProvider": {"DirectoryId": DIRECTORY}})
    assert (bob.username, bob.where) == ("bob", I1)


def test_a_repeated_user_name_is_handled_once():
    items, repeats = parse_items(dict(BASE, users=["jdoe", {"username": "JDOE"}, "bob"]), ASSOCIATIONS)
    assert names(items) == ["jdoe", "bob"] and repeats == {1: 0}


@pytest.mark.parametrize("users,message", [
    ([True], "users[0]: true (a YAML boolean) is not a user name; quote user names in YAML"),
    (["jdoe", 83], "users[1]: 83 (a YAML number) is not a user name; quote user names in YAML"),
    (["jdoe", "bob", None], "users[2]: null (YAML null: an empty item or value) is not a user name; quote user names in YAML"),
    ([["jdoe", "bob"]], 'users[0]: ["jdoe", "bob"] (a list) is not a user name'),
    ([1.5], "users[0]: 1.5 (a YAML number) is not a user name"),
    ("jdoe,,bob", "users[1]: a non-empty user name is required, got ''"),
    ("jdoe,bob,", "users[2]: a non-empty user name is required, got ''"),
    (["jdoe", "bob\n"], "users[1]: 'bob\\n' contains control characters ('\\n')"),
    (True, "users: true (a YAML boolean) is not a list of users"),
    (83, "users: 83 (a YAML number) is not a list of users"),
    ({"username": "jdoe"}, 'users: {"username": "jdoe"} (a mapping) is not a list of users'),
    # A list written in key=value form (users=[jdoe,bob]) reaches the module as one string: never names such as '[jdoe'.
    ("[jdoe,bob]", "users: '[jdoe,bob]' holds [ or ], which no user name holds"),
    ('["jdoe","bob"]', "users: '[\"jdoe\",\"bob\"]' holds [ or ]"),
])
def test_items_that_are_neither_user_names_nor_mappings_are_refused_naming_position_and_value(users, message):
    with pytest.raises(LmusInputError) as e:
        parse(users=users)
    assert str(e.value).startswith(message), str(e.value)


@pytest.mark.parametrize("item,message", [
    (dict(username="a", colour="blue"), "unsupported parameters: users[1].colour. Supported parameters include: "),
    (dict(username="a", directory_id=DIRECTORY, identity_provider={"active_directory_identity_provider": {"directory_id": DIRECTORY}}),
     "users[1]: parameters are mutually exclusive: directory_id|identity_provider"),
    (dict(username="a", instance_user_arn="arn:aws:x:y:z:w:instance-user/1"), "users[1]: parameters are mutually exclusive: username|instance_user_arn"),
    (dict(username="a", identity_provider={"active_directory_identity_provider": {"bogus": 1}}),
     "unsupported parameters: users[1].identity_provider.active_directory_identity_provider.bogus."),
    (dict(username="a", identity_provider={"active_directory_identity_provider": {"active_directory_type": "NEW"}}),
     "users[1]: value of active_directory_type must be one of: SELF_MANAGED, AWS_MANAGED, got: NEW"),
    (dict(username="a", instance_id="i-x"), "users[1].instance_id: 'i-x' is not a valid EC2 instance ID"),
    (dict(username=True), "users[1].username: true (a YAML boolean) is not a user name"),
])
def test_mapping_items_are_checked_against_the_item_options(item, message):
    with pytest.raises(LmusInputError) as e:
        parse(users=["jdoe", item])
    assert message in str(e.value), str(e.value)


def test_a_mapping_item_is_converted_as_its_options_say():
    provider = {"active_directory_identity_provider": {"directory_id": DIRECTORY, "is_shared_active_directory": "yes"}}
    [item] = parse(users=[dict(username="a", identity_provider=provider)])
    assert item.identity_provider == {"ActiveDirectoryIdentityProvider": {"DirectoryId": DIRECTORY, "IsSharedActiveDirectory": True}}


@pytest.mark.parametrize("resource,params", [
    (ASSOCIATIONS, dict(username="jdoe")),
    (ASSOCIATIONS, dict(username="jdoe", instance_id=I1)),
    (ASSOCIATIONS, dict(username="jdoe", directory_id=DIRECTORY)),
    (SUBSCRIPTIONS, dict(username="jdoe")),
    (SUBSCRIPTIONS, dict(username="jdoe", product="OFFICE_STANDARD")),
])
def test_a_single_user_to_remove_may_leave_out_the_place_and_the_identity_provider(resource, params):
    [item] = parse(resource, **params)
    assert (item.username, item.label, item.where) == ("jdoe", "", params.get(resource.place_option))


@pytest.mark.parametrize("resource,params,message", [
    (ASSOCIATIONS, dict(username="jdoe"), "missing instance_id and directory_id or identity_provider: needed to name user 'jdoe'"),
    (ASSOCIATIONS, dict(username="jdoe", directory_id=DIRECTORY), "missing instance_id: needed to name user 'jdoe'"),
    (SUBSCRIPTIONS, dict(username="jdoe", directory_id=DIRECTORY), "missing product: needed to name user 'jdoe'"),
    (ASSOCIATIONS, dict(users="jdoe", directory_id=DIRECTORY), "missing users[0].instance_id: needed to name user 'jdoe'"),
])
def test_a_user_to_add_still_needs_the_place_and_the_identity_provider(resource, params, message):
    with pytest.raises(LmusInputError, match="^" + message.replace("[", r"\[").replace("]", r"\]")):
        parse(resource, state="present", **params)
