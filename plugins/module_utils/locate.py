# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Find the records of requested items: which places to read, each read once, and which record is whose.

A *place* is what one paginated list call reads: an instance under its identity
provider (ListUserAssociations), or an identity provider and a product, or every
product (ListProductSubscriptions). An item that names its place and identity
provider is read there; an item without them (state=absent in batch mode) is
looked for at every place it may be: the instances from ListInstances, or the
registered identity providers from ListIdentityProviders.

The result is one Entry per item and place where its records are (or one saying
why there is none), for converge.py to act on. The info modules read places with
the same functions (instance_places, registered_identity_providers, read_places).
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from typing import Any
from typing import Callable
from typing import Optional
from typing import Union

from .client import LmusError
from .client import equals_filters
from .client import list_all
from .concurrency import Failure
from .concurrency import run_bounded
from .identity import directory_of
from .identity import identity_key
from .items import Item
from .names import name_key
from .resources import ASSOCIATIONS
from .resources import SUBSCRIPTIONS
from .resources import Record
from .resources import Resource


@dataclass(frozen=True)
class Place:
    """An instance (associations) or a product, None for every product (subscriptions), under one identity provider."""

    where: Optional[str]
    provider_key: Optional[str]
    identity_provider: dict[str, Any] = field(compare=False, hash=False)
    unreadable: str = field(default="", compare=False, hash=False)  # why this place cannot be read at all


def place(where: Optional[str], identity_provider: dict[str, Any]) -> Place:
    return Place(where, identity_key(identity_provider), identity_provider)


Read = Union[list[Record], Failure]  # a place's records, or why they could not be read


@dataclass
class Entry:
    """An item at one place: the records found there that are its, or why there are none."""

    item: Item
    place: Optional[Place]
    records: list[Record] = field(default_factory=list)
    error: Optional[BaseException] = None
    who: str = ""  # names the item in messages
    note: str = ""  # why nothing was found
    reason: Optional[str] = None  # the same as a word (NOT_FOUND_REASONS)


# ---------------------------------------------------------------- names in messages

def who(resource: Resource, item: Item) -> str:
    """The item in words: ``user 'jdoe' on instance i-...``, ``OFFICE_STANDARD subscription of user 'jdoe'``."""
    if resource is ASSOCIATIONS:
        name = f"user {item.username!r}" if item.username else f"association {item.arn}"
        return f"{name} on instance {item.where}" if item.where else name
    if not item.username:
        return f"product subscription {item.arn}"
    return f"{item.where or 'product'} subscription of user {item.username!r}"


def what_read(resource: Resource, where: Optional[Place]) -> str:
    if where is None:
        return "list instances" if resource is ASSOCIATIONS else "list identity providers"
    directory = directory_of(where.identity_provider)
    if resource is ASSOCIATIONS:
        return f"list user associations of instance {where.where} (directory {directory})"
    return f"list product subscriptions of directory {directory}" + (f" for {where.where}" if where.where else "")


# ---------------------------------------------------------------- reading

def list_instances(client: Any, instance_id: Optional[str] = None) -> list[Record]:
    """InstanceSummaries from ListInstances, optionally narrowed to one instance."""
    params = dict(Filters=equals_filters(InstanceId=instance_id)) if instance_id else {}
    return list_all(client, "list_instances", "InstanceSummaries", f"list instance {instance_id}" if instance_id else "list instances", **params)


