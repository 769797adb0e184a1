# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

import datetime

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


# Hostile input: identifiers are checked whole; user names are strings without control characters.

@pytest.mark.parametrize("check,good", [
    (validation.check_instance_id, "i-04284ea17bdb7dab1"),
    (validation.check_directory_id, "d-1234567890"),
    (validation.check_arn, ARN),
    (validation.check_product, "OFFICE_PROFESSIONAL_PLUS"),
])
@pytest.mark.parametrize("tail", ["\n", "\r\n", "\x00", " ", "\t"])
def test_identifiers_are_matched_whole_so_a_trailing_newline_is_refused(check, good, tail):
    assert check(good, "option") == good
    with pytest.raises(LmusInputError) as e:
        check(good + tail, "option")
    assert str(e.value).startswith(f"option: {good + tail!r} is not a valid ")


@pytest.mark.parametrize("value", ["OFFICE_PROFESSIONAL_PLUS", "VISUAL_STUDIO_ENTERPRISE", "A_NEW_PRODUCT_2030", "Office.Standard-2"])
def test_product_accepts_any_name_of_letters_digits_and_underscores(value):
    assert validation.check_product(value, "product") == value


@pytest.mark.parametrize("value", ["", "OFFICE STANDARD", " OFFICE_STANDARD", "OFFICE\x1bSTANDARD", "OFFICE/STANDARD", None, 3, True])
def test_product_refuses_whitespace_control_characters_and_non_strings(value):
    with pytest.raises(LmusInputError, match=r"^users\[3\]\.product: .* is not a valid product name"):
        validation.check_product(value, "users[3].product")


@pytest.mark.parametrize("value,shown", [
    (True, "true (a YAML boolean)"),
    (False, "false (a YAML boolean)"),
    (83, "83 (a YAML number)"),
    (750, "750 (a YAML number)"),
    (1.5, "1.5 (a YAML number)"),
    ({"name": "leaver0001"}, '{"name": "leaver0001"} (a mapping)'),
    (["leaver0001", "leaver0002"], '["leaver0001", "leaver0002"] (a list)'),
])
def test_username_that_is_not_a_string_is_refused_naming_the_option_the_value_and_the_hint(value, shown):
    with pytest.raises(LmusInputError) as e:
        validation.check_username(value, "users[3].username")
    message = str(e.value)
    assert message.startswith(f"users[3].username: {shown} is not a user name; quote user names in YAML")
    assert '"0123"' in message and "12:30" in message


@pytest.mark.parametrize("value", ["alice\n", "ali\x00ce", "\x1b[31malice", "alice\x7f", "al\u0085ice", "a\tb"])
def test_username_with_control_characters_is_refused(value):
    with pytest.raises(LmusInputError, match=r"^username: .* contains control characters"):
        validation.check_username(value, "username")


def test_domain_with_control_characters_is_refused():
    assert validation.check_domain("corp.example.com", "domain") == "corp.example.com"
    with pytest.raises(LmusInputError, match=r"^users\[1\]\.domain: 'corp.example.com\\n' contains control characters"):
        validation.check_domain("corp.example.com\n", "users[1].domain")


def test_yaml_values_are_shown_as_yaml_writes_them():
    assert validation.describe(None) == "null (YAML null: an empty item or value)"
    assert validation.describe(datetime.date(2024, 1, 2)) == "2024-01-02 (a YAML date)"
    loop = []
    loop.append(loop)
    assert validation.describe(loop) == "[[...]] (a list)"


# Invisible characters: Unicode's line and paragraph separators (Zl, Zp), NEL (Cc) and format characters (Cf).
INVISIBLE = [
    pytest.param("ali\u2028ce", "'\\u2028' LINE SEPARATOR", id="U+2028"),
    pytest.param("ali\u2029ce", "'\\u2029' PARAGRAPH SEPARATOR", id="U+2029"),
    pytest.param("ali\u0085ce", "'\\x85'", id="U+0085"),
    pytest.param("\ufeffalice", "'\\ufeff' ZERO WIDTH NO-BREAK SPACE", id="BOM"),
    pytest.param("ali\u200bce", "'\\u200b' ZERO WIDTH SPACE", id="U+200B"),
    pytest.param("alice\u200e", "'\\u200e' LEFT-TO-RIGHT MARK", id="U+200E"),
    pytest.param("alice\u200f", "'\\u200f' RIGHT-TO-LEFT MARK", id="U+200F"),
    pytest.param("\u202eecila", "'\\u202e' RIGHT-TO-LEFT OVERRIDE", id="U+202E"),
    pytest.param("ali\u2060ce", "'\\u2060' WORD JOINER", id="U+2060"),
    pytest.param("ali\u00adce", "'\\xad' SOFT HYPHEN", id="U+00AD"),
]


@pytest.mark.parametrize("value,shown", INVISIBLE)
def test_username_with_a_line_separator_or_format_character_is_refused_showing_it_escaped(value, shown):
    with pytest.raises(LmusInputError) as e:
        validation.check_username(value, "users[2].username")
    message = str(e.value)
    assert message == (f"users[2].username: {value!r} contains control characters ({shown}); a user name cannot hold characters "
                       "that are not seen (control, format or line-separating characters)")
    assert message.isprintable()  # the character itself never reaches the message: it is shown escaped


@pytest.mark.parametrize("value,shown", INVISIBLE[:5])
def test_domain_with_a_line_separator_or_format_character_is_refused(value, shown):
    with pytest.raises(LmusInputError, match=r"^domain: .* contains control characters"):
        validation.check_domain(f"corp.{value}.com", "domain")


def test_control_characters_are_listed_once_each_and_letters_of_any_script_are_not():
    assert validation.control_characters("a\tb\u200bc\td\u2028") == ["'\\t'", "'\\u200b' ZERO WIDTH SPACE", "'\\u2028' LINE SEPARATOR"]
    for name in ["zoë", "Ødegård", "山田太郎", "Łukasz", "José María", "o'brien", "Jane\u00a0Doe"]:
        assert validation.control_characters(name) == []
        assert validation.check_username(name, "username") == name


@pytest.mark.parametrize("check", [validation.check_username, validation.check_status])
@pytest.mark.parametrize("value,shown", [(None, "null (YAML null: an empty item or value)"), (True, "true (a YAML boolean)"), (83, "83 (a YAML number)")])
def test_an_item_of_a_list_option_that_is_not_a_string_is_refused_even_null(check, value, shown):
    with pytest.raises(LmusInputError) as e:
        validation.check_each([value], "usernames", check)
    assert str(e.value).startswith(f"usernames[0]: {shown} is not a ")
    assert "quote" in str(e.value)


@pytest.mark.parametrize("value", ["", "  ", "ASSO\nCIATED"])
def test_status_must_be_a_non_blank_string_without_control_characters(value):
    with pytest.raises(LmusInputError, match=r"^statuses\[1\]: "):
        validation.check_each(["ASSOCIATED", value], "statuses", validation.check_status)
    assert validation.check_each(["ASSOCIATED", "<unsubscribed>"], "statuses", validation.check_status) == ["ASSOCIATED", "<unsubscribed>"]
