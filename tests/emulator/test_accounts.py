"""Accounts, regions and STS: partitions chosen by the signing key's account and the request's region; AssumeRole, GetCallerIdentity."""

import http.client
import json
import os
import subprocess
import sys
import time
from urllib.parse import urlencode, urlsplit

import boto3
import pytest
import yaml
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.validate import ParamValidator

from emutest import CREDENTIAL_TEXT, DIR1, DOMAIN, HERE_PATH, INST1, SEED, idp
from lmus_emulator import Emulator, EmulatorAdmin

HUB = "000000000000"
PROD = "111111111111"
DEV = "222222222222"
HUB_KEY = "AKIAHUBEXAMPLE000001"
PROD_KEY = "AKIAPRODEXAMPLE00001"
SECRET = "hub-dummy-secret-value"
ROLE = f"arn:aws:iam::{PROD}:role/offboard"
DEV_ROLE = f"arn:aws:iam::{DEV}:role/ops/offboard"
NO_RETRY = Config(retries={"total_max_attempts": 1})


def one_instance(instance_id, directory="d-2222222222"):
    return {"instances": [{"instance_id": instance_id, "directory_id": directory, "products": ["OFFICE_PROFESSIONAL_PLUS"]}],
            "associations": [{"instance_id": instance_id, "username": "alice", "domain": DOMAIN}]}


PARTITIONS = [
    {"account_id": PROD, "region": "eu-west-1", "seed": SEED},
    {"account_id": PROD, "region": "us-east-1", "seed": one_instance("i-00000000000000011")},
    {"account_id": DEV, "region": "eu-west-1", "seed": one_instance("i-00000000000000022")},
]


@pytest.fixture
def fleet(lmus_emulator_factory):
    return lmus_emulator_factory(partitions=PARTITIONS, access_keys={HUB_KEY: HUB, PROD_KEY: PROD}, external_ids={DEV: "dev-external-id"})


def lmus(emu, region, key=HUB_KEY, secret=SECRET, token=None):
    return boto3.client("license-manager-user-subscriptions", endpoint_url=emu.url, region_name=region, aws_access_key_id=key,
                        aws_secret_access_key=secret, aws_session_token=token, config=NO_RETRY)


def sts(emu, region="us-east-1", key=HUB_KEY, secret=SECRET, token=None):
    return boto3.client("sts", endpoint_url=emu.url, region_name=region, aws_access_key_id=key, aws_secret_access_key=secret,
                        aws_session_token=token, config=NO_RETRY)


