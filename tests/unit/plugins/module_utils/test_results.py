# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Batch results are structured data, one per entry, in input order, repeats included."""

from ansible_collections.lmus.user_subscriptions.plugins.module_utils.converge import Outcome
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.items import Item
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.locate import Entry
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.resources import SUBSCRIPTIONS
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.results import batch_results
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.results import entry_result

from ansible_collections.lmus.user_subscriptions.tests.unit.plugins.module_utils.fakes import client_error
from ansible_collections.lmus.user_subscriptions.tests.unit.plugins.module_utils.fakes import subscription


def outcome(index, **fields):
    item = Item(index, f"users[{index}]", username="jdoe", domain="corp.example.com", where="OFFICE_STANDARD")
    return Outcome(Entry(item, None), **fields)


def test_an_entry_result_says_what_happened_as_data():
    done = outcome(0, outcome="removed", changed=True, msg="m", after=subscription("jdoe", "OFFICE_STANDARD", status="UNSUBSCRIBED"))
    result = entry_result(SUBSCRIPTIONS, done)
    assert {k: result[k] for k in ("username", "product", "domain", "changed", "failed", "outcome", "code", "status", "duplicate_of")} == dict(
        username="jdoe", product="OFFICE_STANDARD", domain="corp.example.com", changed=True, failed=False, outcome="removed", code=None,
        status="UNSUBSCRIBED", duplicate_of=None)
    assert result["product_subscription"]["product_user_arn"].endswith("0" * 32)


def test_a_failure_carries_the_aws_code():
    failed = outcome(0, changed=False)
    failed.fail(client_error("AccessDeniedException", "StopProductSubscription"))
    result = entry_result(SUBSCRIPTIONS, failed)
    assert (result["failed"], result["outcome"], result["code"]) == (True, "failed", "AccessDeniedException")


def test_repeats_get_their_first_items_entries_unchanged_and_named():
    first = outcome(0, outcome="removed", changed=True, msg="was unsubscribed")
    results = batch_results(SUBSCRIPTIONS, [first], {1: 0}, 2)
    assert [(r["changed"], r["outcome"], r["duplicate_of"]) for r in results] == [(True, "removed", None), (False, "removed", "users[0]")]
    assert results[1]["msg"] == "same as users[0]: was unsubscribed"
