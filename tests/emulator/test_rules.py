"""Service rules: require_subscription_to_associate (default off) and refuse_stop_while_associated (default on)."""

import pytest
from botocore.exceptions import ClientError

from emutest import DIR1, DIR2, DOMAIN, INST1, INST3, SEED, idp, make_client
from lmus_emulator import Emulator, EmulatorAdmin
from lmus_emulator.admin import AdminRequestError

OFFICE = "OFFICE_PROFESSIONAL_PLUS"
VS = "VISUAL_STUDIO_ENTERPRISE"
RDS = "REMOTE_DESKTOP_SERVICES"
REQUIRE = {"require_subscription_to_associate": True}


def code_of(call):
    """(error code, HTTP status) of a call, or ("ok", 200)."""
    try:
        call()
        return "ok", 200
    except ClientError as exc:
        return exc.response["Error"]["Code"], exc.response["ResponseMetadata"]["HTTPStatusCode"]


def stop(client, username, product=OFFICE, directory_id=DIR1, domain=DOMAIN):
    kwargs = {"Domain": domain} if domain else {}
    return lambda: client.stop_product_subscription(Username=username, IdentityProvider=idp(directory_id), Product=product, **kwargs)


def start(client, username, product=OFFICE, directory_id=DIR1, domain=DOMAIN):
    kwargs = {"Domain": domain} if domain else {}
    return client.start_product_subscription(Username=username, IdentityProvider=idp(directory_id), Product=product, **kwargs)


def associate(client, username, instance_id=INST1, domain=DOMAIN):
    kwargs = {"Domain": domain} if domain else {}
    return lambda: client.associate_user(Username=username, InstanceId=instance_id, IdentityProvider=idp(), **kwargs)


def test_default_rules(emu):
    assert emu.config()["rules"] == {"require_subscription_to_associate": False, "refuse_stop_while_associated": True}


def test_stop_refused_while_associated_on_an_instance_with_the_product(emu, client):
    assert code_of(stop(client, "alice")) == ("ConflictException", 500)
    with pytest.raises(client.exceptions.ConflictException) as excinfo:
        stop(client, "alice")()
    assert INST1 in str(excinfo.value) and "ASSOCIATED" in str(excinfo.value)
    arn = client.list_product_subscriptions(IdentityProvider=idp(), Filters=[{"Attribute": "Username", "Operation": "Equals", "Value": "alice"}]
                                            )["ProductUserSummaries"][0]["ProductUserArn"]
    assert code_of(lambda: client.stop_product_subscription(ProductUserArn=arn)) == ("ConflictException", 500)
    assert [s["status"] for s in emu.state_dump()["product_subscriptions"] if s["username"] == "alice" and s["product"] == OFFICE] == ["SUBSCRIBED"]
    client.disassociate_user(Username="alice", InstanceId=INST1, IdentityProvider=idp(), Domain=DOMAIN)
    assert code_of(stop(client, "alice")) == ("ok", 200)


def test_visual_studio_is_subject_to_the_rule(client):
    assert code_of(stop(client, "alice", VS, DIR2)) == ("ConflictException", 500)


def test_associating_blocks_disassociating_does_not(client):
    start(client, "frank")  # frank is ASSOCIATING (stuck) on INST3, which provides Office
    assert code_of(stop(client, "frank")) == ("ConflictException", 500)
    client.disassociate_user(Username="dave", InstanceId=INST1, IdentityProvider=idp(), Domain=DOMAIN)  # stuck: stays DISASSOCIATING
    start(client, "dave")
    assert code_of(stop(client, "dave")) == ("ok", 200)


def test_remote_desktop_services_is_not_subject_to_the_rule(client):
    start(client, "frank", RDS)  # INST3 provides RDS and frank is live on it
    assert code_of(stop(client, "frank", RDS)) == ("ok", 200)


def test_only_same_user_domain_and_product_providing_instances_count(lmus_emulator_factory):
    seed = {"instances": [{"instance_id": "i-00000001", "directory_id": DIR1, "products": [RDS]},
                          {"instance_id": "i-00000002", "directory_id": DIR1, "products": [OFFICE]}],
            "associations": [{"instance_id": "i-00000001", "username": "rita", "domain": DOMAIN},
                             {"instance_id": "i-00000002", "username": "otto"}],
            "product_subscriptions": [{"username": "rita", "product": OFFICE, "directory_id": DIR1, "domain": DOMAIN},
                                      {"username": "otto", "product": OFFICE, "directory_id": DIR1, "domain": DOMAIN},
                                      {"username": "otto", "product": OFFICE, "directory_id": DIR1}]}
    client = make_client(lmus_emulator_factory(seed=seed))
    assert code_of(stop(client, "rita")) == ("ok", 200)  # only associated on an RDS-only instance
    assert code_of(stop(client, "otto")) == ("ok", 200)  # associated without a domain; this subscription has one
    assert code_of(stop(client, "otto", domain=None)) == ("ConflictException", 500)


