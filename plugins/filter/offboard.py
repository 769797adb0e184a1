# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filters the offboard role uses to turn discovery into work, and results into a report."""

from __future__ import annotations

import os
import re
from typing import Any
from typing import Optional

from ansible.errors import AnsibleFilterError

from ansible_collections.lmus.user_subscriptions.plugins.module_utils.names import name_key
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.validation import QUOTE_HINT
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.validation import control_characters
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.validation import describe

OUTCOMES = ("disassociated", "unsubscribed", "already_absent", "not_found", "failed")
# Lines per section of the summary, and names per line; the report itself has every record.
MAX_LINES = 10
MAX_NAMES = 20
# A survey's text holds one name per line or comma. Only these end a line (what a text field, a terminal
# and a file give): str.splitlines() would also split on other control characters and on U+2028, U+2029
# and U+0085, which are refused in a name instead, with their position, rather than taken as separators.
SEPARATORS = re.compile(r"\r\n|[\r\n,]")
# What a list written as one string leaves in its names ("[a, b]", '["a"]').
LIST_MARKS = re.compile(r"[\[\]]")
# How many refused items one message names.
MAX_REFUSED = 20


def offboard_abspath(path: Any) -> Any:
    """A relative path made absolute from the directory the run started in (the controller's working directory).

    Modules run on a local connection in the directory of the task's playbook or role (ansible-core changes to it), which for
    the collection's own playbooks is inside the installed collection: a relative report path given on the command line
    would land there. An empty value (no file) and anything but a string stay as they are, for the role's checks to refuse.
    """
    if not isinstance(path, str) or not path or os.path.isabs(path):
        return path
    return os.path.join(os.getcwd(), path)


def _directory(record: dict[str, Any]) -> Optional[str]:
    return ((record.get("identity_provider") or {}).get("active_directory_identity_provider") or {}).get("directory_id")


def departing_usernames(values: Any, label: str = "offboard_usernames", show_values: bool = True) -> list[str]:
    """Usernames from a list (or a survey's text): one per line or comma, trimmed, unique without regard to case, in order.

    Every item must be a string: an item YAML made into null, a boolean, a number, a list or a mapping
    (an empty item, ``yes``, ``0123``, ``12:30``, ...) is refused, as is an item of a list that holds no
    name (``""``, ``"   "``; a survey's blank lines are skipped) and a name with a control character, a
    line or paragraph separator or a format character (validation.control_characters: checked before
    trimming, so none is trimmed away), or with ``[`` or ``]`` (a list passed as one string, such
    as ``-e offboard_usernames=[a,b]``; no Active Directory user name holds them). The error names each
    such item by its position in ``label`` and (unless ``show_values`` is false: offboard_no_log) its
    value. Linear in the input's size.
    """
    if values is None:
        return []
    text = isinstance(values, str)
    if text:
        values = [values]
    elif not isinstance(values, (list, tuple)):
        raise AnsibleFilterError(f"{label}: {describe(values)} is not a list of user names; "
                                 "give a list, or one string of names separated by new lines or commas")
    names: dict[str, str] = {}  # name key -> the first spelling given: Active Directory names ignore case
    refused: list[str] = []
    for index, value in enumerate(values):
        where = label if text else f"{label}[{index}]"
        if not isinstance(value, str):
            shown = describe(value) if show_values else f"a {type(value).__name__} (value hidden: offboard_no_log)"
            refused.append(f"{where}: {shown} is not a user name")
            continue
        found = _names(value, where, names, refused, show_values)
        if not found and not text:
            refused.append(f"{where}: a non-empty user name is required, got {value!r}")
    if refused:
        more = f"; and {len(refused) - MAX_REFUSED} more" if len(refused) > MAX_REFUSED else ""
        hint = f"; {QUOTE_HINT}" if any("is not a user name" in r for r in refused) else ""
        raise AnsibleFilterError(f"{len(refused)} item(s) of {label} refused: {'; '.join(refused[:MAX_REFUSED])}{more}{hint}")
    return list(names.values())


