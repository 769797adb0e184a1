# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Product subscriptions (StartProductSubscription / StopProductSubscription) as a kind for reconcile.py."""

from .concurrency import Failure
from .concurrency import run_bounded
from .identity import identity_key
from .reconcile import ReadGroup
from .reconcile import UserRecordKind
from .statuses import ACTIVE
from .statuses import INACTIVE
from .statuses import SUBSCRIPTION_ABSENT
from .statuses import SUBSCRIPTION_PRESENT
from .subscriptions import list_product_subscriptions
from .subscriptions import registered_identity_providers
from .subscriptions import start_product_subscription
from .subscriptions import stop_product_subscription
from .targets import build_user_target

ITEM_KEYS = ("username", "product", "domain", "directory_id", "identity_provider", "product_user_arn", "tags")

# What a batch result says of its item.
RESULT_FIELDS = dict(
    username=lambda t: t.username,
    product=lambda t: t.extra.get("product"),
    domain=lambda t: t.domain,
)


class SubscriptionGroup(ReadGroup):
    """The records one ListProductSubscriptions read covers: an identity provider and a product (None: every product)."""

    def __init__(self, identity_provider, product=None):
        self.identity_provider = identity_provider
        self.product = product
        self.provider_key = identity_key(identity_provider)
        self.key = (self.provider_key, product)


def _group_of(target):
    if target.extra["product"] and target.extra["identity_provider"]:
        return SubscriptionGroup(target.extra["identity_provider"], target.extra["product"])
    return None


def build_target(index, item, state, label=""):
    """Check one requested item (before any API call) and make its Target."""
    return build_user_target(index, item, state, label, "product_user_arn", ("product",), _group_of)


class ProductSubscriptionKind(UserRecordKind):
    """Users' product subscriptions, for reconcile.py."""

    ARN_FIELD = "ProductUserArn"
    PLACE_FIELD = ("Product", "product")
    NOUN = "product subscription"
    PRESENT_STATUSES = SUBSCRIPTION_PRESENT
    ABSENT_STATUSES = SUBSCRIPTION_ABSENT
    DONE = dict(present=ACTIVE, absent=INACTIVE)
    VERBS = dict(present="subscribed", absent="unsubscribed")

    def who(self, target):
        if not target.username:
            return f"product subscription {target.arn}"
        return f"{target.extra.get('product') or 'product'} subscription of user {target.username!r}"

    def read(self, client, group, username=None):
        return list_product_subscriptions(client, group.identity_provider, group.product, username=username)

    def candidate_groups(self, client, targets, concurrency):
        """The identity providers (the target's own, or every registered one) that may hold each target's subscriptions.

        Each group is one provider and the target's product, or every product when it has none.
        """
        if not targets:
            return []
        providers = None
        if any(t.extra["identity_provider"] is None for t in targets):
            [providers] = run_bounded(lambda _: registered_identity_providers(client), [None], 1)
        shared = {}
        candidates = []
        for target in targets:
            own, product = target.extra["identity_provider"], target.extra.get("product")
            if own is None and isinstance(providers, Failure):
                candidates.append(providers)
                continue
            key = (identity_key(own), product)
            if key not in shared:
                shared[key] = [SubscriptionGroup(p, product) for p in ([own] if own else providers)]
            candidates.append(shared[key])
        return candidates

    def places(self, group, matches):
        if matches is None:
            return [dict(product=group.product, identity_provider=group.identity_provider)]
        products = dict.fromkeys(group.product or r.get("Product") for r in matches)
        return [dict(product=product, identity_provider=group.identity_provider, domain=domain)
                for product in products for domain in self.domains([r for r in matches if r.get("Product") == product])]

    def matches(self, target, record):
        product = target.extra.get("product")
        return super().matches(target, record) and (target.arn or product is None or record.get("Product") == product)

    def describe_not_found(self, target, candidates):
        if not candidates:
            return f"{self.who(target)}: no identity provider is registered (ListIdentityProviders), nothing to remove"
        return f"no {self.who(target)} was found under the {len(candidates)} identity provider(s) read, nothing to remove"

    def write(self, client, target, state, record):
        if state == "absent":
            return stop_product_subscription(client, record)
        extra = target.extra
        return start_product_subscription(client, target.username, extra["product"], extra["identity_provider"], target.domain, extra.get("tags"))
