# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The offboard playbook and role, run as an operator runs them, against the emulator."""

import json
import os
import stat

import pytest

from harness import DIRECTORY
from harness import DOMAIN
from harness import OTHER_DIRECTORY
from harness import instance_id
from harness import run_offboard
from harness import speak
from harness import words

# The vocabularies differ in the emulator's status words, which these tests do not turn on: one is enough here
# (test_service_fidelity.py, test_wherever_found.py and test_product_subscription.py run under each).
VOCABULARIES = ("aws",)

DEPARTING = ["alice", "bob", "nobody"]
STAYING = ["carol", "dave"]
DENIED = instance_id(4)


def seed():
    """Four instances over two directories; alice everywhere, bob on two, carol and dave stay."""
    data = dict(identity_providers=[], instances=[], associations=[], product_subscriptions=[])
    for n in range(1, 5):
        directory = DIRECTORY if n <= 3 else OTHER_DIRECTORY
        data["instances"].append(dict(instance_id=instance_id(n), directory_id=directory, products=["OFFICE_PROFESSIONAL_PLUS"]))
        data["associations"].append(dict(instance_id=instance_id(n), username="alice", domain=DOMAIN))
        data["associations"].append(dict(instance_id=instance_id(n), username="carol", domain=DOMAIN))
    data["associations"].append(dict(instance_id=instance_id(1), username="bob", domain=DOMAIN))
    data["associations"].append(dict(instance_id=instance_id(2), username="bob", domain=DOMAIN, status="DISASSOCIATED"))
    data["associations"].append(dict(instance_id=instance_id(3), username="dave", domain=DOMAIN))
    for directory in (DIRECTORY, OTHER_DIRECTORY):
        for username in ("alice", "carol"):
            data["product_subscriptions"].append(dict(username=username, product="OFFICE_PROFESSIONAL_PLUS", directory_id=directory, domain=DOMAIN))
    data["product_subscriptions"].append(dict(username="bob", product="VISUAL_STUDIO_PROFESSIONAL", directory_id=DIRECTORY, domain=DOMAIN))
    data["product_subscriptions"].append(dict(username="bob", product="OFFICE_PROFESSIONAL_PLUS", directory_id=DIRECTORY, domain=DOMAIN,
                                              status="<unsubscribed>"))
    return data


@pytest.fixture
def org(lmus_emulator_factory, vocabulary):
    return lmus_emulator_factory(seed=speak(seed(), vocabulary), page_size=3)


def live(emulator, usernames):
    """The associations and subscriptions of these users that still cost money."""
    state, said = emulator.state_dump(), words(emulator)
    assoc = [(a["username"], a["instance_id"]) for a in state["associations"] if a["username"] in usernames and a["status"] != said["disassociated"]]
    subs = [(s["username"], s["product"], s["directory_id"]) for s in state["product_subscriptions"]
            if s["username"] in usernames and s["status"] == said["subscribed"]]
    return sorted(assoc), sorted(subs)


def report_of(run):
    return run.task("Set the report fact")["ansible_facts"]["offboard_report"]


