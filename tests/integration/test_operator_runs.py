# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Runs an operator relies on: AWX workflows, checks before any write, one report per run, the job log, personal data."""

import json
import os
import re
import stat

import pytest

from harness import bin_path
from harness import instance_id
from harness import run_offboard
from test_offboard_role import DEPARTING
from test_offboard_role import DENIED
from test_offboard_role import live
from test_offboard_role import org  # noqa: F401 pylint: disable=unused-import
from test_offboard_role import report_of

# The vocabularies differ in the emulator's status words, which these tests do not turn on: one is enough here
# (test_service_fidelity.py, test_wherever_found.py and test_product_subscription.py run under each).
VOCABULARIES = ("aws",)

REPORT_NAME = re.compile(r"^offboard-\d{8}T\d{6}Z(-\d+)?-(dry-run|run)\.json$")


def stats(run):
    """What the run published with set_stats: what AWX hands to the next workflow node as extra vars."""
    return run.report.get("global_custom_stats") or {}


def summary(run):
    return run.task("Show the summary")["msg"]


# ---------------------------------------------------------------- 1. the dry run -> approval -> real run workflow

def test_a_workflow_real_run_reports_itself_not_the_dry_run_whose_stats_it_gets(org, ansible_factory, tmp_path):  # noqa: F811
    """AWX passes the dry-run node's set_stats to the real-run node as extra vars: nothing of them may stand in for the real run."""
    ansible = ansible_factory(org)
    departing = dict(offboard_usernames=DEPARTING)
    dry = run_offboard(ansible, departing, check=True, env={"ANSIBLE_SHOW_CUSTOM_STATS": "1"})
    assert dry.rc == 0, dry.stdout[-3000:]
    published = stats(dry)
    assert published and all(report["dry_run"] is True for report in published.values())

    # The approval node, then the real run with the dry run's stats as extra vars; one instance denies access meanwhile.
    org.set_faults({"access_denied_instances": [DENIED]})
    org.clear_log()
    carried = tmp_path / "workflow_extra_vars.json"
    carried.write_text(json.dumps(published), encoding="utf-8")
    real = run_offboard(ansible, departing, env={"ANSIBLE_SHOW_CUSTOM_STATS": "1"}, extra_args=["-e", f"@{carried}"])

    assert real.rc == 2, real.stdout[-3000:]
    assert "Offboarding had 6 failure(s)" in real.last["msg"]
    lines = summary(real)
    assert lines[0].startswith("Offboarding of 3 user(s): 4 association(s) removed"), lines
    assert not any("dry run" in line or "would be" in line for line in lines), lines
    report = stats(real)["offboard_published_report"]
    assert report["dry_run"] is False and report["counts"]["failed"] == 6 and report["counts"]["disassociated"] == 4
    assert report_of(real)["dry_run"] is False
    assert len(org.calls(operation="DisassociateUser")) == 4
    assert live(org, DEPARTING)[0] == [("alice", DENIED)]


@pytest.mark.parametrize("name, helpers", [("offboard_report", {}), ("offboard__report", {}), ("offboard__disassociated", {}),
                                           ("offboard__dry_run", {}), ("offboard__connection", {}),
                                           ("offboard__report", {"offboard__shadowed": [], "offboard__internal": []})])
def test_a_result_given_from_outside_stops_the_run_before_any_call(org, ansible_factory, tmp_path, name, helpers):  # noqa: F811
    """Also when the extra vars try to switch the check itself off (names of task variables it might have used)."""
    shadow = tmp_path / "shadow.json"
    shadow.write_text(json.dumps(dict(helpers, **{name: {"dry_run": True, "counts": {"failed": 0}}})), encoding="utf-8")
    run = run_offboard(ansible_factory(org), dict(offboard_usernames=DEPARTING), extra_args=["-e", f"@{shadow}"])
    assert run.rc == 2
    assert run.last["msg"].startswith(f"{name}: set from outside the role"), run.last["msg"]
    assert org.log == []


# ---------------------------------------------------------------- 2. everything checked before the first write

