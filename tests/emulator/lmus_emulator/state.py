"""In-memory service state: seed loading, records, lazy status transitions and the operation handlers."""

import base64
import binascii
import copy
import hashlib
import json
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from .constants import (DEFAULT_ACCOUNT_ID, DEFAULT_PAGE_SIZE, DEFAULT_REGION, MAX_RESULTS_MAX, MAX_RESULTS_MIN, OFFICE_PRODUCTS, RDS_LICENSE_DAYS,
                        REMOTE_DESKTOP_SERVICES, VISUAL_STUDIO_PRODUCTS)
from .model import ApiError, ServiceModel, validation_error
from .rules import default_rules, merge_rules, rule_error
from .vocabulary import Vocabulary

INSTANCE_ID_RE = re.compile(r"i-(?:[0-9a-f]{8}|[0-9a-f]{17})")
DIRECTORY_ID_RE = re.compile(r"(?:d|sd)-[0-9a-f]{10}")
SEED_KEYS = ("identity_providers", "instances", "associations", "product_subscriptions")

# Filter attributes per operation: lower-case name -> (summary key, case sensitive value comparison).
FILTERS = {
    "ListUserAssociations": {"status": ("Status", False), "username": ("Username", True), "domain": ("Domain", False)},
    "ListInstances": {"status": ("Status", False), "instanceid": ("InstanceId", True)},
    "ListProductSubscriptions": {"status": ("Status", False), "username": ("Username", True), "domain": ("Domain", False),
                                 "product": ("Product", False)},
    "ListIdentityProviders": {"product": ("Product", False), "status": ("Status", False), "directoryid": ("DirectoryId", True)},
}
TOKEN_PREFIX = "lmus1"
FILTER_OPERATIONS = {"equals": True, "eq": True, "notequals": False, "ne": False}


class SeedError(ValueError):
    """A seed that cannot be loaded."""


ISO_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def iso_now():
    """Current UTC time as ISO-8601 (the model's date members are strings)."""
    return datetime.now(timezone.utc).strftime(ISO_FORMAT)


def license_expiration(product, start_date):
    """LicenseExpirationDate of a subscription: start + RDS_LICENSE_DAYS for Remote Desktop Services, else None."""
    if product != REMOTE_DESKTOP_SERVICES or not start_date:
        return None
    try:
        start = datetime.strptime(start_date, ISO_FORMAT)
    except (TypeError, ValueError):
        return None
    return (start + timedelta(days=RDS_LICENSE_DAYS)).strftime(ISO_FORMAT)


def _hex(*parts, length=32):
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:length]


def norm_domain(domain):
    """Domain key: case-insensitive, empty means none."""
    return domain.lower() if domain else None


def _snake_to_camel(key):
    if not key or key[0].isupper():
        return key
    return "".join(part[:1].upper() + part[1:] for part in key.split("_"))


