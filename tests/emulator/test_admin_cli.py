"""Request log, admin HTTP API, CLI, seed files and generator, pytest fixtures."""

import json
import os
import signal
import subprocess
import sys
import time

import boto3
import pytest
import yaml

from emutest import CREDENTIAL_TEXT, DIR1, DOMAIN, HERE_PATH, INST1, SEED, idp, make_client, raw_request
from lmus_emulator import Emulator, EmulatorAdmin, generate_seed, load_seed, sample_seed
from lmus_emulator.admin import AdminRequestError
from lmus_emulator.state import SeedError


def test_log_entries(emu, client):
    client.list_instances()
    client.disassociate_user(Username="alice", InstanceId=INST1, IdentityProvider=idp(), Domain=DOMAIN)
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.disassociate_user(Username="alice", InstanceId=INST1, IdentityProvider=idp(), Domain=DOMAIN)
    log = emu.log
    assert [e["seq"] for e in log] == [1, 2, 3]
    assert [(e["operation"], e["status"], e["error"], e["write"]) for e in log] == [
        ("ListInstances", 200, None, False), ("DisassociateUser", 200, None, True), ("DisassociateUser", 404, "ResourceNotFoundException", True)]
    assert log[1]["params"] == {"Username": "alice", "InstanceId": INST1, "IdentityProvider": idp(), "Domain": DOMAIN}
    assert isinstance(log[0]["time"], float) and log[0]["time"] <= log[2]["time"]
    assert set(log[0]) >= {"seq", "time", "operation", "params", "status", "error", "write"}
    assert len(emu.calls(write=True)) == 2
    assert len(emu.calls("DisassociateUser", error=None)) == 1
    assert len(emu.calls(["ListInstances", "DisassociateUser"], write=False)) == 1
    log[0]["operation"] = "tampered"
    assert emu.log[0]["operation"] == "ListInstances"
    assert emu.clear_log() == 3 and emu.log == []


def test_no_credentials_in_log_or_state(emu, client):
    client.associate_user(Username="gina", InstanceId=INST1, IdentityProvider=idp(), Tags={"k": "v"})
    client.list_instances()
    raw_request(emu.url, "POST", "/instance/ListInstances", b"{}", {"Authorization": "AWS4-HMAC-SHA256 Signature=deadbeef"})
    text = json.dumps(emu.log) + json.dumps(emu.state_dump()) + json.dumps(EmulatorAdmin(emu.url).log)
    for needle in CREDENTIAL_TEXT + ("deadbeef",):
        assert needle not in text
    assert "gina" in text


