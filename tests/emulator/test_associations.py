"""AssociateUser / DisassociateUser / ListUserAssociations semantics."""

import time

import pytest

from emutest import DIR1, DIR2, DOMAIN, INST1, INST2, INST3, SEED, idp, make_client


def listed(client, instance_id=INST1, directory_id=DIR1, **kwargs):
    """{(username, domain): summary} for one instance."""
    pages = client.get_paginator("list_user_associations").paginate(InstanceId=instance_id, IdentityProvider=idp(directory_id), **kwargs)
    return {(s["Username"], s.get("Domain")): s for p in pages for s in p["InstanceUserSummaries"]}


def test_associate_is_immediate_with_zero_delay(client):
    summary = client.associate_user(Username="gina", InstanceId=INST1, IdentityProvider=idp(), Domain=DOMAIN,
                                    Tags={"team": "finance"})["InstanceUserSummary"]
    assert summary["Status"] == "ASSOCIATED"
    assert summary["Domain"] == DOMAIN and summary["AssociationDate"]
    assert summary["InstanceUserArn"].startswith("arn:aws:license-manager-user-subscriptions:us-east-1:123456789012:instance-user/")
    assert listed(client)[("gina", DOMAIN)]["Status"] == "ASSOCIATED"


def test_associate_transitions_after_delay(lmus_emulator_factory):
    emu = lmus_emulator_factory(seed=SEED, transition_delay=0.3)
    client = make_client(emu)
    summary = client.associate_user(Username="gina", InstanceId=INST1, IdentityProvider=idp())["InstanceUserSummary"]
    assert summary["Status"] == "ASSOCIATING"
    assert "Domain" not in summary
    assert listed(client)[("gina", None)]["Status"] == "ASSOCIATING"
    time.sleep(0.35)
    assert listed(client)[("gina", None)]["Status"] == "ASSOCIATED"
    summary = client.disassociate_user(Username="gina", InstanceId=INST1, IdentityProvider=idp())["InstanceUserSummary"]
    assert summary["Status"] == "DISASSOCIATING" and summary["DisassociationDate"]
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.disassociate_user(Username="gina", InstanceId=INST1, IdentityProvider=idp())
    time.sleep(0.35)
    assert listed(client)[("gina", None)]["Status"] == "DISASSOCIATED"


def test_double_associate_conflicts(client):
    with pytest.raises(client.exceptions.ConflictException):
        client.associate_user(Username="alice", InstanceId=INST1, IdentityProvider=idp(), Domain="CORP.Example.COM")
    with pytest.raises(client.exceptions.ConflictException):
        client.associate_user(Username="erin", InstanceId=INST1, IdentityProvider=idp())
    # same user, other domain / no domain is a different record
    assert client.associate_user(Username="alice", InstanceId=INST1, IdentityProvider=idp())["InstanceUserSummary"]["Status"] == "ASSOCIATED"


def test_conflict_while_associating(lmus_emulator_factory):
    emu = lmus_emulator_factory(seed=SEED, transition_delay=5)
    client = make_client(emu)
    client.associate_user(Username="gina", InstanceId=INST1, IdentityProvider=idp())
    with pytest.raises(client.exceptions.ConflictException):
        client.associate_user(Username="gina", InstanceId=INST1, IdentityProvider=idp())


def test_disassociate_by_names_then_not_found(client):
    summary = client.disassociate_user(Username="alice", InstanceId=INST1, IdentityProvider=idp(), Domain=DOMAIN)["InstanceUserSummary"]
    assert summary["Status"] == "DISASSOCIATED"
    assert summary["DisassociationDate"]
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.disassociate_user(Username="alice", InstanceId=INST1, IdentityProvider=idp(), Domain=DOMAIN)
    # still listed, decided by status
    assert listed(client)[("alice", DOMAIN)]["Status"] == "DISASSOCIATED"
    # alice on the other instance is untouched
    assert listed(client, INST2, DIR2)[("alice", DOMAIN)]["Status"] == "ASSOCIATED"


