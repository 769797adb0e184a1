"""Protocol: routing, auth, validation, error shapes, pagination."""

import json

import pytest
from botocore.exceptions import ClientError

from emutest import DIR1, DIR2, INST1, INST2, SEED, assert_valid_output, idp, make_client, raw_request
from lmus_emulator import EmulatorAdmin
from lmus_emulator.admin import AdminRequestError
from lmus_emulator.constants import ERROR_HTTP_STATUS, MODELED_ERRORS
from lmus_emulator.emulator import shared_model

AUTH = {"Authorization": "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/x/aws4_request, Signature=00",
        "Content-Type": "application/json"}


def error_of(excinfo):
    """(code, http status, message) of a ClientError."""
    response = excinfo.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Message"]


def test_routes_come_from_the_model():
    model = shared_model()
    for name in model.operation_names:
        http = model.model.operation_model(name).http
        if "{" not in http["requestUri"]:
            assert model.route(http["method"], http["requestUri"]) == name
    assert model.route("GET", "/tags/arn%3Aaws%3Ax%3Aus-east-1%3A1%3Aa%2Fb") == "ListTagsForResource"
    assert model.route("GET", "/user/AssociateUser") is None


def test_unknown_path_is_404(emu):
    status, headers, body = raw_request(emu.url, "POST", "/user/NoSuchThing", b"{}", AUTH)
    assert status == 404
    assert headers["x-amzn-errortype"] == "UnknownOperationException"
    assert "NoSuchThing" in body["message"]


def test_missing_authorization_is_403(emu):
    status, headers, body = raw_request(emu.url, "POST", "/instance/ListInstances", b"{}", {"Content-Type": "application/json"})
    assert status == 403
    assert headers["x-amzn-errortype"] == "MissingAuthenticationTokenException"
    assert body == {"message": "Missing Authentication Token"}
    assert emu.calls(error="MissingAuthenticationTokenException")


def test_log_says_whether_a_session_token_came_never_its_value(emu):
    token = "SENTINEL-session-token-0c4f"
    raw_request(emu.url, "POST", "/instance/ListInstances", b"{}", AUTH)
    raw_request(emu.url, "POST", "/instance/ListInstances", b"{}", dict(AUTH, **{"X-Amz-Security-Token": token}))
    assert [entry["security_token"] for entry in emu.log] == [False, True]
    assert token not in json.dumps(emu.log)


def test_invalid_json_is_validation_error(emu):
    status, headers, body = raw_request(emu.url, "POST", "/instance/ListInstances", b"{not json", AUTH)
    assert (status, headers["x-amzn-errortype"]) == (400, "ValidationException")
    assert "json" in body["message"].lower()
    status, headers, _body = raw_request(emu.url, "POST", "/instance/ListInstances", b"[1, 2]", AUTH)
    assert (status, headers["x-amzn-errortype"]) == (400, "ValidationException")


def test_unimplemented_operation(client):
    with pytest.raises(ClientError) as excinfo:
        client.list_license_server_endpoints()
    code, status, message = error_of(excinfo)
    assert (code, status) == ("InternalServerException", 501)
    assert "not implemented by emulator" in message


@pytest.mark.parametrize("params, expected", [
    ({"InstanceId": INST1, "IdentityProvider": idp()}, 'Missing required parameter in input: "Username"'),
    ({"Username": "x", "InstanceId": INST1, "IdentityProvider": idp(), "Bogus": 1}, 'Unknown parameter in input: "Bogus"'),
    ({"Username": "x", "InstanceId": INST1, "IdentityProvider": {}}, "Must set one of the following keys for tagged union"),
    ({"Username": "x", "InstanceId": INST1, "IdentityProvider": {"ActiveDirectoryIdentityProvider": {"DirectoryId": DIR1}, "Other": {}}},
     "Invalid number of parameters set for tagged union"),
    ({"Username": 5, "InstanceId": INST1, "IdentityProvider": idp()}, "Invalid type for parameter Username"),
    ({"Username": "x", "InstanceId": INST1, "IdentityProvider": idp(), "Tags": {str(n): "v" for n in range(51)}}, "length less than or equal to 50"),
])
def test_server_side_param_validation(emu, params, expected):
    status, headers, body = raw_request(emu.url, "POST", "/user/AssociateUser", json.dumps(params).encode(), AUTH)
    assert (status, headers["x-amzn-errortype"]) == (400, "ValidationException")
    assert expected in body["message"]
    assert emu.calls("AssociateUser")[-1]["error"] == "ValidationException"
    assert not [a for a in emu.state_dump()["associations"] if a["username"] == "x"]