def test_admin_http_api(emu, client):
    admin = EmulatorAdmin(emu.url)
    assert admin.health()["status"] == "ok"
    client.list_instances()
    assert [e["operation"] for e in admin.log] == ["ListInstances"]
    assert admin.calls("ListInstances", error=None)
    admin.set_status(INST1, "alice", "DISASSOCIATING", domain=DOMAIN, stuck=True)
    alice = [a for a in admin.state_dump()["associations"] if a["username"] == "alice" and a["instance_id"] == INST1][0]
    assert (alice["status"], alice["stuck"]) == ("DISASSOCIATING", True)
    assert [e["operation"] for e in admin.log] == ["ListInstances"]  # admin calls are not logged
    assert admin.set_faults({"fail_next": [{"operation": "ListInstances", "error": "ThrottlingException"}]})["fail_next"][0]["count"] == 1
    assert admin.faults["fail_next"][0]["error"] == "ThrottlingException"
    with pytest.raises(client.exceptions.ThrottlingException):
        client.list_instances()
    config = admin.set_config(transition_delay=0.5, page_size=1)
    assert (config["transition_delay"], config["page_size"]) == (0.5, 1)
    assert len(client.list_instances()["InstanceSummaries"]) == 1
    assert admin.clear_log() == 3
    with pytest.raises(AdminRequestError):
        admin.set_subscription_status("nobody", "OFFICE_PROFESSIONAL_PLUS", DIR1, "UNSUBSCRIBED")
    assert admin.set_subscription_status("alice", "OFFICE_PROFESSIONAL_PLUS", DIR1, "UNSUBSCRIBED", domain=DOMAIN)["Status"] == "UNSUBSCRIBED"
    new_state = admin.load({"instances": [{"instance_id": "i-00000001", "directory_id": DIR1, "products": ["OFFICE_PROFESSIONAL_PLUS"]}]})
    assert [i["instance_id"] for i in new_state["instances"]] == ["i-00000001"]
    admin.reset()
    assert len(admin.state_dump()["instances"]) == 3 and admin.log == [] and admin.faults == {}
    config = admin.config()
    assert (config["transition_delay"], config["page_size"], config["vocabulary"]["name"]) == (0.0, 50, "aws")
    with pytest.raises(AdminRequestError) as excinfo:
        admin.load({"instances": [{"instance_id": "bogus"}]})
    assert excinfo.value.status == 400 and "bogus" in excinfo.value.message
    with pytest.raises(AdminRequestError) as excinfo:
        admin.set_status("i-99999999", "x", "ASSOCIATED")
    assert excinfo.value.status == 404
    with pytest.raises(AdminRequestError) as excinfo:
        admin.set_faults({"nope": 1})
    assert excinfo.value.status == 400
    status, _headers, _body = raw_request(emu.url, "GET", "/_emulator/nothing")
    assert status == 404


def test_state_dump_is_a_valid_seed(emu, client):
    client.associate_user(Username="gina", InstanceId=INST1, IdentityProvider=idp(), Domain=DOMAIN)
    dump = emu.state_dump()
    other = Emulator(seed=dump)
    assert other.state_dump() == dump


def test_reset_restores_start_seed(emu, client):
    client.disassociate_user(Username="alice", InstanceId=INST1, IdentityProvider=idp(), Domain=DOMAIN)
    emu.set_faults({"latency": 0.01})
    emu.reset()
    assert emu.log == [] and emu.faults == {}
    alice = [a for a in emu.state_dump()["associations"] if a["username"] == "alice" and a["instance_id"] == INST1][0]
    assert alice["status"] == "ASSOCIATED"


def test_fixture_load_and_env(lmus_emulator, monkeypatch):
    assert lmus_emulator.state_dump()["instances"] == []
    lmus_emulator.load(SEED)
    for key, value in lmus_emulator.env().items():
        monkeypatch.setenv(key, value)
    client = boto3.client("license-manager-user-subscriptions")  # endpoint from AWS_ENDPOINT_URL_LICENSE_MANAGER_USER_SUBSCRIPTIONS
    assert len(client.list_instances()["InstanceSummaries"]) == 3
    assert lmus_emulator.calls("ListInstances")


def test_seed_errors():
    for bad in ({"instances": [{"instance_id": "i-123", "directory_id": DIR1}]},
                {"instances": [{"instance_id": INST1, "directory_id": "d-xyz"}]},
                {"associations": [{"instance_id": INST1, "username": "a"}]},
                {"instances": [{"instance_id": INST1, "directory_id": DIR1, "colour": "red"}]},
                {"unknown": []}):
        with pytest.raises(SeedError):
            Emulator(seed=bad)


def test_seed_accepts_snake_case_identity_provider_and_url_needs_start():
    emulator = Emulator(seed={"instances": [{"instance_id": INST1, "products": ["OFFICE_PROFESSIONAL_PLUS"], "identity_provider": {
        "active_directory_identity_provider": {"directory_id": DIR1, "active_directory_type": "SELF_MANAGED"}}}]})
    instance = emulator.state_dump()["instances"][0]
    assert instance["identity_provider"] == {"ActiveDirectoryIdentityProvider": {"DirectoryId": DIR1, "ActiveDirectoryType": "SELF_MANAGED"}}
    assert instance["directory_id"] == DIR1
    with pytest.raises(RuntimeError):
        assert emulator.url


