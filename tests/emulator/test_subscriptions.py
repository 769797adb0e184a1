"""StartProductSubscription / StopProductSubscription / ListProductSubscriptions semantics."""

import re
import time
from datetime import datetime, timedelta

import pytest

from emutest import DIR1, DIR2, DOMAIN, SEED, idp, make_client
from lmus_emulator import Emulator, EmulatorAdmin, generate_seed
from lmus_emulator.constants import PRODUCTS
from lmus_emulator.emulator import shared_model

OFFICE = "OFFICE_PROFESSIONAL_PLUS"


def subs(client, directory_id=DIR1, **kwargs):
    """{(username, product): summary}."""
    pages = client.get_paginator("list_product_subscriptions").paginate(IdentityProvider=idp(directory_id), **kwargs)
    return {(s["Username"], s["Product"]): s for p in pages for s in p["ProductUserSummaries"]}


def test_list_and_filters(client):
    assert {k: v["Status"] for k, v in subs(client).items()} == {("alice", OFFICE): "SUBSCRIBED", ("bob", OFFICE): "UNSUBSCRIBED",
                                                                 ("carol", OFFICE): "SUBSCRIBED"}
    assert list(subs(client, DIR2)) == [("alice", "VISUAL_STUDIO_ENTERPRISE")]
    assert sorted(subs(client, Filters=[{"Attribute": "Status", "Operation": "Equals", "Value": "SUBSCRIBED"}])) == [("alice", OFFICE), ("carol", OFFICE)]
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
    assert summary["Status"] == "SUBSCRIBED" and summary["SubscriptionStartDate"]
    assert summary["ProductUserArn"].startswith("arn:aws:license-manager-user-subscriptions:us-east-1:123456789012:product-user/")
    with pytest.raises(client.exceptions.ConflictException):
        client.start_product_subscription(Username="gina", IdentityProvider=idp(), Product=OFFICE, Domain="CORP.example.com")
    stopped = client.stop_product_subscription(Username="gina", IdentityProvider=idp(), Product=OFFICE, Domain=DOMAIN)["ProductUserSummary"]
    assert stopped["Status"] == "UNSUBSCRIBED" and stopped["SubscriptionEndDate"]
    assert stopped["ProductUserArn"] == summary["ProductUserArn"]
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.stop_product_subscription(Username="gina", IdentityProvider=idp(), Product=OFFICE, Domain=DOMAIN)
    assert subs(client)[("gina", OFFICE)]["Status"] == "UNSUBSCRIBED"
    restarted = client.start_product_subscription(Username="gina", IdentityProvider=idp(), Product=OFFICE, Domain=DOMAIN)["ProductUserSummary"]
    assert restarted["Status"] == "SUBSCRIBED" and "SubscriptionEndDate" not in restarted


def test_stop_by_arn(client):
    arn = subs(client)[("carol", OFFICE)]["ProductUserArn"]  # carol is no longer associated (refuse_stop_while_associated)
    assert client.stop_product_subscription(ProductUserArn=arn)["ProductUserSummary"]["Status"] == "UNSUBSCRIBED"
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.stop_product_subscription(ProductUserArn=arn)


def test_stop_errors(client):
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.stop_product_subscription(Username="bob", IdentityProvider=idp(), Product=OFFICE, Domain=DOMAIN)  # already UNSUBSCRIBED
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
    emu.set_subscription_status("alice", OFFICE, DIR1, "UNSUBSCRIBED", domain=DOMAIN)
    assert subs(client)[("alice", OFFICE)]["Status"] == "UNSUBSCRIBED"
    with pytest.raises(KeyError):
        emu.set_subscription_status("nobody", OFFICE, DIR1, "UNSUBSCRIBED")


def test_products_are_the_models_documented_values():
    documented = set()
    for operation in ("StartProductSubscription", "StopProductSubscription", "ListProductSubscriptions"):
        doc = shared_model().model.operation_model(operation).input_shape.members["Product"].documentation
        documented.update(re.findall(r"<code>([A-Z_]+)</code>", doc))
    assert documented == set(PRODUCTS)
    assert "OFFICE_PROFESSIONAL" not in PRODUCTS