def instance_places(instances: list[Record], instance_ids: Optional[list[str]] = None, identity_provider: Optional[dict[str, Any]] = None) -> list[Place]:
    """The places of listed instances, narrowed to ``instance_ids`` and to ``identity_provider``.

    An instance listed without its IdentityProvider (botocore older than 1.40.35 drops the
    member) is read with ``identity_provider`` when one is given; otherwise it is a place
    that cannot be read, so that its users fail there instead of looking absent.
    """
    wanted = identity_key(identity_provider)
    places = []
    for summary in instances:
        instance_id, provider = summary["InstanceId"], summary.get("IdentityProvider")
        if instance_ids and instance_id not in instance_ids:
            continue
        if provider:
            if wanted in (None, identity_key(provider)):
                places.append(place(instance_id, provider))
        elif identity_provider:
            places.append(place(instance_id, identity_provider))
        else:
            reason = (f"ListInstances gave no IdentityProvider for instance {instance_id}, so it cannot be read "
                      "(botocore releases older than 1.40.35 leave the member out): give directory_id or identity_provider")
            places.append(Place(instance_id, None, {}, reason))
    return places


def registered_identity_providers(client: Any, warn: Callable[[str], None] = lambda message: None) -> list[dict[str, Any]]:
    """Each registered identity provider once (ListIdentityProviders lists one summary per provider and product).

    A provider whose status is not REGISTERED is left out, with a warning naming it.
    """
    providers: dict[Optional[str], dict[str, Any]] = {}
    skipped: dict[Optional[str], str] = {}
    for summary in list_all(client, "list_identity_providers", "IdentityProviderSummaries", "list identity providers"):
        key = identity_key(summary["IdentityProvider"])
        if str(summary.get("Status") or "REGISTERED").upper() == "REGISTERED":
            providers.setdefault(key, summary["IdentityProvider"])
        else:
            skipped.setdefault(key, str(summary.get("Status")))
    for key, status in skipped.items():
        if key not in providers:
            warn(f"identity provider {key} is {status}, not REGISTERED: its subscriptions were not read")
    return list(providers.values())


def read_place(client: Any, resource: Resource, where: Place) -> list[Record]:
    """Every record at one place.

    Never narrowed with the Username filter: user names are matched without regard to
    case here, and nothing says the service's filter does the same.
    """
    if where.unreadable:
        raise LmusError(message=where.unreadable)
    params: dict[str, Any] = dict(IdentityProvider=where.identity_provider)
    if where.where:
        params[resource.place_field] = where.where
    return list_all(client, resource.list_call, resource.list_key, what_read(resource, where), **params)


def read_places(client: Any, resource: Resource, places: list[Place], concurrency: int) -> dict[Place, Read]:
    """Read each place once, concurrently; a place that cannot be read gets a Failure."""
    return dict(zip(places, run_bounded(lambda where: read_place(client, resource, where), places, concurrency)))


# ---------------------------------------------------------------- matching

def _placed(item: Item) -> bool:
    """Whether the item names its place and identity provider: it is read there and nowhere else."""
    return item.where is not None and item.identity_provider is not None


def same_name(a: Optional[str], b: Optional[str]) -> bool:
    """Active Directory user names compare without regard to case."""
    return a is not None and b is not None and name_key(a) == name_key(b)


def is_match(resource: Resource, item: Item, record: Record) -> bool:
    """Whether a record is the item's: by ARN, or by user name (any case), domain (a record without one matches any) and product."""
    if item.arn:
        return record.get(resource.arn_field) == item.arn
    if not same_name(record.get("Username"), item.username):
        return False
    if item.domain is not None and record.get("Domain") is not None and record["Domain"].lower() != item.domain.lower():
        return False
    return resource is ASSOCIATIONS or item.where is None or record.get("Product") == item.where


# One index per list of records read (keyed by the list's id, which lives as long as the read): by user
# name (names.py's key), and by ARN, so that matching many items against a place costs one pass over it.
_INDEXES: dict[int, tuple[list[Record], dict[Any, list[Record]]]] = {}


def _index(resource: Resource, records: list[Record]) -> dict[Any, list[Record]]:
    cached = _INDEXES.get(id(records))
    if cached is not None and cached[0] is records:
        return cached[1]
    index: dict[Any, list[Record]] = {}
    for record in records:
        index.setdefault(name_key(str(record.get("Username") or "")), []).append(record)
        if record.get(resource.arn_field):
            index.setdefault(("arn", record[resource.arn_field]), []).append(record)
    _INDEXES[id(records)] = (records, index)
    return index


