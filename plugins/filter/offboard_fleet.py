# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filters that make one fleet report from every account-region's result (the offboard role's fleet entry points)."""

from __future__ import annotations

import re
from typing import Any
from typing import Optional

from ansible.errors import AnsibleFilterError

from ansible_collections.lmus.user_subscriptions.plugins.module_utils.names import name_key

# The single-account report's counts that add up across the fleet.
SUMMED = ("disassociated", "unsubscribed", "already_absent", "not_found", "failed", "unsettled", "unknown_instance_ids", "not_checked")
# Lines per section of the summary, names per line, characters per error; the report has everything.
MAX_LINES = 10
MAX_NAMES = 20
MAX_ERROR = 600
ROLE_ACCOUNT = re.compile(r"arn:aws[a-z-]*:iam::([0-9]{12}):role/")
NO_RESULT = ("no result was recorded: the run stopped on this host before the offboard role's fleet tasks began "
             "(for example an invalid variable); the job log shows why")


def _account(result: dict[str, Any]) -> Optional[str]:
    match = ROLE_ACCOUNT.match(result.get("role_arn") or "")
    return match.group(1) if match else None


def _tally(records: list[dict[str, Any]]) -> str:
    """``3 AccessDeniedException, 1 no code``, most frequent first."""
    counts: dict[str, int] = {}
    for record in records:
        code = record.get("code") or "no code"
        counts[code] = counts.get(code, 0) + 1
    return ", ".join(f"{n} {code}" for code, n in sorted(counts.items(), key=lambda pair: (-pair[1], pair[0])))


def _error(result: Optional[dict[str, Any]], report: Optional[dict[str, Any]]) -> Optional[str]:
    """Why an account-region failed, in one line: the step that stopped; else its failures (codes, then the first one); else the
    task that failed; None when it did not fail."""
    if result is None:
        return NO_RESULT
    if report and report.get("stopped"):
        return str(report["stopped"])
    failures = (report or {}).get("failed") or []
    unsettled = (report or {}).get("counts", {}).get("unsettled") or 0
    if failures or unsettled:
        parts = [f"{len(failures)} failure(s) ({_tally(failures)})" if failures else "",
                 f"{unsettled} removal(s) not confirmed" if unsettled else ""]
        first = f"; first: {failures[0].get('msg')}" if failures else ""
        return " and ".join(part for part in parts if part) + first
    if result.get("status") == "failed":
        return result.get("error") or "failed, without a message"
    return None


def offboard_fleet_report(hosts: list[str], results: list[Optional[dict[str, Any]]], dry_run: bool = False,
                          run: Optional[dict[str, Any]] = None) -> dict[str, Any]:
    """One report for the fleet: every account-region (inventory host) with its own report, its status and error, and totals.

    ``hosts`` are the fleet's inventory hosts, ``results`` what each kept (the role's ``offboard__fleet``: status, error,
    region, role_arn, profile and the host's own offboard report), in the same order; None or empty for a host that kept
    nothing (it stopped before the fleet tasks began), which is reported failed. A host whose report holds failures, removals not
    confirmed or a step that stopped is failed too. The totals add up every report, including the partial ones of failed
    hosts: what they changed was changed.
    """
    if not isinstance(hosts, list) or not isinstance(results, list) or len(hosts) != len(results):
        raise AnsibleFilterError("offboard_fleet_report: give the list of fleet hosts and a list of their results, of the same length")
    entries, names, seen = [], {}, set()
    totals = {key: 0 for key in SUMMED}
    started = []
    for host, result in zip(hosts, results):
        result = result or None
        if result is not None and not isinstance(result, dict):
            raise AnsibleFilterError(f"offboard_fleet_report: the result of {host} is not a mapping")
        report = (result or {}).get("report") or None
        error = _error(result, report)
        entry = dict(host=host, account_id=_account(result or {}), region=(report or {}).get("region") or (result or {}).get("region"),
                     role_arn=(result or {}).get("role_arn"), profile=(result or {}).get("profile"), status="failed" if error else "ok",
                     error=error[:MAX_ERROR] if error else None, counts=(report or {}).get("counts"),
                     report_file=(report or {}).get("report_file"), report=report)
        entries.append(entry)
        if report:
            for key in SUMMED:
                totals[key] += int(report["counts"].get(key) or 0)
            for name in report.get("usernames") or []:
                names.setdefault(name_key(name), name)
            for outcome in ("disassociated", "unsubscribed", "already_absent", "failed"):
                seen.update(name_key(record["username"]) for record in report.get(outcome) or [] if record.get("username"))
            if report.get("started"):
                started.append(report["started"])
    failed = [dict(host=e["host"], account_id=e["account_id"], region=e["region"], error=e["error"]) for e in entries if e["status"] == "failed"]
    complete = not any(e["report"] is None or (e["report"] or {}).get("stopped") for e in entries)
    run = run or {}
    report = dict(
        dry_run=bool(dry_run), started=min(started) if started else run.get("started"), finished=run.get("finished"),
        usernames=list(names.values()),
        # Found in no account-region: usually a typo. Only certain when every account-region was read (``complete``).
        not_found_anywhere=[name for key, name in names.items() if key not in seen], complete=complete,
        failed_account_regions=failed, account_regions=entries,
    )
    report["counts"] = dict(totals, account_regions=len(entries), account_regions_failed=len(failed),
                            not_found_anywhere=len(report["not_found_anywhere"]))
    return report


