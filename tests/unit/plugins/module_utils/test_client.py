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