def matches(resource: Resource, item: Item, records: list[Record]) -> list[Record]:
    """The item's records among ``records``, found through an index of them (see is_match for the rule)."""
    key = ("arn", item.arn) if item.arn else name_key(item.username or "")
    return [record for record in _index(resource, records).get(key, []) if is_match(resource, item, record)]


def _by_place_and_domain(resource: Resource, found: list[Record]) -> dict[tuple[str, Optional[str]], list[Record]]:
    """A user's records at one place, grouped by where they are and their domain (any domain when one has none)."""
    groups: dict[tuple[str, Optional[str]], list[Record]] = {}
    for where in dict.fromkeys(r.get(resource.place_field) for r in found):
        here = [r for r in found if r.get(resource.place_field) == where]
        if any(r.get("Domain") is None for r in here):
            groups[(where, None)] = here
            continue
        for record in here:
            groups.setdefault((where, record["Domain"].lower()), []).append(record)
    return groups


# Why an item has no record, as data (results[].reason): the places were read and hold none of the user's records;
# the instance the item names is not among those ListInstances returns (unknown here: another region or account,
# a typo, or deregistered); no instance (with the item's identity provider) is listed; no identity provider is registered.
NO_RECORD, INSTANCE_NOT_LISTED, NO_INSTANCE, NO_IDENTITY_PROVIDER = "no_record", "instance_not_listed", "no_instance", "no_identity_provider"


def _not_found(resource: Resource, item: Item, candidates: list[Place]) -> tuple[str, str]:
    """Why the item has no record: (reason, message)."""
    if resource is SUBSCRIPTIONS:
        if not candidates:
            return NO_IDENTITY_PROVIDER, f"{who(resource, item)}: no identity provider is registered (ListIdentityProviders), nothing to remove"
        return NO_RECORD, f"no {who(resource, item)} was found under the {len(candidates)} identity provider(s) read, nothing to remove"
    if candidates:
        return NO_RECORD, f"{who(resource, item)} has no association on the {len(candidates)} instance(s) read, nothing to remove"
    if item.where:
        return INSTANCE_NOT_LISTED, f"{who(resource, item)}: the instance was not found (ListInstances), nothing to remove"
    because = "no instance has this identity provider" if item.identity_provider else "no instance was found"
    return NO_INSTANCE, f"{who(resource, item)}: {because} (ListInstances), nothing to remove"


def entries_of(resource: Resource, item: Item, candidates: Union[list[Place], Failure], reads: dict[Place, Read]) -> list[Entry]:
    """The entries of one item, once the places it may be at are read."""
    if isinstance(candidates, Failure):
        what = f"{resource.noun} {item.arn}" if item.arn else who(resource, item)
        return [Entry(item, None, error=candidates.exception, who=f"{what} could not be looked for")]
    if item.arn:
        return [_entry_by_arn(resource, item, candidates, reads)]
    known = _placed(item)
    entries = []
    for where in candidates:
        read = reads[where]
        if isinstance(read, Failure):
            here = item.at(where.where, where.identity_provider)
            entries.append(Entry(here, where, error=read.exception, who=who(resource, here)))
        elif known:
            found = matches(resource, item, read)
            here = item.at(item.where, item.identity_provider, username=found[0].get("Username")) if found else item
            entries.append(Entry(here, where, found, who=who(resource, here)))
        else:
            for (found_where, domain), records in _by_place_and_domain(resource, matches(resource, item, read)).items():
                here = item.at(found_where, where.identity_provider, records[0].get("Domain") if domain else None, records[0].get("Username"))
                entries.append(Entry(here, where, records, who=who(resource, here)))
    if entries:
        return entries
    reason, note = _not_found(resource, item, candidates)
    return [Entry(item, None, who=who(resource, item), note=note, reason=reason)]


