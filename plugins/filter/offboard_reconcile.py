# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filters of the offboard role's inventory and reconcile entry points: who holds what, and who should no longer."""

from __future__ import annotations

import base64
import binascii
import csv
import io
from typing import Any
from typing import Optional

from ansible.errors import AnsibleFilterError

from ansible_collections.lmus.user_subscriptions.plugins.filter.offboard import _bounded
from ansible_collections.lmus.user_subscriptions.plugins.filter.offboard import departing_usernames
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.names import name_key
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.resources import PRODUCTS
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.resources import REMOVED
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.validation import describe

# A spreadsheet runs a cell that starts with one of these as a formula: such a cell gets a leading '.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


# ---------------------------------------------------------------- keep entries

def _entry(text: str) -> tuple[str, Optional[str], bool]:
    """``jdoe`` -> (key, None, False); ``jdoe@corp.example.com`` -> (key, domain, False); ``CORP\\jdoe`` -> (key, CORP, True)."""
    if "\\" in text:
        domain, _sep, name = text.partition("\\")
        return name_key(name.strip()), domain.strip().lower(), True
    name, sep, domain = text.rpartition("@")
    if sep:
        return name_key(name.strip()), domain.strip().lower(), False
    return name_key(text.strip()), None, False


def _matches(entry: tuple[str, Optional[str], bool], key: str, domain: str) -> bool:
    """Whether a keep entry names the user (``key``, ``domain``); a user of no domain matches any entry's domain."""
    name, wanted, netbios = entry
    if name != key:
        return False
    if wanted is None or not domain:
        return True
    return domain == wanted or (netbios and domain.split(".")[0] == wanted)


def _entries(values: list[str], label: str, show_values: bool = True) -> list[tuple[str, tuple[str, Optional[str], bool]]]:
    """The entries as given, parsed; one whose name or domain part is blank is refused."""
    parsed = []
    for n, value in enumerate(values):
        entry = _entry(value)
        if not entry[0] or entry[1] == "":
            shown = repr(value) if show_values else f"entry {n + 1} (hidden: offboard_no_log)"
            raise AnsibleFilterError(f"{label}: {shown} is not a user name: write NAME, NAME@DOMAIN or DOMAIN\\NAME")
        parsed.append((value, entry))
    return parsed


def _rules(keep_products: Any, show_values: bool) -> list[tuple[list[tuple[str, tuple[str, Optional[str], bool]]], set[str]]]:
    """offboard_keep_products: a list of {usernames, products}; each product one the botocore model names."""
    if keep_products in (None, [], {}):
        return []
    if not isinstance(keep_products, list):
        raise AnsibleFilterError(f"offboard_keep_products: {describe(keep_products)} is not a list of {{usernames, products}} mappings")
    rules = []
    for n, rule in enumerate(keep_products):
        where = f"offboard_keep_products[{n}]"
        if not isinstance(rule, dict) or set(rule) != {"usernames", "products"}:
            shown = describe(rule) if show_values else (f"the keys {sorted(map(str, rule))}" if isinstance(rule, dict) else type(rule).__name__)
            raise AnsibleFilterError(f"{where}: a mapping with exactly the keys usernames and products is required, got {shown}")
        products = rule["products"]
        if not isinstance(products, list) or not products or not all(isinstance(p, str) for p in products):
            got = describe(products) if show_values else type(products).__name__
            raise AnsibleFilterError(f"{where}.products: a non-empty list of products is required, got {got}"
                                     " (a kept user with no product to keep is not kept: leave them off the keep list)")
        unknown = [p for p in products if p not in PRODUCTS]
        if unknown:
            raise AnsibleFilterError(f"{where}.products: {', '.join(map(repr, unknown))} not a product; the products are {', '.join(PRODUCTS)}. "
                                     "A misspelt product would stop the subscriptions it was meant to keep. Nothing was done.")
        names = departing_usernames(rule["usernames"], f"{where}.usernames", show_values)
        if not names:
            raise AnsibleFilterError(f"{where}.usernames: no user name given")
        rules.append((_entries(names, f"{where}.usernames", show_values), set(products)))
    return rules