@pytest.mark.smoke
def test_dry_run_then_real_run_then_rerun(org, ansible_factory, tmp_path):
    ansible = ansible_factory(org)
    before_staying = live(org, STAYING)
    path = tmp_path / "report.json"
    departing = dict(offboard_usernames=DEPARTING, offboard_report_path=str(path))

    dry = run_offboard(ansible, departing, check=True)
    assert dry.rc == 0, dry.stdout[-3000:]
    assert dry.warnings() == []
    assert org.calls(write=True) == []
    # Discovery happens inside the two write modules: one ListInstances, each instance and identity provider read once.
    first_pages = [c["operation"] for c in org.calls() if "NextToken" not in c["params"]]
    assert sorted(set(first_pages)) == ["ListIdentityProviders", "ListInstances", "ListProductSubscriptions", "ListUserAssociations"]
    assert (first_pages.count("ListInstances"), first_pages.count("ListUserAssociations")) == (1, 4)
    assert (first_pages.count("ListIdentityProviders"), first_pages.count("ListProductSubscriptions")) == (1, 2)
    dry_report = report_of(dry)
    assert dry_report["dry_run"] is True
    assert dry_report["counts"] == dict(disassociated=5, unsubscribed=3, already_absent=2, not_found=1, failed=0, unsettled=0,
                                        unknown_instance_ids=0, not_checked=0)
    assert json.loads(path.read_text())["dry_run"] is True

    org.clear_log()
    real = run_offboard(ansible, departing, env={"ANSIBLE_SHOW_CUSTOM_STATS": "1"})
    assert real.rc == 0, real.stdout[-3000:]
    assert real.warnings() == []
    report = report_of(real)
    assert report["dry_run"] is False
    assert report["counts"] == dry_report["counts"]
    assert sorted((r["username"], r["instance_id"]) for r in report["disassociated"]) == sorted(
        [("alice", instance_id(n)) for n in range(1, 5)] + [("bob", instance_id(1))])
    assert sorted((r["username"], r["product"]) for r in report["unsubscribed"]) == sorted(
        [("alice", "OFFICE_PROFESSIONAL_PLUS"), ("alice", "OFFICE_PROFESSIONAL_PLUS"), ("bob", "VISUAL_STUDIO_PROFESSIONAL")])
    assert report["not_found"] == [{"username": "nobody"}]
    assert live(org, DEPARTING) == ([], [])
    assert live(org, STAYING) == before_staying
    writes = org.calls(write=True)
    assert len(writes) == 8 and all(w["error"] is None for w in writes)
    assert {w["operation"] for w in writes} == {"DisassociateUser", "StopProductSubscription"}
    on_disk = json.loads(path.read_text())
    assert on_disk["counts"] == report["counts"] and on_disk["dry_run"] is False
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    summary = real.task("Show the summary")["msg"]
    assert summary[0].startswith("Offboarding of 3 user(s): 5 association(s) removed, 3 subscription(s) stopped")
    assert f"  {instance_id(1)}: 2 disassociated" in summary
    assert real.report.get("global_custom_stats", {}).get("offboard_published_report", {}).get("counts") == report["counts"]
    assert real.report["stats"]["localhost"]["changed"] == 2  # the two write steps: what AWX shows as "changed"

    org.clear_log()
    rerun = run_offboard(ansible, departing)
    assert rerun.rc == 0
    assert rerun.warnings() == []
    assert org.calls(write=True) == []
    assert rerun.report["stats"]["localhost"]["changed"] == 0
    assert all(not r.get("changed") for r in rerun.results() if r.get("action", "").startswith("lmus.user_subscriptions.lmus_"))
    again = report_of(rerun)
    assert again["counts"]["disassociated"] == 0 and again["counts"]["unsubscribed"] == 0
    assert again["counts"]["already_absent"] == 10  # the 8 removed plus the 2 that were already gone


def test_access_denied_instance_lands_in_failed_and_the_rest_is_done(org, ansible_factory, tmp_path):
    org.set_faults({"access_denied_instances": [DENIED]})
    path = tmp_path / "report.json"
    run = run_offboard(ansible_factory(org), dict(offboard_usernames=DEPARTING, offboard_report_path=str(path)))
    assert run.rc != 0
    # One failure per departing user: each may hold an association on the instance that could not be read;
    # and each keeps their product subscriptions (AWS refuses to stop them while they may be associated).
    assert "Offboarding had 6 failure(s)" in run.last["msg"]
    report = json.loads(path.read_text())
    assert report["counts"]["failed"] == 6
    denied = [f for f in report["failed"] if f["code"] == "AccessDeniedException"]
    kept = [f for f in report["failed"] if f["code"] is None]
    assert [f["username"] for f in denied] == DEPARTING and {f["instance_id"] for f in denied} == {DENIED}
    assert [(f["username"], f["instance_id"], f["product"]) for f in kept] == [(name, DENIED, None) for name in DEPARTING]
    assert all("product subscriptions kept" in f["msg"] and DENIED in f["msg"] for f in kept)
    # "nobody" holds nothing on the readable instances but may on the denied one: failed, not "not found".
    assert report["not_found"] == []
    assert report["counts"]["disassociated"] == 4 and report["counts"]["unsubscribed"] == 0
    assert live(org, DEPARTING)[0] == [("alice", DENIED)]
    assert live(org, DEPARTING)[1] == sorted([("alice", "OFFICE_PROFESSIONAL_PLUS", DIRECTORY), ("alice", "OFFICE_PROFESSIONAL_PLUS", OTHER_DIRECTORY),
                                              ("bob", "VISUAL_STUDIO_PROFESSIONAL", DIRECTORY)])
    assert org.calls(operation="StopProductSubscription") == []
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_fail_on_error_false_reports_without_failing(org, ansible_factory):
    org.set_faults({"access_denied_instances": [DENIED]})
    run = run_offboard(ansible_factory(org), dict(offboard_usernames=DEPARTING, offboard_fail_on_error=False))
    assert run.rc == 0
    assert report_of(run)["counts"]["failed"] == 6  # 3 unreadable, 3 whose subscriptions were kept


