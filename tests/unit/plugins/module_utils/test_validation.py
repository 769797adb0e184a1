# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

import pytest

from ansible_collections.lmus.user_subscriptions.plugins.module_utils import validation
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.identity import build_identity_provider
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.identity import identity_key
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.validation import LmusInputError

ARN = "arn:aws:license-manager-user-subscriptions:us-east-1:123456789012:instance-user/0123456789abcdef"


@pytest.mark.parametrize("value", ["i-01234567", "i-0123456789abcdef0"])
def test_instance_id_accepts_8_and_17_hex_digits(value):
    assert validation.check_instance_id(value, "instance_id") == value


@pytest.mark.parametrize("value", ["i-0123456", "i-0123456789abcdef", "i-0123456789ABCDEF0", "0123456789abcdef0", "i-xyz", "", None, 12])
def test_instance_id_rejects_malformed_values_naming_option_and_value(value):
    with pytest.raises(LmusInputError) as e:
        validation.check_instance_id(value, "users[2].instance_id")
    assert str(e.value).startswith("users[2].instance_id: ")
    assert repr(value) in str(e.value)


@pytest.mark.parametrize("value", ["d-1234567890", "sd-abcdef0123"])
def test_directory_id_accepts_d_and_sd(value):
    assert validation.check_directory_id(value, "directory_id") == value


@pytest.mark.parametrize("value", ["d-123", "x-1234567890", "d-12345678901", "d-ABCDEF0123", ""])
def test_directory_id_rejects_malformed(value):
    with pytest.raises(LmusInputError, match=r"^directory_id: .*not a valid directory ID"):
        validation.check_directory_id(value, "directory_id")


def test_arn_pattern_is_the_service_models():
    assert validation.check_arn(ARN, "instance_user_arn") == ARN
    for bad in ["arn:aws:iam::123456789012:user/x", "not-an-arn", ARN + "/extra/slash", "arn:aws:lmus:us-east-1:1:instance-user"]:
        with pytest.raises(LmusInputError, match="instance_user_arn: "):
            validation.check_arn(bad, "instance_user_arn")


@pytest.mark.parametrize("value", ["", "   ", None])
def test_username_must_be_non_empty(value):
    with pytest.raises(LmusInputError, match="^username: a non-empty user name is required"):
        validation.check_username(value, "username")


def test_unusual_usernames_are_kept_literally():
    for name in ["o'brien", "Jane Doe", "zoë", "{{ lookup('env', 'HOME') }}"]:
        assert validation.check_username(name, "username") == name


def test_directory_id_shortcut_expands_to_the_union():
    assert build_identity_provider("d-1234567890") == {"ActiveDirectoryIdentityProvider": {"DirectoryId": "d-1234567890"}}
    assert build_identity_provider() is None


def test_identity_provider_snake_case_becomes_api_camel_case_without_unset_values():
    provider = build_identity_provider(
        identity_provider=dict(
            active_directory_identity_provider=dict(
                directory_id="sd-abcdef0123",
                active_directory_type="SELF_MANAGED",
                is_shared_active_directory=None,
                active_directory_settings=dict(domain_name="corp.example.com", domain_ipv4_list=["10.0.0.2"], domain_network_settings=None),
            )
        )
    )
    assert provider == {
        "ActiveDirectoryIdentityProvider": {
            "DirectoryId": "sd-abcdef0123",
            "ActiveDirectoryType": "SELF_MANAGED",
            "ActiveDirectorySettings": {"DomainName": "corp.example.com", "DomainIpv4List": ["10.0.0.2"]},
        }
    }


def test_identity_provider_checks_its_directory_id():
    with pytest.raises(LmusInputError, match=r"^users\[1\]\.identity_provider\.active_directory_identity_provider\.directory_id: 'd-1'"):
        build_identity_provider(identity_provider={"active_directory_identity_provider": {"directory_id": "d-1"}}, option_prefix="users[1].")


def test_identity_key_groups_by_directory():
    a = build_identity_provider("d-1234567890")
    b = {"ActiveDirectoryIdentityProvider": {"DirectoryId": "d-1234567890", "ActiveDirectoryType": "AWS_MANAGED"}}
    assert identity_key(a) == identity_key(b) == "d-1234567890"
    assert identity_key(None) is None
