# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A fleet: one inventory host per account-region, run side by side by Ansible's forks, with one fleet report.

The inventory is the documentation's own (examples/fleet/inventory.yml, shown in docs/fleet.md): six account-regions in four
accounts, each reached by assuming a role of its account with the "hub" credentials in the environment, as AWX's AWS
credential puts them there. The emulator serves every account-region from one process (partitions chosen by the signing
key's account and the request's region) and answers STS AssumeRole. The scenario: one account whose AssumeRole is denied
(legacy-eu-central-1), one instance that answers AccessDenied (in dev-eu-west-1); check mode, then the real run, then a rerun.
"""

import json
import os
import re
import signal
import stat
import subprocess
import threading
import time
from pathlib import Path

import pytest
import yaml

from harness import ansible_env
from harness import bin_path

ROOT = Path(__file__).resolve().parents[2]
INVENTORY = ROOT / "examples" / "fleet" / "inventory.yml"
HUB_ACCOUNT = "000000000000"
HUB_KEY = "AKIAHUBEXAMPLE000001"
HUB_SECRET = "SENTINEL-hub-secret-4e1d7b2a-do-not-print"
DENIED_HOST = "legacy-eu-central-1"
DENIED_INSTANCE_HOST = "dev-eu-west-1"
DEPARTING = ["alice", "bob", "nobody"]
DOMAIN = "corp.example.com"
PRODUCT = "OFFICE_PROFESSIONAL_PLUS"
# What is tested is the fleet, not the status words (test_offboard_role runs the role under each vocabulary).
VOCABULARIES = ("aws",)


def fleet_hosts():
    """{host: {"account_id", "region", "role_arn", "external_id"}} from the documentation's inventory."""
    inventory = yaml.safe_load(INVENTORY.read_text(encoding="utf-8"))
    hosts = {}
    for group in inventory["offboard_fleet"]["children"].values():
        for host, host_vars in group["hosts"].items():
            role_arn = group["vars"]["offboard_role_arn"]
            hosts[host] = dict(account_id=role_arn.split(":")[4], region=host_vars["offboard_region"], role_arn=role_arn,
                               external_id=group["vars"].get("offboard_external_id"))
    return hosts


HOSTS = fleet_hosts()


def instance(number, index):
    return f"i-{number:08x}{index:09x}"


def partition_seed(number):
    """Two instances of one directory: alice and bob (departing) and carol (staying) on both, each with a subscription."""
    directory = f"d-{number:010x}"
    instances = [instance(number, index) for index in (1, 2)]
    return dict(
        identity_providers=[dict(directory_id=directory, product=PRODUCT)],
        instances=[dict(instance_id=i, directory_id=directory, products=[PRODUCT]) for i in instances],
        associations=[dict(instance_id=i, username=name, domain=DOMAIN) for i in instances for name in ("alice", "bob", "carol")],
        product_subscriptions=[dict(username=name, product=PRODUCT, directory_id=directory, domain=DOMAIN) for name in ("alice", "bob", "carol")],
    )


def partitions():
    return [dict(account_id=about["account_id"], region=about["region"], seed=partition_seed(number))
            for number, about in enumerate(HOSTS.values(), start=1)]


DENIED_INSTANCE = instance(list(HOSTS).index(DENIED_INSTANCE_HOST) + 1, 2)


@pytest.fixture
def fleet_emulator(lmus_emulator_factory):
    external_ids = {about["account_id"]: about["external_id"] for about in HOSTS.values() if about["external_id"]}
    emulator = lmus_emulator_factory(partitions=partitions(), access_keys={HUB_KEY: HUB_ACCOUNT}, external_ids=external_ids)
    emulator.set_faults({"assume_role_denied_accounts": [HOSTS[DENIED_HOST]["account_id"]], "access_denied_instances": [DENIED_INSTANCE]})
    return emulator


