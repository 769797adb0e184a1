"""StartProductSubscription / StopProductSubscription / ListProductSubscriptions semantics."""

import pytest

from emutest import DIR1, DIR2, DOMAIN, idp

OFFICE = "OFFICE_PROFESSIONAL"


def subs(client, directory_id=DIR1, **kwargs):
    """{(username, product): summary}."""
    pages = client.get_paginator("list_product_subscriptions").paginate(IdentityProvider=idp(directory_id), **kwargs)
    return {(s["Username"], s["Product"]): s for p in pages for s in p["ProductUserSummaries"]}


def test_list_and_filters(client):
    assert {k: v["Status"] for k, v in subs(client).items()} == {("alice", OFFICE): "ACTIVE", ("bob", OFFICE): "INACTIVE",
                                                                 ("carol", OFFICE): "ACTIVE"}
    assert list(subs(client, DIR2)) == [("alice", "VISUAL_STUDIO_ENTERPRISE")]
    assert sorted(subs(client, Filters=[{"Attribute": "Status", "Operation": "Equals", "Value": "ACTIVE"}])) == [("alice", OFFICE), ("carol", OFFICE)]
    assert list(subs(client, Filters=[{"Attribute": "Username", "Operation": "Equals", "Value": "bob"}])) == [("bob", OFFICE)]
    assert not subs(client, Product="REMOTE_DESKTOP_SERVICES")
    assert len(subs(client, Product=OFFICE)) == 3
    with pytest.raises(client.exceptions.ValidationException):
        client.list_product_subscriptions(IdentityProvider=idp(), Filters=[{"Attribute": "InstanceId", "Operation": "Equals", "Value": "x"}])


def test_unknown_directory_not_found(client):
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.list_product_subscriptions(IdentityProvider=idp("d-0000000000"))


def test_start_then_conflict_then_stop(client):
    summary = client.start_product_subscription(Username="gina", IdentityProvider=idp(), Product=OFFICE, Domain=DOMAIN,
                                                Tags={"cost-center": "42"})["ProductUserSummary"]
    assert summary["Status"] == "ACTIVE" and summary["SubscriptionStartDate"]
    assert summary["ProductUserArn"].startswith("arn:aws:license-manager-user-subscriptions:us-east-1:123456789012:product-user/")
    with pytest.raises(client.exceptions.ConflictException):
        client.start_product_subscription(Username="gina", IdentityProvider=idp(), Product=OFFICE, Domain="CORP.example.com")
    stopped = client.stop_product_subscription(Username="gina", IdentityProvider=idp(), Product=OFFICE, Domain=DOMAIN)["ProductUserSummary"]
    assert stopped["Status"] == "INACTIVE" and stopped["SubscriptionEndDate"]
    assert stopped["ProductUserArn"] == summary["ProductUserArn"]
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.stop_product_subscription(Username="gina", IdentityProvider=idp(), Product=OFFICE, Domain=DOMAIN)
    assert subs(client)[("gina", OFFICE)]["Status"] == "INACTIVE"
    restarted = client.start_product_subscription(Username="gina", IdentityProvider=idp(), Product=OFFICE, Domain=DOMAIN)["ProductUserSummary"]
    assert restarted["Status"] == "ACTIVE" and "SubscriptionEndDate" not in restarted


def test_stop_by_arn(client):
    arn = subs(client)[("alice", OFFICE)]["ProductUserArn"]
    assert client.stop_product_subscription(ProductUserArn=arn)["ProductUserSummary"]["Status"] == "INACTIVE"
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.stop_product_subscription(ProductUserArn=arn)


def test_stop_errors(client):
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.stop_product_subscription(Username="bob", IdentityProvider=idp(), Product=OFFICE, Domain=DOMAIN)  # already INACTIVE
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.stop_product_subscription(Username="alice", IdentityProvider=idp(), Product=OFFICE)  # record has a domain
    with pytest.raises(client.exceptions.ValidationException):
        client.stop_product_subscription(Username="alice", Product=OFFICE)


def test_start_needs_registered_product(client):
    with pytest.raises(client.exceptions.ResourceNotFoundException) as excinfo:
        client.start_product_subscription(Username="gina", IdentityProvider=idp(DIR2), Product=OFFICE)
    assert DIR2 in str(excinfo.value) and OFFICE in str(excinfo.value)
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.start_product_subscription(Username="gina", IdentityProvider=idp("d-0000000000"), Product=OFFICE)


def test_set_subscription_status(emu, client):
    emu.set_subscription_status("alice", OFFICE, DIR1, "INACTIVE", domain=DOMAIN)
    assert subs(client)[("alice", OFFICE)]["Status"] == "INACTIVE"
    with pytest.raises(KeyError):
        emu.set_subscription_status("nobody", OFFICE, DIR1, "INACTIVE")
