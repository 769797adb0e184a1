# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The fleet report: every account-region with its status and error, totals that add up, a summary that names what failed."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.lmus.user_subscriptions.plugins.filter import offboard
from ansible_collections.lmus.user_subscriptions.plugins.filter import offboard_fleet

ROLE = "arn:aws:iam::{}:role/lmus-offboard"


def host_report(region, disassociated=(), unsubscribed=(), failed=(), usernames=("alice", "bob", "nobody"), stopped=None, started="2026-01-02T03:04:05Z"):
    """A single-account report as the role makes it, from (username, instance or product) pairs."""
    def results(pairs, key, outcome="removed", code=None):
        return [dict(username=user, outcome=outcome, changed=outcome == "removed", failed=outcome == "failed", code=code, msg=f"{user} {outcome}",
                     **{key: where}) for user, where in pairs]
    removed = dict(results=results(disassociated, "instance_id") + results(failed, "instance_id", "failed", "AccessDeniedException"))
    stopped_subs = dict(results=results(unsubscribed, "product"))
    report = offboard.offboard_report(list(usernames), removed if not stopped else None, stopped_subs if not stopped else None, False,
                                      {"started": started, "region": region, "stopped": stopped})
    return dict(report, report_file=None)


def result(account, region, report, status="ok", error=None):
    return dict(status=status, error=error, region=region, role_arn=ROLE.format(account), profile=None, report=report)


def fleet():
    hosts = ["prod-eu-west-1", "dev-eu-west-1", "legacy-eu-central-1", "broken-eu-west-1", "quiet-eu-west-1"]
    results = [
        result("111111111111", "eu-west-1", host_report("eu-west-1", [("alice", "i-1"), ("bob", "i-1")], [("alice", "OFFICE_STANDARD")],
                                                        started="2026-01-02T03:04:06Z")),
        result("222222222222", "eu-west-1", host_report("eu-west-1", [("alice", "i-2")], failed=[("bob", "i-3")]), "failed",
               "Fail when anything failed: Offboarding had 1 failure(s)"),
        result("444444444444", "eu-central-1", host_report("eu-central-1", stopped="Remove ... stopped without results: AccessDenied when calling "
                                                           "the AssumeRole operation"), "failed", "Fail when anything failed: ..."),
        None,
        {},
    ]
    return hosts, results


def test_every_account_region_with_status_error_and_totals():
    hosts, results = fleet()
    report = offboard_fleet.offboard_fleet_report(hosts, results, False, {"finished": "2026-01-02T03:10:00Z"})
    entries = {e["host"]: e for e in report["account_regions"]}
    assert [e["host"] for e in report["account_regions"]] == hosts
    statuses = {"prod-eu-west-1": "ok", "dev-eu-west-1": "failed", "legacy-eu-central-1": "failed", "broken-eu-west-1": "failed", "quiet-eu-west-1": "failed"}
    assert {h: e["status"] for h, e in entries.items()} == statuses
    assert entries["prod-eu-west-1"]["account_id"] == "111111111111" and entries["prod-eu-west-1"]["error"] is None
    # A step that stopped: its reason; failures: counted by code, then the first; no result at all: said so.
    assert "AssumeRole" in entries["legacy-eu-central-1"]["error"]
    # (bob's subscriptions were kept, as he may still be on i-3: the role's report counts that as a failure without a code)
    assert entries["dev-eu-west-1"]["error"] == "2 failure(s) (1 AccessDeniedException, 1 no code); first: bob failed"
    assert entries["broken-eu-west-1"]["error"] == offboard_fleet.NO_RESULT and entries["broken-eu-west-1"]["report"] is None
    assert entries["broken-eu-west-1"]["account_id"] is None and entries["broken-eu-west-1"]["region"] is None
    # Totals: the sum of every report, the failed ones' partial work included.
    assert report["counts"]["disassociated"] == 3 and report["counts"]["unsubscribed"] == 1 and report["counts"]["failed"] == 2
    assert report["counts"]["account_regions"] == 5 and report["counts"]["account_regions_failed"] == 4
    assert [f["host"] for f in report["failed_account_regions"]] == hosts[1:]
    # "nobody" is on no instance anywhere, and named by no failure; the run could not read everything.
    assert report["not_found_anywhere"] == ["nobody"] and report["complete"] is False
    assert report["usernames"] == ["alice", "bob", "nobody"]
    assert (report["started"], report["finished"], report["dry_run"]) == ("2026-01-02T03:04:05Z", "2026-01-02T03:10:00Z", False)