def issued_credentials(emulator):
    """Record every credential the emulator's STS hands out (the test's own process: the emulator keeps only digests)."""
    issued = []
    original = emulator.sts.assume_role

    def recording(*args, **kwargs):
        answer = original(*args, **kwargs)
        issued.extend(re.findall(r"<(?:AccessKeyId|SecretAccessKey|SessionToken)>([^<]+)<", answer))
        return answer

    emulator.sts.assume_role = recording
    return issued


class Fleet:
    """``ansible-playbook -i <the documentation's inventory> lmus.user_subscriptions.offboard_fleet -f 6``, as an operator runs it."""

    def __init__(self, emulator, workdir):
        self.emulator = emulator
        self.workdir = workdir
        self.reports = workdir / "reports"
        self.reports.mkdir()
        self.tmp = workdir / "tmp"
        self.tmp.mkdir()
        self.runs = 0

    def env(self, **extra):
        # The hub's credentials and the STS endpoint in the environment; no region there: each host names its own.
        return ansible_env(AWS_ACCESS_KEY_ID=HUB_KEY, AWS_SECRET_ACCESS_KEY=HUB_SECRET, AWS_REGION=None, AWS_ENDPOINT_URL_STS=self.emulator.url,
                           TMPDIR=str(self.tmp), ANSIBLE_SHOW_CUSTOM_STATS="1", **extra)

    def command(self, check=False, extra_vars=None, extra_args=()):
        self.runs += 1
        departing = self.workdir / f"departing{self.runs}.yml"
        variables = dict(offboard_usernames=DEPARTING, offboard_endpoint_url=self.emulator.url, offboard_fleet_report_dir=str(self.reports))
        departing.write_text(yaml.safe_dump(dict(variables, **(extra_vars or {}))), encoding="utf-8")
        return [bin_path("ansible-playbook"), "-i", str(INVENTORY), "lmus.user_subscriptions.offboard_fleet", "-f", "6", "-e", f"@{departing}"] + \
            (["--check"] if check else []) + list(extra_args)

    def run(self, check=False, extra_vars=None, extra_args=(), **env):
        started = time.monotonic()
        proc = subprocess.run(self.command(check, extra_vars, extra_args), cwd=self.workdir, env=self.env(**env), capture_output=True, text=True,
                              timeout=600, check=False)
        proc.seconds = time.monotonic() - started
        proc.rc = proc.returncode
        return proc


def tasks(output, name):
    """{host: result} of the task with this name, from the json callback's output."""
    found = {}
    for play in json.loads(output)["plays"]:
        for task in play["tasks"]:
            if task["task"]["name"] == name or task["task"]["name"].endswith(f" : {name}"):
                found.update(task["hosts"])
    return found


def fleet_report_of(fleet, proc):
    path = next(iter(tasks(proc.stdout, "Write this run's fleet report file in the fleet report directory").values()))["path"]
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    return json.loads(Path(path).read_text(encoding="utf-8")), path


def states(emulator):
    return {host: emulator.state_dump(about["account_id"], about["region"]) for host, about in HOSTS.items()}


def changes(before, after, host):
    """(associations, subscriptions) of this account-region that went from live to removed between the two states."""
    def live(state):
        return ({(a["instance_id"], a["username"]) for a in state[host]["associations"] if a["status"] == "ASSOCIATED"},
                {(s["username"], s["product"]) for s in state[host]["product_subscriptions"] if s["status"] == "SUBSCRIBED"})
    (assoc_before, subs_before), (assoc_after, subs_after) = live(before), live(after)
    return len(assoc_before - assoc_after), len(subs_before - subs_after)


