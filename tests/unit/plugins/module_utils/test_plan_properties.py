# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Property: for any current state and desired set, one run reaches it and a second run has nothing to do."""

from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from ansible_collections.lmus.user_subscriptions.plugins.module_utils.converge import converge
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.items import parse_items
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.locate import locate_instance_users
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.locate import locate_product_subscriptions
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.resources import ASSOCIATIONS
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.resources import ADDING
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.resources import LIVE
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.resources import REMOVED
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.resources import REMOVING
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.resources import SUBSCRIPTIONS
from ansible_collections.lmus.user_subscriptions.tests.unit.plugins.module_utils.fakes import FakeClient
from ansible_collections.lmus.user_subscriptions.tests.unit.plugins.module_utils.fakes import FakeSubscriptionClient
from ansible_collections.lmus.user_subscriptions.tests.unit.plugins.module_utils.fakes import subscription
from ansible_collections.lmus.user_subscriptions.tests.unit.plugins.module_utils.fakes import association

USERS = ["alice", "bob", "carol", "o'brien", "zoë doe", "{{ x }}"]
INSTANCES = ["i-0123456789abcdef0", "i-0123456789abcdef1", "i-01234567"]
DOMAINS = ["corp.example.com", "CORP.example.com", "lab.example.com"]
STATUSES = ["ASSOCIATED", "ASSOCIATING", "DISASSOCIATING", "DISASSOCIATED", "associated"]

records = st.lists(
    st.tuples(st.sampled_from(USERS), st.sampled_from(INSTANCES), st.sampled_from(DOMAINS), st.sampled_from(STATUSES)),
    max_size=20,
)
items = st.lists(
    st.fixed_dictionaries({"username": st.sampled_from(USERS), "instance_id": st.sampled_from(INSTANCES)},
                          optional={"domain": st.sampled_from(DOMAINS)}),
    min_size=1,
    max_size=12,
)


def world(current):
    return FakeClient([association(u, i, status=s, domain=d, n=n) for n, (u, i, d, s) in enumerate(current)], page_size=3)


ABSENT_STATUSES = ASSOCIATIONS.words[REMOVED] + ASSOCIATIONS.words[REMOVING]
PRESENT_STATUSES = ASSOCIATIONS.words[LIVE] + ASSOCIATIONS.words[ADDING]


def converged(resource, locate, client, state, wanted, concurrency, check_mode=False):
    params = dict(state=state, users=wanted, directory_id="d-1234567890", concurrency=concurrency, wait_timeout=300, tags=None)
    items, _repeats = parse_items(params, resource)
    return converge(client, resource, state, locate(client, items, concurrency), check_mode=check_mode, concurrency=concurrency)


def run(client, state, wanted, concurrency):
    return converged(ASSOCIATIONS, locate_instance_users, client, state, wanted, concurrency)


def matching(client, item):
    return [r for r in client.records
            if r["Username"] == item["username"] and r["InstanceId"] == item["instance_id"]
            and ("domain" not in item or (r.get("Domain") or "").lower() == item["domain"].lower())]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(current=records, wanted=items, state=st.sampled_from(["present", "absent"]), concurrency=st.sampled_from([1, 4]))
def test_one_run_reaches_the_desired_state_and_a_second_has_nothing_to_do(current, wanted, state, concurrency):
    client = world(current)
    outcomes = run(client, state, wanted, concurrency)
    assert not any(o.failed for o in outcomes)
    assert sum(o.changed for o in outcomes) <= len(client.writes())  # changed means a write was made for the item
    assert bool(client.writes()) == any(o.changed for o in outcomes)
    for item in wanted:
        found = matching(client, item)
        if state == "absent":
            assert all(r["Status"].upper() in ABSENT_STATUSES for r in found)
        else:
            assert any(r["Status"].upper() in PRESENT_STATUSES for r in found)
    writes = len(client.writes())
    again = run(client, state, wanted, concurrency)
    assert len(client.writes()) == writes
    assert not any(o.changed or o.failed for o in again)