def test_disassociate_domain_rules(client):
    # missing domain does not match a record that has one
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.disassociate_user(Username="bob", InstanceId=INST1, IdentityProvider=idp())
    # domain is case-insensitive
    assert client.disassociate_user(Username="bob", InstanceId=INST1, IdentityProvider=idp(), Domain="Corp.Example.Com")
    # no-domain record matched without Domain
    assert client.disassociate_user(Username="erin", InstanceId=INST1, IdentityProvider=idp())


def test_disassociate_by_arn(client):
    arn = listed(client)[("bob", DOMAIN)]["InstanceUserArn"]
    summary = client.disassociate_user(InstanceUserArn=arn)["InstanceUserSummary"]
    assert (summary["Username"], summary["Status"], summary["InstanceUserArn"]) == ("bob", "DISASSOCIATED", arn)
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.disassociate_user(InstanceUserArn=arn)
    unknown = arn[:-4] + "ffff" if not arn.endswith("ffff") else arn[:-4] + "0000"
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.disassociate_user(InstanceUserArn=unknown)


def test_disassociate_incomplete_identification(client):
    with pytest.raises(client.exceptions.ValidationException):
        client.disassociate_user(Username="alice", InstanceId=INST1)
    with pytest.raises(client.exceptions.ValidationException):
        client.disassociate_user()


def test_disassociated_record_not_found_and_reassociate_reuses_arn(client):
    before = listed(client)[("carol", DOMAIN)]
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.disassociate_user(Username="carol", InstanceId=INST1, IdentityProvider=idp(), Domain=DOMAIN)
    after = client.associate_user(Username="carol", InstanceId=INST1, IdentityProvider=idp(), Domain=DOMAIN)["InstanceUserSummary"]
    assert after["Status"] == "ASSOCIATED"
    assert after["InstanceUserArn"] == before["InstanceUserArn"]
    assert "DisassociationDate" not in after


def test_unknown_instance_and_wrong_directory(client):
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.list_user_associations(InstanceId="i-99999999", IdentityProvider=idp())
    with pytest.raises(client.exceptions.ResourceNotFoundException) as excinfo:
        client.associate_user(Username="gina", InstanceId=INST2, IdentityProvider=idp(DIR1))
    assert INST2 in str(excinfo.value) and DIR1 in str(excinfo.value)
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.disassociate_user(Username="alice", InstanceId=INST2, IdentityProvider=idp(DIR1), Domain=DOMAIN)


def test_identity_provider_matches_by_directory_only(client):
    provider = {"ActiveDirectoryIdentityProvider": {"DirectoryId": DIR1, "ActiveDirectoryType": "SELF_MANAGED", "IsSharedActiveDirectory": False}}
    summaries = client.list_user_associations(InstanceId=INST1, IdentityProvider=provider)["InstanceUserSummaries"]
    assert len(summaries) == 5
    assert summaries[0]["IdentityProvider"] == idp(DIR1)


def test_stuck_seed_records(client):
    # dave is ASSOCIATED + stuck: disassociating leaves him DISASSOCIATING for good
    assert client.disassociate_user(Username="dave", InstanceId=INST1, IdentityProvider=idp(),
                                    Domain=DOMAIN)["InstanceUserSummary"]["Status"] == "DISASSOCIATING"
    time.sleep(0.05)
    assert listed(client)[("dave", DOMAIN)]["Status"] == "DISASSOCIATING"
    # frank was seeded ASSOCIATING + stuck
    assert listed(client, INST3)[("frank", DOMAIN)]["Status"] == "ASSOCIATING"
    with pytest.raises(client.exceptions.ConflictException):
        client.associate_user(Username="frank", InstanceId=INST3, IdentityProvider=idp(), Domain=DOMAIN)


def test_set_status_python(emu, client):
    emu.set_status(INST1, "alice", "DISASSOCIATING", domain=DOMAIN, stuck=True)
    assert listed(client)[("alice", DOMAIN)]["Status"] == "DISASSOCIATING"
    emu.set_status(INST1, "alice", "DISASSOCIATED", domain=DOMAIN)
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.disassociate_user(Username="alice", InstanceId=INST1, IdentityProvider=idp(), Domain=DOMAIN)
    emu.set_status(INST1, "newbie", "FAILED")  # creates a record; statuses are free-form
    assert listed(client)[("newbie", None)]["Status"] == "FAILED"
    emu.set_status(INST1, "alice", "ASSOCIATING", domain=DOMAIN, stuck=False)
    assert listed(client)[("alice", DOMAIN)]["Status"] == "ASSOCIATED"  # delay 0 settles at once
    with pytest.raises(KeyError):
        emu.set_status("i-99999999", "alice", "ASSOCIATED")