def test_load_seed_files(tmp_path):
    yml = tmp_path / "seed.yml"
    yml.write_text(yaml.safe_dump(SEED))
    js = tmp_path / "seed.json"
    js.write_text(json.dumps(SEED))
    assert load_seed(yml) == load_seed(str(js)) == SEED
    assert len(Emulator(seed=str(yml)).state_dump()["associations"]) == 7


def test_generate_seed_counts_and_determinism():
    seed = generate_seed(instances=12, users=80, associations=150, subscriptions=60, directories=3, random_seed=3)
    assert (len(seed["instances"]), len(seed["associations"]), len(seed["product_subscriptions"])) == (12, 150, 60)
    assert seed == generate_seed(instances=12, users=80, associations=150, subscriptions=60, directories=3, random_seed=3)
    assert seed != generate_seed(instances=12, users=80, associations=150, subscriptions=60, directories=3, random_seed=4)
    assert len({i["directory_id"] for i in seed["instances"]}) == 3
    assert len({a["username"] for a in seed["associations"]}) <= 80
    assert all(a["username"].isalnum() and a["username"].islower() for a in seed["associations"])
    emulator = Emulator(seed=seed)
    assert len(emulator.state_dump()["associations"]) == 150
    with pytest.raises(ValueError):
        generate_seed(instances=2, users=2, associations=50, subscriptions=0, directories=1)


def test_sample_seed_holds_the_documentation_names():
    seed, generated = sample_seed(), generate_seed()
    assert seed == sample_seed()
    assert [len(seed[k]) for k in seed] == [len(generated[k]) for k in generated]
    assert len({a["username"] for a in seed["associations"]}) == len({a["username"] for a in generated["associations"]})
    [instance] = [i for i in seed["instances"] if i["instance_id"] == "i-0123456789abcdef0"]
    assert instance["directory_id"] == "d-1234567890" and "OFFICE_PROFESSIONAL_PLUS" in instance["products"]
    jdoe = [a for a in seed["associations"] if a["username"] == "jdoe"]
    assert {a["domain"] for a in jdoe} == {"corp.example.com"} and "i-0123456789abcdef0" in {a["instance_id"] for a in jdoe}
    assert len([a for a in jdoe if a["status"] == "ASSOCIATED"]) >= 2
    assert ("OFFICE_PROFESSIONAL_PLUS", "d-1234567890", "SUBSCRIBED") in {
        (s["product"], s["directory_id"], s["status"]) for s in seed["product_subscriptions"] if s["username"] == "jdoe"}
    assert "asmith" not in {a["username"] for a in seed["associations"]}  # the new starter of the first playbook
    assert {s["status"] for s in sample_seed("legacy")["product_subscriptions"]} == {"ACTIVE", "INACTIVE"}
    assert len(Emulator(seed=seed).state_dump()["associations"]) == len(seed["associations"])