def test_fleet_check_then_run_then_rerun(fleet_emulator, tmp_path):
    fleet = Fleet(fleet_emulator, tmp_path)
    before = states(fleet_emulator)

    # -- Check mode: reads in every reachable account-region, not one write; the dry run says what the real run then does.
    dry = fleet.run(check=True)
    assert dry.rc == 2, dry.stdout[-3000:] + dry.stderr[-3000:]
    assert fleet_emulator.calls(write=True) == []
    assert states(fleet_emulator) == before
    dry_report, dry_path = fleet_report_of(fleet, dry)
    assert dry_report["dry_run"] is True and dry_path.endswith("-dry-run.json")

    # -- The real run.
    fleet_emulator.clear_log()
    real = fleet.run()
    assert real.rc == 2, real.stdout[-3000:] + real.stderr[-3000:]
    after = states(fleet_emulator)
    report, path = fleet_report_of(fleet, real)
    assert report["dry_run"] is False and path.endswith("-run.json") and path != dry_path

    # One fleet report, every account-region in it, with its account, region and status.
    entries = {entry["host"]: entry for entry in report["account_regions"]}
    assert sorted(entries) == sorted(HOSTS)
    assert {host: (e["account_id"], e["region"]) for host, e in entries.items()} == {h: (a["account_id"], a["region"]) for h, a in HOSTS.items()}
    assert {host for host, e in entries.items() if e["status"] == "failed"} == {DENIED_HOST, DENIED_INSTANCE_HOST}
    assert sorted(f["host"] for f in report["failed_account_regions"]) == sorted([DENIED_HOST, DENIED_INSTANCE_HOST])
    assert "AssumeRole" in entries[DENIED_HOST]["error"] and "AccessDenied" in entries[DENIED_HOST]["error"]
    assert "AccessDeniedException" in entries[DENIED_INSTANCE_HOST]["error"] and DENIED_INSTANCE in entries[DENIED_INSTANCE_HOST]["error"]

    # The totals are the sums of what changed in the emulator's partitions (the failed hosts' partial work included) ...
    removed = {host: changes(before, after, host) for host in HOSTS}
    assert report["counts"]["disassociated"] == sum(a for a, _s in removed.values())
    assert report["counts"]["unsubscribed"] == sum(s for _a, s in removed.values())
    for host, (associations, subscriptions) in removed.items():
        assert (entries[host]["counts"]["disassociated"], entries[host]["counts"]["unsubscribed"]) == (associations, subscriptions), host
    # ... which are these: 4 healthy account-regions with 4 associations and 2 subscriptions each; in dev-eu-west-1 the
    # readable instance only (its users keep their subscriptions, as one instance could not be read); nothing in legacy.
    assert removed[DENIED_INSTANCE_HOST] == (2, 0) and removed[DENIED_HOST] == (0, 0)
    assert (report["counts"]["disassociated"], report["counts"]["unsubscribed"]) == (18, 8)
    # ... and the dry run said as much.
    assert (dry_report["counts"]["disassociated"], dry_report["counts"]["unsubscribed"]) == (18, 8)
    # "nobody" is on no instance that could be read; the instance that could not be read might hold them, so no name is
    # called found nowhere (the leak test below, without that fault, sees "nobody" there).
    assert report["not_found_anywhere"] == [] and report["complete"] is False
    assert report["counts"]["account_regions"] == 6 and report["counts"]["account_regions_failed"] == 2
    # carol stays everywhere.
    for host in HOSTS:
        assert {a["username"] for a in after[host]["associations"] if a["status"] == "ASSOCIATED"} >= {"carol"}

    # Each account-region was served with its own role's credentials, never the hub's, and the role was assumed as set.
    for host, about in HOSTS.items():
        calls = fleet_emulator.calls(account_id=about["account_id"], region=about["region"])
        if host == DENIED_HOST:
            assert calls == []  # nothing was called: the run stopped when the role could not be assumed
            continue
        assert calls and {c["principal"] for c in calls} == {f"arn:aws:sts::{about['account_id']}:assumed-role/lmus-offboard/offboard-{host}"}
        assert all(c["security_token"] for c in calls)
    assert fleet_emulator.calls(account_id=HUB_ACCOUNT, operation=["ListInstances", "DisassociateUser", "StopProductSubscription"]) == []
    assume = fleet_emulator.calls("AssumeRole")
    shared = HOSTS["shared-eu-west-1"]
    assert {(c["params"]["RoleArn"], c["params"].get("ExternalId")) for c in assume if c["params"]["RoleArn"] == shared["role_arn"]} == {
        (shared["role_arn"], shared["external_id"])}
    legacy = [c for c in assume if c["params"]["RoleArn"] == HOSTS[DENIED_HOST]["role_arn"]]
    assert legacy and {(c["params"]["RoleSessionName"], c["params"]["DurationSeconds"], c["error"]) for c in legacy} == {
        ("offboard-legacy", 1800, "AccessDenied")}

    # The job log: the fleet summary (totals, then the failed account-regions), the failed hosts failed, the others did not.
    summary = next(iter(tasks(real.stdout, "Show the fleet summary").values()))["msg"]
    print("\n".join(summary))
    assert summary[0].startswith("Fleet offboarding of 3 user(s) in 6 account-region(s): 18 association(s) removed, 8 subscription(s) stopped")
    assert [line.split(" (")[0] for line in summary if line.startswith("  FAILED")] == [f"  FAILED {DENIED_INSTANCE_HOST}", f"  FAILED {DENIED_HOST}"]
    stats = json.loads(real.stdout)["stats"]
    assert {host for host, s in stats.items() if s["failures"]} == {DENIED_HOST, DENIED_INSTANCE_HOST}
    # AWX gets the fleet's artifact, not some account-region's single report.
    custom = json.loads(real.stdout)["global_custom_stats"]
    assert "offboard_published_report" not in custom
    assert custom["offboard_published_fleet_report"]["counts"] == report["counts"]
    assert custom["offboard_published_fleet_report"]["report_file"] == path

    # -- The rerun: nothing left to do where the run succeeded; the same two account-regions fail again.
    fleet_emulator.clear_log()
    rerun = fleet.run()
    assert rerun.rc == 2
    assert fleet_emulator.calls(write=True) == []
    again, _path = fleet_report_of(fleet, rerun)
    assert (again["counts"]["disassociated"], again["counts"]["unsubscribed"]) == (0, 0)
    assert again["counts"]["already_absent"] == 26
    assert sorted(f["host"] for f in again["failed_account_regions"]) == sorted([DENIED_HOST, DENIED_INSTANCE_HOST])
    assert {host for host, s in json.loads(rerun.stdout)["stats"].items() if s["changed"]} == set()
    assert len(list(fleet.reports.glob("offboard-fleet-*.json"))) == 3
    # The fleet's AWS profiles file was removed, each run.
    assert list(fleet.tmp.glob("offboard-profiles-*")) == []
    print(f"fleet runs: check {dry.seconds:.1f} s, run {real.seconds:.1f} s, rerun {rerun.seconds:.1f} s")


