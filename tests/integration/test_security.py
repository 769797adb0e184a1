# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Secrets stay secret; unusual user names are kept literally from input to API call to report."""

import json
import os
import signal
import stat
import subprocess
import threading
import time

import pytest
import yaml

from harness import DIRECTORY
from harness import DOMAIN
from harness import MODULE
from harness import ansible_env
from harness import base_seed
from harness import bin_path
from harness import instance_id
from harness import run_offboard
from harness import words

# The vocabularies differ in the emulator's status words, which these tests do not turn on: one is enough here
# (test_service_fidelity.py, test_wherever_found.py and test_product_subscription.py run under each).
VOCABULARIES = ("aws",)

SENTINEL_SECRET = "SENTINEL-secret-7f3a9c1e-do-not-print"
SENTINEL_TOKEN = "SENTINEL-token-2b8d4e6f-do-not-print"
ODD_NAMES = ["o'brien", 'say "hi"', "Jane Doe", "zoë.ålund", "{{ 6 * 7 }}", "{% raw %}x"]


def everything_printed(run):
    return run.stdout + run.stderr


def assert_no_secret(*texts):
    for text in texts:
        assert SENTINEL_SECRET not in text
        assert SENTINEL_TOKEN not in text


def test_credentials_never_appear_in_output_logs_results_or_report(lmus_emulator_factory, ansible_factory, tmp_path):
    emulator = lmus_emulator_factory(seed=base_seed(instances=2, associations=[
        dict(instance_id=instance_id(1), username="alice", domain=DOMAIN), dict(instance_id=instance_id(2), username="alice", domain=DOMAIN)]),
        faults={"access_denied_instances": [instance_id(2)]})
    ansible = ansible_factory(emulator)
    env = {"AWS_SECRET_ACCESS_KEY": SENTINEL_SECRET, "AWS_SESSION_TOKEN": SENTINEL_TOKEN, "ANSIBLE_STDOUT_CALLBACK": "default"}
    report = tmp_path / "report.json"
    verbose = run_offboard(ansible, dict(offboard_usernames=["alice"], offboard_report_path=str(report), offboard_fail_on_error=False),
                           env=dict(env, ANSIBLE_VERBOSITY="3", ANSIBLE_DEBUG_BOTOCORE_LOGS="1"))
    json_run = run_offboard(ansible, dict(offboard_usernames=["alice"]), env={"AWS_SECRET_ACCESS_KEY": SENTINEL_SECRET, "AWS_SESSION_TOKEN": SENTINEL_TOKEN})
    # The secret also passed as a module option, in a task that fails with an AWS error.
    as_option = ansible.playbook([{"name": "explicit", MODULE: dict(state="absent", username="alice", instance_id=instance_id(2), directory_id=DIRECTORY,
                                                                    secret_key=SENTINEL_SECRET, session_token=SENTINEL_TOKEN)}], extra_args=["-vvv"])
    assert as_option.rc != 0 and "AccessDeniedException" in as_option.stdout
    assert "ESTABLISH LOCAL CONNECTION" in verbose.stdout and "ESTABLISH LOCAL CONNECTION" in as_option.stdout  # -vvv took effect
    assert "resource_actions" in verbose.stdout  # so did botocore's endpoint logging
    assert_no_secret(everything_printed(verbose), everything_printed(json_run), everything_printed(as_option), report.read_text(),
                     json.dumps(emulator.log), json.dumps(emulator.state_dump()))
    assert stat.S_IMODE(os.stat(report).st_mode) == 0o600


@pytest.mark.parametrize("variable", ["AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"])
def test_session_token_is_never_a_module_argument_nor_printed_with_ansible_debug(lmus_emulator_factory, ansible_factory, tmp_path, variable):
    """The token reaches botocore from the environment (AWX sets only AWS_SECURITY_TOKEN), and nothing prints it."""
    emulator = lmus_emulator_factory(seed=base_seed(instances=1, associations=[dict(instance_id=instance_id(1), username="alice", domain=DOMAIN)]))
    report = tmp_path / "report.json"
    run = run_offboard(ansible_factory(emulator), dict(offboard_usernames=["alice"], offboard_report_path=str(report)),
                       env={variable: SENTINEL_TOKEN, "AWS_SECRET_ACCESS_KEY": SENTINEL_SECRET, "ANSIBLE_STDOUT_CALLBACK": "default",
                            "ANSIBLE_VERBOSITY": "3", "ANSIBLE_DEBUG": "1", "ANSIBLE_DEBUG_BOTOCORE_LOGS": "1"})
    assert run.rc == 0, run.stdout[-3000:]
    printed = everything_printed(run)
    assert "ESTABLISH LOCAL CONNECTION" in printed and "_execute_module (lmus.user_subscriptions.lmus_instance_user" in printed  # -vvv and debug on
    assert "session_token" not in printed.split("_execute_module (lmus.user_subscriptions.lmus_instance_user", 1)[1].split("\n", 1)[0]
    assert_no_secret(printed, report.read_text(encoding="utf-8"), json.dumps(emulator.log))
    assert emulator.log and all(entry["security_token"] for entry in emulator.log), "a call went out without the session token"
    assert len(emulator.calls(write=True)) == 1