def offboard_utf8(content: str, where: str = "the file") -> str:
    """A file's content as slurp gives it (base64) decoded as UTF-8, without a byte order mark at the start.

    Bytes that are not UTF-8 (a file saved as Latin-1 or Windows-1252) are refused, naming the first one, rather than
    turned into replacement characters: a name changed that way would match nobody, and its holder would be removed.
    """
    try:
        data = base64.b64decode(content, validate=True)
    except (binascii.Error, TypeError, ValueError) as e:
        raise AnsibleFilterError(f"{where}: not base64 content ({e})") from e
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise AnsibleFilterError(f"{where}: byte {e.start} (0x{data[e.start]:02x}) is not UTF-8; save the file as UTF-8") from e
    return text[1:] if text.startswith("\ufeff") else text


def offboard_keep_list(keep_usernames: Any, file_names: Any = None, keep_products: Any = None, show_values: bool = True) -> list[str]:
    """The keep list: offboard_keep_usernames and the names of offboard_keep_file, each checked as departing users' names are
    and as an entry (NAME, NAME@DOMAIN or DOMAIN\\NAME), unique in order; offboard_keep_products is checked too. All before any call."""
    names = departing_usernames(keep_usernames, "offboard_keep_usernames", show_values)
    seen = {name_key(name) for name in names}  # one person once, however each source spells the name
    names += [name for name in departing_usernames(file_names, "offboard_keep_file", show_values) if name_key(name) not in seen]
    keep = _entries(names, "offboard_keep_usernames", show_values)
    kept = {entry[0] for _given, entry in keep}
    for n, (entries, _products) in enumerate(_rules(keep_products, show_values)):
        strangers = [given for given, entry in entries if entry[0] not in kept]
        if strangers:
            shown = ", ".join(map(repr, strangers)) if show_values else f"{len(strangers)} name(s) (hidden: offboard_no_log)"
            raise AnsibleFilterError(f"offboard_keep_products[{n}].usernames: {shown} not on the keep list: a rule keeps products of kept users only"
                                     " (add them to the keep list, or remove them from the rule). Nothing was done.")
    return names


# ---------------------------------------------------------------- the plan