def _names(value: str, where: str, names: dict[str, str], refused: list[str], show_values: bool = True) -> bool:
    """Add the names of one string to ``names`` (or what is wrong with them to ``refused``); whether it held any name or refused part."""
    parts = SEPARATORS.split(value)
    found = False
    for number, part in enumerate(parts, start=1):
        bad = control_characters(part)
        numbered = f" (part {number})" if len(parts) > 1 else ""
        shown = repr(part.strip(" ")) if show_values else "a name (hidden: offboard_no_log)"
        if bad:
            refused.append(f"{where}{numbered}: {shown} contains control characters ({', '.join(bad) if show_values else len(bad)})")
            found = True
        elif LIST_MARKS.search(part):
            refused.append(f"{where}{numbered}: {shown} contains [ or ], which no user name holds: a list given as one "
                           "string? Give a YAML or JSON list (-e '{\"offboard_usernames\": [\"a\", \"b\"]}') or names separated by commas")
            found = True
        elif part.strip():
            name = part.strip()
            names.setdefault(name_key(name), name)
            found = True
    return found


def offboard_user_items(usernames: list[str], key: Optional[str] = None, values: Optional[list[str]] = None,
                        withheld: Optional[dict[str, Any]] = None) -> list[dict[str, str]]:
    """``users`` items for a write module with state=absent: one per user, or one per user and value of ``key``.

    Without ``values`` an item names only the user, and the module removes every
    record of theirs wherever it finds one. ``withheld`` (a registered lmus_instance_user
    batch result) leaves out the users whose removal from an instance failed there.
    """
    items = [dict(username=name) for name in usernames] if not values else [{"username": name, key: value} for name in usernames for value in values]
    return offboard_withhold(items, withheld)


def offboard_withhold(items: list[dict[str, Any]], disassociated: Optional[dict[str, Any]] = None) -> list[dict[str, Any]]:
    """``items`` without those of the users whose removal from an instance failed (a registered lmus_instance_user batch result):
    AWS refuses to stop an Office or Visual Studio subscription of a user still associated with an instance."""
    kept = set(_still_associated(disassociated))
    return [item for item in items if name_key(item["username"]) not in kept]


