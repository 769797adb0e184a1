# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

import botocore.exceptions
import pytest

from ansible_collections.lmus.user_subscriptions.plugins.module_utils import converge as converging
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.client import LmusError
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.converge import converge
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.items import parse_item
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.items import parse_items
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.locate import locate_instance_users
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.resources import ASSOCIATIONS
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.results import failure_code
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.results import to_result
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.validation import LmusInputError

from ansible_collections.lmus.user_subscriptions.tests.unit.plugins.module_utils.fakes import IDP
from ansible_collections.lmus.user_subscriptions.tests.unit.plugins.module_utils.fakes import FakeClient
from ansible_collections.lmus.user_subscriptions.tests.unit.plugins.module_utils.fakes import association

I1 = "i-0123456789abcdef0"
I2 = "i-0123456789abcdef1"


SINGLE = dict(users=None, username=None, domain=None, instance_id=None, instance_user_arn=None, directory_id=None, identity_provider=None,
              tags=None, concurrency=8, wait=True, wait_timeout=300)


def build(params, state):
    """The items of a single-mode module run with ``params``."""
    items, _repeats = parse_items(dict(SINGLE, **params, state=state), ASSOCIATIONS)
    return items


def run(client, state, items, concurrency=1, **kwargs):
    """Items given as single-mode options, converged together in one run."""
    parsed = [parse_item(n, dict(SINGLE, **item), state, "", item.get("tags"), ASSOCIATIONS) for n, item in enumerate(items)]
    return converge(client, ASSOCIATIONS, state, locate_instance_users(client, parsed, concurrency), concurrency=concurrency, **kwargs)


def item(username="alice", instance_id=I1, **extra):
    return dict(username=username, instance_id=instance_id, directory_id="d-1234567890", **extra)


def test_absent_disassociates_once_then_changes_nothing():
    client = FakeClient([association("alice", I1), association("bob", I1, n=1)])
    [first] = run(client, "absent", [item()])
    assert (first.changed, first.failed) == (True, False)
    assert first.before["Status"] == "ASSOCIATED" and first.after["Status"] == "DISASSOCIATED"
    assert [c[0] for c in client.writes()] == ["DisassociateUser"]
    client.calls.clear()
    [second] = run(client, "absent", [item()])
    assert (second.changed, second.failed) == (False, False)
    assert client.writes() == []
    assert "already absent" in second.msg


def test_check_mode_predicts_without_writing():
    client = FakeClient([association("alice", I1)])
    [outcome] = run(client, "absent", [item()], check_mode=True)
    assert outcome.changed and outcome.after["Status"] == "DISASSOCIATED"
    assert "would be disassociated" in outcome.msg
    assert client.writes() == []
    assert client.records[0]["Status"] == "ASSOCIATED"


def test_read_takes_the_whole_instance_and_follows_pages():
    client = FakeClient([association(f"u{n}", I1, n=n) for n in range(5)] + [association("alice", I1, n=9)], page_size=1)
    run(client, "absent", [item()], check_mode=True)
    reads = [c for c in client.calls if c[0] == "ListUserAssociations"]
    assert all("Filters" not in params for _op, params in reads)  # user names match without regard to case: no Username filter
    assert len(reads) == 6


def test_user_names_match_without_regard_to_case_and_results_keep_the_record_spelling():
    client = FakeClient([association("JDoe", I1)])
    [outcome] = run(client, "absent", [item("jdoe")])
    assert outcome.changed and outcome.entry.item.username == "JDoe"
    assert client.records[0]["Status"] == "DISASSOCIATED"


def test_a_record_without_domain_matches_a_requested_domain():
    client = FakeClient([association("alice", I1, domain=None)])
    [outcome] = run(client, "absent", [item(domain="corp.example.com")])
    assert outcome.changed and len(client.writes()) == 1


def test_domain_is_matched_without_case_and_other_domains_are_untouched():
    client = FakeClient([association("alice", I1, domain="CORP.example.com"), association("alice", I1, domain="lab.example.com", n=1)])
    [outcome] = run(client, "absent", [item(domain="corp.EXAMPLE.com")])
    assert outcome.changed
    assert [r["Status"] for r in client.records] == ["DISASSOCIATED", "ASSOCIATED"]


def test_without_domain_every_domain_of_the_user_is_removed():
    client = FakeClient([association("alice", I1, domain="corp.example.com"), association("alice", I1, domain="lab.example.com", n=1)])
    run(client, "absent", [item()])
    assert [r["Status"] for r in client.records] == ["DISASSOCIATED", "DISASSOCIATED"]
    assert len(client.writes()) == 2