def test_generated_seeds_use_only_model_products():
    seed = generate_seed(instances=30, users=60, associations=80, subscriptions=60, directories=2, random_seed=11)
    used = {p for i in seed["instances"] for p in i["products"]} | {s["product"] for s in seed["product_subscriptions"]}
    used |= {p["product"] for p in seed["identity_providers"]}
    assert used <= set(PRODUCTS)
    assert OFFICE in used


def test_seeds_accept_an_unknown_product(lmus_emulator_factory):
    emu = lmus_emulator_factory(seed={"instances": [{"instance_id": "i-00000001", "directory_id": DIR1, "products": ["MYSTERY_SUITE"]}],
                                      "product_subscriptions": [{"username": "zed", "product": "MYSTERY_SUITE", "directory_id": DIR1}]})
    client = make_client(emu)
    assert client.list_instances()["InstanceSummaries"][0]["Products"] == ["MYSTERY_SUITE"]
    assert list(subs(client)) == [("zed", "MYSTERY_SUITE")]
    assert client.start_product_subscription(Username="amy", IdentityProvider=idp(), Product="MYSTERY_SUITE")["ProductUserSummary"]


PENDING_WORDS = {"subscribing": "PENDING", "unsubscribing": "UNSUBSCRIBING"}


def status_of(client, username, product=OFFICE):
    """Listed status of one subscription in DIR1."""
    return subs(client)[(username, product)]["Status"]


def test_subscription_transitions_with_a_transitional_word(lmus_emulator_factory):
    emu = lmus_emulator_factory(seed=SEED, transition_delay=0.3, vocabulary=PENDING_WORDS)
    client = make_client(emu)
    started = client.start_product_subscription(Username="gina", IdentityProvider=idp(), Product=OFFICE)["ProductUserSummary"]
    assert started["Status"] == "PENDING" and started["SubscriptionStartDate"]
    assert status_of(client, "gina") == "PENDING"
    with pytest.raises(client.exceptions.ConflictException):
        client.start_product_subscription(Username="gina", IdentityProvider=idp(), Product=OFFICE)
    time.sleep(0.35)
    assert status_of(client, "gina") == "SUBSCRIBED"
    stopped = client.stop_product_subscription(Username="gina", IdentityProvider=idp(), Product=OFFICE)["ProductUserSummary"]
    assert stopped["Status"] == "UNSUBSCRIBING" and stopped["SubscriptionEndDate"]
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.stop_product_subscription(Username="gina", IdentityProvider=idp(), Product=OFFICE)
    assert status_of(client, "gina") == "UNSUBSCRIBING"
    time.sleep(0.35)
    assert status_of(client, "gina") == "UNSUBSCRIBED"
    assert subs(client)[("gina", OFFICE)]["SubscriptionEndDate"] == stopped["SubscriptionEndDate"]


def test_stop_while_subscribing_and_start_while_unsubscribing(lmus_emulator_factory):
    emu = lmus_emulator_factory(seed=SEED, transition_delay=30, vocabulary=PENDING_WORDS)
    client = make_client(emu)
    arn = client.start_product_subscription(Username="gina", IdentityProvider=idp(), Product=OFFICE)["ProductUserSummary"]["ProductUserArn"]
    assert client.stop_product_subscription(ProductUserArn=arn)["ProductUserSummary"]["Status"] == "UNSUBSCRIBING"
    again = client.start_product_subscription(Username="gina", IdentityProvider=idp(), Product=OFFICE)["ProductUserSummary"]
    assert (again["Status"], again["ProductUserArn"]) == ("PENDING", arn) and "SubscriptionEndDate" not in again


def test_aws_vocabulary_has_no_transitional_subscription_word(lmus_emulator_factory):
    emu = lmus_emulator_factory(seed=SEED, transition_delay=30)
    client = make_client(emu)
    assert client.start_product_subscription(Username="gina", IdentityProvider=idp(), Product=OFFICE)["ProductUserSummary"]["Status"] == "SUBSCRIBED"
    assert client.stop_product_subscription(Username="gina", IdentityProvider=idp(), Product=OFFICE)["ProductUserSummary"]["Status"] == "UNSUBSCRIBED"