def test_no_credential_in_output_facts_reports_or_files(fleet_emulator, tmp_path):
    """-vvv (which prints facts and, for a local connection, every module's command line and environment) and ANSIBLE_DEBUG=1
    (which prints every module's arguments and raw output): none of the assumed roles' credentials, nor the hub's secret."""
    issued = issued_credentials(fleet_emulator)
    fleet_emulator.set_faults({"assume_role_denied_accounts": [HOSTS[DENIED_HOST]["account_id"]]})
    fleet = Fleet(fleet_emulator, tmp_path)
    home = tmp_path / "home"
    (home / ".ansible" / "tmp").mkdir(parents=True)
    remote_tmp = home / ".ansible" / "tmp"
    # A host that stops before the fleet tasks begin (a variable the role's argument spec refuses), and a --limit that leaves
    # three account-regions out (for speed; those left have a role with an external ID and one that is denied): the report
    # has the host that stopped (failed, no result) and not those left out.
    broken = tmp_path / "broken.yml"
    broken.write_text(yaml.safe_dump({"offboard_fleet": {"hosts": {"broken-eu-west-1": {
        "ansible_connection": "local", "offboard_region": "eu-west-1", "offboard_role_duration": "an hour"}}}}), encoding="utf-8")
    proc = fleet.run(extra_args=["-i", str(broken), "-vvv", "--limit", "offboard_fleet:!prod-us-east-1:!dev-*"],
                     extra_vars={"offboard_fleet_report_path": str(tmp_path / "fleet-report.json")},
                     ANSIBLE_STDOUT_CALLBACK="default", ANSIBLE_DEBUG="1", ANSIBLE_DEBUG_BOTOCORE_LOGS="1", HOME=str(home),
                     ANSIBLE_REMOTE_TMP=str(remote_tmp), ANSIBLE_LOCAL_TEMP=str(remote_tmp), ANSIBLE_KEEP_REMOTE_FILES="1")
    printed = proc.stdout + proc.stderr
    assert proc.rc == 2, printed[-4000:]
    # The run is the one meant: -vvv and the debug log took effect, roles were assumed, modules ran with a profile.
    assert "ESTABLISH LOCAL CONNECTION" in printed and "_execute_module (lmus.user_subscriptions.lmus_instance_user" in printed
    assert len(issued) >= 3 * 4, "fewer credentials were handed out than the run needs"
    report = json.loads((tmp_path / "fleet-report.json").read_text(encoding="utf-8"))
    entries = {entry["host"]: entry for entry in report["account_regions"]}
    assert sorted(entries) == ["broken-eu-west-1", "legacy-eu-central-1", "prod-eu-west-1", "shared-eu-west-1"]
    assert entries["broken-eu-west-1"]["status"] == "failed" and entries["broken-eu-west-1"]["report"] is None
    assert "no result" in entries["broken-eu-west-1"]["error"]
    assert report["not_found_anywhere"] == ["nobody"]
    # Only a profile's name and a file's path reach the modules: no key, even an empty one, is a module option's value.
    for line in printed.splitlines():
        if re.search(r"_execute_module \(lmus\.user_subscriptions\.lmus_(instance_user|product_subscription), ", line):
            assert re.search(r"'profile': 'offboard-[0-9]+'", line), line
            assert re.search(r"'(access_key|secret_key|session_token)': '[^']", line) is None, line
        if " EXEC " in line and "AnsiballZ_lmus_" in line:
            assert re.search(r"AWS_[A-Z_]*(KEY|TOKEN|SECRET)[A-Z_]*=", line) is None, line
    # Nowhere: the output, the reports, the files Ansible kept (ANSIBLE_KEEP_REMOTE_FILES: every module's payload), the
    # emulator's log and state.
    texts = [printed, json.dumps(fleet_emulator.log)]
    texts += [path.read_text(encoding="utf-8", errors="replace") for path in list(tmp_path.rglob("*")) if path.is_file()]
    assert any("AnsiballZ_lmus_instance_user" in str(path) for path in remote_tmp.rglob("*"))
    for secret in issued + [HUB_SECRET]:
        for text in texts:
            assert secret not in text
    assert list(fleet.tmp.glob("offboard-profiles-*")) == []


