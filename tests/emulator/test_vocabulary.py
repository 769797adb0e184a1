"""Status vocabularies: aws (default), legacy and custom words, switching at run time, seeds and dumps."""

import pytest

from emutest import DIR1, DOMAIN, INST1, SEED, idp, make_client
from lmus_emulator import Emulator, EmulatorAdmin, generate_seed
from lmus_emulator.admin import AdminRequestError
from lmus_emulator.vocabulary import PROFILES, ROLES, Vocabulary

OFFICE = "OFFICE_PROFESSIONAL_PLUS"
WEIRD = {"subscribed": "Subscribed", "unsubscribed": "Unsubscribed", "associated": "LINKED", "disassociated": "UNLINKED",
         "associating": "LINKING", "disassociating": None}
NO_STATUS_SEED = {
    "instances": [{"instance_id": INST1, "directory_id": DIR1, "products": [OFFICE]}],
    "associations": [{"instance_id": INST1, "username": "alice", "domain": DOMAIN}],
    "product_subscriptions": [{"username": "alice", "product": OFFICE, "directory_id": DIR1, "domain": DOMAIN}],
}


def statuses(emu):
    """{kind: [status, ...]} from the state dump."""
    dump = emu.state_dump()
    return {kind: [r["status"] for r in dump[kind]] for kind in ("associations", "product_subscriptions", "identity_providers", "instances")}


def start_stop(client, username="gina"):
    """Status words answered by StartProductSubscription then StopProductSubscription."""
    started = client.start_product_subscription(Username=username, IdentityProvider=idp(), Product=OFFICE)["ProductUserSummary"]
    stopped = client.stop_product_subscription(Username=username, IdentityProvider=idp(), Product=OFFICE)["ProductUserSummary"]
    return started["Status"], stopped["Status"]


def test_default_is_the_aws_vocabulary(lmus_emulator_factory):
    emu = lmus_emulator_factory(seed=NO_STATUS_SEED)
    assert emu.vocabulary["name"] == "aws" and emu.config()["vocabulary"] == emu.vocabulary
    assert statuses(emu) == {"associations": ["ASSOCIATED"], "product_subscriptions": ["SUBSCRIBED"], "identity_providers": ["REGISTERED"],
                             "instances": ["AVAILABLE"]}
    assert start_stop(make_client(emu)) == ("SUBSCRIBED", "UNSUBSCRIBED")


def test_legacy_vocabulary(lmus_emulator_factory):
    emu = lmus_emulator_factory(seed=NO_STATUS_SEED, vocabulary="legacy")
    assert statuses(emu)["product_subscriptions"] == ["ACTIVE"]
    assert start_stop(make_client(emu)) == ("ACTIVE", "INACTIVE")


def test_custom_vocabulary_drives_the_state_machine(lmus_emulator_factory):
    emu = lmus_emulator_factory(seed=NO_STATUS_SEED, vocabulary=WEIRD)
    client = make_client(emu)
    assert emu.vocabulary["name"] == "custom"
    assert statuses(emu)["associations"] == ["LINKED"] and statuses(emu)["product_subscriptions"] == ["Subscribed"]
    assert start_stop(client) == ("Subscribed", "Unsubscribed")
    with pytest.raises(client.exceptions.ConflictException):  # "Subscribed" is live in this vocabulary
        client.start_product_subscription(Username="alice", IdentityProvider=idp(), Product=OFFICE, Domain=DOMAIN)
    with pytest.raises(client.exceptions.ConflictException):  # "LINKED" is live
        client.associate_user(Username="alice", InstanceId=INST1, IdentityProvider=idp(), Domain=DOMAIN)
    # no disassociating word: straight to the final word
    summary = client.disassociate_user(Username="alice", InstanceId=INST1, IdentityProvider=idp(), Domain=DOMAIN)["InstanceUserSummary"]
    assert summary["Status"] == "UNLINKED" and summary["DisassociationDate"]
    assert client.associate_user(Username="bob", InstanceId=INST1, IdentityProvider=idp())["InstanceUserSummary"]["Status"] == "LINKED"


def test_custom_transitional_association_word_with_delay(lmus_emulator_factory):
    emu = lmus_emulator_factory(seed=NO_STATUS_SEED, vocabulary=WEIRD, transition_delay=30)
    client = make_client(emu)
    assert client.associate_user(Username="bob", InstanceId=INST1, IdentityProvider=idp())["InstanceUserSummary"]["Status"] == "LINKING"


def test_custom_vocabulary_base_and_name():
    vocab = Vocabulary({"base": "legacy", "unsubscribed": "CANCELLED", "name": "mine"})
    assert (vocab.name, vocab["subscribed"], vocab["unsubscribed"], vocab["associated"]) == ("mine", "ACTIVE", "CANCELLED", "ASSOCIATED")
    assert Vocabulary({"base": "legacy"}).name == "legacy"
    assert Vocabulary(Vocabulary(WEIRD).as_dict()) == Vocabulary(WEIRD)
    assert set(Vocabulary().as_dict()) == {"name", *ROLES}
    assert set(PROFILES) >= {"aws", "legacy"}


@pytest.mark.parametrize("bad", ["klingon", 42, {"subscribd": "X"}, {"subscribed": None}, {"subscribed": ""},
                                 {"subscribed": "SAME", "unsubscribed": "SAME"}, {"associating": "ASSOCIATED"}, {"base": "nope"},
                                 {"subscribing": 5}])
def test_invalid_vocabularies_are_refused(emu, bad):
    with pytest.raises(ValueError):
        Emulator(vocabulary=bad)
    with pytest.raises(ValueError):
        emu.set_config(vocabulary=bad)
    with pytest.raises(AdminRequestError) as excinfo:
        EmulatorAdmin(emu.url).set_config(vocabulary=bad)
    assert excinfo.value.status == 400
    assert emu.vocabulary["name"] == "aws"