def _bounded(values: list[str], limit: int = MAX_NAMES) -> str:
    shown = ", ".join(values[:limit])
    return f"{shown} and {len(values) - limit} more" if len(values) > limit else shown


def _where(entry: dict[str, Any]) -> str:
    return " ".join(part for part in (entry.get("account_id"), entry.get("region")) if part) or "account and region unknown"


def offboard_fleet_summary(report: dict[str, Any], names: bool = True) -> list[str]:
    """A few lines for the job log: the fleet's totals, then the account-regions that failed and why.

    With ``names`` false (offboard_no_log) no user name appears: a failed account-region is described by its counts and
    error codes, and the error text (which may name users) is left to the report file.
    """
    counts = report["counts"]
    verb = "would be " if report.get("dry_run") else ""
    lines = [
        f"Fleet offboarding{' dry run' if report.get('dry_run') else ''} of {len(report.get('usernames') or [])} user(s) in "
        f"{counts['account_regions']} account-region(s): {counts['disassociated']} association(s) {verb}removed, "
        f"{counts['unsubscribed']} subscription(s) {verb}stopped, {counts['already_absent']} already absent, {counts['failed']} failure(s)"
        f"{', ' + str(counts['unsettled']) + ' removal(s) not confirmed' if counts.get('unsettled') else ''}; "
        f"{counts['account_regions_failed']} account-region(s) failed"
    ]
    missing = report.get("not_found_anywhere") or []
    if missing:
        caveat = "" if report.get("complete") else "; some account-regions could not be read"
        listed = _bounded(missing) if names else "names in the report file"
        lines.append(f"  NOT FOUND in any account-region ({len(missing)}; check the spelling{caveat}): {listed}")
    failed = [e for e in report["account_regions"] if e["status"] == "failed"]
    for entry in failed[:MAX_LINES]:
        if names:
            why = entry["error"]
        elif entry["report"] is None:
            why = "stopped before it had results; see the job log"
        else:
            tally = _tally(entry["report"].get("failed") or [])
            stopped = "a step stopped without results; " if entry["report"].get("stopped") else ""
            why = f"{stopped}{entry['report']['counts']['failed']} failure(s){' (' + tally + ')' if tally else ''}; details in the report file"
        lines.append(f"  FAILED {entry['host']} ({_where(entry)}): {why}")
    if len(failed) > MAX_LINES:
        lines.append(f"  ... and {len(failed) - MAX_LINES} more failed account-region(s); the report has every one")
    return lines


def offboard_fleet_published(report: dict[str, Any], names: bool = True, path: Optional[str] = None) -> dict[str, Any]:
    """What the fleet publishes with set_stats: totals and one line per account-region (status, counts, error, its own report
    file), not the records (they are in the report file, whose ``report_file`` path is given). With ``names`` false
    (offboard_no_log), no user name: errors and the names found nowhere are left out."""
    regions = [dict(host=e["host"], account_id=e["account_id"], region=e["region"], status=e["status"], counts=e["counts"],
                    report_file=e["report_file"], **({"error": e["error"]} if names else {"error": bool(e["error"])}))
               for e in report["account_regions"]]
    published = dict(dry_run=report["dry_run"], started=report["started"], finished=report["finished"], counts=report["counts"],
                     complete=report["complete"], account_regions=regions, report_file=path)
    if names:
        published.update(not_found_anywhere=report["not_found_anywhere"], failed_account_regions=report["failed_account_regions"])
    else:
        published.update(failed_account_regions=[dict(e, error=bool(e["error"])) for e in report["failed_account_regions"]])
    return published


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return dict(
            offboard_fleet_report=offboard_fleet_report,
            offboard_fleet_summary=offboard_fleet_summary,
            offboard_fleet_published=offboard_fleet_published,
        )