def test_rule_follows_the_vocabulary(lmus_emulator_factory):
    emu = lmus_emulator_factory(seed=SEED, vocabulary={"associated": "LINKED"})
    client = make_client(emu)
    assert code_of(stop(client, "alice")) == ("ConflictException", 500)  # the seed's default association word is now LINKED
    emu.set_status(INST1, "alice", "ASSOCIATED", domain=DOMAIN)  # a word this vocabulary does not know: not live
    assert code_of(stop(client, "alice")) == ("ok", 200)


def test_stop_rule_switchable_and_its_error_code(emu, client):
    emu.set_config(rules={"refuse_stop_while_associated": False})
    assert emu.config()["rules"] == {"require_subscription_to_associate": False, "refuse_stop_while_associated": False}
    assert code_of(stop(client, "alice")) == ("ok", 200)
    emu.set_config(rules={"refuse_stop_while_associated": "ValidationException"})
    assert code_of(stop(client, "alice", VS, DIR2)) == ("ValidationException", 400)


def test_require_subscription_to_associate(lmus_emulator_factory):
    emu = lmus_emulator_factory(seed=SEED, rules=REQUIRE)
    client = make_client(emu)
    assert emu.config()["rules"] == {"require_subscription_to_associate": True, "refuse_stop_while_associated": True}
    assert code_of(associate(client, "gina")) == ("ValidationException", 400)
    with pytest.raises(client.exceptions.ValidationException) as excinfo:
        associate(client, "gina")()
    assert INST1 in str(excinfo.value) and OFFICE in str(excinfo.value)
    assert not [a for a in emu.state_dump()["associations"] if a["username"] == "gina"]
    start(client, "gina", RDS)  # a product INST1 does not provide
    assert code_of(associate(client, "gina")) == ("ValidationException", 400)
    start(client, "gina", domain="other.example.com")  # another domain
    assert code_of(associate(client, "gina")) == ("ValidationException", 400)
    start(client, "gina")
    assert code_of(associate(client, "gina")) == ("ok", 200)
    assert code_of(associate(client, "gina", INST3)) == ("ok", 200)  # INST3 provides Office and RDS
    # already associated: still a conflict, not a rule refusal
    assert code_of(associate(client, "alice")) == ("ConflictException", 500)
    # bob's subscription is UNSUBSCRIBED; carol's is SUBSCRIBED (her association is DISASSOCIATED)
    assert code_of(associate(client, "bob", INST3)) == ("ValidationException", 400)
    assert code_of(associate(client, "carol")) == ("ok", 200)


def test_a_subscription_in_its_transitional_word_counts(lmus_emulator_factory):
    emu = lmus_emulator_factory(seed=SEED, rules=REQUIRE, vocabulary={"subscribing": "PENDING"}, transition_delay=30)
    client = make_client(emu)
    assert start(client, "gina")["ProductUserSummary"]["Status"] == "PENDING"
    assert code_of(associate(client, "gina")) == ("ok", 200)


def test_rules_config_api(emu):
    admin = EmulatorAdmin(emu.url)
    assert admin.set_config(rules=REQUIRE)["rules"] == {"require_subscription_to_associate": True, "refuse_stop_while_associated": True}
    assert admin.config()["rules"]["require_subscription_to_associate"] is True
    client = make_client(emu)
    assert code_of(associate(client, "gina")) == ("ValidationException", 400)
    for bad in ({"no_such_rule": True}, {"refuse_stop_while_associated": "Nope"}, {"refuse_stop_while_associated": 1}, ["x"]):
        with pytest.raises(AdminRequestError) as excinfo:
            admin.set_config(rules=bad)
        assert excinfo.value.status == 400
        with pytest.raises(ValueError):
            Emulator(rules=bad)
    assert admin.config()["rules"]["require_subscription_to_associate"] is True
    admin.reset()
    assert admin.config()["rules"]["require_subscription_to_associate"] is False
