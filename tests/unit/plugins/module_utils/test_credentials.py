# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from ansible_collections.amazon.aws.plugins.module_utils.modules import aws_argument_spec

from ansible_collections.lmus.user_subscriptions.plugins.module_utils.credentials import credential_argument_spec
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.info import info_argument_spec
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.items import write_argument_spec
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.resources import ASSOCIATIONS
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.resources import SUBSCRIPTIONS


def test_session_token_is_amazon_aws_option_also_read_from_aws_security_token():
    ours = credential_argument_spec()["session_token"]
    theirs = aws_argument_spec()["session_token"]
    assert {k: v for k, v in ours.items() if k != "fallback"} == {k: v for k, v in theirs.items() if k != "fallback"}
    assert ours["no_log"] is True
    assert ours["fallback"][1] == ["AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"]
    assert theirs["fallback"][1] == ["AWS_SESSION_TOKEN"]  # what amazon.aws reads; botocore also reads AWS_SECURITY_TOKEN


def test_every_module_takes_it():
    for spec in (write_argument_spec(ASSOCIATIONS), write_argument_spec(SUBSCRIPTIONS), info_argument_spec(), info_argument_spec(product=dict(type="str"))):
        assert spec["session_token"] == credential_argument_spec()["session_token"]