def _descendants(pid):
    """``pid`` and every process below it (by parent pid, from /proc), parents first."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="utf-8") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry))
    found, queue = [], [pid]
    while queue:
        current = queue.pop(0)
        found.append(current)
        queue.extend(children.get(current, []))
    return found


def test_a_killed_run_leaves_no_secret_in_ansiballz_files(lmus_emulator_factory, tmp_path):
    """SIGKILL while a module runs (an operator's kill -9, an OOM kill, a cancelled job): what stays on disk holds no secret."""
    emulator = lmus_emulator_factory(seed=base_seed(instances=1, associations=[dict(instance_id=instance_id(1), username="alice", domain=DOMAIN)]))
    called, release = threading.Event(), threading.Event()

    def hold(operation, params):  # keep the first module run waiting on the service
        called.set()
        release.wait(60)

    emulator.add_hook(hold)
    home = tmp_path / "home"
    home.mkdir()
    departing = tmp_path / "departing.yml"
    departing.write_text(yaml.safe_dump(dict(offboard_usernames=["alice"], offboard_endpoint_url=emulator.url)), encoding="utf-8")
    # Ansible expands the default remote_tmp ~/.ansible/tmp from the user database, not from HOME: name it.
    tmp = home / ".ansible" / "tmp"
    env = ansible_env(HOME=str(home), AWS_SECURITY_TOKEN=SENTINEL_TOKEN, AWS_SECRET_ACCESS_KEY=SENTINEL_SECRET, ANSIBLE_KEEP_REMOTE_FILES="0",
                      ANSIBLE_PIPELINING="0", ANSIBLE_REMOTE_TMP=str(tmp), ANSIBLE_REMOTE_TEMP=None, ANSIBLE_LOCAL_TEMP=str(tmp))
    proc = subprocess.Popen([bin_path("ansible-playbook"), "lmus.user_subscriptions.offboard", "-e", f"@{departing}"], cwd=tmp_path, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        assert called.wait(120), "the module never called the service"
        for pid in _descendants(proc.pid):  # parents first: no worker lives on to clean up after its module
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        proc.wait(30)
    finally:
        release.set()
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)
    time.sleep(0.5)
    leftovers = [path for path in home.rglob("*") if path.is_file()]
    assert any(path.name.startswith("AnsiballZ_") for path in leftovers), f"the kill left no module payload to inspect: {leftovers}"
    for path in leftovers:
        data = path.read_bytes()
        assert SENTINEL_TOKEN.encode() not in data and SENTINEL_SECRET.encode() not in data, f"{path} holds a secret"


def test_unusual_user_names_are_kept_literally_end_to_end(lmus_emulator_factory, ansible_factory, tmp_path):
    associations = [dict(instance_id=instance_id(n), username=name, domain=DOMAIN) for name in ODD_NAMES for n in (1, 2)]
    associations.append(dict(instance_id=instance_id(1), username="42", domain=DOMAIN))  # what "{{ 6 * 7 }}" would render to
    seed = base_seed(instances=2, associations=associations)
    seed["product_subscriptions"] = [dict(username=name, product="OFFICE_PROFESSIONAL_PLUS", directory_id=DIRECTORY, domain=DOMAIN) for name in ODD_NAMES]
    emulator = lmus_emulator_factory(seed=seed)
    ansible = ansible_factory(emulator)
    report = tmp_path / "report.json"
    # Operators mark template-like names !unsafe in their vars file (AWX marks survey answers unsafe itself).
    departing = tmp_path / "odd-names.yml"
    lines = ["offboard_usernames:"] + [f"  - !unsafe {json.dumps(name, ensure_ascii=False)}" for name in ODD_NAMES]
    lines += [f"offboard_report_path: {json.dumps(str(report))}", f"offboard_endpoint_url: {json.dumps(emulator.url)}"]
    departing.write_text("\n".join(lines) + "\n", encoding="utf-8")
    run = ansible.run_command(["ansible-playbook", "lmus.user_subscriptions.offboard", "-e", f"@{departing}"])
    assert run.rc == 0, run.stdout[-3000:]
    result = json.loads(report.read_text(encoding="utf-8"))
    assert result["usernames"] == ODD_NAMES
    assert sorted(r["username"] for r in result["disassociated"]) == sorted(ODD_NAMES * 2)
    assert sorted(r["username"] for r in result["unsubscribed"]) == sorted(ODD_NAMES)
    state = emulator.state_dump()
    assert {a["username"] for a in state["associations"] if a["status"] == "ASSOCIATED"} == {"42"}
    assert {s["username"] for s in state["product_subscriptions"] if s["status"] == words(emulator)["subscribed"]} == set()


def test_module_sends_a_template_like_name_as_is(lmus_emulator_factory, ansible_factory):
    emulator = lmus_emulator_factory(seed=base_seed(instances=1))
    playbook_task = {"name": "odd", MODULE: dict(username="{{ 6 * 7 }}", instance_id=instance_id(1), directory_id=DIRECTORY), "register": "r"}
    ansible = ansible_factory(emulator)
    path = ansible.workdir / "odd.yml"
    text = yaml.safe_dump([dict(name="odd", hosts="localhost", gather_facts=False,
                                module_defaults={"group/lmus.user_subscriptions.lmus": {"endpoint_url": emulator.url}}, tasks=[playbook_task])])
    path.write_text(text.replace("username: '{{ 6 * 7 }}'", "username: !unsafe '{{ 6 * 7 }}'"))
    run = ansible.run_command(["ansible-playbook", str(path)])
    assert run.rc == 0, run.stdout[-2000:]
    [write] = emulator.calls(write=True)
    assert write["params"]["Username"] == "{{ 6 * 7 }}"
    assert run.last["instance_user"]["username"] == "{{ 6 * 7 }}"