def test_filters(client):
    def names(filters):
        return sorted(u for u, _d in listed(client, Filters=filters))

    assert names([{"Attribute": "Status", "Operation": "Equals", "Value": "ASSOCIATED"}]) == ["alice", "bob", "dave", "erin"]
    assert names([{"Attribute": "Status", "Operation": "NotEquals", "Value": "ASSOCIATED"}]) == ["carol"]
    assert names([{"Attribute": "Username", "Operation": "eq", "Value": "bob"}]) == ["bob"]
    assert names([{"Attribute": "Domain", "Operation": "EQUALS", "Value": "CORP.EXAMPLE.COM"},
                  {"Attribute": "Username", "Operation": "ne", "Value": "alice"}]) == ["bob", "carol", "dave"]
    assert names([{"Attribute": "status", "Operation": "equals", "Value": "associated"}]) == ["alice", "bob", "dave", "erin"]
    for bad in ({"Attribute": "Color", "Operation": "Equals", "Value": "x"}, {"Attribute": "Status", "Operation": "Like", "Value": "x"},
                {"Attribute": "Status", "Operation": "Equals"}):
        with pytest.raises(client.exceptions.ValidationException):
            client.list_user_associations(InstanceId=INST1, IdentityProvider=idp(), Filters=[bad])
    instances = client.list_instances(Filters=[{"Attribute": "Status", "Operation": "Equals", "Value": "IN_MAINTENANCE"}])["InstanceSummaries"]
    assert [i["InstanceId"] for i in instances] == [INST3]
    instances = client.list_instances(Filters=[{"Attribute": "InstanceId", "Operation": "NotEquals", "Value": INST3}])["InstanceSummaries"]
    assert sorted(i["InstanceId"] for i in instances) == sorted([INST1, INST2])
    with pytest.raises(client.exceptions.ValidationException):
        client.list_instances(Filters=[{"Attribute": "Username", "Operation": "Equals", "Value": "x"}])


def test_pagination_is_stable_across_writes(emu):
    emu.page_size = 2
    client = make_client(emu)
    first = client.list_user_associations(InstanceId=INST1, IdentityProvider=idp())
    client.associate_user(Username="zoe", InstanceId=INST1, IdentityProvider=idp())
    client.disassociate_user(Username="alice", InstanceId=INST1, IdentityProvider=idp(), Domain=DOMAIN)
    rest = client.get_paginator("list_user_associations").paginate(InstanceId=INST1, IdentityProvider=idp(),
                                                                   PaginationConfig={"StartingToken": first["NextToken"]})
    names = [s["Username"] for s in first["InstanceUserSummaries"]] + [s["Username"] for p in rest for s in p["InstanceUserSummaries"]]
    assert names == ["alice", "bob", "carol", "dave", "erin", "zoe"]


def test_tags_kept_in_state(emu, client):
    client.associate_user(Username="gina", InstanceId=INST1, IdentityProvider=idp(), Tags={"ticket": "HR-1"})
    record = [a for a in emu.state_dump()["associations"] if a["username"] == "gina"][0]
    assert record["tags"] == {"ticket": "HR-1"}
    assert record["directory_id"] == DIR1


def test_hook_can_race_a_write(emu, client):
    def concurrent_offboarding(operation, params):
        if operation == "DisassociateUser":
            emu.set_status(params["InstanceId"], params["Username"], "DISASSOCIATED", domain=params.get("Domain"))

    remove = emu.add_hook(concurrent_offboarding)
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.disassociate_user(Username="alice", InstanceId=INST1, IdentityProvider=idp(), Domain=DOMAIN)
    remove()
    assert client.disassociate_user(Username="bob", InstanceId=INST1, IdentityProvider=idp(), Domain=DOMAIN)
