# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filters the offboard role uses to turn discovery into work, and results into a report."""

from ansible_collections.lmus.user_subscriptions.plugins.module_utils.statuses import ASSOCIATION_ABSENT
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.statuses import SUBSCRIPTION_ABSENT

OUTCOMES = ("disassociated", "unsubscribed", "already_absent", "not_found", "failed")
# Lines per section of the summary; the report itself has every record.
MAX_LINES = 10


def _directory(record):
    return ((record.get("identity_provider") or {}).get("active_directory_identity_provider") or {}).get("directory_id")


def departing_usernames(values):
    """Usernames from a list (or a survey's text): one per line or comma, trimmed, unique, in order."""
    if isinstance(values, str):
        values = [values]
    names = []
    for value in values or []:
        for line in str(value).replace(",", "\n").splitlines():
            name = line.strip()
            if name and name not in names:
                names.append(name)
    return names


def offboard_association_items(instance_users):
    """``users`` items for lmus_instance_user: every discovered association that is not already absent.

    Each item carries the identity provider exactly as the service listed it.
    """
    return [
        dict(username=r["username"], instance_id=r["instance_id"], domain=r.get("domain"), identity_provider=r["identity_provider"])
        for r in instance_users
        if r.get("status") not in ASSOCIATION_ABSENT
    ]


def offboard_subscription_items(product_subscriptions, products=None):
    """``users`` items for lmus_product_subscription: every discovered subscription to stop (of ``products``, if given)."""
    return [
        dict(username=r["username"], product=r["product"], domain=r.get("domain"), identity_provider=r["identity_provider"])
        for r in product_subscriptions
        if r.get("status") not in SUBSCRIPTION_ABSENT and (not products or r["product"] in products)
    ]


def offboard_user_items(usernames, key=None, values=None):
    """``users`` items for a write module with state=absent: one per user, or one per user and value of ``key``.

    Without ``values`` an item names only the user, and the module removes every
    record of theirs wherever it finds one.
    """
    if not values:
        return [dict(username=name) for name in usernames]
    return [{"username": name, key: value} for name in usernames for value in values]


def _write_records(result, where, done, report, seen):
    """Sort a write module's results into the report; ``seen`` collects the users with a record or a failure.

    A record another entry already reported (a repeated item, or one whose write another item made) is left out.
    """
    reported = set()
    for item in (result or {}).get("results") or []:
        after = item.get("instance_user") or item.get("product_subscription") or {}
        record = dict(username=item.get("username"), domain=after.get("domain") or item.get("domain"), **{where: item.get(where)})
        record.update(directory_id=_directory(after), arn=after.get("instance_user_arn") or after.get("product_user_arn"))
        key = record["arn"] or (record["username"], record[where], item.get("msg"))
        if key in reported:
            continue
        reported.add(key)
        if item.get("failed"):
            report["failed"].append(dict(record, code=item.get("code"), msg=item.get("msg")))
        elif item.get("changed"):
            report[done].append(record)
        elif after:
            report["already_absent"].append(dict(record, status=after.get("status")))
        else:
            continue  # nothing of this user here
        seen.add(item.get("username"))


def _read_failures(info, where, usernames, report):
    for failure in (info or {}).get("failures") or []:
        report["failed"].append(dict(usernames=list(usernames), code=failure.get("code"), msg=failure.get("msg"), **{where: failure.get(where)}))


def offboard_report(usernames, associations=None, subscriptions=None, disassociated=None, unsubscribed=None, products=None, dry_run=False):
    """The offboarding report: every departing user ends in at least one known outcome.

    ``disassociated`` / ``unsubscribed`` are the registered batch results (None when
    skipped). ``associations`` / ``subscriptions`` are registered info module results,
    for a run that listed first and gave the write modules only what it found (None otherwise).
    """
    report = {outcome: [] for outcome in OUTCOMES}
    found = set()
    for record in (associations or {}).get("instance_users") or []:
        found.add(record["username"])
        if record.get("status") in ASSOCIATION_ABSENT:
            report["already_absent"].append({k: record.get(k) for k in ("username", "domain", "instance_id", "status")})
    for record in (subscriptions or {}).get("product_subscriptions") or []:
        if products and record["product"] not in products:
            continue
        found.add(record["username"])
        if record.get("status") in SUBSCRIPTION_ABSENT:
            report["already_absent"].append({k: record.get(k) for k in ("username", "domain", "product", "status")})
    _read_failures(associations, "instance_id", usernames, report)
    _read_failures(subscriptions, "directory_id", usernames, report)
    _write_records(disassociated, "instance_id", "disassociated", report, found)
    _write_records(unsubscribed, "product", "unsubscribed", report, found)
    # A user found nowhere is not_found only when every read succeeded; otherwise the
    # failed records name them, since they may hold something where the read failed.
    unread = any((info or {}).get("failures") for info in (associations, subscriptions))
    report["not_found"] = [] if unread else [dict(username=name) for name in usernames if name not in found]
    report["dry_run"] = bool(dry_run)
    report["usernames"] = list(usernames)
    report["counts"] = {outcome: len(report[outcome]) for outcome in OUTCOMES}
    return report


def offboard_summary(report):
    """A few lines for people: counts per outcome, then per instance."""
    counts = report["counts"]
    head = "Offboarding dry run" if report.get("dry_run") else "Offboarding"
    verb = "would be " if report.get("dry_run") else ""
    lines = [
        f"{head} of {len(report['usernames'])} user(s): {counts['disassociated']} association(s) {verb}removed, "
        f"{counts['unsubscribed']} subscription(s) {verb}stopped, {counts['already_absent']} already absent, "
        f"{counts['not_found']} user(s) not found, {counts['failed']} failure(s)"
    ]
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
    for record in report["failed"][:MAX_LINES]:
        lines.append(f"  FAILED {record.get('username') or ', '.join(record.get('usernames', []))}: {record.get('msg')}")
    if len(report["failed"]) > MAX_LINES:
        lines.append(f"  ... and {len(report['failed']) - MAX_LINES} more failure(s)")
    return lines


class FilterModule:
    def filters(self):
        return dict(
            departing_usernames=departing_usernames,
            offboard_association_items=offboard_association_items,
            offboard_subscription_items=offboard_subscription_items,
            offboard_user_items=offboard_user_items,
            offboard_report=offboard_report,
            offboard_summary=offboard_summary,
        )