def test_server_errors_beyond_retries_land_in_failed(org, ansible_factory):
    # Every call naming instance 2 answers 500: the module retries, then gives up on that instance only.
    org.set_faults({"fail_next": [{"error": "InternalServerException", "count": 1000, "match": {"InstanceId": instance_id(2)}}]})
    run = run_offboard(ansible_factory(org), dict(offboard_usernames=["alice"], offboard_fail_on_error=False, offboard_stop_product_subscriptions=False))
    assert run.rc == 0
    report = report_of(run)
    assert [f["instance_id"] for f in report["failed"]] == [instance_id(2)]
    assert report["failed"][0]["code"] == "InternalServerException"
    assert sorted(r["instance_id"] for r in report["disassociated"]) == [instance_id(n) for n in (1, 3, 4)]
    assert len(org.calls(operation="ListUserAssociations", error="InternalServerException")) > 3


def test_user_with_nothing_anywhere_is_not_found(org, ansible_factory):
    run = run_offboard(ansible_factory(org), dict(offboard_usernames=["nobody", "nobody-else"]))
    assert run.rc == 0
    report = report_of(run)
    assert report["not_found"] == [{"username": "nobody"}, {"username": "nobody-else"}]
    assert org.calls(write=True) == []


def test_limits_instances_directory_and_products(org, ansible_factory):
    run = run_offboard(ansible_factory(org), dict(
        offboard_usernames=["alice", "bob"], offboard_directory_id=DIRECTORY, offboard_instance_ids=[instance_id(1), instance_id(2)],
        offboard_products=["VISUAL_STUDIO_PROFESSIONAL"]))
    assert run.rc == 0, run.stdout[-3000:]
    assert live(org, ["alice"]) == (
        [("alice", instance_id(3)), ("alice", instance_id(4))],
        sorted([("alice", "OFFICE_PROFESSIONAL_PLUS", DIRECTORY), ("alice", "OFFICE_PROFESSIONAL_PLUS", OTHER_DIRECTORY)]))
    assert live(org, ["bob"]) == ([], [])


def test_instances_without_a_directory_limit_the_removal(org, ansible_factory):
    run = run_offboard(ansible_factory(org), dict(
        offboard_usernames=["alice"], offboard_instance_ids=[instance_id(1), instance_id(4)], offboard_stop_product_subscriptions=False))
    assert run.rc == 0, run.stdout[-3000:]
    assert sorted(r["instance_id"] for r in report_of(run)["disassociated"]) == [instance_id(1), instance_id(4)]
    assert live(org, ["alice"])[0] == [("alice", instance_id(2)), ("alice", instance_id(3))]
    assert sorted({c["params"]["InstanceId"] for c in org.calls(operation="ListUserAssociations")}) == [instance_id(1), instance_id(4)]


def test_survey_text_is_split_on_lines_and_commas(org, ansible_factory):
    run = run_offboard(ansible_factory(org), dict(offboard_usernames="alice\nbob, nobody\n\n"), check=True)
    assert run.rc == 0
    assert report_of(run)["usernames"] == DEPARTING


def test_list_instances_denied_still_writes_the_report(org, ansible_factory, tmp_path):
    org.set_faults({"fail_next": [{"operation": "ListInstances", "error": "AccessDeniedException", "count": 100}]})
    path = tmp_path / "report.json"
    run = run_offboard(ansible_factory(org), dict(offboard_usernames=["alice"], offboard_report_path=str(path)))
    assert run.rc != 0 and "Offboarding had 2 failure(s)" in run.last["msg"]
    report = json.loads(path.read_text())
    failure, kept = report["failed"]
    assert failure["instance_id"] is None and failure["code"] == "AccessDeniedException" and "list instances" in failure["msg"]
    # she may still be associated somewhere: her subscriptions are kept, and the report says so
    assert kept["username"] == "alice" and "product subscriptions kept" in kept["msg"]
    assert report["not_found"] == [] and report["counts"]["unsubscribed"] == 0 and org.calls(operation="StopProductSubscription") == []


def test_missing_usernames_fails_through_argument_specs(org, ansible_factory):
    run = run_offboard(ansible_factory(org), dict(offboard_report_path=""))
    assert run.rc != 0
    assert run.last["argument_errors"] == ["missing required arguments: offboard_usernames"]
    assert org.log == []


@pytest.mark.smoke
def test_wrong_type_fails_through_argument_specs(org, ansible_factory):
    run = run_offboard(ansible_factory(org), dict(offboard_usernames=["alice"], offboard_concurrency="many"))
    assert run.rc != 0
    # Refused by the role's argument specs, before any task of the role. The message's wording is ansible-core's
    # (2.17's leaves out the refused value): the test asserts only that it names the option.
    assert run.last["action"] == "ansible.builtin.validate_argument_spec"
    assert run.last["validate_args_context"]["name"] == "offboard" and run.last["validate_args_context"]["type"] == "role"
    [error] = run.last["argument_errors"]
    assert "offboard_concurrency" in error
    assert org.log == []