@settings(max_examples=100, deadline=None)
@given(current=records, wanted=items, state=st.sampled_from(["present", "absent"]))
def test_check_mode_predicts_the_change_without_writing(current, wanted, state):
    client = world(current)
    predicted = converged(ASSOCIATIONS, locate_instance_users, client, state, wanted, 1, check_mode=True)
    assert client.writes() == []
    real = run(client, state, wanted, 1)
    predicted_by_index = {o.entry.item.index: o for o in predicted}
    assert all(predicted_by_index[o.entry.item.index].changed for o in real if o.changed)
    assert any(o.changed for o in predicted) == bool(client.writes())


@settings(max_examples=100, deadline=None)
@given(current=records, wanted=items)
def test_no_record_is_written_twice_in_one_run(current, wanted):
    client = world(current)
    run(client, "absent", wanted, 4)
    arns = [c[1].get("InstanceUserArn") for c in client.writes()]
    assert len(arns) == len(set(arns))


PRODUCTS = ["OFFICE_PROFESSIONAL_PLUS", "VISUAL_STUDIO_ENTERPRISE"]
SUB_STATUSES = ["SUBSCRIBED", "UNSUBSCRIBED", "ACTIVE", "INACTIVE", "Subscribed"]

subscription_records = st.lists(
    st.tuples(st.sampled_from(USERS), st.sampled_from(PRODUCTS), st.sampled_from(DOMAINS), st.sampled_from(SUB_STATUSES)),
    max_size=15,
)
subscription_items = st.lists(
    st.fixed_dictionaries({"username": st.sampled_from(USERS), "product": st.sampled_from(PRODUCTS)},
                          optional={"domain": st.sampled_from(DOMAINS)}),
    min_size=1,
    max_size=10,
)


def run_subscriptions(client, state, wanted):
    return converged(SUBSCRIPTIONS, locate_product_subscriptions, client, state, wanted, 3)


@settings(max_examples=120, deadline=None)
@given(current=subscription_records, wanted=subscription_items, state=st.sampled_from(["present", "absent"]))
def test_subscriptions_converge_in_one_run_and_changed_means_written(current, wanted, state):
    client = FakeSubscriptionClient([subscription(u, p, status=s, domain=d, n=n) for n, (u, p, d, s) in enumerate(current)], page_size=2)
    outcomes = run_subscriptions(client, state, wanted)
    assert not any(o.failed for o in outcomes)
    assert sum(o.changed for o in outcomes) <= len(client.writes())
    assert bool(client.writes()) == any(o.changed for o in outcomes)
    for item in wanted:
        found = [r for r in client.records if r["Username"] == item["username"] and r["Product"] == item["product"]
                 and ("domain" not in item or (r.get("Domain") or "").lower() == item["domain"].lower())]
        if state == "absent":
            assert all(r["Status"].upper() in SUBSCRIPTIONS.words[REMOVED] for r in found)
        else:
            assert any(r["Status"].upper() in SUBSCRIPTIONS.words[LIVE] for r in found)
    writes = len(client.writes())
    again = run_subscriptions(client, state, wanted)
    assert len(client.writes()) == writes and not any(o.changed or o.failed for o in again)


@settings(max_examples=100, deadline=None)
@given(current=records, wanted=items, state=st.sampled_from(["present", "absent"]), word=st.sampled_from(["SOMETHING_NEW", "FAILED", ""]))
def test_an_unknown_word_is_never_written_and_fails_its_entry_naming_the_word(current, wanted, state, word):
    client = world(current)
    odd = dict(association(wanted[0]["username"], wanted[0]["instance_id"], status=word, domain=wanted[0].get("domain", DOMAINS[0]), n=99))
    client.records.append(odd)
    outcomes = run(client, state, wanted, 1)
    assert all(c[1].get("InstanceUserArn") != odd["InstanceUserArn"] for c in client.writes())
    mine = [o for o in outcomes if o.entry.item.index == 0]
    if state == "absent" or not any(r["Status"].upper() in PRESENT_STATUSES for r in matching(client, wanted[0])):
        assert all(o.failed and repr(word) in o.msg for o in mine)
