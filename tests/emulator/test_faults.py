"""Fault injection: latency, write rate limit, fail_next, random faults, drops, timeouts, access denied, repeated tokens."""

import time

import pytest
from botocore.exceptions import ClientError, ConnectionClosedError, PaginationError, ReadTimeoutError

from emutest import DIR2, DOMAIN, INST1, INST2, idp, make_client


def outcome(call):
    """Error code of a call, or "ok"."""
    try:
        call()
        return "ok"
    except ClientError as exc:
        return exc.response["Error"]["Code"]
    except ConnectionClosedError:
        return "drop"


def test_latency_per_operation(emu, client):
    emu.set_faults({"latency": {"*": 0.0, "ListInstances": 0.3}})
    started = time.monotonic()
    client.list_instances()
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    client.list_identity_providers()
    assert time.monotonic() - started < 0.25
    emu.set_faults({"latency": 0.15})
    started = time.monotonic()
    client.list_identity_providers()
    assert time.monotonic() - started >= 0.15


def test_write_rate_limit(emu):
    emu.set_faults({"write_rate_limit": 2})
    client = make_client(emu, retries={"max_attempts": 0})
    results = [outcome(lambda u=u: client.associate_user(Username=u, InstanceId=INST1, IdentityProvider=idp())) for u in "pqrst"]
    assert results[:2] == ["ok", "ok"]
    assert results.count("ThrottlingException") >= 2
    assert outcome(client.list_instances) == "ok"  # reads are not limited
    throttled = emu.calls("AssociateUser", error="ThrottlingException")
    assert throttled and all(e["status"] == 400 and e["write"] and e["fault"] == "write_rate_limit/ThrottlingException" for e in throttled)
    time.sleep(0.6)
    assert outcome(lambda: client.associate_user(Username="late", InstanceId=INST1, IdentityProvider=idp())) == "ok"


def test_fail_next_queue(emu, client):
    emu.set_faults({"fail_next": [{"operation": "DisassociateUser", "error": "ThrottlingException", "count": 2},
                                  {"operation": "AssociateUser", "error": "ServiceQuotaExceededException", "match": {"Username": "bob"}}]})

    def disassociate():
        return client.disassociate_user(Username="alice", InstanceId=INST1, IdentityProvider=idp(), Domain=DOMAIN)
    assert [outcome(disassociate) for _call in range(3)] == ["ThrottlingException", "ThrottlingException", "ok"]
    assert [e["error"] for e in emu.calls("DisassociateUser")] == ["ThrottlingException", "ThrottlingException", None]
    assert outcome(lambda: client.associate_user(Username="zed", InstanceId=INST1, IdentityProvider=idp())) == "ok"
    assert outcome(lambda: client.associate_user(Username="bob", InstanceId=INST1, IdentityProvider=idp())) == "ServiceQuotaExceededException"
    assert outcome(lambda: client.associate_user(Username="bob", InstanceId=INST1, IdentityProvider=idp())) == "ok"
    assert emu.faults.get("fail_next", []) == []


def test_fail_next_is_consumed_once_per_call_and_rejects_bad_config(emu):
    with pytest.raises(ValueError):
        emu.set_faults({"fail_next": [{"operation": "ListInstances", "error": "NoSuchError"}]})
    with pytest.raises(ValueError):
        emu.set_faults({"throttle_rate": 2})
    with pytest.raises(ValueError):
        emu.set_faults({"bogus": 1})


def test_drop_raises_connection_error(emu, client):
    emu.set_faults({"fail_next": [{"operation": "ListInstances", "error": "drop"}]})
    with pytest.raises(ConnectionClosedError):
        client.list_instances()
    assert client.list_instances()["InstanceSummaries"]
    dropped = emu.calls("ListInstances", error="drop")
    assert len(dropped) == 1 and dropped[0]["status"] is None


def test_drop_after_applies_the_write_and_loses_the_answer(emu, client):
    emu.set_faults({"fail_next": [{"operation": "DisassociateUser", "error": "drop_after"}]})
    with pytest.raises(ConnectionClosedError):
        client.disassociate_user(Username="alice", InstanceId=INST1, IdentityProvider=idp(), Domain=DOMAIN)
    [entry] = emu.calls("DisassociateUser")
    assert (entry["status"], entry["error"], entry["fault"]) == (None, "drop", "fail_next/drop_after")
    statuses = {(a["username"], a["instance_id"]): a["status"] for a in emu.state_dump()["associations"]}
    assert statuses[("alice", INST1)] == "DISASSOCIATED"


def test_timeout_answers_late_but_applies_the_write(emu):
    emu.set_faults({"fail_next": [{"operation": "DisassociateUser", "error": "timeout"}], "timeout_seconds": 0.8})
    client = make_client(emu, read_timeout=0.2)
    with pytest.raises(ReadTimeoutError):
        client.disassociate_user(Username="alice", InstanceId=INST1, IdentityProvider=idp(), Domain=DOMAIN)
    deadline = time.monotonic() + 3
    while not emu.calls("DisassociateUser") and time.monotonic() < deadline:
        time.sleep(0.05)
    entry = emu.calls("DisassociateUser")[0]
    assert (entry["status"], entry["error"], entry["fault"]) == (200, None, "fail_next/timeout")
    alice = [a for a in emu.state_dump()["associations"] if a["username"] == "alice" and a["instance_id"] == INST1][0]
    assert alice["status"] == "DISASSOCIATED"