def test_a_healthy_fleet_is_complete_and_a_report_with_failures_fails_even_when_the_host_did_not():
    report = offboard_fleet.offboard_fleet_report(["a", "b"], [
        result("111111111111", "eu-west-1", host_report("eu-west-1", [("alice", "i-1")])),
        result("111111111111", "us-east-1", host_report("us-east-1", failed=[("bob", "i-9")])),  # offboard_fail_on_error: false
    ], True)
    assert report["complete"] is True and report["dry_run"] is True
    assert [e["status"] for e in report["account_regions"]] == ["ok", "failed"]
    # bob failed on i-9: he may be there, so he is not "found nowhere".
    assert report["not_found_anywhere"] == ["nobody"]


def test_summary_names_totals_then_failures_and_hides_names_when_told():
    hosts, results = fleet()
    report = offboard_fleet.offboard_fleet_report(hosts, results)
    lines = offboard_fleet.offboard_fleet_summary(report)
    assert lines[0] == ("Fleet offboarding of 3 user(s) in 5 account-region(s): 3 association(s) removed, 1 subscription(s) stopped, "
                        "0 already absent, 2 failure(s); 4 account-region(s) failed")
    assert lines[1] == "  NOT FOUND in any account-region (1; check the spelling; some account-regions could not be read): nobody"
    assert lines[2] == "  FAILED dev-eu-west-1 (222222222222 eu-west-1): 2 failure(s) (1 AccessDeniedException, 1 no code); first: bob failed"
    assert lines[4].startswith("  FAILED broken-eu-west-1 (account and region unknown): no result was recorded")
    hidden = offboard_fleet.offboard_fleet_summary(report, names=False)
    text = "\n".join(hidden)
    assert "nobody" not in text and "bob" not in text and "alice" not in text
    assert "  FAILED dev-eu-west-1 (222222222222 eu-west-1): 2 failure(s) (1 AccessDeniedException, 1 no code); details in the report file" in hidden
    assert "a step stopped without results" in text
    dry = offboard_fleet.offboard_fleet_summary(offboard_fleet.offboard_fleet_report(hosts[:1], results[:1], True))
    assert dry[0].startswith("Fleet offboarding dry run of 3 user(s) in 1 account-region(s): 2 association(s) would be removed")


def test_many_failed_account_regions_are_bounded():
    hosts = [f"h{n:02d}" for n in range(15)]
    report = offboard_fleet.offboard_fleet_report(hosts, [None] * 15)
    lines = offboard_fleet.offboard_fleet_summary(report)
    assert len([line for line in lines if line.startswith("  FAILED")]) == offboard_fleet.MAX_LINES
    assert lines[-1] == "  ... and 5 more failed account-region(s); the report has every one"


def test_published_has_no_records_and_no_names_when_told():
    hosts, results = fleet()
    report = offboard_fleet.offboard_fleet_report(hosts, results)
    published = offboard_fleet.offboard_fleet_published(report, True, "/var/log/fleet.json")
    assert published["report_file"] == "/var/log/fleet.json" and published["counts"] == report["counts"]
    assert "report" not in published["account_regions"][0] and published["not_found_anywhere"] == ["nobody"]
    hidden = offboard_fleet.offboard_fleet_published(report, False)
    assert "not_found_anywhere" not in hidden and {e["error"] for e in hidden["account_regions"]} == {False, True}
    assert "bob" not in str(hidden) and "nobody" not in str(hidden)


@pytest.mark.parametrize("hosts, results", [(["a"], []), ("a", ["x"]), (["a"], ["not a mapping"])])
def test_bad_input_is_refused(hosts, results):
    with pytest.raises(AnsibleFilterError):
        offboard_fleet.offboard_fleet_report(hosts, results)