@pytest.mark.parametrize("params, expected", [
    ({"InstanceId": INST1, "IdentityProvider": idp()}, 'Missing required parameter in input: "Username"'),
    ({"Username": 5, "InstanceId": INST1, "IdentityProvider": idp()}, "Invalid type for parameter Username"),
    ({"Username": "x", "InstanceId": INST1, "IdentityProvider": {}}, "Must set one of the following keys for tagged union"),
])
def test_server_side_param_validation_via_boto3(emu, params, expected):
    client = make_client(emu, parameter_validation=False)
    with pytest.raises(ClientError) as excinfo:
        client.associate_user(**params)
    code, status, message = error_of(excinfo)
    assert (code, status) == ("ValidationException", 400)
    assert expected in message


@pytest.mark.parametrize("provider, fragment", [
    ({"ActiveDirectoryIdentityProvider": {"DirectoryId": "d-12345"}}, "regular expression pattern: (d|sd)-[0-9a-f]{10}"),
    ({"ActiveDirectoryIdentityProvider": {"DirectoryId": "x-1234567890"}}, "identityProvider.activeDirectoryIdentityProvider.directoryId"),
    ({"ActiveDirectoryIdentityProvider": {"DirectoryId": DIR1, "ActiveDirectoryType": "ON_PREM"}}, "enum value set"),
])
def test_model_patterns_and_enums_are_enforced(client, provider, fragment):
    with pytest.raises(ClientError) as excinfo:
        client.list_user_associations(InstanceId=INST1, IdentityProvider=provider)
    code, status, message = error_of(excinfo)
    assert (code, status) == ("ValidationException", 400)
    assert fragment in message


def test_arn_pattern_enforced(client):
    with pytest.raises(ClientError) as excinfo:
        client.disassociate_user(InstanceUserArn="not-an-arn")
    assert error_of(excinfo)[0] == "ValidationException"
    assert "regular expression pattern" in error_of(excinfo)[2]


@pytest.mark.parametrize("max_results", [0, 101, -1])
def test_bad_max_results(client, max_results):
    with pytest.raises(ClientError) as excinfo:
        client.list_instances(MaxResults=max_results)
    assert error_of(excinfo)[:2] == ("ValidationException", 400)


def test_max_results_bounds_accepted(client):
    assert len(client.list_instances(MaxResults=1)["InstanceSummaries"]) == 1
    assert len(client.list_instances(MaxResults=100)["InstanceSummaries"]) == 3


@pytest.mark.parametrize("token", ["garbage!!", "eyJvIjogMX0", "bm90IGpzb24"])
def test_bad_next_token(client, token):
    with pytest.raises(ClientError) as excinfo:
        client.list_instances(NextToken=token)
    assert error_of(excinfo)[:2] == ("ValidationException", 400)


def test_next_token_bound_to_its_query(client):
    token = client.list_user_associations(InstanceId=INST1, IdentityProvider=idp(), MaxResults=1)["NextToken"]
    with pytest.raises(ClientError) as excinfo:
        client.list_user_associations(InstanceId=INST1, IdentityProvider=idp(), NextToken=token,
                                      Filters=[{"Attribute": "Status", "Operation": "Equals", "Value": "ASSOCIATED"}])
    assert error_of(excinfo)[0] == "ValidationException"
    with pytest.raises(ClientError):
        client.list_instances(NextToken=token)


@pytest.mark.parametrize("code", MODELED_ERRORS)
def test_every_error_code_parses(emu, client, code):
    emu.set_faults({"fail_next": [{"operation": "ListInstances", "error": code, "message": f"injected {code}"}]})
    with pytest.raises(ClientError) as excinfo:
        client.list_instances()
    assert error_of(excinfo) == (code, ERROR_HTTP_STATUS[code], f"injected {code}")
    assert isinstance(excinfo.value, getattr(client.exceptions, code))
    assert client.list_instances()["InstanceSummaries"]


def test_natural_errors_and_statuses(client):
    with pytest.raises(client.exceptions.ResourceNotFoundException) as excinfo:
        client.associate_user(Username="zed", InstanceId="i-00000000", IdentityProvider=idp())
    assert error_of(excinfo)[1] == 404
    with pytest.raises(client.exceptions.ConflictException) as excinfo:
        client.associate_user(Username="alice", InstanceId=INST1, IdentityProvider=idp(), Domain="corp.example.com")
    assert error_of(excinfo)[1] == 500


def test_wrong_directory_names_instance_and_directory(client):
    with pytest.raises(client.exceptions.ResourceNotFoundException) as excinfo:
        client.list_user_associations(InstanceId=INST1, IdentityProvider=idp(DIR2))
    message = error_of(excinfo)[2]
    assert INST1 in message and DIR2 in message


