# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The task's msg when a run may touch several records: per user, in one line; and single mode's result when the user is looked for."""

import pytest

from ansible_collections.lmus.user_subscriptions.plugins.module_utils.converge import Outcome
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.converge import converge
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.items import Item
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.items import parse_items
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.locate import Entry
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.locate import locate_instance_users
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.resources import ASSOCIATIONS
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.resources import SUBSCRIPTIONS
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.results import exit_with_results
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.results import failure_code
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.summary_line import MSG_USERS
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.summary_line import outcome_line

from ansible_collections.lmus.user_subscriptions.tests.unit.plugins.module_utils.fakes import IDP
from ansible_collections.lmus.user_subscriptions.tests.unit.plugins.module_utils.fakes import FakeClient
from ansible_collections.lmus.user_subscriptions.tests.unit.plugins.module_utils.fakes import association
from ansible_collections.lmus.user_subscriptions.tests.unit.plugins.module_utils.fakes import client_error

I1, I2, I3 = (f"i-0123456789abcdef{n}" for n in range(1, 4))
PARAMS = dict(users=None, username=None, domain=None, instance_id=None, instance_user_arn=None, directory_id=None, identity_provider=None,
              tags=None, concurrency=4, wait=True, wait_timeout=300, state="absent")


class Exited(Exception):
    def __init__(self, result):
        super().__init__(result.get("msg"))
        self.result = result


class FakeModule:
    """What exit_with_results uses of an AnsibleAWSModule; exit_json and fail_json raise Exited with the result."""

    no_log = False

    def __init__(self, params, check_mode=False, diff=False):
        self.params, self.check_mode, self._diff = params, check_mode, diff
        self.warnings = []

    def warn(self, message):
        self.warnings.append(message)

    def exit_json(self, **result):
        raise Exited(dict(result, failed=False))

    def fail_json(self, **result):
        raise Exited(dict(result, failed=True))


def world():
    """alice on I1 and I3 and gone from I2; bob on I3; carol stays."""
    records = [association("alice", I1, n=1), association("alice", I2, status="DISASSOCIATED", n=2), association("alice", I3, n=3),
               association("bob", I3, n=4), association("carol", I1, n=5)]
    return FakeClient(records, instances=[dict(InstanceId=i, IdentityProvider=IDP) for i in (I1, I2, I3)])


def run_module(client, check_mode=False, diff=False, **params):
    """The write module's main() for lmus_instance_user, on a fake client; the result it exits with."""
    module = FakeModule(dict(PARAMS, **params), check_mode, diff)
    items, repeats = parse_items(module.params, ASSOCIATIONS)
    outcomes = converge(client, ASSOCIATIONS, module.params["state"], locate_instance_users(client, items, 4), check_mode, 4)
    with pytest.raises(Exited) as exited:
        exit_with_results(module, ASSOCIATIONS, outcomes, repeats)
    return exited.value.result


def line(outcomes, resource=ASSOCIATIONS, check_mode=False):
    return outcome_line(resource, outcomes, check_mode, failure_code)


def test_batch_msg_says_per_user_what_happened_where():
    result = run_module(world(), users="alice,bob,nobody")
    assert result["msg"] == f"alice: removed from 2 instances, already absent on instance {I2}; bob: removed from instance {I3}; nobody: not found"
    assert [r["outcome"] for r in result["results"]] == ["removed", "already_absent", "removed", "removed", "not_found"]


def test_check_mode_says_what_would_be_done():
    client = world()
    result = run_module(client, check_mode=True, users=["alice"])
    assert result["msg"] == f"alice: would be removed from 2 instances, already absent on instance {I2}"
    assert client.writes() == []


def test_single_mode_without_instance_returns_batch_results_and_the_record_when_there_is_one():
    client = world()
    everywhere = run_module(client, check_mode=True, diff=True, username="alice")
    assert everywhere["changed"] and everywhere["instance_user"] == {}  # three records: see results
    assert everywhere["summary"] == dict(total=3, changed=2, unchanged=1, failed=0)
    assert [(r["instance_id"], r["outcome"]) for r in everywhere["results"]] == [(I1, "removed"), (I2, "already_absent"), (I3, "removed")]
    assert sorted(everywhere["diff"]["after"]) == [f"alice {I1} corp.example.com", f"alice {I3} corp.example.com"]

    one = run_module(client, username="bob")
    assert one["msg"] == f"bob: removed from instance {I3}"
    assert one["instance_user"]["instance_id"] == I3 and one["instance_user"]["status"] == "DISASSOCIATED"
    assert [c[1]["InstanceUserArn"][-1] for c in client.writes()] == ["4"]

    on_one_instance = run_module(client, username="alice", instance_id=I1)  # no directory: the instance's own, from ListInstances
    assert on_one_instance["msg"] == f"alice: removed from instance {I1}" and on_one_instance["instance_user"]["instance_id"] == I1
    assert {c[1].get("Filters", [{}])[0].get("Value") for c in client.calls if c[0] == "ListInstances"} >= {I1}

    nowhere = run_module(client, username="nobody")
    assert (nowhere["changed"], nowhere["instance_user"], nowhere["msg"]) == (False, {}, "nobody: not found")