def _still_associated(disassociated: Optional[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The users whose association removal failed, with those failed entries: their subscriptions must not be stopped
    (AWS refuses to stop an Office or Visual Studio subscription of a user still associated with an instance)."""
    failed: dict[str, list[dict[str, Any]]] = {}
    for item in (disassociated or {}).get("results") or []:
        if item.get("failed") and item.get("username"):
            failed.setdefault(name_key(item["username"]), []).append(item)
    return failed


# The outcomes of a write module's result that the report lists (not_found is per user, below).
REPORTED = ("removed", "already_absent", "failed")


def _records(result: Optional[dict[str, Any]], where: str, removed: str, report: dict[str, Any], seen: set[str]) -> None:
    """Put a write module's batch results into the report; ``seen`` collects the users with a record or a failure.

    Each result says its ``outcome``; one whose record another result reports (``duplicate_of``) is left out.
    """
    for item in (result or {}).get("results") or []:
        outcome = item.get("outcome")
        if item.get("duplicate_of") or outcome not in REPORTED:
            continue
        after = item.get("instance_user") or item.get("product_subscription") or {}
        # the record's own domain, as the service gave it (even none); the item's only when there is no record
        record = dict(username=item.get("username"), domain=after.get("domain") if after else item.get("domain"), **{where: item.get(where)})
        record.update(directory_id=_directory(after), arn=after.get("instance_user_arn") or after.get("product_user_arn"))
        if after.get("license_expiration_date"):
            record["license_expiration_date"] = after["license_expiration_date"]
        if outcome == "failed":
            report["failed"].append(dict(record, code=item.get("code"), msg=item.get("msg")))
        elif outcome == "already_absent":
            report["already_absent"].append(dict(record, status=item.get("status")))
        elif item.get("failed"):  # the service accepted the write; what came after it (the wait) failed
            report[removed].append(dict(record, settled=False, code=item.get("code"), msg=item.get("msg")))
        else:
            report[removed].append(record)
        seen.add(item.get("username"))


def _unknown_instances(disassociated: Optional[dict[str, Any]]) -> list[str]:
    """The instance IDs that items named and ListInstances does not return, sorted."""
    return sorted({item["instance_id"] for item in (disassociated or {}).get("results") or []
                   if item.get("reason") == "instance_not_listed" and item.get("instance_id")})


def offboard_report(usernames: list[str], disassociated: Optional[dict[str, Any]] = None, unsubscribed: Optional[dict[str, Any]] = None,
                    dry_run: bool = False, run: Optional[dict[str, Any]] = None) -> dict[str, Any]:
    """The offboarding report: every departing user ends in at least one known outcome.

    ``disassociated`` / ``unsubscribed`` are the registered batch results of the write
    modules (None when skipped, or when the step stopped before returning results). A user with
    no record and no failure anywhere is not_found. ``run`` describes the run: ``started`` (UTC,
    ISO 8601), ``region``, and ``stopped`` (why a step ended without results, or None).
    """
    report: dict[str, Any] = {outcome: [] for outcome in OUTCOMES}
    found: set[str] = set()
    _records(disassociated, "instance_id", "disassociated", report, found)
    _records(unsubscribed, "product", "unsubscribed", report, found)
    if unsubscribed is not None:
        for entries in _still_associated(disassociated).values():
            for entry in entries:
                name, instance = entry["username"], entry.get("instance_id") or "(the instances could not be listed)"
                why = "removal was accepted but not confirmed" if entry.get("outcome") == "removed" else \
                    f"removal could not be made or checked ({entry.get('code') or 'see its failure'})"
                report["failed"].append(dict(username=name, domain=entry.get("domain"), product=None, instance_id=entry.get("instance_id"),
                                             directory_id=None, arn=None, code=None,
                                             msg=f"product subscriptions kept: {name} may still be associated with instance {instance}: the "
                                                 f"{why}; AWS stops an Office or Visual Studio subscription only once the user is on no instance"))
    seen = {name_key(name) for name in found if name}
    unseen = [dict(username=name) for name in usernames if name_key(name) not in seen]
    run = run or {}
    # A step that stopped without results looked for nobody: its users are not "not found", only not checked.
    report["not_found"], report["not_checked"] = ([], unseen) if run.get("stopped") else (unseen, [])
    report["unknown_instance_ids"] = _unknown_instances(disassociated)
    report["dry_run"] = bool(dry_run)
    report["started"] = run.get("started")
    report["region"] = run.get("region")
    report["stopped"] = run.get("stopped")
    report["usernames"] = list(usernames)
    report["counts"] = {outcome: len(report[outcome]) for outcome in OUTCOMES}
    # Writes the service accepted but that could not be seen done (a wait that timed out or could not read): removed, not confirmed.
    report["counts"]["unsettled"] = sum(1 for key in ("disassociated", "unsubscribed") for record in report[key] if record.get("settled") is False)
    report["counts"]["unknown_instance_ids"] = len(report["unknown_instance_ids"])
    report["counts"]["not_checked"] = len(report["not_checked"])
    return report


def _bounded(values: list[str], limit: int = MAX_NAMES) -> str:
    """``a, b, c`` or ``a, b, c and 7 more``."""
    shown = ", ".join(values[:limit])
    return f"{shown} and {len(values) - limit} more" if len(values) > limit else shown


def _tally(values: list[Optional[str]]) -> str:
    """``3 AccessDeniedException, 1 ThrottlingException``, most frequent first."""
    counts: dict[str, int] = {}
    for value in values:
        counts[value or "no code"] = counts.get(value or "no code", 0) + 1
    return ", ".join(f"{n} {code}" for code, n in sorted(counts.items(), key=lambda pair: (-pair[1], pair[0])))


def offboard_summary(report: dict[str, Any], names: bool = True) -> list[str]:
    """A few lines for the job log: counts, then per instance, then what an operator must act on.

    The users found nowhere (usually a typo), the unknown instance IDs and the failures with their codes are
    named, each list bounded (``and N more``; the report has everything). With ``names`` false (offboard_no_log),
    no user name appears: the same lines give counts instead.
    """
    counts = report["counts"]
    head = "Offboarding dry run" if report.get("dry_run") else "Offboarding"
    verb = "would be " if report.get("dry_run") else ""
    lines = [
        f"{head} of {len(report['usernames'])} user(s): {counts['disassociated']} association(s) {verb}removed, "
        f"{counts['unsubscribed']} subscription(s) {verb}stopped, {counts['already_absent']} already absent, "
        f"{counts['not_found']} user(s) not found, {counts['failed']} failure(s)"
    ]
    if report.get("stopped"):
        why = report["stopped"] if names else "a step failed without results; the report file says which and why"
        lines.append(f"  STOPPED before the end: {why}")
    per_instance = {}
    for outcome in ("disassociated", "already_absent", "failed"):
        for record in report[outcome]:
            if record.get("instance_id"):
                tally = per_instance.setdefault(record["instance_id"], {})
                tally[outcome] = tally.get(outcome, 0) + 1
    busiest = sorted(per_instance, key=lambda i: (-sum(per_instance[i].values()), i))
    for instance_id in busiest[:MAX_LINES]:
        lines.append(f"  {instance_id}: " + ", ".join(f"{n} {outcome.replace('_', ' ')}" for outcome, n in sorted(per_instance[instance_id].items())))
    if len(busiest) > MAX_LINES:
        lines.append(f"  ... and {len(busiest) - MAX_LINES} more instance(s); the report has every record")
    unknown = report.get("unknown_instance_ids") or []
    if unknown:
        lines.append(f"  UNKNOWN INSTANCE IDS ({len(unknown)}, not listed by ListInstances in {report.get('region') or 'this region'}; "
                     f"nothing was done there): {_bounded(unknown)}")
    not_found = [record["username"] for record in report["not_found"]]
    if not_found:
        listed = _bounded(not_found) if names else "names in the report file"
        lines.append(f"  NOT FOUND ({len(not_found)}, nothing of theirs was found; check the spelling): {listed}")
    not_checked = [record["username"] for record in report.get("not_checked") or []]
    if not_checked:
        listed = _bounded(not_checked) if names else "names in the report file"
        lines.append(f"  NOT CHECKED ({len(not_checked)}, a step stopped before looking for them): {listed}")
    if names:
        for record in report["failed"][:MAX_LINES]:
            lines.append(f"  FAILED [{record.get('code') or 'no code'}] {record.get('username')}: {record.get('msg')}")
        if len(report["failed"]) > MAX_LINES:
            lines.append(f"  ... and {len(report['failed']) - MAX_LINES} more failure(s)")
    elif report["failed"]:
        lines.append(f"  FAILED ({len(report['failed'])}): {_tally([r.get('code') for r in report['failed']])}; names in the report file")
    unsettled = [r for key in ("disassociated", "unsubscribed") for r in report[key] if r.get("settled") is False]
    if names:
        for record in unsettled[:MAX_LINES]:
            lines.append(f"  NOT CONFIRMED {record.get('username')} (removed, but not seen done): {record.get('msg')}")
        if len(unsettled) > MAX_LINES:
            lines.append(f"  ... and {len(unsettled) - MAX_LINES} more removal(s) not confirmed")
    elif unsettled:
        lines.append(f"  NOT CONFIRMED ({len(unsettled)}): removed, but not seen done; names in the report file")
    return lines


def offboard_published(report: dict[str, Any], names: bool = True, path: Optional[str] = None) -> dict[str, Any]:
    """What the role publishes with set_stats: the report with the path of its file, or (``names`` false) only
    what holds no user name: counts, dry_run, started, region, unknown instance IDs, whether a step stopped, and the file's path."""
    if names:
        return dict(report, report_file=path)
    kept = ("counts", "dry_run", "started", "region", "unknown_instance_ids")
    published = dict({key: report.get(key) for key in kept}, stopped=bool(report.get("stopped")), report_file=path)
    if report.get("reconcile"):
        published["reconcile"] = {key: report["reconcile"][key] for key in ("counts", "limits")}
    return published


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return dict(
            departing_usernames=departing_usernames,
            offboard_abspath=offboard_abspath,
            offboard_user_items=offboard_user_items,
            offboard_withhold=offboard_withhold,
            offboard_report=offboard_report,
            offboard_summary=offboard_summary,
            offboard_published=offboard_published,
        )