def test_stuck_subscriptions(lmus_emulator_factory):
    seed = {**SEED, "product_subscriptions": SEED["product_subscriptions"] + [
        {"username": "hank", "product": OFFICE, "directory_id": DIR1, "status": "PENDING", "stuck": True}]}
    emu = lmus_emulator_factory(seed=seed, vocabulary=PENDING_WORDS)
    client = make_client(emu)
    assert status_of(client, "hank") == "PENDING"  # delay 0, but stuck
    hank = [s for s in emu.state_dump()["product_subscriptions"] if s["username"] == "hank"][0]
    assert (hank["status"], hank["stuck"]) == ("PENDING", True)
    assert emu.set_subscription_status("alice", OFFICE, DIR1, "UNSUBSCRIBING", domain=DOMAIN, stuck=True)["Status"] == "UNSUBSCRIBING"
    time.sleep(0.05)
    assert status_of(client, "alice") == "UNSUBSCRIBING" and subs(client)[("alice", OFFICE)]["SubscriptionEndDate"]
    assert EmulatorAdmin(emu.url).set_subscription_status("alice", OFFICE, DIR1, "UNSUBSCRIBING", domain=DOMAIN, stuck=False)["Status"] == "UNSUBSCRIBED"
    assert emu.set_subscription_status("hank", OFFICE, DIR1, "PENDING", stuck=False)["Status"] == "SUBSCRIBED"
    dump = emu.state_dump()
    assert Emulator(seed=dump, vocabulary=PENDING_WORDS).state_dump() == dump


RDS = "REMOTE_DESKTOP_SERVICES"