def offboard_reconcile(inventory: dict[str, Any], keep_usernames: list[str], keep_products: Any = None, domain: str = "",
                       max_removals: Optional[int] = None, max_removal_percent: Optional[float] = None, show_values: bool = True) -> dict[str, Any]:
    """Who is to lose what: every holder not kept loses everything; a kept user named in ``keep_products`` loses the other
    products, and the instances that provide them. Sorted by user name (as Active Directory compares names), then domain.

    ``inventory`` is an lmus_user_inventory_info result; ``keep_usernames`` the normalised keep list (departing_usernames).
    ``domain`` narrows the holders to one domain (a user of no domain is in every domain). The plan says whether the
    removals go beyond ``max_removals`` users or ``max_removal_percent`` of the holders (``limits.exceeded``).
    """
    if not keep_usernames:
        raise AnsibleFilterError("offboard_keep_usernames: the keep list is empty; it would remove everyone. Nothing was done.")
    keep = _entries(keep_usernames, "offboard_keep_usernames", show_values)
    rules = _rules(keep_products, show_values)
    products_of = {i["instance_id"]: set(i.get("products") or []) for i in inventory.get("instances") or []}
    wanted_domain = (domain or "").lower()
    matched: set[int] = set()
    by_name: dict[str, list[int]] = {}  # name key -> the keep entries of that name: linear in the sizes, not their product
    for n, (_given, entry) in enumerate(keep):
        by_name.setdefault(entry[0], []).append(n)
    holders, remove, trim, held_back = 0, [], [], []
    everyone: dict[str, list[dict[str, Any]]] = {}  # name key -> every holder of that name, in any domain, planned or not
    for user in inventory.get("users") or []:
        key, user_domain = name_key(user["username"]), (user.get("domain") or "").lower()
        instances = sorted({i["instance_id"] for i in user.get("instances") or [] if i.get("phase") != REMOVED})
        products = sorted({p["product"] for p in user.get("products") or [] if p.get("phase") != REMOVED})
        if not instances and not products:
            continue
        held = dict(username=user["username"], domain=user.get("domain"), instances=instances, products=products)
        everyone.setdefault(key, []).append(held)
        if wanted_domain and user_domain and user_domain != wanted_domain:
            continue
        holders += 1
        hits = [n for n in by_name.get(key, ()) if _matches(keep[n][1], key, user_domain)]
        matched.update(hits)
        expiry = [p["license_expiration_date"] for p in user.get("products") or [] if p.get("license_expiration_date") and p.get("phase") != REMOVED]
        if expiry:
            held["license_expiration_date"] = max(expiry)
        if not hits:
            remove.append(dict(held, why="not kept"))
            continue
        allowed_lists = [products_ for entries, products_ in rules if any(_matches(entry, key, user_domain) for _given, entry in entries)]
        if not allowed_lists:
            continue
        allowed = set().union(*allowed_lists)
        extra = sorted(set(products) - allowed)
        if extra:
            trimmed = _trim(held, extra, allowed, products_of, held_back)
            if trimmed:
                trim.append(trimmed)
    _hold_back_shared_records(remove + trim, everyone, held_back)
    remove = [r for r in remove if r["instances"] or r["products"]]
    trim = [r for r in trim if r["instances"] or r["products"]]
    remove.sort(key=_order)
    trim.sort(key=_order)
    affected = len(remove) + len(trim)
    exact = 100.0 * affected / holders if holders else 0.0
    percent = round(exact, 1)
    exceeded = []
    if max_removals is not None and affected > max_removals:
        exceeded.append(f"{affected} users would lose licences, more than offboard_max_removals ({max_removals})")
    if max_removal_percent is not None and exact > max_removal_percent:  # the exact share: 33.33...% is more than 33.33%
        exceeded.append(f"{affected} of {holders} holders ({percent}%) would lose licences, more than offboard_max_removal_percent ({max_removal_percent}%)")
    return dict(
        remove=remove,
        trim=trim,
        kept_not_found=[given for n, (given, _entry) in enumerate(keep) if n not in matched],
        held_back=sorted(held_back, key=_order),
        domain=domain or None,
        counts=dict(holders=holders, keep=len(keep), remove=len(remove), trim=len(trim), affected=affected, percent=percent,
                    associations=sum(len(r["instances"]) for r in remove + trim), subscriptions=sum(len(r["products"]) for r in remove + trim),
                    kept_not_found=len(keep) - len(matched), held_back=len(held_back)),
        limits=dict(max_removals=max_removals, max_removal_percent=max_removal_percent, exceeded=exceeded),
    )


def _trim(held: dict[str, Any], extra: list[str], allowed: set[str], products_of: dict[str, set[str]],
          held_back: list[dict[str, Any]]) -> Optional[dict[str, Any]]:
    """What a kept user with products not kept loses: those products, and the instances that provide one of them and none the user
    keeps. A product still provided by an instance the user stays on is held back (AWS stops an Office or Visual Studio
    subscription only once the user is on no instance that provides it, and leaving would take away a product the user keeps)."""
    leave = [i for i in held["instances"] if products_of.get(i, set()) & set(extra) and not products_of.get(i, set()) & allowed]
    staying = [i for i in held["instances"] if i not in leave]
    stop = []
    for product in extra:
        blocking = [i for i in staying if product in products_of.get(i, set())]
        if blocking:
            held_back.append(dict(username=held["username"], domain=held["domain"], product=product,
                                  why=f"instance {blocking[0]} provides it and a product the user keeps"))
        else:
            stop.append(product)
    if not leave and not stop:
        return None
    trimmed = dict(held, instances=leave, products=stop, why="products not kept")
    if "REMOTE_DESKTOP_SERVICES" not in stop:
        trimmed.pop("license_expiration_date", None)  # the Remote Desktop licence is kept
    return trimmed


