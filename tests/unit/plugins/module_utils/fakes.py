# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""An in-memory stand-in for the boto3 client, for unit tests of the plan logic."""

import copy
from types import SimpleNamespace

import botocore.exceptions

IDP = {"ActiveDirectoryIdentityProvider": {"DirectoryId": "d-1234567890"}}


def client_error(code, operation):
    return botocore.exceptions.ClientError({"Error": {"Code": code, "Message": f"{code} from fake"}}, operation)


class FakePaginator:
    """botocore's paginator contract over one of the fake's list methods: pages until there is no NextToken."""

    def __init__(self, method):
        self.method = method

    def paginate(self, **params):
        while True:
            page = self.method(**params)
            yield page
            if not page.get("NextToken"):
                return
            params = dict(params, NextToken=page["NextToken"])


class FakeEvents:
    def __init__(self):
        self.handlers = []

    def register(self, event, handler):
        self.handlers.append((event, handler))


class FakeClient:
    """Associations by instance; records every call; optional scripted errors per operation."""

    meta = None

    def get_paginator(self, operation):
        return FakePaginator(getattr(self, operation))

    def __init__(self, records=None, instances=None, page_size=2):
        service_id = SimpleNamespace(hyphenize=lambda: "license-manager-user-subscriptions")
        self.meta = SimpleNamespace(events=FakeEvents(), service_model=SimpleNamespace(service_id=service_id))
        self.records = [dict(r) for r in records or []]
        self.instances = instances or []
        self.page_size = page_size
        self.calls = []
        self.errors = {}  # operation -> list of codes to raise, consumed in order
        self.settle_after_writes = True

    def _maybe_fail(self, operation):
        queue = self.errors.get(operation) or []
        if queue:
            code = queue.pop(0)
            if code is not None:  # None: this call goes through
                raise client_error(code, operation)

    def _page(self, items, params, key):
        start = int(params.get("NextToken") or 0)
        page = {key: copy.deepcopy(items[start:start + self.page_size])}
        if start + self.page_size < len(items):
            page["NextToken"] = str(start + self.page_size)
        return page

    def list_user_associations(self, **params):
        self.calls.append(("ListUserAssociations", params))
        self._maybe_fail("ListUserAssociations")
        items = [r for r in self.records if r["InstanceId"] == params["InstanceId"]]
        for f in params.get("Filters") or []:
            items = [r for r in items if r.get(f["Attribute"]) == f["Value"]]
        return self._page(items, params, "InstanceUserSummaries")

    def list_instances(self, **params):
        self.calls.append(("ListInstances", params))
        self._maybe_fail("ListInstances")
        items = self.instances
        for f in params.get("Filters") or []:
            items = [i for i in items if i.get(f["Attribute"]) == f["Value"]]
        return self._page(items, params, "InstanceSummaries")

    def _find(self, params):
        for r in self.records:
            if params.get("InstanceUserArn") and r.get("InstanceUserArn") == params["InstanceUserArn"]:
                return r
            if r["Username"] == params.get("Username") and r["InstanceId"] == params.get("InstanceId"):
                return r
        return None

    def disassociate_user(self, **params):
        self.calls.append(("DisassociateUser", params))
        self._maybe_fail("DisassociateUser")
        record = self._find(params)
        if record is None or record["Status"] in ("DISASSOCIATED",):
            raise client_error("ResourceNotFoundException", "DisassociateUser")
        record["Status"] = "DISASSOCIATED" if self.settle_after_writes else "DISASSOCIATING"
        return {"InstanceUserSummary": dict(record)}

    def associate_user(self, **params):
        self.calls.append(("AssociateUser", params))
        self._maybe_fail("AssociateUser")
        record = dict(
            Username=params["Username"],
            InstanceId=params["InstanceId"],
            IdentityProvider=params["IdentityProvider"],
            Status="ASSOCIATED" if self.settle_after_writes else "ASSOCIATING",
            InstanceUserArn=f"arn:aws:license-manager-user-subscriptions:us-east-1:123456789012:instance-user/{len(self.records):032x}",
        )
        if params.get("Domain"):
            record["Domain"] = params["Domain"]
        self.records.append(record)
        return {"InstanceUserSummary": dict(record)}

    def writes(self):
        return [c for c in self.calls if c[0] in ("AssociateUser", "DisassociateUser")]


def association(username, instance_id, status="ASSOCIATED", domain="corp.example.com", n=0):
    return dict(
        Username=username,
        InstanceId=instance_id,
        IdentityProvider=IDP,
        Domain=domain,
        Status=status,
        InstanceUserArn=f"arn:aws:license-manager-user-subscriptions:us-east-1:123456789012:instance-user/{n:032x}",
    )


class FakeSubscriptionClient(FakeClient):
    """Product subscriptions in memory: records are ProductUserSummaries."""

    def list_product_subscriptions(self, **params):
        self.calls.append(("ListProductSubscriptions", params))
        self._maybe_fail("ListProductSubscriptions")
        directory = params["IdentityProvider"]["ActiveDirectoryIdentityProvider"]["DirectoryId"]
        items = [r for r in self.records if r["IdentityProvider"]["ActiveDirectoryIdentityProvider"]["DirectoryId"] == directory]
        if params.get("Product"):
            items = [r for r in items if r["Product"] == params["Product"]]
        for f in params.get("Filters") or []:
            items = [r for r in items if r.get(f["Attribute"]) == f["Value"]]
        return self._page(items, params, "ProductUserSummaries")

    def start_product_subscription(self, **params):
        self.calls.append(("StartProductSubscription", params))
        self._maybe_fail("StartProductSubscription")
        record = dict(Username=params["Username"], Product=params["Product"], IdentityProvider=params["IdentityProvider"], Status="SUBSCRIBED",
                      ProductUserArn=f"arn:aws:license-manager-user-subscriptions:us-east-1:123456789012:product-user/{len(self.records):032x}")
        if params.get("Domain"):
            record["Domain"] = params["Domain"]
        self.records.append(record)
        return {"ProductUserSummary": dict(record)}

    def stop_product_subscription(self, **params):
        self.calls.append(("StopProductSubscription", params))
        self._maybe_fail("StopProductSubscription")
        record = next((r for r in self.records if r["ProductUserArn"] == params.get("ProductUserArn")), None)
        if record is None or record["Status"] == "UNSUBSCRIBED":
            raise client_error("ResourceNotFoundException", "StopProductSubscription")
        record["Status"] = "UNSUBSCRIBED"
        return {"ProductUserSummary": dict(record)}

    def writes(self):
        return [c for c in self.calls if c[0] in ("StartProductSubscription", "StopProductSubscription")]


def subscription(username, product, status="SUBSCRIBED", domain="corp.example.com", n=0):
    return dict(
        Username=username,
        Product=product,
        IdentityProvider=IDP,
        Domain=domain,
        Status=status,
        ProductUserArn=f"arn:aws:license-manager-user-subscriptions:us-east-1:123456789012:product-user/{n:032x}",
    )
