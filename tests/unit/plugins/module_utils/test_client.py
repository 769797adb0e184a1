# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Paginated reads stop on a NextToken seen before and on the page cap; writes leave unset members out."""

import pytest

from ansible_collections.lmus.user_subscriptions.plugins.module_utils import client as client_utils
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.client import LmusError
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.client import list_all
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.client import write


class Pages:
    """A client whose paginator answers the given tokens, one page each, and counts the pages read."""

    def __init__(self, tokens):
        self.tokens = tokens
        self.read = 0

    def get_paginator(self, _operation):
        return self

    def paginate(self, **_params):
        for token in self.tokens:
            self.read += 1
            yield {"Items": [self.read], **({"NextToken": token} if token else {})}


def test_every_page_is_read_until_there_is_no_token():
    pages = Pages(["a", "b", None])
    assert list_all(pages, "list_things", "Items", "list things") == [1, 2, 3]


@pytest.mark.parametrize("tokens,read", [(["a", "a", "a", "a"], 2), (["a", "b", "a", "b", "a"], 3)])
def test_a_token_seen_before_stops_the_read_at_once(tokens, read):
    pages = Pages(tokens)
    with pytest.raises(LmusError, match="Failed to list things: the service returned a NextToken it had returned before"):
        list_all(pages, "list_things", "Items", "list things")
    assert pages.read == read


def test_the_page_cap_bounds_any_read(monkeypatch):
    monkeypatch.setattr(client_utils, "MAX_PAGES", 5)
    pages = Pages([f"t{n}" for n in range(100)])
    with pytest.raises(LmusError, match="more than 5 pages"):
        list_all(pages, "list_things", "Items", "list things")
    assert pages.read == 5


class Writer:
    def __init__(self):
        self.params = None

    def do_it(self, **params):
        self.params = params
        return {"Summary": {"Status": "DONE"}}


def test_a_write_leaves_unset_members_out_and_returns_its_summary():
    writer = Writer()
    assert write(writer, "do_it", "do it", "Summary", Username="a", Domain=None, Tags={}, Product="") == {"Status": "DONE"}
    assert writer.params == {"Username": "a"}


class Stop(Exception):
    """What the fake module's fail_json raises, with what it was given."""


class FakeModule:
    def __init__(self, **params):
        self.params = dict(dict.fromkeys(("access_key", "secret_key", "session_token", "profile", "region", "endpoint_url", "aws_ca_bundle",
                                          "aws_config"), None), validate_certs=True, **params)

    def fail_json(self, **kwargs):
        raise Stop(kwargs)

    def fail_json_aws(self, exception, msg=None):
        raise Stop(dict(msg=msg, exception=exception))


class Found:
    """botocore credentials that fail (or not) when they are first got, as an assume-role profile's are."""

    def __init__(self, error=None):
        self.error = error
        self.got = 0

    def get_frozen_credentials(self):
        self.got += 1
        if self.error:
            raise self.error
        return ("key", "secret", "token")


def test_a_profile_whose_role_cannot_be_assumed_stops_before_any_call(monkeypatch):
    from botocore.exceptions import ClientError  # pylint: disable=import-outside-toplevel
    denied = ClientError({"Error": {"Code": "AccessDenied", "Message": "not authorized to perform: sts:AssumeRole"}}, "AssumeRole")
    found = Found(denied)
    monkeypatch.setattr(client_utils.boto3.session, "Session", lambda profile_name=None: type("S", (), {"get_credentials": lambda self: found})())
    with pytest.raises(Stop) as stopped:
        client_utils.require_credentials(FakeModule(profile="offboard-3", region="eu-west-1"))
    assert stopped.value.args[0]["msg"] == "could not get AWS credentials for profile offboard-3, nothing was called"
    assert stopped.value.args[0]["exception"] is denied and found.got == 1


def test_credentials_that_can_be_got_pass(monkeypatch):
    found = Found()
    monkeypatch.setattr(client_utils.boto3.session, "Session", lambda profile_name=None: type("S", (), {"get_credentials": lambda self: found})())
    client_utils.require_credentials(FakeModule(profile="offboard-3", region="eu-west-1"))
    assert found.got == 1
    monkeypatch.setattr(client_utils.boto3.session, "Session", lambda profile_name=None: type("S", (), {"get_credentials": lambda self: None})())
    with pytest.raises(Stop) as stopped:
        client_utils.require_credentials(FakeModule(region="eu-west-1"))
    assert stopped.value.args[0]["msg"] == client_utils.NO_CREDENTIALS
