# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Who holds what: every user's associations and product subscriptions in one account-region.

A user is a user name (compared as Active Directory compares names, names.py) in a domain
(compared without regard to case; a record without a domain is a user of no domain). What a user
holds is every record whose phase (resources.py: from the status word and the dates) is not
``removed``: a record in a phase nobody can tell (``unknown``) is listed as held, so that a
licence that may still be billed is never hidden.
"""

from __future__ import annotations

from typing import Any
from typing import Optional

from .identity import directory_of
from .names import name_key
from .resources import ASSOCIATIONS
from .resources import PRODUCTS
from .resources import REMOVED
from .resources import SUBSCRIPTIONS
from .resources import Record


def user_key(record: Record) -> tuple[str, str]:
    """The user a record belongs to: its name's key and its domain in lower case ("" for none)."""
    return name_key(str(record.get("Username") or "")), str(record.get("Domain") or "").lower()


def _held(resource: Any, record: Record, include_removed: bool) -> Optional[str]:
    """The record's phase when it is listed, else None."""
    phase = resource.phase(record)
    return phase if include_removed or phase != REMOVED else None


def _user(users: dict[tuple[str, str], dict[str, Any]], record: Record) -> dict[str, Any]:
    key = user_key(record)
    if key not in users:
        users[key] = dict(username=str(record.get("Username") or ""), domain=record.get("Domain") or None, instances=[], products=[])
    return users[key]


def build_inventory(instances: list[Record], associations: list[Record], subscriptions: list[Record], include_removed: bool = False) -> dict[str, Any]:
    """The inventory: ``users`` (sorted by name, then domain), ``instances``, ``products`` (counts per product) and ``counts``."""
    users: dict[tuple[str, str], dict[str, Any]] = {}
    per_instance: dict[str, set[tuple[str, str]]] = {}
    held_associations = 0
    for record in associations:
        phase = _held(ASSOCIATIONS, record, include_removed)
        if phase is None:
            continue
        _user(users, record)["instances"].append(dict(
            instance_id=record.get("InstanceId"), status=record.get("Status"), phase=phase,
            directory_id=directory_of(record.get("IdentityProvider") or {}), association_date=record.get("AssociationDate")))
        if phase != REMOVED:
            per_instance.setdefault(str(record.get("InstanceId")), set()).add(user_key(record))
            held_associations += 1
    per_product: dict[str, dict[str, Any]] = {product: dict(users=set(), subscriptions=0) for product in PRODUCTS}
    for record in subscriptions:
        phase = _held(SUBSCRIPTIONS, record, include_removed)
        if phase is None:
            continue
        held = dict(product=record.get("Product"), status=record.get("Status"), phase=phase,
                    directory_id=directory_of(record.get("IdentityProvider") or {}),
                    subscription_start_date=record.get("SubscriptionStartDate"))
        if record.get("LicenseExpirationDate"):
            held["license_expiration_date"] = record["LicenseExpirationDate"]
        _user(users, record)["products"].append(held)
        if phase != REMOVED:
            tally = per_product.setdefault(str(record.get("Product")), dict(users=set(), subscriptions=0))
            tally["users"].add(user_key(record))
            tally["subscriptions"] += 1
    listed = []
    for key in sorted(users):
        user = users[key]
        user["instances"].sort(key=lambda held: str(held["instance_id"]))
        user["products"].sort(key=lambda held: str(held["product"]))
        listed.append(user)
    instance_rows = [dict(instance_id=summary.get("InstanceId"), status=summary.get("Status"), products=list(summary.get("Products") or []),
                          directory_id=directory_of(summary.get("IdentityProvider") or {}),
                          users=len(per_instance.get(str(summary.get("InstanceId")), ())))
                     for summary in sorted(instances, key=lambda summary: str(summary.get("InstanceId")))]
    products = {product: dict(users=len(tally["users"]), subscriptions=tally["subscriptions"]) for product, tally in sorted(per_product.items())}
    return dict(
        users=listed,
        instances=instance_rows,
        products=products,
        counts=dict(users=len(listed), holders=sum(1 for user in listed if _holds(user)), instances=len(instance_rows),
                    associations=held_associations, subscriptions=sum(t["subscriptions"] for t in per_product.values())),
    )


def _holds(user: dict[str, Any]) -> bool:
    """Whether a listed user holds anything (with include_removed, a user may be listed with removed records only)."""
    return any(held["phase"] != REMOVED for held in user["instances"] + user["products"])
