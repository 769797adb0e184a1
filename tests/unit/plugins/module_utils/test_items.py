# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The write modules' input: hostile values are refused by parse_items, naming the option and the value."""

import pytest

from ansible_collections.lmus.user_subscriptions.plugins.module_utils.items import parse_items
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.items import write_argument_spec
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.resources import ASSOCIATIONS
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.resources import SUBSCRIPTIONS
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.validation import LmusInputError

I1 = "i-04284ea17bdb7dab1"
BASE = dict(users=None, username=None, domain=None, instance_id=None, instance_user_arn=None, product=None, product_user_arn=None,
            directory_id="d-1234567890", identity_provider=None, tags=None, concurrency=8, wait=True, wait_timeout=300, state="absent")


def parse(resource=ASSOCIATIONS, **params):
    return parse_items(dict(BASE, **params), resource)


def batch(*usernames, **params):
    return parse(users=[dict(username=name) for name in usernames], **params)


@pytest.mark.parametrize("resource", [ASSOCIATIONS, SUBSCRIPTIONS])
def test_username_is_raw_in_the_argument_spec_so_ansible_cannot_turn_it_into_a_string(resource):
    spec = write_argument_spec(resource)
    assert spec["username"]["type"] == "raw"
    assert spec["users"]["options"]["username"]["type"] == "raw"


@pytest.mark.parametrize("value,shown", [(True, "true (a YAML boolean)"), (83, "83 (a YAML number)"), ({"name": "a"}, '{"name": "a"} (a mapping)'),
                                         (["a", "b"], '["a", "b"] (a list)')])
def test_a_username_that_is_not_a_string_is_refused_in_single_and_batch_mode(value, shown):
    with pytest.raises(LmusInputError, match=r"^username: " + shown.replace("[", r"\[").replace("(", r"\(").replace(")", r"\)")):
        parse(username=value, instance_id=I1)
    with pytest.raises(LmusInputError) as e:
        batch("alice", "bob", "carol", value)
    assert str(e.value).startswith(f"users[3].username: {shown} is not a user name; quote user names in YAML")


def test_a_null_username_in_an_item_is_missing():
    with pytest.raises(LmusInputError, match=r"^users\[1\]\.username: a non-empty user name is required, got None"):
        batch("alice", None)


@pytest.mark.parametrize("name", ["alice\n", "al\x00ice", "\x1b]0;x\x07alice"])
def test_a_username_with_control_characters_is_refused(name):
    with pytest.raises(LmusInputError, match=r"^users\[1\]\.username: .* contains control characters"):
        batch("bob", name)


def test_identifiers_with_a_trailing_newline_are_refused():
    with pytest.raises(LmusInputError, match=r"^instance_id: 'i-04284ea17bdb7dab1\\n' is not a valid EC2 instance ID"):
        parse(username="alice", instance_id=I1 + "\n")
    with pytest.raises(LmusInputError, match=r"^users\[0\]\.directory_id: 'd-1234567890\\n'"):
        parse(users=[dict(username="alice", directory_id="d-1234567890\n")])
    with pytest.raises(LmusInputError, match=r"^users\[0\]\.product: 'OFFICE_STANDARD\\n' is not a valid product name"):
        parse(SUBSCRIPTIONS, users=[dict(username="alice", product="OFFICE_STANDARD\n")])
    with pytest.raises(LmusInputError, match=r"^domain: 'corp.example.com\\n' contains control characters"):
        parse(username="alice", instance_id=I1, domain="corp.example.com\n")


def test_a_product_the_model_does_not_list_is_passed_on_with_a_warning():
    warnings = []
    items, _repeats = parse_items(dict(BASE, users=[dict(username="alice", product="A_NEW_PRODUCT")]), SUBSCRIPTIONS, warnings.append)
    assert [item.where for item in items] == ["A_NEW_PRODUCT"]
    assert len(warnings) == 1 and "A_NEW_PRODUCT" in warnings[0]