def test_cli_sample_data_and_a_taken_port(tmp_path):
    env = dict(os.environ, PYTHONPATH=HERE_PATH)
    proc = subprocess.Popen([sys.executable, "-m", "lmus_emulator", "--sample"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = proc.stdout.readline().rsplit(" ", 1)[1].strip()
        admin = EmulatorAdmin(url).wait_ready()
        state = admin.state_dump()
        assert [a["instance_id"] for a in state["associations"] if a["username"] == "jdoe"] == \
            [a["instance_id"] for a in sample_seed()["associations"] if a["username"] == "jdoe"]
        taken = subprocess.run([sys.executable, "-m", "lmus_emulator", "--sample", "--port", url.rsplit(":", 1)[1]], env=env, capture_output=True,
                               text=True, timeout=60, check=False)
        assert taken.returncode == 2 and "cannot listen on 127.0.0.1:" in taken.stderr and "Traceback" not in taken.stderr
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
        proc.stdout.close()
        proc.stderr.close()
    both = subprocess.run([sys.executable, "-m", "lmus_emulator", "--sample", "--seed", str(tmp_path / "x.yml")], env=env, capture_output=True,
                          text=True, timeout=30, check=False)
    assert both.returncode == 2 and "not allowed with" in both.stderr


def test_seed_cli(tmp_path):
    out = tmp_path / "big.yml"
    env = dict(os.environ, PYTHONPATH=HERE_PATH)
    args = [sys.executable, "-W", "error::RuntimeWarning", "-m", "lmus_emulator.seed", "--instances", "40", "--users", "500", "--associations",
            "1200", "--subscriptions", "600", "--directories", "2", "--random-seed", "7", "--out", str(out)]
    subprocess.run(args, check=True, env=env, capture_output=True, timeout=60)
    data = load_seed(out)
    assert (len(data["instances"]), len(data["associations"]), len(data["product_subscriptions"])) == (40, 1200, 600)
    assert data == generate_seed(instances=40, users=500, associations=1200, subscriptions=600, directories=2, random_seed=7)


def test_cli_subprocess(tmp_path):
    seed = tmp_path / "seed.yml"
    seed.write_text(yaml.safe_dump(SEED))
    url_file = tmp_path / "url"
    env = dict(os.environ, PYTHONPATH=HERE_PATH)
    proc = subprocess.Popen([sys.executable, "-m", "lmus_emulator", "--seed", str(seed), "--page-size", "2", "--url-file", str(url_file),
                             "--faults", '{"latency": 0.0}'], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("LMUS emulator listening on http://127.0.0.1:")
        url = line.rsplit(" ", 1)[1].strip()
        deadline = time.monotonic() + 5
        while not url_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert url_file.read_text().strip() == url
        admin = EmulatorAdmin(url).wait_ready()

        class Remote:  # pylint: disable=too-few-public-methods
            """Enough of an Emulator for make_client."""
            def __init__(self, remote_url):
                self.url = remote_url

        client = make_client(Remote(url))
        assert len(client.list_instances()["InstanceSummaries"]) == 2  # --page-size 2
        assert admin.calls("ListInstances")[0]["status"] == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        proc.stdout.close()
        stderr = proc.stderr.read()
        proc.stderr.close()
    assert "Traceback" not in stderr


def test_cli_vocabulary_rules_and_omit_flags(tmp_path):
    seed = tmp_path / "seed.yml"
    seed.write_text(yaml.safe_dump(SEED))
    vocabulary = tmp_path / "words.yml"
    vocabulary.write_text(yaml.safe_dump({"base": "legacy", "unsubscribed": "CANCELLED"}))
    env = dict(os.environ, PYTHONPATH=HERE_PATH)
    proc = subprocess.Popen([sys.executable, "-m", "lmus_emulator", "--seed", str(seed), "--vocabulary", str(vocabulary),
                             "--omit-instance-identity-provider", "--rules", '{"require_subscription_to_associate": true}'],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = proc.stdout.readline().rsplit(" ", 1)[1].strip()
        config = EmulatorAdmin(url).wait_ready().config()
        assert config["vocabulary"]["name"] == "custom"
        assert (config["vocabulary"]["subscribed"], config["vocabulary"]["unsubscribed"]) == ("ACTIVE", "CANCELLED")
        assert config["omit_instance_identity_provider"] is True
        assert config["rules"] == {"require_subscription_to_associate": True, "refuse_stop_while_associated": True}
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        proc.stdout.close()
        proc.stderr.close()
    for bad in (["--vocabulary", "klingon"], ["--rules", '{"no_such_rule": true}'], ["--vocabulary", '{"subscribed": null}']):
        result = subprocess.run([sys.executable, "-m", "lmus_emulator", *bad], env=env, capture_output=True, text=True, timeout=30, check=False)
        assert result.returncode == 2 and "lmus-emulator:" in result.stderr and "Traceback" not in result.stderr