def test_random_faults_reproducible(emu, client):
    faults = {"throttle_rate": 0.3, "error_rate": 0.2, "random_seed": 42, "fault_operations": ["ListInstances"]}

    def run():
        emu.set_faults(faults)
        return [outcome(client.list_instances) for _call in range(20)]

    first, second = run(), run()
    assert first == second
    assert {"ok", "ThrottlingException", "InternalServerException"} <= set(first)
    faults["random_seed"] = 43
    assert run() != first
    assert all(outcome(client.list_identity_providers) == "ok" for _call in range(10))  # not in fault_operations
    errors = emu.calls("ListInstances", error="InternalServerException")
    assert errors and all(e["status"] == 500 and e["fault"] == "random/InternalServerException" for e in errors)


def test_random_drops(emu, client):
    emu.set_faults({"drop_rate": 0.5, "random_seed": 1})
    results = [outcome(client.list_instances) for _call in range(12)]
    assert "drop" in results and "ok" in results
    assert len(emu.calls(error="drop")) == results.count("drop")


def test_access_denied_instances(emu, client):
    emu.set_faults({"access_denied_instances": [INST2]})
    arn = client.list_user_associations(InstanceId=INST1, IdentityProvider=idp())["InstanceUserSummaries"][0]["InstanceUserArn"]
    with pytest.raises(client.exceptions.AccessDeniedException) as excinfo:
        client.list_user_associations(InstanceId=INST2, IdentityProvider=idp(DIR2))
    assert INST2 in str(excinfo.value)
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    emu.set_faults({"access_denied_instances": [INST1]})
    with pytest.raises(client.exceptions.AccessDeniedException):
        client.disassociate_user(InstanceUserArn=arn)
    assert outcome(lambda: client.list_user_associations(InstanceId=INST2, IdentityProvider=idp(DIR2))) == "ok"
    assert emu.calls(error="AccessDeniedException")[-1]["fault"] == "access_denied/AccessDeniedException"


def follow_tokens(client, calls, **kwargs):
    """NextTokens answered by `calls` ListUserAssociations calls that each send the previous answer's token."""
    tokens, token = [], None
    for _call in range(calls):
        page = client.list_user_associations(InstanceId=INST1, IdentityProvider=idp(), MaxResults=2, **({"NextToken": token} if token else {}),
                                             **kwargs)
        token = page.get("NextToken")
        tokens.append(token)
    return tokens


def test_repeat_token_same(emu, client):
    emu.set_faults({"repeat_token": {"operation": "ListUserAssociations", "mode": "same"}})
    tokens = follow_tokens(client, 6)
    assert tokens[0] and len(set(tokens)) == 1
    with pytest.raises(PaginationError) as excinfo:  # botocore's paginator notices the same token twice in a row
        list(client.get_paginator("list_user_associations").paginate(InstanceId=INST1, IdentityProvider=idp()))
    assert "same next token" in str(excinfo.value)
    assert {e["fault"] for e in emu.calls("ListUserAssociations")} == {"repeat_token/same"}
    assert "NextToken" not in client.list_instances()  # other operations are untouched
    emu.set_faults({})
    assert follow_tokens(client, 3)[-1] is None


def test_repeat_token_cycle_defeats_the_paginators_check(emu, client):
    emu.set_faults({"repeat_token": {"operation": ["ListUserAssociations"], "mode": "cycle"}})
    tokens = follow_tokens(client, 8)
    assert len(set(tokens)) == 2 and all(tokens) and tokens[0::2] == [tokens[0]] * 4 and tokens[1::2] == [tokens[1]] * 4
    paginator = client.get_paginator("list_user_associations")
    pages = paginator.paginate(InstanceId=INST1, IdentityProvider=idp(), PaginationConfig={"PageSize": 2, "MaxItems": 20})
    names = [s["Username"] for page in pages for s in page["InstanceUserSummaries"]]
    assert len(names) == 20 and names[:6] == ["alice", "bob", "carol", "dave", "alice", "bob"]


def test_repeat_token_even_on_a_single_page_and_for_every_list_operation(emu, client):
    emu.set_faults({"repeat_token": {"operation": "*"}})
    first = client.list_instances()
    assert len(first["InstanceSummaries"]) == 3 and first["NextToken"]
    again = client.list_instances(NextToken=first["NextToken"])
    assert again["InstanceSummaries"] == [] and again["NextToken"] == first["NextToken"]
    assert client.list_identity_providers()["NextToken"]
    assert client.list_product_subscriptions(IdentityProvider=idp())["NextToken"]
    assert emu.faults["repeat_token"] == {"operation": "*", "mode": "same"}


@pytest.mark.parametrize("bad", [{"mode": "forever"}, {"operation": "AssociateUser"}, {"operation": []}, {"colour": 1}, "same"])
def test_repeat_token_rejects_bad_config(emu, bad):
    with pytest.raises(ValueError):
        emu.set_faults({"repeat_token": bad})