def _hold_back_shared_records(planned: list[dict[str, Any]], everyone: dict[str, list[dict[str, Any]]], held_back: list[dict[str, Any]]) -> None:
    """Leave out of ``planned`` each instance or product where the write would also reach a record that is not planned.

    The write modules match a user's records by name and domain, and a record without a domain matches every domain: an item
    for jdoe of emea.example.com on an instance also removes the record there of jdoe without a domain. When such another
    holder of the name keeps that instance or product, the place is held back (listed, not removed).
    """
    planned_by_holder = {}
    for record in planned:
        planned_by_holder[(name_key(record["username"]), (record.get("domain") or "").lower())] = record
    for record in planned:
        key, domain = name_key(record["username"]), (record.get("domain") or "").lower()
        for field, what in (("instances", "instance_id"), ("products", "product")):
            kept_places = []
            for place in record[field]:
                shared = False
                for other in everyone.get(key, ()):
                    other_domain = (other.get("domain") or "").lower()
                    if other_domain == domain or (domain and other_domain and other_domain != domain) or place not in other[field]:
                        continue
                    other_plan = planned_by_holder.get((key, other_domain))
                    if other_plan is None or place not in other_plan[field]:
                        shared = True
                        break
                if shared:
                    held_back.append({"username": record["username"], "domain": record.get("domain"), what: place,
                                      "why": "the same name without a domain (or with none here) holds it too and keeps it"})
                else:
                    kept_places.append(place)
            record[field] = kept_places


def _order(record: dict[str, Any]) -> tuple[str, str]:
    """Users sorted by name, as Active Directory compares names, then domain."""
    return name_key(record["username"]), (record.get("domain") or "").lower()