def test_rds_subscriptions_carry_a_license_expiration_date(client):
    assert "LicenseExpirationDate" in shared_model().model.shape_for("ProductUserSummary").members
    rds = client.start_product_subscription(Username="gina", IdentityProvider=idp(), Product=RDS, Domain=DOMAIN)["ProductUserSummary"]
    start = datetime.strptime(rds["SubscriptionStartDate"], "%Y-%m-%dT%H:%M:%SZ")
    assert rds["LicenseExpirationDate"] == (start + timedelta(days=60)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert subs(client)[("gina", RDS)]["LicenseExpirationDate"] == rds["LicenseExpirationDate"]
    office = client.start_product_subscription(Username="gina", IdentityProvider=idp(), Product=OFFICE, Domain=DOMAIN)["ProductUserSummary"]
    assert "LicenseExpirationDate" not in office
    stopped = client.stop_product_subscription(Username="gina", IdentityProvider=idp(), Product=RDS, Domain=DOMAIN)["ProductUserSummary"]
    assert stopped["LicenseExpirationDate"] == rds["LicenseExpirationDate"]


def test_license_expiration_date_seeds(lmus_emulator_factory):
    seed = {"instances": [{"instance_id": "i-00000001", "directory_id": DIR1, "products": [RDS, OFFICE]}], "product_subscriptions": [
        {"username": "a", "product": RDS, "directory_id": DIR1, "subscription_start_date": "2024-05-01T12:00:00Z"},
        {"username": "b", "product": RDS, "directory_id": DIR1, "license_expiration_date": "2031-01-01T00:00:00Z"},
        {"username": "c", "product": RDS, "directory_id": DIR1, "license_expiration_date": None},
        {"username": "d", "product": OFFICE, "directory_id": DIR1, "license_expiration_date": "2030-01-01T00:00:00Z"},
        {"username": "e", "product": OFFICE, "directory_id": DIR1}]}
    emu = lmus_emulator_factory(seed=seed)
    client = make_client(emu)
    dates = {user: s.get("LicenseExpirationDate") for (user, _p), s in subs(client).items()}
    assert dates == {"a": "2024-06-30T12:00:00Z", "b": "2031-01-01T00:00:00Z", "c": None, "d": "2030-01-01T00:00:00Z", "e": None}
    dump = emu.state_dump()
    assert Emulator(seed=dump).state_dump() == dump
    emu.store.has_license_expiration = False  # what an older botocore model would allow
    assert all("LicenseExpirationDate" not in s for s in subs(client).values())


IDP_STATUS_SEED = {
    "identity_providers": [{"directory_id": DIR1, "product": OFFICE, "status": "DEREGISTERED", "failure_message": "deregistered by an administrator"},
                           {"directory_id": DIR1, "product": RDS},
                           {"directory_id": DIR2, "product": "VISUAL_STUDIO_ENTERPRISE", "status": "REGISTRATION_FAILED"}],
    "product_subscriptions": [{"username": "alice", "product": OFFICE, "directory_id": DIR1},
                              {"username": "alice", "product": RDS, "directory_id": DIR1},
                              {"username": "bob", "product": "VISUAL_STUDIO_ENTERPRISE", "directory_id": DIR2}],
}


def test_identity_provider_status_is_listed(lmus_emulator_factory):
    emu = lmus_emulator_factory(seed=IDP_STATUS_SEED)
    client = make_client(emu)
    listed = {(s["IdentityProvider"]["ActiveDirectoryIdentityProvider"]["DirectoryId"], s["Product"]): s
              for s in client.list_identity_providers()["IdentityProviderSummaries"]}
    assert {k: v["Status"] for k, v in listed.items()} == {(DIR1, OFFICE): "DEREGISTERED", (DIR1, RDS): "REGISTERED",
                                                           (DIR2, "VISUAL_STUDIO_ENTERPRISE"): "REGISTRATION_FAILED"}
    assert listed[(DIR1, OFFICE)]["FailureMessage"] == "deregistered by an administrator"
    filtered = client.list_identity_providers(Filters=[{"Attribute": "Status", "Operation": "NotEquals", "Value": "REGISTERED"}])
    assert len(filtered["IdentityProviderSummaries"]) == 2
    dump = emu.state_dump()
    assert [p["status"] for p in dump["identity_providers"]] == ["DEREGISTERED", "REGISTERED", "REGISTRATION_FAILED"]
    assert Emulator(seed=dump).state_dump() == dump


def test_subscriptions_under_a_provider_that_is_not_registered(lmus_emulator_factory):
    client = make_client(lmus_emulator_factory(seed=IDP_STATUS_SEED))
    with pytest.raises(client.exceptions.ResourceNotFoundException) as excinfo:
        client.list_product_subscriptions(IdentityProvider=idp(), Product=OFFICE)
    assert "DEREGISTERED" in str(excinfo.value)
    assert list(subs(client)) == [("alice", RDS)]  # the OFFICE provider's subscriptions are left out
    assert list(subs(client, Product=RDS)) == [("alice", RDS)]
    with pytest.raises(client.exceptions.ResourceNotFoundException):  # no registered provider at all in DIR2
        client.list_product_subscriptions(IdentityProvider=idp(DIR2))
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.start_product_subscription(Username="gina", IdentityProvider=idp(), Product=OFFICE)
    assert client.start_product_subscription(Username="gina", IdentityProvider=idp(), Product=RDS)["ProductUserSummary"]
    # an existing subscription can still be stopped
    assert client.stop_product_subscription(Username="alice", IdentityProvider=idp(), Product=OFFICE)["ProductUserSummary"]["Status"] == "UNSUBSCRIBED"


def test_registered_word_follows_the_vocabulary(lmus_emulator_factory):
    seed = {"identity_providers": [{"directory_id": DIR1, "product": OFFICE}, {"directory_id": DIR1, "product": RDS, "status": "REGISTERED"}]}
    client = make_client(lmus_emulator_factory(seed=seed, vocabulary={"registered": "ACTIVE"}))
    statuses = {s["Product"]: s["Status"] for s in client.list_identity_providers()["IdentityProviderSummaries"]}
    assert statuses == {OFFICE: "ACTIVE", RDS: "REGISTERED"}
    assert client.start_product_subscription(Username="gina", IdentityProvider=idp(), Product=OFFICE)["ProductUserSummary"]
    with pytest.raises(client.exceptions.ResourceNotFoundException):  # "REGISTERED" is not this vocabulary's word
        client.start_product_subscription(Username="gina", IdentityProvider=idp(), Product=RDS)
