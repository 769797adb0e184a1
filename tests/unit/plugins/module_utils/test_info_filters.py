# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The info modules' filters match records as the write modules do."""

import pytest

from ansible_collections.lmus.user_subscriptions.plugins.module_utils.info import keep
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.names import name_key


@pytest.mark.parametrize("record,usernames,statuses,domain,kept", [
    (dict(Username="JDoe", Status="ASSOCIATED", Domain="corp.example.com"), {name_key("jdoe")}, [], None, True),
    (dict(Username="jdoe", Status="associated"), set(), ["ASSOCIATED"], None, True),
    (dict(Username="jdoe", Status="ASSOCIATED"), set(), [], "corp.example.com", True),  # no domain: matches any
    (dict(Username="jdoe", Status="ASSOCIATED", Domain="lab.example.com"), set(), [], "CORP.example.com", False),
    (dict(Username="bob", Status="ASSOCIATED"), {name_key("jdoe")}, [], None, False),
    (dict(Username="strauß", Status="ASSOCIATED"), {name_key("strauss")}, [], None, False),
])
def test_keep(record, usernames, statuses, domain, kept):
    assert keep(record, usernames, statuses, domain) is kept
