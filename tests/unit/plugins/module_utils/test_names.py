# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

import pytest

from ansible_collections.lmus.user_subscriptions.plugins.module_utils.names import name_key


def one_character_at_a_time(name):
    """The rule name_key follows, spelled out: each character upper-cased only where that gives one character."""
    return "".join(upper if len(upper := char.upper()) == 1 else char for char in name)


def test_ascii_names_follow_the_same_rule_as_any_other():
    ascii_chars = "".join(chr(n) for n in range(128))
    assert name_key(ascii_chars) == one_character_at_a_time(ascii_chars)
    for name in ["jdoe", "JDoe", "o'brien", "Jane Doe", "leaver0001", "a.b-c_d@corp", ""]:
        assert name_key(name) == one_character_at_a_time(name)


@pytest.mark.parametrize("a,b,same", [
    ("jdoe", "JDOE", True),
    ("zoë", "ZOË", True),
    ("strauss", "strauß", False),  # case folding would make them one; Active Directory does not
    ("kelvin", "\u212aelvin", False),  # the Kelvin sign
    ("ﬃ", "FFI", False),  # a ligature upper-cases to three characters: kept as it is
])
def test_names_are_one_key_only_when_active_directory_holds_them_for_one_account(a, b, same):
    assert (name_key(a) == name_key(b)) is same
    assert name_key(a) == one_character_at_a_time(a)