def test_seeds_accept_any_status_string(lmus_emulator_factory):
    seed = {**NO_STATUS_SEED, "product_subscriptions": [{"username": "alice", "product": OFFICE, "directory_id": DIR1, "status": "Pending-ish"}]}
    emu = lmus_emulator_factory(seed=seed)
    client = make_client(emu)
    [summary] = client.list_product_subscriptions(IdentityProvider=idp())["ProductUserSummaries"]
    assert summary["Status"] == "Pending-ish"
    # an unknown word is neither live nor stopped: Stop finds nothing to stop, Start reuses the record
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.stop_product_subscription(Username="alice", IdentityProvider=idp(), Product=OFFICE)
    restarted = client.start_product_subscription(Username="alice", IdentityProvider=idp(), Product=OFFICE)["ProductUserSummary"]
    assert (restarted["Status"], restarted["ProductUserArn"]) == ("SUBSCRIBED", summary["ProductUserArn"])


def test_switching_vocabulary_translates_known_words(lmus_emulator_factory):
    seed = {**NO_STATUS_SEED, "product_subscriptions": NO_STATUS_SEED["product_subscriptions"] + [
        {"username": "bob", "product": OFFICE, "directory_id": DIR1, "status": "UNSUBSCRIBED"},
        {"username": "carol", "product": OFFICE, "directory_id": DIR1, "status": "ACTIVE"}]}
    emu = lmus_emulator_factory(seed=seed)
    client = make_client(emu)
    emu.set_config(vocabulary="legacy")
    by_user = {s["Username"]: s["Status"] for s in client.list_product_subscriptions(IdentityProvider=idp())["ProductUserSummaries"]}
    assert by_user == {"alice": "ACTIVE", "bob": "INACTIVE", "carol": "ACTIVE"}  # carol's "ACTIVE" was no aws word: kept
    assert start_stop(client) == ("ACTIVE", "INACTIVE")
    emu.set_config(vocabulary=WEIRD)
    assert statuses(emu)["associations"] == ["LINKED"]
    assert statuses(emu)["product_subscriptions"] == ["Subscribed", "Unsubscribed", "Subscribed", "Unsubscribed"]


def test_switching_drops_a_transitional_word_the_new_vocabulary_lacks(lmus_emulator_factory):
    emu = lmus_emulator_factory(seed=NO_STATUS_SEED, transition_delay=30)
    client = make_client(emu)
    client.associate_user(Username="bob", InstanceId=INST1, IdentityProvider=idp())
    emu.set_config(vocabulary={"associating": None, "associated": "LINKED"})
    statuses_now = {s["Username"]: s["Status"] for s in client.list_user_associations(InstanceId=INST1, IdentityProvider=idp())["InstanceUserSummaries"]}
    assert statuses_now == {"alice": "LINKED", "bob": "LINKED"}


def test_admin_config_vocabulary_and_reset(emu, client):
    admin = EmulatorAdmin(emu.url)
    config = admin.set_config(vocabulary=WEIRD)
    assert config["vocabulary"]["subscribed"] == "Subscribed" and config["vocabulary"]["disassociating"] is None
    assert client.start_product_subscription(Username="gina", IdentityProvider=idp(), Product=OFFICE)["ProductUserSummary"]["Status"] == "Subscribed"
    assert admin.set_config(vocabulary=admin.config()["vocabulary"])["vocabulary"] == config["vocabulary"]  # GET form is accepted back
    assert admin.set_config(vocabulary="legacy")["vocabulary"]["name"] == "legacy"
    admin.reset()
    assert admin.config()["vocabulary"]["name"] == "aws"
    assert {s["Username"]: s["Status"] for s in client.list_product_subscriptions(IdentityProvider=idp())["ProductUserSummaries"]}["alice"] == "SUBSCRIBED"


def test_reset_restores_the_constructor_vocabulary(lmus_emulator_factory):
    emu = lmus_emulator_factory(seed=SEED, vocabulary="legacy")
    emu.set_config(vocabulary="aws")
    emu.reset()
    assert emu.vocabulary["name"] == "legacy"


@pytest.mark.parametrize("vocabulary", ["aws", "legacy", WEIRD])
def test_state_dump_round_trips(lmus_emulator_factory, vocabulary):
    emu = lmus_emulator_factory(seed=SEED, vocabulary=vocabulary, transition_delay=0)
    client = make_client(emu)
    client.start_product_subscription(Username="gina", IdentityProvider=idp(), Product=OFFICE, Domain=DOMAIN)
    client.stop_product_subscription(Username="carol", IdentityProvider=idp(), Product=OFFICE, Domain=DOMAIN)
    client.disassociate_user(Username="bob", InstanceId=INST1, IdentityProvider=idp(), Domain=DOMAIN)
    dump = emu.state_dump()
    assert Emulator(seed=dump, vocabulary=vocabulary).state_dump() == dump


def test_generate_seed_speaks_the_vocabulary():
    kwargs = dict(instances=4, users=30, associations=40, subscriptions=30, directories=1, random_seed=5, inactive_fraction=0.3,
                  disassociated_fraction=0.3)
    aws = generate_seed(**kwargs)
    legacy = generate_seed(vocabulary="legacy", **kwargs)
    assert {s["status"] for s in aws["product_subscriptions"]} == {"SUBSCRIBED", "UNSUBSCRIBED"}
    assert {s["status"] for s in legacy["product_subscriptions"]} == {"ACTIVE", "INACTIVE"}
    assert {a["status"] for a in aws["associations"]} == {"ASSOCIATED", "DISASSOCIATED"}