@pytest.mark.parametrize("status,writes", [("DISASSOCIATING", 0), ("DISASSOCIATED", 0), ("ASSOCIATING", 1), ("associated", 1), ("FAILED_SOMEHOW", 0)])
def test_absent_decides_from_status(status, writes):
    client = FakeClient([association("alice", I1, status=status)])
    run(client, "absent", [item()], check_mode=True)
    [outcome] = run(client, "absent", [item()], check_mode=True)
    assert outcome.changed is bool(writes)


@pytest.mark.parametrize("status,changed", [("ASSOCIATED", False), ("ASSOCIATING", False), ("DISASSOCIATED", True), (None, True)])
def test_present_decides_from_status(status, changed):
    client = FakeClient([association("alice", I1, status=status)] if status else [])
    [outcome] = run(client, "present", [item(tags={"team": "ops"})])
    assert outcome.changed is changed
    assert len(client.writes()) == int(changed)
    if changed:
        assert client.writes()[0][1]["Tags"] == {"team": "ops"}
        assert outcome.after["Status"] == "ASSOCIATED"


def test_resource_not_found_on_disassociate_is_already_absent_once_a_read_confirms_it():
    client = FakeClient([association("alice", I1)])
    client.errors["DisassociateUser"] = ["ResourceNotFoundException"]
    original = client.disassociate_user

    def someone_else_got_there_first(**params):
        client.records[0]["Status"] = "DISASSOCIATED"
        return original(**params)

    client.disassociate_user = someone_else_got_there_first
    [outcome] = run(client, "absent", [item()])
    assert (outcome.changed, outcome.failed, outcome.outcome) == (False, False, "already_absent")
    assert "confirmed by reading it back" in outcome.msg and outcome.after["Status"] == "DISASSOCIATED"


def test_resource_not_found_that_a_read_contradicts_fails_with_the_code():
    client = FakeClient([association("alice", I1)])
    client.errors["DisassociateUser"] = ["ResourceNotFoundException"]
    [outcome] = run(client, "absent", [item()])
    assert outcome.failed and not outcome.changed
    assert "ResourceNotFoundException" in outcome.msg and "does not show that (status: ASSOCIATED)" in outcome.msg
    assert [c[0] for c in client.calls].count("ListUserAssociations") == 2  # the first read, and the one that checks the claim


def test_unknown_status_word_is_never_written_and_names_the_word():
    client = FakeClient([association("alice", I1, status="QUARANTINED")])
    [outcome] = run(client, "absent", [item()])
    assert outcome.failed and "'QUARANTINED'" in outcome.msg and client.writes() == []


def test_an_end_date_settles_an_unknown_word_with_a_warning():
    record = dict(association("alice", I1, status="GONE_FOR_GOOD"), DisassociationDate="2026-11-30T10:00:00Z")
    client = FakeClient([record])
    warnings = []
    [outcome] = run(client, "absent", [item()], warn=warnings.append)
    assert (outcome.failed, outcome.changed, outcome.outcome) == (False, False, "already_absent")
    assert client.writes() == [] and "'GONE_FOR_GOOD'" in warnings[0]


def test_a_live_word_with_a_later_start_date_is_live_again():
    record = dict(association("alice", I1), DisassociationDate="2026-11-01T10:00:00Z", AssociationDate="2026-11-20T10:00:00Z")
    client = FakeClient([record])
    [outcome] = run(client, "absent", [item()])
    assert outcome.changed and len(client.writes()) == 1


def test_a_word_learned_from_the_write_answer_settles_the_wait_with_one_warning(monkeypatch):
    monkeypatch.setattr(converging.time, "sleep", lambda s: None)
    client = FakeClient([association("alice", I1), association("bob", I1, n=1)])
    original = client.disassociate_user

    def answer_oddly(**params):
        answer = original(**params)
        answer["InstanceUserSummary"]["Status"] = "REMOVED_OK"
        for record in client.records:
            if record["InstanceUserArn"] == answer["InstanceUserSummary"]["InstanceUserArn"]:
                record["Status"] = "REMOVED_OK"
        return answer

    client.disassociate_user = answer_oddly
    warnings = []
    outcomes = run(client, "absent", [item(), item("bob")], warn=warnings.append)
    assert all(o.changed and not o.failed and o.after["Status"] == "REMOVED_OK" for o in outcomes)
    assert len(warnings) == 1 and "'REMOVED_OK'" in warnings[0]


def test_access_denied_fails_the_item_with_the_code_user_and_instance():
    client = FakeClient([association("alice", I1)])
    client.errors["DisassociateUser"] = ["AccessDeniedException"]
    [outcome] = run(client, "absent", [item()])
    assert outcome.failed
    assert "AccessDeniedException" in outcome.msg and "'alice'" in outcome.msg and I1 in outcome.msg


