# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""API calls about product subscriptions and identity providers.

Each call raises LmusError with a message naming the user and the product.
"""

from .client import LmusErrorHandler
from .client import paginate
from .client import paginate_for_user
from .client import record_identity
from .client import write_call
from .identity import directory_of
from .identity import identity_key


def list_identity_providers(client):
    """IdentityProviderSummaries from ListIdentityProviders."""
    handler = LmusErrorHandler.common_error_handler("list identity providers")
    return handler(paginate)(client, "list_identity_providers", "IdentityProviderSummaries")


def registered_identity_providers(client):
    """Each registered identity provider once (ListIdentityProviders lists one summary per provider and product)."""
    providers = {}
    for summary in list_identity_providers(client):
        providers.setdefault(identity_key(summary["IdentityProvider"]), summary["IdentityProvider"])
    return list(providers.values())


def list_product_subscriptions(client, identity_provider, product=None, username=None):
    """ProductUserSummaries under one identity provider, optionally for one product or user.

    The Username filter only narrows the read: callers match records themselves.
    """
    what = f"list product subscriptions of directory {directory_of(identity_provider)}" + (f" for {product}" if product else "")

    params = dict(IdentityProvider=identity_provider)
    if product:
        params["Product"] = product
    handler = LmusErrorHandler.common_error_handler(what)
    return handler(paginate_for_user)(client, "list_product_subscriptions", "ProductUserSummaries", username, **params)


def start_product_subscription(client, username, product, identity_provider, domain=None, tags=None):
    """StartProductSubscription; returns the ProductUserSummary, or None on ConflictException (already subscribed)."""
    what = f"start {product} subscription of user {username!r}"
    return write_call(client, "start_product_subscription", what, "ProductUserSummary", none_on=("ConflictException",),
                      Username=username, Product=product, IdentityProvider=identity_provider, Domain=domain, Tags=tags)


def stop_product_subscription(client, record):
    """StopProductSubscription for one listed record; None when the service no longer knows it."""
    what = f"stop {record['Product']} subscription of user {record['Username']!r}"
    params = record_identity(record, "ProductUserArn", "Username", "Product", "IdentityProvider")
    return write_call(client, "stop_product_subscription", what, "ProductUserSummary", none_on=("ResourceNotFoundException",), **params)