def with_credentials(emu, region, credentials):
    return lmus(emu, region, credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"])


def instance_ids(client):
    return sorted(i["InstanceId"] for i in client.list_instances()["InstanceSummaries"])


def code_of(call):
    with pytest.raises(ClientError) as excinfo:
        call()
    return excinfo.value.response["Error"]["Code"], excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_partition_is_chosen_by_the_keys_account_and_the_region(fleet):
    assert instance_ids(lmus(fleet, "eu-west-1", PROD_KEY)) == sorted(i["instance_id"] for i in SEED["instances"])
    assert instance_ids(lmus(fleet, "us-east-1", PROD_KEY)) == ["i-00000000000000011"]
    # The hub's own account has no instances; a region never seeded answers as an empty account-region does.
    assert instance_ids(lmus(fleet, "eu-west-1")) == []
    assert instance_ids(lmus(fleet, "ap-southeast-2", PROD_KEY)) == []
    # ARNs name the partition's account and region.
    summary = lmus(fleet, "us-east-1", PROD_KEY).list_user_associations(InstanceId="i-00000000000000011", IdentityProvider=idp("d-2222222222"))
    assert summary["InstanceUserSummaries"][0]["InstanceUserArn"].startswith(f"arn:aws:license-manager-user-subscriptions:us-east-1:{PROD}:")
    # A write changes its own partition only.
    lmus(fleet, "eu-west-1", PROD_KEY).disassociate_user(Username="alice", InstanceId=INST1, IdentityProvider=idp(DIR1), Domain=DOMAIN)
    prod_eu = [a for a in fleet.state_dump(PROD, "eu-west-1")["associations"] if a["username"] == "alice" and a["instance_id"] == INST1]
    assert prod_eu[0]["status"] == "DISASSOCIATED"
    assert [a["status"] for a in fleet.state_dump(DEV, "eu-west-1")["associations"]] == ["ASSOCIATED"]
    assert [(e["account_id"], e["region"]) for e in fleet.calls(write=True)] == [(PROD, "eu-west-1")]
    assert len(fleet.calls("ListInstances", account_id=PROD)) == 3 and len(fleet.calls(region="us-east-1")) == 2
    assert {(p["account_id"], p["region"]) for p in fleet.partitions()} >= {(PROD, "eu-west-1"), (PROD, "us-east-1"), (DEV, "eu-west-1")}


def test_without_partitions_one_store_serves_every_request(emu):
    assert instance_ids(lmus(emu, "eu-west-1")) == instance_ids(lmus(emu, "us-east-1", PROD_KEY)) == sorted(i["instance_id"] for i in SEED["instances"])
    with pytest.raises(KeyError):
        emu.state_dump(PROD, "eu-west-1")


def test_assume_role_gives_credentials_bound_to_the_roles_account(fleet):
    answer = sts(fleet).assume_role(RoleArn=ROLE, RoleSessionName="offboard-prod", DurationSeconds=900)
    credentials = answer["Credentials"]
    assert credentials["AccessKeyId"].startswith("ASIA") and credentials["SessionToken"] and credentials["SecretAccessKey"]
    assert answer["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{PROD}:assumed-role/offboard/offboard-prod"
    assert 850 <= credentials["Expiration"].timestamp() - time.time() <= 900
    # botocore's own parser read the XML; what it read fits the model's output shape.
    assert_fits("AssumeRole", answer)
    # The credentials reach the role's account, in whichever region the request names.
    assert instance_ids(with_credentials(fleet, "us-east-1", credentials)) == ["i-00000000000000011"]
    who = sts(fleet, "eu-west-1", credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"]).get_caller_identity()
    assert (who["Account"], who["Arn"]) == (PROD, f"arn:aws:sts::{PROD}:assumed-role/offboard/offboard-prod")
    assert who["UserId"].endswith(":offboard-prod")
    assert_fits("GetCallerIdentity", who)
    hub = sts(fleet).get_caller_identity()
    assert hub["Account"] == HUB and HUB_KEY not in json.dumps(hub)
    entry = fleet.calls("ListInstances")[-1]
    assert (entry["account_id"], entry["region"], entry["principal"], entry["security_token"]) == (
        PROD, "us-east-1", f"arn:aws:sts::{PROD}:assumed-role/offboard/offboard-prod", True)
    assign = fleet.calls("AssumeRole")[0]
    assert (assign["service"], assign["account_id"], assign["params"]) == (
        "sts", HUB, {"RoleArn": ROLE, "RoleSessionName": "offboard-prod", "DurationSeconds": 900})
    # Nothing secret is kept: not the keys, the secret or the token, in the log or any partition's state.
    text = json.dumps(fleet.log) + "".join(json.dumps(fleet.state_dump(p["account_id"], p["region"])) for p in fleet.partitions())
    for needle in (credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"], HUB_KEY, SECRET) + CREDENTIAL_TEXT:
        assert needle not in text


def assert_fits(operation, answer):
    """What botocore parsed fits the sts model's output shape (types included)."""
    shape = boto3.session.Session().client("sts", region_name="us-east-1").meta.service_model.operation_model(operation).output_shape
    data = {k: v for k, v in answer.items() if k != "ResponseMetadata"}
    report = ParamValidator().validate(data, shape)
    assert not report.has_errors(), report.generate_report()


def test_a_session_key_needs_its_own_token(fleet):
    credentials = sts(fleet).assume_role(RoleArn=ROLE, RoleSessionName="offboard-prod")["Credentials"]
    no_token = lmus(fleet, "eu-west-1", credentials["AccessKeyId"], credentials["SecretAccessKey"])
    assert code_of(no_token.list_instances) == ("UnrecognizedClientException", 403)
    wrong = lmus(fleet, "eu-west-1", credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"] + "x")
    assert code_of(wrong.list_instances) == ("UnrecognizedClientException", 403)
    assert code_of(sts(fleet, key=credentials["AccessKeyId"], secret=credentials["SecretAccessKey"]).get_caller_identity) == (
        "InvalidClientTokenId", 403)
    fleet.sts.clock = lambda: 4102444800.0  # 2100: every session has expired
    assert code_of(with_credentials(fleet, "eu-west-1", credentials).list_instances) == ("ExpiredTokenException", 400)


def test_external_id_and_session_duration(fleet):
    assert code_of(lambda: sts(fleet).assume_role(RoleArn=DEV_ROLE, RoleSessionName="s-dev")) == ("AccessDenied", 403)
    assert code_of(lambda: sts(fleet).assume_role(RoleArn=DEV_ROLE, RoleSessionName="s-dev", ExternalId="wrong-id")) == ("AccessDenied", 403)
    answer = sts(fleet).assume_role(RoleArn=DEV_ROLE, RoleSessionName="s-dev", ExternalId="dev-external-id")
    assert answer["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{DEV}:assumed-role/offboard/s-dev"
    assert instance_ids(with_credentials(fleet, "eu-west-1", answer["Credentials"])) == ["i-00000000000000022"]
    code, status = code_of(lambda: sts(fleet).assume_role(RoleArn=ROLE, RoleSessionName="s-long", DurationSeconds=7200))
    assert (code, status) == ("ValidationError", 400)


def form(**params):
    return urlencode(dict({"Version": "2011-06-15"}, **params)).encode()


STS_AUTH = {"Authorization": f"AWS4-HMAC-SHA256 Credential={HUB_KEY}/20240101/us-east-1/sts/aws4_request, Signature=00",
            "Content-Type": "application/x-www-form-urlencoded"}


@pytest.mark.parametrize("body, code, words", [
    (form(Action="AssumeRole", RoleArn=ROLE, RoleSessionName="a"), "ValidationError", "roleSessionName"),
    (form(Action="AssumeRole", RoleArn=ROLE, RoleSessionName="bad name!"), "ValidationError", "regular expression"),
    (form(Action="AssumeRole", RoleArn=ROLE, RoleSessionName="ok", DurationSeconds="899"), "ValidationError", "greater than or equal to 900"),
    (form(Action="AssumeRole", RoleArn=ROLE, RoleSessionName="ok", DurationSeconds="soon"), "ValidationError", "number"),
    (form(Action="AssumeRole", RoleArn=ROLE, RoleSessionName="ok", ExternalId="x"), "ValidationError", "externalId"),
    (form(Action="AssumeRole", RoleSessionName="ok"), "ValidationError", "roleArn"),
    (form(Action="AssumeRole", RoleArn="arn:aws:iam::111111111111:user/bob", RoleSessionName="ok"), "ValidationError", "IAM role"),
    (form(Action="AssumeRole", RoleArn=ROLE, RoleSessionName="ok", Policy="{}"), "ValidationError", "not implemented"),
    (form(Action="AssumeRole", RoleArn=ROLE, RoleSessionName="ok", Colour="blue"), "ValidationError", "no parameter Colour"),
    (form(Action="GetSessionToken"), "InvalidAction", "not implemented"),
    (form(Action="Bogus"), "InvalidAction", "Bogus"),
    (form(), "MissingAction", "Action"),
    (urlencode({"Action": "GetCallerIdentity", "Version": "2099-01-01"}).encode(), "InvalidAction", "2011-06-15"),
])
def test_sts_requests_are_checked_against_the_model(fleet, body, code, words):
    status, headers, _body = raw_xml(fleet.url, body, STS_AUTH)
    assert status == {"ValidationError": 400, "InvalidAction": 400, "MissingAction": 400}[code]
    assert headers["content-type"] == "text/xml"
    assert f"<Code>{code}</Code>" in _body and words in _body, _body
    assert fleet.calls(error=code)
    assert not fleet.sts.sessions


def test_sts_without_signature_is_refused(fleet):
    status, _headers, body = raw_xml(fleet.url, form(Action="GetCallerIdentity"), {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 403 and "<Code>MissingAuthenticationToken</Code>" in body


def raw_xml(url, body, headers):
    """POST / with a form body; (status, headers with lower-case names, body text)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.request("POST", "/", body=body, headers=headers)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read().decode()
    finally:
        connection.close()


def test_denied_account_is_a_switchable_fault(fleet):
    fleet.set_faults({"assume_role_denied_accounts": [PROD]})
    with pytest.raises(ClientError) as excinfo:
        sts(fleet).assume_role(RoleArn=ROLE, RoleSessionName="offboard-prod")
    error = excinfo.value.response["Error"]
    assert (error["Code"], excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"]) == ("AccessDenied", 403)
    assert error["Message"] == f"User: arn:aws:iam::{HUB}:user/emulator is not authorized to perform: sts:AssumeRole on resource: {ROLE}"
    assert fleet.calls("AssumeRole")[-1]["fault"] == "assume_role_denied/AccessDenied"
    # Other accounts' roles still work; clearing the fault lets the account in again.
    assert sts(fleet).assume_role(RoleArn=DEV_ROLE, RoleSessionName="s-dev", ExternalId="dev-external-id")["Credentials"]
    fleet.set_faults({})
    assert sts(fleet).assume_role(RoleArn=ROLE, RoleSessionName="offboard-prod")["Credentials"]
    with pytest.raises(ValueError):
        fleet.set_faults({"assume_role_denied_accounts": ["1234"]})


def test_region_where_the_service_answers_an_error(fleet):
    fleet.set_faults({"region_errors": {"us-east-1": "UnrecognizedClientException", "eu-central-1": "InternalServerException"}})
    assert code_of(lmus(fleet, "us-east-1", PROD_KEY).list_instances) == ("UnrecognizedClientException", 403)
    assert code_of(lmus(fleet, "eu-central-1", PROD_KEY).list_instances) == ("InternalServerException", 500)
    assert instance_ids(lmus(fleet, "eu-west-1", PROD_KEY)) == sorted(i["instance_id"] for i in SEED["instances"])
    assert sts(fleet, "us-east-1").get_caller_identity()["Account"] == HUB  # STS still answers there
    assert [e["fault"] for e in fleet.calls("ListInstances")] == ["region_error/UnrecognizedClientException", "region_error/InternalServerException", None]
    fleet.set_faults({"region_errors": {"us-east-1": "drop"}})
    with pytest.raises(Exception) as excinfo:
        lmus(fleet, "us-east-1", PROD_KEY).list_instances()
    assert "closed" in str(excinfo.value).lower() or "connection" in str(excinfo.value).lower()
    fleet.set_faults({})
    assert instance_ids(lmus(fleet, "us-east-1", PROD_KEY)) == ["i-00000000000000011"]
    for bad in ({"region_errors": {"Mars": "ThrottlingException"}}, {"region_errors": {"us-east-1": "Boom"}}, {"region_errors": ["us-east-1"]}):
        with pytest.raises(ValueError):
            fleet.set_faults(bad)


def test_botocore_assumes_a_profiles_role_itself(fleet, tmp_path):
    """What the fleet playbook relies on: a profile with role_arn and credential_source, the hub's keys in the environment."""
    config = tmp_path / "config"
    config.write_text(f"[profile offboard]\nrole_arn = {DEV_ROLE}\ncredential_source = Environment\nexternal_id = dev-external-id\n"
                      "role_session_name = offboard-dev-eu-west-1\nduration_seconds = 3600\n", encoding="utf-8")
    script = ("import boto3, json; s = boto3.session.Session(profile_name='offboard');"
              "c = s.client('license-manager-user-subscriptions', region_name='eu-west-1');"
              "print(json.dumps([i['InstanceId'] for i in c.list_instances()['InstanceSummaries']]))")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(fleet.env(), AWS_ACCESS_KEY_ID=HUB_KEY, AWS_SECRET_ACCESS_KEY=SECRET, AWS_CONFIG_FILE=str(config),
               AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"), AWS_REGION="eu-west-1")
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(out.stdout) == ["i-00000000000000022"]
    assume = fleet.calls("AssumeRole")
    assert [(e["account_id"], e["params"]["RoleArn"], e["params"]["ExternalId"], e["params"]["RoleSessionName"]) for e in assume] == [
        (HUB, DEV_ROLE, "dev-external-id", "offboard-dev-eu-west-1")]
    assert fleet.calls("ListInstances")[0]["principal"] == f"arn:aws:sts::{DEV}:assumed-role/offboard/offboard-dev-eu-west-1"


def test_admin_api_and_cli_speak_partitions(tmp_path):
    fleet_file = tmp_path / "fleet.yml"
    (tmp_path / "dev.yml").write_text(yaml.safe_dump(one_instance("i-00000000000000022")), encoding="utf-8")
    fleet_file.write_text(yaml.safe_dump({"partitions": [{"account_id": DEV, "region": "eu-west-1", "seed": "dev.yml"}],
                                          "access_keys": {HUB_KEY: HUB}}), encoding="utf-8")
    url_file = tmp_path / "url"
    env = dict(os.environ, PYTHONPATH=HERE_PATH)
    proc = subprocess.Popen([sys.executable, "-m", "lmus_emulator", "--fleet", str(fleet_file), "--url-file", str(url_file)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for _attempt in range(200):
            if url_file.exists():
                break
            time.sleep(0.05)
        admin = EmulatorAdmin(url_file.read_text().strip()).wait_ready()
        assert {(p["account_id"], p["region"]) for p in admin.partitions()} == {(DEV, "eu-west-1"), ("123456789012", "us-east-1")}
        assert [i["instance_id"] for i in admin.state_dump(DEV, "eu-west-1")["instances"]] == ["i-00000000000000022"]
        assert admin.set_status("i-00000000000000022", "alice", "DISASSOCIATED", domain=DOMAIN, account_id=DEV, region="eu-west-1")["Status"] == \
            "DISASSOCIATED"
        admin.load(one_instance("i-00000000000000033"), account_id=PROD, region="eu-west-1")
        assert [i["instance_id"] for i in admin.state_dump(account_id=PROD, region="eu-west-1")["instances"]] == ["i-00000000000000033"]
        admin.reset()
        assert [a["status"] for a in admin.state_dump(DEV, "eu-west-1")["associations"]] == ["ASSOCIATED"]
        assert (PROD, "eu-west-1") not in {(p["account_id"], p["region"]) for p in admin.partitions()}
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.parametrize("partitions, words", [
    ([{"account_id": 111111111111, "region": "eu-west-1"}], "12 digits"),
    ([{"account_id": PROD, "region": "europe"}], "region"),
    ([{"account_id": PROD, "region": "eu-west-1"}, {"account_id": PROD, "region": "eu-west-1"}], "twice"),
    ([{"account_id": PROD, "region": "eu-west-1", "colour": "blue"}], "mapping"),
    ({"account_id": PROD}, "list"),
])
def test_bad_partitions_are_refused(partitions, words):
    with pytest.raises(ValueError, match=words):
        Emulator(partitions=partitions)


def test_bad_access_keys_and_external_ids_are_refused():
    with pytest.raises(ValueError, match="access key"):
        Emulator(access_keys={"short": PROD})
    with pytest.raises(ValueError, match="12 digits"):
        Emulator(access_keys={HUB_KEY: 1})
    with pytest.raises(ValueError, match="account ID"):
        Emulator(external_ids={"prod": "x"})