def test_failed_read_fails_its_group_only():
    client = FakeClient([association("alice", I1), association("bob", I2, n=1)])
    client.errors["ListUserAssociations"] = ["AccessDeniedException"]
    outcomes = run(client, "absent", [item("alice", I1), item("bob", I2)])
    assert [o.failed for o in outcomes].count(True) == 1
    assert [o.changed for o in outcomes].count(True) == 1


def test_reads_once_per_instance_for_many_users():
    client = FakeClient([association(f"u{n}", I1 if n % 2 else I2, n=n) for n in range(10)], page_size=100)
    outcomes = run(client, "absent", [item(f"u{n}", I1 if n % 2 else I2) for n in range(10)], concurrency=4)
    assert all(o.changed for o in outcomes)
    assert len([c for c in client.calls if c[0] == "ListUserAssociations"]) == 2
    assert len(client.writes()) == 10


def test_arn_is_found_through_list_instances_and_disassociated_by_arn():
    records = [association("alice", I2, n=7)]
    instances = [dict(InstanceId=I1, IdentityProvider=IDP), dict(InstanceId=I2, IdentityProvider=IDP)]
    client = FakeClient(records, instances)
    arn = records[0]["InstanceUserArn"]
    [outcome] = run(client, "absent", [dict(instance_user_arn=arn)])
    assert outcome.changed and outcome.entry.item.username == "alice"
    assert client.writes() == [("DisassociateUser", {"InstanceUserArn": arn})]
    client.calls.clear()
    [again] = run(client, "absent", [dict(instance_user_arn=arn)])
    assert not again.changed and client.writes() == []


def test_unknown_arn_is_already_absent():
    client = FakeClient([], [dict(InstanceId=I1, IdentityProvider=IDP)])
    arn = association("x", I1, n=3)["InstanceUserArn"]
    [outcome] = run(client, "absent", [dict(instance_user_arn=arn, instance_id=I1)])
    assert not outcome.changed and not outcome.failed
    assert "no association with ARN" in outcome.msg
    assert client.calls[0] == ("ListInstances", {"Filters": [{"Attribute": "InstanceId", "Operation": "Equals", "Value": I1}]})


def test_wait_polls_until_settled(monkeypatch):
    monkeypatch.setattr(converging.time, "sleep", lambda s: None)
    client = FakeClient([association("alice", I1)])
    client.settle_after_writes = False
    original = client.list_user_associations
    polls = []

    def list_and_settle(**params):
        polls.append(1)
        if len(polls) == 3:
            client.records[0]["Status"] = "DISASSOCIATED"
        return original(**params)

    client.list_user_associations = list_and_settle
    [outcome] = run(client, "absent", [item()])
    assert not outcome.failed and outcome.after["Status"] == "DISASSOCIATED"
    assert len(polls) == 3