def _entry_by_arn(resource: Resource, item: Item, candidates: list[Place], reads: dict[Place, Read]) -> Entry:
    """The entry of an item named by ARN: at the place that holds the ARN, else saying why it is not there."""
    unread = None
    for where in candidates:
        read = reads[where]
        if isinstance(read, Failure):
            unread = unread or read
            continue
        for record in read:
            if record.get(resource.arn_field) == item.arn:
                here = item.at(record.get(resource.place_field), where.identity_provider, record.get("Domain"), record.get("Username"))
                return Entry(here, where, [record], who=who(resource, here))
    if unread is not None:
        return Entry(item, None, error=unread.exception, who=f"{resource.noun} {item.arn} could not be looked for")
    return Entry(item, None, who=who(resource, item), note=f"no {resource.noun} with ARN {item.arn} was found, nothing to remove",
                 reason=NO_RECORD)


# ---------------------------------------------------------------- locating

def _locate(client: Any, resource: Resource, items: list[Item], candidates: list[Union[list[Place], Failure]], concurrency: int) -> list[Entry]:
    readers: dict[Place, list[Item]] = {}
    for item, places in zip(items, candidates):
        for where in places if isinstance(places, list) else []:
            readers.setdefault(where, []).append(item)
    reads = read_places(client, resource, list(readers), concurrency)
    return [entry for item, places in zip(items, candidates) for entry in entries_of(resource, item, places, reads)]


def _shared(items: list[Item], key: Callable[[Item], Any], places_of: Callable[[Item], Union[list[Place], Failure]]) -> list[Union[list[Place], Failure]]:
    """``places_of(item)`` for each item, computed once for items with the same key."""
    done: dict[Any, Union[list[Place], Failure]] = {}
    return [done[key(item)] if key(item) in done else done.setdefault(key(item), places_of(item)) for item in items]


def locate_instance_users(client: Any, items: list[Item], concurrency: int) -> list[Entry]:
    """The associations of each item, reading each instance (and identity provider) once.

    Items without an instance or identity provider look at the instances ListInstances
    gives: one unfiltered call covers them all when any lacks an instance ID; otherwise
    each instance is listed by ID.
    """
    wanted = {item.where for item in items if not _placed(item)}
    if None in wanted:
        wanted = {None}
    listed = dict(zip(wanted, run_bounded(lambda instance_id: list_instances(client, instance_id), wanted, concurrency)))

    def places_of(item: Item) -> Union[list[Place], Failure]:
        if _placed(item):
            return [place(item.where, item.identity_provider)]
        instances = listed[None if None in listed else item.where]
        if isinstance(instances, Failure):
            return instances
        return instance_places(instances, [item.where] if item.where else None, item.identity_provider)

    return _locate(client, ASSOCIATIONS, items, _shared(items, lambda i: (i.where, identity_key(i.identity_provider)), places_of), concurrency)


def locate_product_subscriptions(client: Any, items: list[Item], concurrency: int, warn: Callable[[str], None] = lambda message: None) -> list[Entry]:
    """The product subscriptions of each item, reading each identity provider (and product) once.

    Items without an identity provider look under every registered one (ListIdentityProviders).
    """
    providers: Union[list[dict[str, Any]], Failure, None] = None
    if any(item.identity_provider is None for item in items):
        try:
            providers = registered_identity_providers(client, warn)
        except LmusError as e:
            providers = Failure(e)

    def places_of(item: Item) -> Union[list[Place], Failure]:
        if item.identity_provider is not None:
            return [place(item.where, item.identity_provider)]
        if isinstance(providers, Failure):
            return providers
        return [place(item.where, provider) for provider in providers or []]

    return _locate(client, SUBSCRIPTIONS, items, _shared(items, lambda i: (i.where, identity_key(i.identity_provider)), places_of), concurrency)