def test_error_response_wire_format(emu):
    status, headers, body = raw_request(emu.url, "POST", "/user/AssociateUser",
                                        json.dumps({"Username": "x", "InstanceId": "i-00000000", "IdentityProvider": idp()}).encode(), AUTH)
    assert status == 404
    assert headers["x-amzn-errortype"] == "ResourceNotFoundException"
    assert headers["content-type"] == "application/json"
    assert headers["x-amzn-requestid"]
    assert list(body) == ["message"]


def test_pagination_with_botocore_paginators(emu):
    emu.page_size = 2
    client = make_client(emu)
    pages = list(client.get_paginator("list_user_associations").paginate(InstanceId=INST1, IdentityProvider=idp()))
    assert [len(p["InstanceUserSummaries"]) for p in pages] == [2, 2, 1]
    names = [s["Username"] for p in pages for s in p["InstanceUserSummaries"]]
    assert names == ["alice", "bob", "carol", "dave", "erin"]
    assert "NextToken" not in pages[-1]
    pages = list(client.get_paginator("list_instances").paginate(PaginationConfig={"PageSize": 1}))
    assert len(pages) == 3
    result = client.get_paginator("list_product_subscriptions").paginate(IdentityProvider=idp()).build_full_result()
    assert sorted(s["Username"] for s in result["ProductUserSummaries"]) == ["alice", "bob", "carol"]
    result = client.get_paginator("list_identity_providers").paginate(PaginationConfig={"PageSize": 1}).build_full_result()
    assert len(result["IdentityProviderSummaries"]) == 3
    assert client.output_checker.checked >= 10


def test_output_shapes_are_checked(client):
    client.list_instances()
    client.list_identity_providers()
    assert client.output_checker.checked == 2
    with pytest.raises(AssertionError):
        assert_valid_output("ListInstances", {"InstanceSummaries": [{"InstanceId": INST2}]})


def test_instances_summary(client):
    by_id = {s["InstanceId"]: s for s in client.list_instances()["InstanceSummaries"]}
    assert set(by_id) == {INST1, INST2, "i-1a2b3c4d"}
    assert by_id[INST2]["IdentityProvider"] == {"ActiveDirectoryIdentityProvider": {"DirectoryId": DIR2, "ActiveDirectoryType": "AWS_MANAGED"}}
    assert by_id[INST1]["Products"] == ["OFFICE_PROFESSIONAL_PLUS"]
    assert by_id[INST1]["Status"] == "AVAILABLE"
    assert by_id[INST1]["OwnerAccountId"] == "123456789012"


def test_identity_providers(client):
    summaries = client.list_identity_providers()["IdentityProviderSummaries"]
    pairs = sorted((s["IdentityProvider"]["ActiveDirectoryIdentityProvider"]["DirectoryId"], s["Product"]) for s in summaries)
    assert pairs == [(DIR1, "OFFICE_PROFESSIONAL_PLUS"), (DIR1, "REMOTE_DESKTOP_SERVICES"), (DIR2, "VISUAL_STUDIO_ENTERPRISE")]
    filtered = client.list_identity_providers(Filters=[{"Attribute": "Product", "Operation": "Equals", "Value": "VISUAL_STUDIO_ENTERPRISE"}])
    assert len(filtered["IdentityProviderSummaries"]) == 1
    assert all(s["Settings"]["Subnets"] and s["Settings"]["SecurityGroupId"].startswith("sg-") for s in summaries)


def test_omit_instance_identity_provider(lmus_emulator_factory):
    emu = lmus_emulator_factory(seed=SEED, omit_instance_identity_provider=True)
    client = make_client(emu)
    summaries = client.list_instances()["InstanceSummaries"]
    assert len(summaries) == 3 and all("IdentityProvider" not in s for s in summaries)
    assert all(s["Products"] and s["Status"] for s in summaries)
    assert emu.config()["omit_instance_identity_provider"] is True
    admin = EmulatorAdmin(emu.url)
    assert admin.set_config(omit_instance_identity_provider=False)["omit_instance_identity_provider"] is False
    assert all("IdentityProvider" in s for s in client.list_instances()["InstanceSummaries"])
    emu.set_config(omit_instance_identity_provider=True)
    assert all("IdentityProvider" not in s for s in client.list_instances()["InstanceSummaries"])
    with pytest.raises(ValueError):
        emu.set_config(omit_instance_identity_provider="yes")
    with pytest.raises(AdminRequestError):
        admin.set_config(omit_instance_identity_provider="yes")
    emu.set_config(omit_instance_identity_provider=False)
    emu.reset()
    assert emu.config()["omit_instance_identity_provider"] is True
    # other answers keep their IdentityProvider
    assert client.list_user_associations(InstanceId=INST1, IdentityProvider=idp())["InstanceUserSummaries"][0]["IdentityProvider"]