def camel_keys(value):
    """Convert snake_case dict keys to the API's CamelCase, recursively."""
    if isinstance(value, dict):
        return {_snake_to_camel(k): camel_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [camel_keys(v) for v in value]
    return value


def directory_of(identity_provider):
    """DirectoryId of an API-form IdentityProvider, or None."""
    return ((identity_provider or {}).get("ActiveDirectoryIdentityProvider") or {}).get("DirectoryId")


def identity_provider_for(directory_id):
    """API-form IdentityProvider for a directory id."""
    return {"ActiveDirectoryIdentityProvider": {"DirectoryId": directory_id}}


def _compact(data):
    return {k: v for k, v in data.items() if v is not None}


@dataclass
class IdentityProviderRecord:
    """A registered identity provider for one product."""

    directory_id: str
    product: str
    identity_provider: dict
    settings: dict
    status: str
    arn: str
    owner_account_id: str
    failure_message: str = None

    def summary(self):
        """IdentityProviderSummary."""
        return _compact({"IdentityProvider": copy.deepcopy(self.identity_provider), "Settings": copy.deepcopy(self.settings),
                         "Product": self.product, "Status": self.status, "IdentityProviderArn": self.arn,
                         "FailureMessage": self.failure_message, "OwnerAccountId": self.owner_account_id})

    def dump(self):
        """Seed form."""
        return _compact({"directory_id": self.directory_id, "identity_provider": copy.deepcopy(self.identity_provider), "product": self.product,
                         "settings": copy.deepcopy(self.settings), "status": self.status, "arn": self.arn,
                         "owner_account_id": self.owner_account_id, "failure_message": self.failure_message})


@dataclass
class InstanceRecord:
    """An EC2 instance that provides user-based subscriptions."""

    instance_id: str
    directory_id: str
    identity_provider: dict
    products: list
    status: str
    owner_account_id: str
    last_status_check_date: str
    status_message: str = None

    def summary(self):
        """InstanceSummary."""
        return _compact({"InstanceId": self.instance_id, "Status": self.status, "Products": list(self.products),
                         "LastStatusCheckDate": self.last_status_check_date, "StatusMessage": self.status_message,
                         "OwnerAccountId": self.owner_account_id, "IdentityProvider": copy.deepcopy(self.identity_provider)})

    def dump(self):
        """Seed form."""
        return _compact({"instance_id": self.instance_id, "directory_id": self.directory_id, "identity_provider": copy.deepcopy(self.identity_provider),
                         "products": list(self.products), "status": self.status, "owner_account_id": self.owner_account_id,
                         "last_status_check_date": self.last_status_check_date, "status_message": self.status_message})


class _Transitional:  # pylint: disable=too-few-public-methods
    """A record whose transitional status settles lazily (status, stuck, pending_at)."""

    def settle(self, now, transitions):
        """Apply a due transition (unless stuck); transitions maps a transitional word to its final word."""
        if self.status in transitions and not self.stuck and self.pending_at is not None and now >= self.pending_at:
            self.status = transitions[self.status]
            self.pending_at = None


@dataclass
class AssociationRecord(_Transitional):
    """A user associated with an instance; transitional statuses settle lazily."""

    arn: str
    instance_id: str
    username: str
    domain: str
    directory_id: str
    identity_provider: dict
    status: str
    stuck: bool = False
    pending_at: float = None
    association_date: str = None
    disassociation_date: str = None
    tags: dict = field(default_factory=dict)
    status_message: str = None

    def summary(self):
        """InstanceUserSummary."""
        return _compact({"Username": self.username, "InstanceId": self.instance_id, "IdentityProvider": copy.deepcopy(self.identity_provider),
                         "Status": self.status, "InstanceUserArn": self.arn, "StatusMessage": self.status_message, "Domain": self.domain,
                         "AssociationDate": self.association_date, "DisassociationDate": self.disassociation_date})

    def dump(self):
        """Seed form (with the current status)."""
        return _compact({"instance_id": self.instance_id, "username": self.username, "domain": self.domain, "directory_id": self.directory_id,
                         "status": self.status, "stuck": self.stuck, "arn": self.arn, "association_date": self.association_date,
                         "disassociation_date": self.disassociation_date, "tags": dict(self.tags), "status_message": self.status_message})


@dataclass
class SubscriptionRecord(_Transitional):
    """A user's product subscription under an identity provider; transitional statuses settle lazily."""

    arn: str
    username: str
    product: str
    domain: str
    directory_id: str
    identity_provider: dict
    status: str
    start_date: str = None
    end_date: str = None
    tags: dict = field(default_factory=dict)
    status_message: str = None
    stuck: bool = False
    pending_at: float = None
    license_expiration_date: str = None

    def summary(self, with_license_expiration=True):
        """ProductUserSummary (LicenseExpirationDate only when the botocore model has that member)."""
        return _compact({"Username": self.username, "Product": self.product, "IdentityProvider": copy.deepcopy(self.identity_provider),
                         "Status": self.status, "ProductUserArn": self.arn, "StatusMessage": self.status_message, "Domain": self.domain,
                         "SubscriptionStartDate": self.start_date, "SubscriptionEndDate": self.end_date,
                         "LicenseExpirationDate": self.license_expiration_date if with_license_expiration else None})

    def dump(self):
        """Seed form (license_expiration_date: null kept where loading would derive a date)."""
        data = _compact({"username": self.username, "product": self.product, "directory_id": self.directory_id, "domain": self.domain,
                         "status": self.status, "stuck": self.stuck, "arn": self.arn, "subscription_start_date": self.start_date,
                         "subscription_end_date": self.end_date, "license_expiration_date": self.license_expiration_date,
                         "tags": dict(self.tags), "status_message": self.status_message})
        if self.license_expiration_date is None and license_expiration(self.product, self.start_date) is not None:
            data["license_expiration_date"] = None
        return data


def _check_keys(kind, entry, allowed):
    if not isinstance(entry, dict):
        raise SeedError(f"{kind} entries must be mappings, got {entry!r}")
    unknown = sorted(set(entry) - set(allowed))
    if unknown:
        raise SeedError(f"{kind} entry has unknown keys {unknown}; allowed: {sorted(allowed)}")


class Store:
    """All service state, guarded by one lock."""

    def __init__(self, model=None, lock=None, account_id=DEFAULT_ACCOUNT_ID, region=DEFAULT_REGION, transition_delay=0.0,
                 page_size=DEFAULT_PAGE_SIZE, clock=time.monotonic, vocabulary=None, omit_instance_identity_provider=False, rules=None):
        self.model = model or ServiceModel()
        self.vocab = Vocabulary(vocabulary)
        # LicenseExpirationDate came with later botocore models; leave it out where the model lacks it.
        self.has_license_expiration = "LicenseExpirationDate" in self.model.model.shape_for("ProductUserSummary").members
        self.lock = lock or threading.RLock()
        self.account_id = account_id
        self.region = region
        self.transition_delay = float(transition_delay)
        self.page_size = int(page_size)
        # ListInstances without InstanceSummary.IdentityProvider: what a botocore whose model lacks that member (reportedly < 1.40.35) parses.
        self.omit_instance_identity_provider = bool(omit_instance_identity_provider)
        self.rules = merge_rules(default_rules(), rules)
        self._repeat_token = None  # pagination fault mode of the call being handled
        self.clock = clock
        self._clear()

    # ----------------------------------------------------------------- seed
    def _clear(self):
        self.identity_providers = {}   # (directory_id, product) -> IdentityProviderRecord
        self.instances = {}            # instance_id -> InstanceRecord
        self.instances_by_directory = {}  # directory_id -> [InstanceRecord]
        self.associations = {}         # (instance_id, username, domain key) -> AssociationRecord
        self.assoc_by_instance = {}    # instance_id -> [AssociationRecord] in creation order
        self.assoc_by_arn = {}
        self.subscriptions = {}        # (directory_id, product, username, domain key) -> SubscriptionRecord
        self.subs_by_arn = {}

    def _arn(self, kind, hex_id):
        return f"arn:aws:license-manager-user-subscriptions:{self.region}:{self.account_id}:{kind}/{hex_id}"

    def _seed_identity_provider(self, kind, entry):
        """Return (directory_id, API-form IdentityProvider) from directory_id and/or identity_provider."""
        directory_id = entry.get("directory_id")
        api_form = entry.get("identity_provider")
        if api_form is not None:
            api_form = camel_keys(api_form)
            problems = self.model.problems(api_form, self.model.model.shape_for("IdentityProvider"), "identity_provider")
            if problems:
                raise SeedError(f"{kind} has an invalid identity_provider: {'; '.join(problems)}")
            if directory_of(api_form) is None:
                raise SeedError(f"{kind} identity_provider has no ActiveDirectoryIdentityProvider.DirectoryId")
            if directory_id and directory_id != directory_of(api_form):
                raise SeedError(f"{kind} directory_id {directory_id} differs from identity_provider's {directory_of(api_form)}")
            directory_id = directory_of(api_form)
        if not directory_id:
            raise SeedError(f"{kind} needs directory_id or identity_provider")
        if not isinstance(directory_id, str) or not DIRECTORY_ID_RE.fullmatch(directory_id):
            raise SeedError(f"{kind} has a malformed directory id {directory_id!r} (want d- or sd- and 10 hex digits)")
        if api_form is None:
            existing = next((idp for (d, _p), idp in self.identity_providers.items() if d == directory_id), None)
            api_form = copy.deepcopy(existing.identity_provider) if existing else identity_provider_for(directory_id)
        return directory_id, api_form

    def _register(self, directory_id, api_form, product, entry=None):
        entry = entry or {}
        key = (directory_id, product)
        if key in self.identity_providers:
            return self.identity_providers[key]
        settings = entry.get("settings")
        if settings is None:
            settings = {"Subnets": [f"subnet-{_hex('subnet', directory_id, length=17)}"], "SecurityGroupId": f"sg-{_hex('sg', directory_id, length=17)}"}
        settings = camel_keys(settings)
        problems = self.model.problems(settings, self.model.model.shape_for("Settings"), "settings")
        if problems:
            raise SeedError(f"identity provider {directory_id}/{product} has invalid settings: {'; '.join(problems)}")
        record = IdentityProviderRecord(
            directory_id=directory_id, product=product, identity_provider=api_form, settings=settings,
            status=entry.get("status", self.vocab["registered"]), arn=entry.get("arn") or self._arn("identity-provider", _hex(directory_id, product)),
            owner_account_id=entry.get("owner_account_id", self.account_id), failure_message=entry.get("failure_message"))
        self.identity_providers[key] = record
        return record

    def load(self, seed):
        """Replace all state with a seed dict (see README / seed.py for the format)."""
        seed = seed or {}
        if not isinstance(seed, dict):
            raise SeedError("seed must be a mapping")
        unknown = sorted(set(seed) - set(SEED_KEYS))
        if unknown:
            raise SeedError(f"seed has unknown keys {unknown}; allowed: {list(SEED_KEYS)}")
        with self.lock:
            self._clear()
            try:
                self._load(seed)
            except SeedError:
                self._clear()
                raise

    def _load(self, seed):
        now = iso_now()
        for entry in seed.get("identity_providers") or []:
            _check_keys("identity_providers", entry, ("directory_id", "identity_provider", "product", "settings", "status", "arn",
                                                      "owner_account_id", "failure_message"))
            if not entry.get("product"):
                raise SeedError(f"identity_providers entry needs product: {entry!r}")
            directory_id, api_form = self._seed_identity_provider("identity_providers entry", entry)
            self._register(directory_id, api_form, entry["product"], entry)
        for entry in seed.get("instances") or []:
            self._load_instance(entry, now)
        for entry in seed.get("associations") or []:
            self._load_association(entry, now)
        for entry in seed.get("product_subscriptions") or []:
            self._load_subscription(entry, now)

    def _load_instance(self, entry, now):
        _check_keys("instances", entry, ("instance_id", "directory_id", "identity_provider", "products", "status", "owner_account_id",
                                         "last_status_check_date", "status_message"))
        instance_id = entry.get("instance_id")
        if not isinstance(instance_id, str) or not INSTANCE_ID_RE.fullmatch(instance_id):
            raise SeedError(f"instance has a malformed instance_id {instance_id!r} (want i- and 8 or 17 hex digits)")
        if instance_id in self.instances:
            raise SeedError(f"duplicate instance {instance_id}")
        directory_id, api_form = self._seed_identity_provider(f"instance {instance_id}", entry)
        products = entry.get("products")
        if products is None:
            products = [p for (d, p) in self.identity_providers if d == directory_id]
        if not isinstance(products, list) or not all(isinstance(p, str) for p in products):
            raise SeedError(f"instance {instance_id} products must be a list of strings")
        for product in products:
            self._register(directory_id, api_form, product)
        self.instances[instance_id] = InstanceRecord(
            instance_id=instance_id, directory_id=directory_id, identity_provider=api_form, products=list(products),
            status=entry.get("status", self.vocab["available"]), owner_account_id=entry.get("owner_account_id", self.account_id),
            last_status_check_date=entry.get("last_status_check_date", now), status_message=entry.get("status_message"))
        self.instances_by_directory.setdefault(directory_id, []).append(self.instances[instance_id])
        self.assoc_by_instance[instance_id] = []

    def _load_association(self, entry, now):
        _check_keys("associations", entry, ("instance_id", "username", "domain", "status", "stuck", "arn", "directory_id", "identity_provider",
                                            "association_date", "disassociation_date", "tags", "status_message"))
        instance = self.instances.get(entry.get("instance_id"))
        if instance is None:
            raise SeedError(f"association names unknown instance {entry.get('instance_id')!r}")
        if not entry.get("username"):
            raise SeedError(f"association needs username: {entry!r}")
        if entry.get("directory_id") or entry.get("identity_provider"):
            directory_id, _api = self._seed_identity_provider("association", entry)
            if directory_id != instance.directory_id:
                raise SeedError(f"association directory {directory_id} differs from instance {instance.instance_id}'s {instance.directory_id}")
        status = entry.get("status", self.vocab["associated"])
        if not isinstance(status, str) or not status:
            raise SeedError(f"association status must be a non-empty string: {entry!r}")
        key = (instance.instance_id, entry["username"], norm_domain(entry.get("domain")))
        if key in self.associations:
            raise SeedError(f"duplicate association {key}")
        record = AssociationRecord(
            arn=entry.get("arn") or self._arn("instance-user", _hex(instance.directory_id, *key)),
            instance_id=instance.instance_id, username=entry["username"], domain=entry.get("domain") or None,
            directory_id=instance.directory_id, identity_provider=copy.deepcopy(instance.identity_provider), status=status,
            stuck=bool(entry.get("stuck", False)), association_date=entry.get("association_date", now),
            disassociation_date=entry.get("disassociation_date", now if self._ending("association", status) else None),
            tags=dict(entry.get("tags") or {}), status_message=entry.get("status_message"))
        if record.arn in self.assoc_by_arn:
            raise SeedError(f"duplicate association arn {record.arn}")
        if status in self.vocab.association_transitions:
            record.pending_at = self.clock() + self.transition_delay
        self._add_association(key, record)

    def _add_association(self, key, record):
        self.associations[key] = record
        self.assoc_by_instance[record.instance_id].append(record)
        self.assoc_by_arn[record.arn] = record

    def _load_subscription(self, entry, now):
        _check_keys("product_subscriptions", entry, ("username", "product", "directory_id", "identity_provider", "domain", "status", "stuck",
                                                     "arn", "subscription_start_date", "subscription_end_date", "license_expiration_date", "tags",
                                                     "status_message"))
        if not entry.get("username") or not entry.get("product"):
            raise SeedError(f"product subscription needs username and product: {entry!r}")
        directory_id, api_form = self._seed_identity_provider("product subscription", entry)
        idp = self._register(directory_id, api_form, entry["product"])
        key = (directory_id, entry["product"], entry["username"], norm_domain(entry.get("domain")))
        if key in self.subscriptions:
            raise SeedError(f"duplicate product subscription {key}")
        status = entry.get("status", self.vocab["subscribed"])
        if not isinstance(status, str) or not status:
            raise SeedError(f"product subscription status must be a non-empty string: {entry!r}")
        record = SubscriptionRecord(
            arn=entry.get("arn") or self._arn("product-user", _hex(*key)), username=entry["username"], product=entry["product"],
            domain=entry.get("domain") or None, directory_id=directory_id, identity_provider=copy.deepcopy(idp.identity_provider),
            status=status, start_date=entry.get("subscription_start_date", now),
            end_date=entry.get("subscription_end_date", now if self._ending("subscription", status) else None),
            tags=dict(entry.get("tags") or {}), status_message=entry.get("status_message"), stuck=bool(entry.get("stuck", False)))
        if "license_expiration_date" in entry:
            record.license_expiration_date = entry["license_expiration_date"]
        else:
            record.license_expiration_date = license_expiration(record.product, record.start_date)
        if record.arn in self.subs_by_arn:
            raise SeedError(f"duplicate product subscription arn {record.arn}")
        if status in self.vocab.subscription_transitions:
            record.pending_at = self.clock() + self.transition_delay
        self.subscriptions[key] = record
        self.subs_by_arn[record.arn] = record

    # ----------------------------------------------------------------- inspection
    def _subscription_summary(self, record):
        return record.summary(with_license_expiration=self.has_license_expiration)

    def _ending(self, group, status):
        """True for the words of the ending roles (disassociating/disassociated, unsubscribing/unsubscribed)."""
        return self.vocab.role_of(group, status) in ("disassociating", "disassociated", "unsubscribing", "unsubscribed")

    def _transitions(self, record):
        if isinstance(record, SubscriptionRecord):
            return self.vocab.subscription_transitions
        return self.vocab.association_transitions

    def _settle(self, record, now=None):
        record.settle(self.clock() if now is None else now, self._transitions(record))

    def settle_all(self):
        """Apply all due transitions."""
        now = self.clock()
        for record in self.associations.values():
            self._settle(record, now)
        for record in self.subscriptions.values():
            self._settle(record, now)

    def set_vocabulary(self, vocabulary):
        """Switch vocabulary: every status that is a word of the old one becomes the same role's word in the new one."""
        new = Vocabulary(vocabulary)
        with self.lock:
            self.settle_all()
            old = self.vocab
            for record in self.associations.values():
                record.status = old.translate("association", record.status, new)
                if record.status not in new.association_transitions:
                    record.pending_at = None
            for record in self.subscriptions.values():
                record.status = old.translate("subscription", record.status, new)
                if record.status not in new.subscription_transitions:
                    record.pending_at = None
            for record in self.identity_providers.values():
                record.status = old.translate("identity_provider", record.status, new)
            for record in self.instances.values():
                record.status = old.translate("instance", record.status, new)
            self.vocab = new

    def dump(self):
        """State in seed form (a valid seed), with current statuses."""
        with self.lock:
            self.settle_all()
            return {
                "identity_providers": [r.dump() for r in self.identity_providers.values()],
                "instances": [r.dump() for r in self.instances.values()],
                "associations": [r.dump() for records in self.assoc_by_instance.values() for r in records],
                "product_subscriptions": [r.dump() for r in self.subscriptions.values()],
            }

    def instance_of_association_arn(self, arn):
        """Instance id of the association with this ARN, or None."""
        with self.lock:
            record = self.assoc_by_arn.get(arn)
            return record.instance_id if record else None

    def _begin(self, record, status, stuck=None):
        if stuck is not None:
            record.stuck = bool(stuck)
        record.status = status
        record.pending_at = self.clock() + self.transition_delay if status in self._transitions(record) else None
        self._settle(record)

    def set_status(self, instance_id, username, status, domain=None, stuck=None):
        """Force an association's status (created if missing); a transitional status settles after transition_delay unless stuck."""
        if not isinstance(status, str) or not status:
            raise ValueError("status must be a non-empty string")
        with self.lock:
            instance = self.instances.get(instance_id)
            if instance is None:
                raise KeyError(f"unknown instance {instance_id}")
            key = (instance_id, username, norm_domain(domain))
            record = self.associations.get(key)
            now = iso_now()
            if record is None:
                record = AssociationRecord(arn=self._arn("instance-user", _hex(instance.directory_id, *key)), instance_id=instance_id,
                                           username=username, domain=domain or None, directory_id=instance.directory_id,
                                           identity_provider=copy.deepcopy(instance.identity_provider), status=status, association_date=now)
                self._add_association(key, record)
            if self._ending("association", status) and not record.disassociation_date:
                record.disassociation_date = now
            self._begin(record, status, stuck)
            return record.summary()

    def set_subscription_status(self, username, product, directory_id, status, domain=None, stuck=None):
        """Force an existing product subscription's status; a transitional status settles after transition_delay unless stuck."""
        if not isinstance(status, str) or not status:
            raise ValueError("status must be a non-empty string")
        with self.lock:
            record = self.subscriptions.get((directory_id, product, username, norm_domain(domain)))
            if record is None:
                raise KeyError(f"no product subscription for {username} / {product} / {directory_id}")
            if self._ending("subscription", status) and not record.end_date:
                record.end_date = iso_now()
            self._begin(record, status, stuck)
            return self._subscription_summary(record)

    # ----------------------------------------------------------------- API
    def handle(self, operation, params, repeat_token=None):
        """Run one (already validated) operation and return the response dict; repeat_token: a pagination fault mode or None."""
        handler = getattr(self, f"_op_{operation}")
        with self.lock:
            self._repeat_token = repeat_token
            try:
                return handler(params)
            finally:
                self._repeat_token = None

    def _directory(self, params):
        directory_id = directory_of(params.get("IdentityProvider"))
        if not directory_id:
            raise validation_error("IdentityProvider.ActiveDirectoryIdentityProvider.DirectoryId is required")
        return directory_id

    def _directory_known(self, directory_id):
        return any(d == directory_id for d, _p in self.identity_providers) or any(i.directory_id == directory_id for i in self.instances.values())

    def _instance(self, instance_id, directory_id):
        instance = self.instances.get(instance_id)
        if instance is None:
            raise ApiError("ResourceNotFoundException", f"Instance {instance_id} not found")
        if instance.directory_id != directory_id:
            raise ApiError("ResourceNotFoundException",
                           f"Instance {instance_id} is not registered with identity provider directory {directory_id} (it uses {instance.directory_id})")
        return instance

    def _page(self, operation, params, items, result_key):
        result = {result_key: []}
        items = apply_filters(operation, params.get("Filters"), items)
        page, token = paginate(operation, params, items, self.page_size, repeat=self._repeat_token)
        result[result_key] = page
        if token:
            result["NextToken"] = token
        return result

    def _registered(self, idp):
        return idp.status == self.vocab["registered"]

    def _require_registered(self, idp):
        """ResourceNotFoundException unless the identity provider's status is the vocabulary's registered word."""
        if not self._registered(idp):
            raise ApiError("ResourceNotFoundException", f"Identity provider {idp.directory_id} is not registered for product {idp.product} "
                                                        f"(status {idp.status})")

    def _require_subscription(self, instance, username, domain):
        """Rule require_subscription_to_associate: a live subscription to a product the instance provides, same directory and user."""
        code = rule_error(self.rules, "require_subscription_to_associate")
        if code is None:
            return
        for product in instance.products:
            record = self.subscriptions.get((instance.directory_id, product, username, norm_domain(domain)))
            if record is not None:
                self._settle(record)
                if record.status in self.vocab.subscription_live:
                    return
        raise ApiError(code, f"User {username}{' (' + domain + ')' if domain else ''} has no product subscription for any product of instance "
                             f"{instance.instance_id} ({', '.join(instance.products) or 'none'}) in {instance.directory_id}; "
                             "start a product subscription first")

    def _refuse_stop_while_associated(self, record, described):
        """Rule refuse_stop_while_associated: Office / Visual Studio subscriptions stop only once the user has no live association
        on an instance of the same directory that provides the product."""
        code = rule_error(self.rules, "refuse_stop_while_associated")
        if code is None or record.product not in OFFICE_PRODUCTS + VISUAL_STUDIO_PRODUCTS:
            return
        now = self.clock()
        for instance in self.instances_by_directory.get(record.directory_id, ()):
            if record.product not in instance.products:
                continue
            association = self.associations.get((instance.instance_id, record.username, norm_domain(record.domain)))
            if association is None:
                continue
            self._settle(association, now)
            if association.status in self.vocab.association_live:
                raise ApiError(code, f"Cannot stop {described}: the user is still {association.status} on instance {instance.instance_id}; "
                                     "disassociate the user from every instance that provides the product first")

    def _op_ListIdentityProviders(self, params):  # pylint: disable=invalid-name
        items = []
        for record in self.identity_providers.values():
            summary = record.summary()
            summary["DirectoryId"] = record.directory_id  # filter-only key, removed below
            items.append(summary)
        result = self._page("ListIdentityProviders", params, items, "IdentityProviderSummaries")
        for summary in result["IdentityProviderSummaries"]:
            summary.pop("DirectoryId", None)
        return result

    def _op_ListInstances(self, params):  # pylint: disable=invalid-name
        summaries = [r.summary() for r in self.instances.values()]
        if self.omit_instance_identity_provider:
            for summary in summaries:
                summary.pop("IdentityProvider", None)
        return self._page("ListInstances", params, summaries, "InstanceSummaries")

    def _op_ListUserAssociations(self, params):  # pylint: disable=invalid-name
        instance = self._instance(params["InstanceId"], self._directory(params))
        now = self.clock()
        records = self.assoc_by_instance.get(instance.instance_id, [])
        for record in records:
            self._settle(record, now)
        return self._page("ListUserAssociations", params, [r.summary() for r in records], "InstanceUserSummaries")

    def _op_AssociateUser(self, params):  # pylint: disable=invalid-name
        instance = self._instance(params["InstanceId"], self._directory(params))
        username, domain = params["Username"], params.get("Domain") or None
        key = (instance.instance_id, username, norm_domain(domain))
        record = self.associations.get(key)
        now = iso_now()
        if record is not None:
            self._settle(record)
            if record.status in self.vocab.association_live:
                raise ApiError("ConflictException",
                               f"User {username}{' (' + domain + ')' if domain else ''} is already {record.status} on instance {instance.instance_id}")
        self._require_subscription(instance, username, domain)
        if record is not None:
            record.domain = domain
        else:
            record = AssociationRecord(arn=self._arn("instance-user", _hex(instance.directory_id, *key)), instance_id=instance.instance_id,
                                       username=username, domain=domain, directory_id=instance.directory_id,
                                       identity_provider=copy.deepcopy(instance.identity_provider), status=self.vocab["associated"])
            self._add_association(key, record)
        record.association_date = now
        record.disassociation_date = None
        record.status_message = None
        record.tags = dict(params.get("Tags") or {})
        self._begin(record, self.vocab.first("associating", "associated"))
        return {"InstanceUserSummary": record.summary()}

    def _op_DisassociateUser(self, params):  # pylint: disable=invalid-name
        arn = params.get("InstanceUserArn")
        if arn:
            record = self.assoc_by_arn.get(arn)
            if record is None:
                raise ApiError("ResourceNotFoundException", f"Instance user {arn} not found")
            described = arn
        elif params.get("Username") and params.get("InstanceId") and params.get("IdentityProvider"):
            instance = self._instance(params["InstanceId"], self._directory(params))
            domain = params.get("Domain") or None
            described = f"User {params['Username']}{' (' + domain + ')' if domain else ''} on instance {instance.instance_id}"
            record = self.associations.get((instance.instance_id, params["Username"], norm_domain(domain)))
            if record is None:
                raise ApiError("ResourceNotFoundException", f"{described} not found")
        else:
            raise validation_error("Specify either InstanceUserArn, or Username, InstanceId and IdentityProvider")
        self._settle(record)
        if record.status not in self.vocab.association_live:
            raise ApiError("ResourceNotFoundException", f"{described} is not associated (status {record.status})")
        record.disassociation_date = iso_now()
        self._begin(record, self.vocab.first("disassociating", "disassociated"))
        return {"InstanceUserSummary": record.summary()}

    def _op_StartProductSubscription(self, params):  # pylint: disable=invalid-name
        directory_id = self._directory(params)
        product, username, domain = params["Product"], params["Username"], params.get("Domain") or None
        if not self._directory_known(directory_id):
            raise ApiError("ResourceNotFoundException", f"Identity provider {directory_id} not found")
        idp = self.identity_providers.get((directory_id, product))
        if idp is None:
            raise ApiError("ResourceNotFoundException", f"Identity provider {directory_id} is not registered for product {product}")
        self._require_registered(idp)
        key = (directory_id, product, username, norm_domain(domain))
        record = self.subscriptions.get(key)
        if record is not None:
            self._settle(record)
        if record is not None and record.status in self.vocab.subscription_live:
            raise ApiError("ConflictException", f"User {username} already has a {product} subscription (status {record.status})")
        if record is None:
            record = SubscriptionRecord(arn=self._arn("product-user", _hex(*key)), username=username, product=product, domain=domain,
                                        directory_id=directory_id, identity_provider=copy.deepcopy(idp.identity_provider),
                                        status=self.vocab["subscribed"])
            self.subscriptions[key] = record
            self.subs_by_arn[record.arn] = record
        record.domain = domain
        record.start_date = iso_now()
        record.license_expiration_date = license_expiration(product, record.start_date)
        record.end_date = None
        record.status_message = None
        record.tags = dict(params.get("Tags") or {})
        self._begin(record, self.vocab.first("subscribing", "subscribed"))
        return {"ProductUserSummary": self._subscription_summary(record)}

    def _op_StopProductSubscription(self, params):  # pylint: disable=invalid-name
        arn = params.get("ProductUserArn")
        if arn:
            record = self.subs_by_arn.get(arn)
            described = f"Product user {arn}"
        elif params.get("Username") and params.get("IdentityProvider") and params.get("Product"):
            directory_id = self._directory(params)
            domain = params.get("Domain") or None
            record = self.subscriptions.get((directory_id, params["Product"], params["Username"], norm_domain(domain)))
            described = f"{params['Product']} subscription of user {params['Username']}{' (' + domain + ')' if domain else ''} in {directory_id}"
        else:
            raise validation_error("Specify either ProductUserArn, or Username, IdentityProvider and Product")
        if record is None:
            raise ApiError("ResourceNotFoundException", f"{described} not found")
        self._settle(record)
        if record.status not in self.vocab.subscription_live:
            raise ApiError("ResourceNotFoundException", f"{described} is not subscribed (status {record.status})")
        self._refuse_stop_while_associated(record, described)
        record.end_date = iso_now()
        self._begin(record, self.vocab.first("unsubscribing", "unsubscribed"))
        return {"ProductUserSummary": self._subscription_summary(record)}

    def _op_ListProductSubscriptions(self, params):  # pylint: disable=invalid-name
        directory_id = self._directory(params)
        if not self._directory_known(directory_id):
            raise ApiError("ResourceNotFoundException", f"Identity provider {directory_id} not found")
        product = params.get("Product")
        providers = {p: idp for (d, p), idp in self.identity_providers.items() if d == directory_id}
        if product and product in providers:
            self._require_registered(providers[product])
        elif not product and providers and not any(self._registered(idp) for idp in providers.values()):
            statuses = ", ".join(f"{p} {idp.status}" for p, idp in providers.items())
            raise ApiError("ResourceNotFoundException", f"Identity provider {directory_id} is not registered for any product ({statuses})")
        now = self.clock()
        # Subscriptions under a provider that is not registered are left out of directory-wide listings.
        records = [r for r in self.subscriptions.values() if r.directory_id == directory_id and (r.product == product if product else
                   r.product not in providers or self._registered(providers[r.product]))]
        for record in records:
            self._settle(record, now)
        return self._page("ListProductSubscriptions", params, [self._subscription_summary(r) for r in records], "ProductUserSummaries")


def apply_filters(operation, filters, items):
    """Keep the summaries that match every filter (AND)."""
    allowed = FILTERS[operation]
    checks = []
    for flt in filters or []:
        attribute, op_name, value = flt.get("Attribute"), flt.get("Operation"), flt.get("Value")
        if attribute is None or op_name is None or value is None:
            raise validation_error("Each filter needs Attribute, Operation and Value")
        spec = allowed.get(attribute.lower())
        if spec is None:
            raise validation_error(f"Invalid filter attribute '{attribute}' for {operation}; valid attributes: "
                                   + ", ".join(s[0] for s in allowed.values()))
        equals = FILTER_OPERATIONS.get(op_name.lower())
        if equals is None:
            raise validation_error(f"Invalid filter operation '{op_name}'; valid operations: Equals, NotEquals (or eq, ne)")
        checks.append((spec[0], spec[1], equals, value))

    def matches(item):
        for key, case_sensitive, equals, value in checks:
            actual = item.get(key)
            if actual is None:
                same = False
            elif case_sensitive:
                same = actual == value
            else:
                same = actual.lower() == value.lower()
            if same != equals:
                return False
        return True

    return [item for item in items if matches(item)]


def _fingerprint(operation, params):
    query = {k: v for k, v in params.items() if k not in ("NextToken", "MaxResults")}
    return _hex(operation, json.dumps(query, sort_keys=True), length=16)


def _encode_token(offset, fingerprint, tag=None):
    # Not base64-of-JSON on purpose: botocore's paginator would take that for its own StartingToken format.
    text = f"{TOKEN_PREFIX}:{offset}:{fingerprint}" + (f":{tag}" if tag else "")
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _decode_token(token, fingerprint):
    """(offset, tag or None) of a token; tags mark the tokens of the repeat_token fault."""
    try:
        text = base64.urlsafe_b64decode(token.encode("ascii") + b"=" * (-len(token) % 4)).decode("ascii")
        parts = text.split(":")
        if len(parts) not in (3, 4):
            raise ValueError(text)
        prefix, offset, token_fingerprint = parts[:3]
        offset = int(offset)
    except (ValueError, UnicodeError, binascii.Error) as exc:
        raise validation_error("Invalid NextToken") from exc
    if prefix != TOKEN_PREFIX:
        raise validation_error("Invalid NextToken")
    if token_fingerprint != fingerprint:
        raise validation_error("Invalid NextToken: it belongs to a different query")
    return offset, (parts[3] if len(parts) == 4 else None)


def _repeated_token(mode, token, tag, offset, max_results, count, fingerprint):
    """NextToken under the repeat_token fault: every answer has one, and following them never ends.

    same: the token of the next page (clamped to the end), then that same token forever.
    cycle: two tokens in turn, "a" (the page after the first) and "b" (the first page again).
    """
    if mode == "same":
        return token if tag == "same" else _encode_token(min(offset + max_results, count), fingerprint, "same")
    if tag == "a":
        return _encode_token(0, fingerprint, "b")
    return _encode_token(min(max_results, count), fingerprint, "a")


def paginate(operation, params, items, page_size, repeat=None):
    """Return (page, next token or None); tokens are opaque base64 of offset + query fingerprint.

    repeat ("same" / "cycle"): the repeat_token fault; one page per call all the same, so the server never loops.
    """
    max_results = params.get("MaxResults")
    if max_results is None:
        max_results = page_size
    elif not MAX_RESULTS_MIN <= max_results <= MAX_RESULTS_MAX:
        raise validation_error(f"1 validation error detected: Value '{max_results}' at 'maxResults' failed to satisfy constraint: "
                               f"Member must have value between {MAX_RESULTS_MIN} and {MAX_RESULTS_MAX}")
    fingerprint = _fingerprint(operation, params)
    offset, tag = 0, None
    token = params.get("NextToken")
    if token:
        offset, tag = _decode_token(token, fingerprint)
        if not 0 <= offset <= len(items):
            raise validation_error("Invalid NextToken: offset out of range")
    end = offset + max_results
    if repeat:
        next_token = _repeated_token(repeat, token, tag, offset, max_results, len(items), fingerprint)
    else:
        next_token = _encode_token(end, fingerprint) if end < len(items) else None
    return items[offset:end], next_token