def test_wait_times_out_as_a_failure(monkeypatch):
    clock = [0.0]
    monkeypatch.setattr(converging.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(converging.time, "sleep", lambda s: clock.__setitem__(0, clock[0] + s))
    client = FakeClient([association("alice", I1)])
    client.settle_after_writes = False
    [outcome] = run(client, "absent", [item()], wait_timeout=7)
    assert outcome.failed and outcome.changed
    assert "timed out after 7s" in outcome.msg and "DISASSOCIATING" in outcome.msg


@pytest.mark.parametrize(
    "state,params,message",
    [
        ("absent", dict(instance_id=I1, directory_id="d-1234567890"), "^username: "),
        # state=absent without them looks for the user wherever they are (test_user_items.py)
        ("present", dict(username="a", directory_id="d-1234567890"), "^missing instance_id"),
        ("present", dict(username="a", instance_id=I1), "^missing directory_id or identity_provider"),
        ("absent", dict(username="a", instance_id="i-123", directory_id="d-1234567890"), "^instance_id: 'i-123'"),
        ("absent", dict(username="a", instance_id=I1, directory_id="d-12"), "^directory_id: 'd-12'"),
        ("absent", dict(instance_user_arn="arn:bad"), "^instance_user_arn: 'arn:bad'"),
        ("present", dict(instance_user_arn=association("a", I1)["InstanceUserArn"]), "only valid with state=absent"),
        ("absent", dict(username="a", instance_id=I1, directory_id="d-1234567890", tags={"a": "b"}), "^tags: only valid with state=present"),
    ],
)
def test_bad_input_is_refused_naming_the_option(state, params, message):
    with pytest.raises(LmusInputError, match=message):
        build(params, state)


def test_to_result_is_snake_case_or_empty():
    assert to_result(None) == {}
    assert to_result(association("alice", I1))["identity_provider"] == {"active_directory_identity_provider": {"directory_id": "d-1234567890"}}


def test_overlapping_items_share_a_write_and_each_reports_its_own():
    client = FakeClient([association("alice", I1, domain="corp.example.com"), association("alice", I1, domain="lab.example.com", n=1)])
    first, second = run(client, "absent", [item(domain="corp.example.com"), item()])
    assert len(client.writes()) == 2  # one per record, never two for the corp one
    assert first.changed and second.changed  # the second item still removed the lab record itself


def test_an_item_whose_only_write_is_made_by_another_is_unchanged():
    client = FakeClient([association("alice", I1, domain="corp.example.com")])
    first, second = run(client, "absent", [item(), item(domain="corp.example.com")])
    assert len(client.writes()) == 1
    assert first.changed and not second.changed
    assert "the same change is made for" in second.msg


def test_a_race_on_one_record_does_not_hide_the_other_write():
    client = FakeClient([association("alice", I1, domain="corp.example.com"), association("alice", I1, domain="lab.example.com", n=1)])
    client.errors["DisassociateUser"] = ["ResourceNotFoundException"]
    [outcome] = run(client, "absent", [item()])
    assert outcome.changed and not outcome.failed


def test_conflict_on_associate_is_already_present_and_checked_by_the_wait(monkeypatch):
    monkeypatch.setattr(converging.time, "sleep", lambda s: None)
    client = FakeClient([])
    client.errors["AssociateUser"] = ["ConflictException"]
    original = client.list_user_associations
    reads = []

    def list_after_someone_associated(**params):
        reads.append(1)
        if len(reads) == 2:
            client.records.append(association("alice", I1))
        return original(**params)

    client.list_user_associations = list_after_someone_associated
    [outcome] = run(client, "present", [item(domain="corp.example.com")])
    assert not outcome.failed and not outcome.changed
    assert outcome.after["Status"] == "ASSOCIATED" and len(reads) == 2


def test_arn_on_an_unreadable_instance_fails_instead_of_looking_absent():
    records = [association("alice", I2, n=7)]
    client = FakeClient(records, [dict(InstanceId=I1, IdentityProvider=IDP), dict(InstanceId=I2, IdentityProvider=IDP)])
    client.errors["ListUserAssociations"] = ["AccessDeniedException", "AccessDeniedException"]
    [outcome] = run(client, "absent", [dict(instance_user_arn=records[0]["InstanceUserArn"])])
    assert outcome.failed and "could not be looked for" in outcome.msg and "AccessDeniedException" in outcome.msg
    assert client.writes() == []


def test_a_failing_poll_is_named_when_the_wait_times_out(monkeypatch):
    clock = [0.0]
    monkeypatch.setattr(converging.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(converging.time, "sleep", lambda s: clock.__setitem__(0, clock[0] + s))
    client = FakeClient([association("alice", I1)])
    client.settle_after_writes = False
    client.errors["ListUserAssociations"] = [None] + ["AccessDeniedException"] * 20
    [outcome] = run(client, "absent", [item()], wait_timeout=4)
    assert outcome.failed and "the last read failed" in outcome.msg and "AccessDeniedException" in outcome.msg


def test_an_accepted_write_stays_removed_when_the_wait_cannot_confirm_it(monkeypatch):
    clock = [0.0]
    monkeypatch.setattr(converging.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(converging.time, "sleep", lambda s: clock.__setitem__(0, clock[0] + s))
    client = FakeClient([association("alice", I1)])
    client.settle_after_writes = False
    client.errors["ListUserAssociations"] = [None] + ["ExpiredTokenException"] * 20  # the credentials expire while waiting
    [outcome] = run(client, "absent", [item()], wait_timeout=4)
    assert (outcome.outcome, outcome.failed, outcome.changed, outcome.settled) == ("removed", True, True, False)
    assert "ExpiredTokenException" in outcome.msg


def test_a_lost_connection_is_named_as_such():
    lost = LmusError(message="Failed to disassociate", exception=botocore.exceptions.EndpointConnectionError(endpoint_url="http://127.0.0.1:1"))
    assert failure_code(lost) == "EndpointConnectionError"
    assert failure_code(None) is None


def test_a_name_that_only_full_case_folding_would_equate_is_another_person():
    client = FakeClient([association("strauß", I1), association("\u212aelvin", I1, n=1)])
    outcomes = run(client, "absent", [item("strauss"), item("kelvin")])
    assert client.writes() == [] and all(o.outcome == "not_found" for o in outcomes)