def test_a_killed_fleet_run_leaves_no_credential_behind(fleet_emulator, tmp_path):
    """SIGKILL while the modules of every host wait on the service: the fleet's AWS profiles file stays (names, no secret), and
    neither they nor the modules' payloads hold a credential."""
    issued = issued_credentials(fleet_emulator)
    fleet = Fleet(fleet_emulator, tmp_path)
    called, release = threading.Event(), threading.Event()

    def hold(_operation, _params):
        called.set()
        release.wait(60)

    fleet_emulator.add_hook(hold)
    home = tmp_path / "home"
    remote_tmp = home / ".ansible" / "tmp"
    remote_tmp.mkdir(parents=True)
    env = fleet.env(HOME=str(home), ANSIBLE_REMOTE_TMP=str(remote_tmp), ANSIBLE_LOCAL_TEMP=str(remote_tmp), ANSIBLE_KEEP_REMOTE_FILES="0",
                    ANSIBLE_PIPELINING="0")
    proc = subprocess.Popen(fleet.command(), cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        assert called.wait(180), "no module called the service"
        time.sleep(1)  # the other hosts' modules reach the service too
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(30)
    finally:
        release.set()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(30)
    time.sleep(0.5)
    assert issued, "no role was assumed before the kill"
    leftovers = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert any(path.name.startswith("AnsiballZ_") for path in leftovers), f"the kill left no module payload to inspect: {leftovers}"
    profiles = list(fleet.tmp.glob("offboard-profiles-*.ini"))
    assert profiles and "role_arn = arn:aws:iam::111111111111:role/lmus-offboard" in profiles[0].read_text(encoding="utf-8")
    assert stat.S_IMODE(os.stat(profiles[0]).st_mode) == 0o600
    for path in leftovers:
        data = path.read_bytes()
        for secret in issued + [HUB_SECRET]:
            assert secret.encode() not in data, f"{path} holds a credential"


def test_sts_assume_role_runs_against_the_emulator(fleet_emulator, tmp_path):
    """amazon.aws.sts_assume_role assumes a fleet role for real against the emulator, with credentials bound to the role's
    account. It is not how the fleet passes credentials: the credentials come back as the module's result, which
    ANSIBLE_DEBUG=1 prints whatever no_log says (docs/fleet.md)."""
    issued = issued_credentials(fleet_emulator)
    prod = HOSTS["prod-eu-west-1"]
    assume = dict(role_arn=prod["role_arn"], role_session_name="sts-module", duration_seconds=900, region="eu-west-1", endpoint_url=fleet_emulator.url)
    play = [dict(name="Assume a fleet role", hosts="localhost", gather_facts=False, tasks=[
        {"name": "Assume", "amazon.aws.sts_assume_role": assume, "register": "assumed", "no_log": True},
        {"name": "Who", "ansible.builtin.debug": {"msg": "{{ assumed.sts_user.arn }} {{ assumed.sts_creds.access_key is match('ASIA') }}"}},
    ])]
    playbook = tmp_path / "assume.yml"
    playbook.write_text(yaml.safe_dump(play, sort_keys=False), encoding="utf-8")
    proc = subprocess.run([bin_path("ansible-playbook"), str(playbook)], cwd=tmp_path, env=Fleet(fleet_emulator, tmp_path).env(
        ANSIBLE_STDOUT_CALLBACK="default", ANSIBLE_DEBUG="1"), capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert f"arn:aws:sts::{prod['account_id']}:assumed-role/lmus-offboard/sts-module True" in proc.stdout
    [call] = fleet_emulator.calls("AssumeRole")
    assert (call["account_id"], call["error"], call["params"]["DurationSeconds"]) == (HUB_ACCOUNT, None, 900)
    [session] = fleet_emulator.sts.sessions.values()
    assert session.account_id == prod["account_id"]
    # no_log hides the result from the job log, not from the debug log: the secret is printed there.
    assert issued[1] in proc.stdout + proc.stderr


def test_the_documented_inventory_is_the_tested_one():
    blocks = re.findall(r"^```yaml\n(.*?)^```$", (ROOT / "docs" / "fleet.md").read_text(encoding="utf-8"), re.S | re.M)
    assert INVENTORY.read_text(encoding="utf-8") in blocks
    assert len(HOSTS) == 6 and len({about["account_id"] for about in HOSTS.values()}) == 4


def test_both_playbooks_can_be_imported(tmp_path):
    """``import_playbook`` of the single-account playbook still works, and of the fleet's."""
    playbook = tmp_path / "site.yml"
    playbook.write_text(yaml.safe_dump([{"name": "One account", "ansible.builtin.import_playbook": "lmus.user_subscriptions.offboard"},
                                        {"name": "The fleet", "ansible.builtin.import_playbook": "lmus.user_subscriptions.offboard_fleet"}]),
                        encoding="utf-8")
    proc = subprocess.run([bin_path("ansible-playbook"), "-i", str(INVENTORY), str(playbook), "--list-hosts", "--list-tasks"], cwd=tmp_path,
                          env=ansible_env(ANSIBLE_STDOUT_CALLBACK="default"), capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    plays = re.findall(r"play #\d+ \(([^)]*)\): ([^\t\n]+)", proc.stdout)
    assert [(hosts, name.strip()) for hosts, name in plays] == [
        ("localhost", "Offboard departing users from AWS License Manager user-based subscriptions"),
        ("offboard_fleet", "Offboard every account-region of the fleet")]
    assert "hosts (6)" in proc.stdout