def test_single_mode_naming_its_place_is_unchanged():
    result = run_module(world(), username="alice", instance_id=I1, directory_id="d-1234567890")
    assert "results" not in result and result["instance_user"]["status"] == "DISASSOCIATED"
    assert result["msg"] == f"user 'alice' on instance {I1} was disassociated"


def test_a_failure_is_named_with_its_code_and_the_first_failure_follows():
    client = world()
    client.errors["DisassociateUser"] = [None, "AccessDeniedException"]
    result = run_module(client, users=["alice"])
    assert result["failed"]
    assert result["msg"].startswith(f"alice: removed from instance {I1}, already absent on instance {I2}, failed on instance {I3} (AccessDeniedException); "
                                    "first failure: ")
    assert "AccessDeniedException" in result["msg"].split("first failure: ")[1]


def test_users_with_a_failure_come_first_and_the_rest_are_counted_with_their_failures():
    client = world()
    client.errors["DisassociateUser"] = ["AccessDeniedException"] * 10
    names = [f"u{n:02d}" for n in range(MSG_USERS + 2)] + ["alice", "bob"]
    result = run_module(client, users=names)
    assert result["msg"].startswith(f"alice: already absent on instance {I2}, failed on 2 instances (AccessDeniedException); "
                                    f"bob: failed on instance {I3} (AccessDeniedException); u00: not found; "), result["msg"]
    assert f"; and {len(names) - MSG_USERS} more users (see results); first failure: " in result["msg"]
    few = MSG_USERS - 1
    client = world()
    client.errors["DisassociateUser"] = ["AccessDeniedException"] * 10
    hidden = run_module(client, users=[f"u{n:02d}" for n in range(few)] + ["carol", "alice", "bob"])  # carol removed, alice and bob failed
    assert [part.split(":")[0] for part in hidden["msg"].split("; ")[:4]] == ["carol", "alice", "bob", "u00"]  # the failed first, in the order given


def test_an_unknown_instance_is_named_as_such():
    result = run_module(world(), username="alice", instance_id="i-0123456789abcdef9")
    assert result["msg"] == "alice: instance i-0123456789abcdef9 not listed by ListInstances (an unknown instance ID)"


def test_a_user_who_cannot_be_looked_for_failed():
    client = world()
    client.errors["ListInstances"] = ["AccessDeniedException"] * 10
    result = run_module(client, username="alice")
    assert result["failed"] and result["msg"].startswith("alice: failed (AccessDeniedException); first failure: user 'alice' could not be looked for")


def test_a_repeated_user_is_counted_once():
    result = run_module(world(), users=["bob", "BOB", {"username": "bob", "instance_id": I3}])
    assert result["msg"] == f"bob: removed from instance {I3}"
    assert len(result["results"]) == 3


def test_the_line_names_at_most_a_few_users_and_counts_the_others():
    outcomes = [Outcome(Entry(Item(n, f"users[{n}]", username=f"user{n}", where=I1), None), outcome="removed", changed=True) for n in range(25)]
    text = line(outcomes)
    assert text.count("removed from") == MSG_USERS and text.endswith(f"; and {25 - MSG_USERS} more users (see results)")
    assert text.startswith(f"user0: removed from instance {I1}; user1: ")


def test_subscriptions_are_worded_by_product():
    def outcome(n, product, kind, failed=False):
        done = Outcome(Entry(Item(n, f"users[{n}]", username="jdoe", where=product), None), outcome=kind)
        if failed:
            done.fail(client_error("ThrottlingException", "StopProductSubscription"))
        return done

    outcomes = [outcome(0, "OFFICE_STANDARD", "removed"), outcome(0, "VISUAL_STUDIO_ENTERPRISE", "removed"),
                outcome(1, "REMOTE_DESKTOP_SERVICES", "already_absent"), outcome(2, "OFFICE_PROFESSIONAL_PLUS", "removed", failed=True)]
    assert line(outcomes, SUBSCRIPTIONS) == ("jdoe: unsubscribed from 2 products, already unsubscribed from REMOTE_DESKTOP_SERVICES, "
                                             "failed for OFFICE_PROFESSIONAL_PLUS (ThrottlingException)")
    assert line(outcomes[:1], SUBSCRIPTIONS, check_mode=True) == "jdoe: would be unsubscribed from OFFICE_STANDARD"
    added = [Outcome(Entry(Item(0, "", username="jdoe", where="OFFICE_STANDARD"), None), outcome="added", changed=True)]
    assert line(added, SUBSCRIPTIONS) == "jdoe: subscribed to OFFICE_STANDARD"


def test_an_arn_found_nowhere_is_named_by_its_arn():
    arn = "arn:aws:license-manager-user-subscriptions:us-east-1:123456789012:instance-user/0123456789abcdef"
    outcomes = [Outcome(Entry(Item(0, "users[0]", arn=arn), None), outcome="not_found")]
    assert line(outcomes) == f"{arn}: not found"