def offboard_reconcile_items(plan: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    """The write modules' ``users`` items of a plan: ``associations`` (a user and an instance) or ``subscriptions`` (a user and a product).

    Each item names the place, and the user's domain when the holder has one, so that only what the plan lists is removed.
    """
    field, key = ("instances", "instance_id") if kind == "associations" else ("products", "product")
    items = []
    for record in plan["remove"] + plan["trim"]:
        for value in record[field]:
            item = {"username": record["username"], key: value}
            if record.get("domain"):
                item["domain"] = record["domain"]
            items.append(item)
    return items


def _held(record: dict[str, Any]) -> str:
    parts = []
    if record["instances"]:
        parts.append(f"{len(record['instances'])} instance(s) {', '.join(record['instances'][:5])}{' ...' if len(record['instances']) > 5 else ''}")
    if record["products"]:
        parts.append(", ".join(record["products"]))
    if record.get("license_expiration_date"):
        parts.append(f"Remote Desktop licence until {record['license_expiration_date']}")
    return "; ".join(parts)


def offboard_reconcile_summary(plan: dict[str, Any], dry_run: bool = True, names: bool = True) -> list[str]:
    """The plan for the job log: counts and limits, then EVERY user who would lose something, sorted, with what they hold."""
    counts, verb = plan["counts"], "would lose"  # a plan, also in a real run: it is shown before anything is done
    lines = [f"Reconcile{' dry run' if dry_run else ''}{' in domain ' + plan['domain'] if plan.get('domain') else ''}: "
             f"{counts['holders']} user(s) hold licences, {counts['keep']} name(s) on the keep list; {counts['remove']} not kept {verb} everything, "
             f"{counts['trim']} kept {verb} products not kept: {counts['associations']} association(s), {counts['subscriptions']} subscription(s); "
             f"{counts['affected']} user(s) = {counts['percent']}% of holders (limits: {_limit(plan['limits'])})"]
    for message in plan["limits"]["exceeded"]:
        lines.append(f"  LIMIT EXCEEDED: {message}")
    if names:
        lines.extend(f"  REMOVE {r['username']}{' (' + r['domain'] + ')' if r.get('domain') else ''}: {_held(r)}" for r in plan["remove"])
        lines.extend(f"  TRIM {r['username']}{' (' + r['domain'] + ')' if r.get('domain') else ''}: {_held(r)}" for r in plan["trim"])
        for record in plan.get("held_back") or []:
            where = record.get("instance_id") or record.get("product")
            who = record["username"] + (f" ({record['domain']})" if record.get("domain") else "")
            lines.append(f"  HELD BACK {who}: {where}, not removed: {record['why']}")
        if plan["kept_not_found"]:
            lines.append(f"  KEPT BUT HOLDING NOTHING ({len(plan['kept_not_found'])}; a typo or a stale list?): {_bounded(plan['kept_not_found'])}")
    else:
        if plan.get("held_back"):
            lines.append(f"  HELD BACK: {len(plan['held_back'])} instance(s) or product(s) not removed; the report file says whose and why")
        if plan["kept_not_found"]:
            lines.append(f"  KEPT BUT HOLDING NOTHING: {len(plan['kept_not_found'])} name(s); names in the report file")
    return lines


def _limit(limits: dict[str, Any]) -> str:
    shown = [f"{limits['max_removals']} users" if limits["max_removals"] is not None else "",
             f"{limits['max_removal_percent']}%" if limits["max_removal_percent"] is not None else ""]
    return ", ".join(s for s in shown if s) or "lifted"


# ---------------------------------------------------------------- the inventory for people

def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def offboard_inventory_csv(inventory: dict[str, Any]) -> str:
    """One row per user: name, domain, instance count and IDs, a column per product (its status, blank when none), the
    Remote Desktop licence's expiry. A cell a spreadsheet would run as a formula (=, +, -, @) starts with a '."""
    products = sorted(set(PRODUCTS) | {p["product"] for u in inventory.get("users") or [] for p in u.get("products") or []})
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["username", "domain", "instance_count", "instance_ids"] + products + ["license_expiration_date"])
    for user in inventory.get("users") or []:
        held = {p["product"]: p.get("status") for p in user.get("products") or []}
        expiry = max((p.get("license_expiration_date") or "" for p in user.get("products") or []), default="")
        instances = [i["instance_id"] for i in user.get("instances") or []]
        writer.writerow([_cell(v) for v in [user["username"], user.get("domain"), len(instances), " ".join(instances)]
                         + [held.get(p) for p in products] + [expiry]])
    return out.getvalue()


def offboard_inventory_summary(inventory: dict[str, Any]) -> list[str]:
    """Counts for the job log: users, instances, and users per product."""
    counts = inventory["counts"]
    lines = [f"Inventory: {counts['holders']} user(s) hold {counts['associations']} association(s) on {counts['instances']} instance(s) "
             f"and {counts['subscriptions']} product subscription(s)"]
    lines.extend(f"  {product}: {tally['users']} user(s)" for product, tally in sorted(inventory["products"].items()))
    if inventory.get("failures"):
        lines.append(f"  INCOMPLETE: {len(inventory['failures'])} read(s) failed")
    return lines


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return dict(
            offboard_keep_list=offboard_keep_list,
            offboard_utf8=offboard_utf8,
            offboard_reconcile=offboard_reconcile,
            offboard_reconcile_items=offboard_reconcile_items,
            offboard_reconcile_summary=offboard_reconcile_summary,
            offboard_inventory_csv=offboard_inventory_csv,
            offboard_inventory_summary=offboard_inventory_summary,
        )