@pytest.mark.parametrize("case", ["missing", "a file", "a link"])
def test_a_bad_report_directory_stops_the_run_before_any_call(org, ansible_factory, tmp_path, case):  # noqa: F811
    where = tmp_path / "reports"
    if case == "a file":
        where.write_text("not a directory", encoding="utf-8")
    elif case == "a link":
        (tmp_path / "real").mkdir()
        where.symlink_to(tmp_path / "real")
    run = run_offboard(ansible_factory(org), dict(offboard_usernames=DEPARTING, offboard_report_dir=str(where)))
    assert run.rc == 2
    assert run.last["msg"].startswith(f"offboard_report_dir: '{where}'"), run.last["msg"]
    assert org.log == []
    if case == "a link":
        assert os.listdir(tmp_path / "real") == []


@pytest.mark.parametrize("region, said", [("", "no AWS region given"), ("us-east-1\n", "is not an AWS region name"),
                                          ("US East", "is not an AWS region name")])
def test_a_missing_or_malformed_region_is_named_before_any_call(org, ansible_factory, region, said):  # noqa: F811
    run = run_offboard(ansible_factory(org), dict(offboard_usernames=DEPARTING, offboard_region=region),
                       env={"AWS_REGION": None, "AWS_DEFAULT_REGION": None})
    assert run.rc == 2
    assert run.last["msg"].startswith("offboard_region: ") and said in run.last["msg"], run.last["msg"]
    assert org.log == []


def test_no_credentials_stop_the_run_before_any_call_and_the_report_says_so(org, ansible_factory, tmp_path):  # noqa: F811
    home = tmp_path / "home"
    home.mkdir()
    path = tmp_path / "report.json"
    run = run_offboard(ansible_factory(org), dict(offboard_usernames=DEPARTING, offboard_report_path=str(path)),
                       env={"AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None, "HOME": str(home),
                            "AWS_SHARED_CREDENTIALS_FILE": str(home / "none"), "AWS_CONFIG_FILE": str(home / "none")})
    assert run.rc == 2
    assert org.log == []
    report = json.loads(path.read_text(encoding="utf-8"))
    assert "no AWS credentials were found, nothing was called" in report["stopped"]
    assert report["counts"]["disassociated"] == 0 and report["disassociated"] == []
    # Nobody was looked for: not "not found" (a typo), but not checked.
    assert report["not_found"] == [] and [r["username"] for r in report["not_checked"]] == DEPARTING
    assert "the run stopped before the end (STOPPED in the summary above says why)" in run.last["msg"]
    assert any(line.startswith("  STOPPED before the end: Remove the departing users") for line in summary(run))
    assert "  NOT CHECKED (3, a step stopped before looking for them): alice, bob, nobody" in summary(run)


# ---------------------------------------------------------------- 3. a report per run, and the undo of one

def test_each_run_writes_its_own_report_and_the_undo_takes_the_real_runs(org, ansible_factory, tmp_path):  # noqa: F811
    ansible = ansible_factory(org)
    before = live(org, DEPARTING)
    reports = tmp_path / "reports"
    reports.mkdir(mode=0o700)
    departing = dict(offboard_usernames=DEPARTING, offboard_report_dir=str(reports))
    runs = [run_offboard(ansible, departing, check=True), run_offboard(ansible, departing), run_offboard(ansible, departing)]
    assert [run.rc for run in runs] == [0, 0, 0]

    files = sorted(os.listdir(reports))
    assert len(files) == 3 and all(REPORT_NAME.match(name) for name in files), files
    written = [report_of(run)["report_file"] for run in runs]
    assert sorted(os.path.basename(p) for p in written) == files
    assert [p.endswith("-dry-run.json") for p in written] == [True, False, False]
    assert all(f"  Report file: {p}" in summary(run) for run, p in zip(runs, written))
    assert all(stat.S_IMODE(os.stat(p).st_mode) == 0o600 for p in written)
    real = json.loads(open(written[1], encoding="utf-8").read())
    assert real["dry_run"] is False and real["counts"]["disassociated"] == 5 and real["region"] == "us-east-1"
    assert json.loads(open(written[2], encoding="utf-8").read())["counts"]["disassociated"] == 0  # the rerun did not replace it
    assert live(org, DEPARTING) == ([], [])

    undo = [bin_path("ansible-playbook"), "lmus.user_subscriptions.undo_offboard", "-e", f"offboard_endpoint_url={org.url}"]
    org.clear_log()
    refused = ansible.run_command(undo + ["-e", f"offboard_undo_report={written[0]}"])
    assert refused.rc == 2 and "is the report of a dry run" in refused.last["msg"], refused.last
    assert org.log == []
    real_report = json.loads(open(written[1], encoding="utf-8").read())
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps({"offboard__undo": real_report}), encoding="utf-8")
    smuggled = ansible.run_command(undo + ["-e", f"offboard_undo_report={written[0]}", "-e", f"@{forged}"])
    assert smuggled.rc == 2 and smuggled.last["msg"].startswith("offboard__undo: set from outside"), smuggled.last
    assert org.log == []
    wrong_region = ansible.run_command(undo + ["-e", f"offboard_undo_report={written[1]}", "-e", "offboard_region=eu-west-1"])
    assert wrong_region.rc == 2 and "is not the region of the run to undo (us-east-1)" in wrong_region.last["msg"]
    assert org.log == []
    dry_undo = ansible.run_command(undo + ["-e", f"offboard_undo_report={written[1]}", "--check"])
    assert dry_undo.rc == 0 and org.calls(write=True) == []
    restored = ansible.run_command(undo + ["-e", f"offboard_undo_report={written[1]}"])
    assert restored.rc == 0, restored.stdout[-3000:]
    assert live(org, DEPARTING)[0] == before[0]


# ---------------------------------------------------------------- 4. the job log, and a rerun that changes nothing

def test_the_summary_names_typos_unknown_instances_and_failures_with_codes(org, ansible_factory):  # noqa: F811
    org.set_faults({"fail_next": [{"operation": "DisassociateUser", "error": "AccessDeniedException", "count": 100}]})
    typos = [f"typo{n:02d}" for n in range(25)]
    unknown = "i-0123456789abcdef0"
    run = run_offboard(ansible_factory(org), dict(offboard_usernames=["alice"] + typos, offboard_instance_ids=[instance_id(1), instance_id(2), unknown],
                                                  offboard_stop_product_subscriptions=False))
    assert run.rc == 2
    lines = summary(run)
    [not_found] = [line for line in lines if line.startswith("  NOT FOUND")]
    assert not_found == f"  NOT FOUND (25, nothing of theirs was found; check the spelling): {', '.join(typos[:20])} and 5 more"
    [unknown_line] = [line for line in lines if line.startswith("  UNKNOWN INSTANCE IDS")]
    assert unknown_line == f"  UNKNOWN INSTANCE IDS (1, not listed by ListInstances in us-east-1; nothing was done there): {unknown}"
    failed = [line for line in lines if line.startswith("  FAILED")]
    assert [line.split(":")[0] for line in failed] == ["  FAILED [AccessDeniedException] alice"] * 2, failed
    assert report_of(run)["unknown_instance_ids"] == [unknown]


# ---------------------------------------------------------------- 5. personal data

def test_offboard_no_log_keeps_names_out_of_the_job_but_not_out_of_the_report(org, ansible_factory, tmp_path):  # noqa: F811
    org.set_faults({"access_denied_instances": [DENIED]})
    path = tmp_path / "report.json"
    names = ["alice", "bob", "nobody"]
    for verbosity, callback in (("0", "json"), ("3", "default")):
        run = run_offboard(ansible_factory(org), dict(offboard_usernames=names, offboard_no_log=True, offboard_report_path=str(path)),
                           env={"ANSIBLE_SHOW_CUSTOM_STATS": "1", "ANSIBLE_VERBOSITY": verbosity, "ANSIBLE_STDOUT_CALLBACK": callback})
        assert run.rc == 2
        printed = run.stdout + run.stderr
        leaked = [name for name in names if re.search(rf"\b{name}\b", printed)]
        assert leaked == [], f"names in the output at verbosity {verbosity}: {leaked}"
        assert "FAILED (6): 3 AccessDeniedException, 3 no code; names in the report file" in printed
        assert sorted(record["username"] for record in json.loads(path.read_text(encoding="utf-8"))["failed"]) == sorted(names * 2)
        if callback == "json":
            assert summary(run)[0].startswith("Offboarding of 3 user(s): ")
            published = stats(run)["offboard_published_report"]
            assert set(published) == {"counts", "dry_run", "started", "region", "unknown_instance_ids", "stopped", "report_file"}
            assert published["counts"]["failed"] == 6
