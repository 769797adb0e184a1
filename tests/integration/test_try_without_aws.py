# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""docs/getting-started.md, "Try it without AWS", done as the page says.

The commands come from the page itself: each fenced block that follows a
``<!-- try-without-aws: NAME -->`` comment, so the page cannot drift from what works. The
emulator is started with the page's own command, from the root of the checkout, on the page's
port; the AWS settings are only the page's ``export`` lines (the harness's credentials, region
and endpoint variables are removed first); Ansible prints as it does for a user (default
callback). The emulator's admin API, which the page does not use, checks the results.
"""

import fcntl
import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from harness import ansible_env
from lmus_emulator import EmulatorAdmin
from lmus_emulator import sample_seed

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "getting-started.md"
USER = "jdoe"
# What the page's environment block sets, and nothing else that reaches AWS.
ENVIRONMENT = {"AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"}
NOWHERE = "http://127.0.0.1:9"
UNSET = ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_LICENSE_MANAGER_USER_SUBSCRIPTIONS", "AWS_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
         "AWS_REGION", "AWS_DEFAULT_REGION", "ANSIBLE_STDOUT_CALLBACK", "ANSIBLE_LOAD_CALLBACK_PLUGINS")


def page_blocks():
    """{name: text} of the fenced blocks marked ``<!-- try-without-aws: name -->`` on the page."""
    text = PAGE.read_text(encoding="utf-8")
    blocks = {}
    for name, body in re.findall(r"^<!-- try-without-aws: ([\w-]+) -->\n```[a-z]*\n(.*?)^```$", text, re.S | re.M):
        assert name not in blocks, f"two blocks named {name}"
        blocks[name] = body.strip("\n")
    return blocks


@pytest.fixture(scope="module")
def blocks():
    found = page_blocks()
    assert set(found) == {"start", "environment", "find", "dry-run", "dry-run-summary", "run"}, sorted(found)
    return found


def test_the_page_sets_one_endpoint_variable_and_dummy_credentials(blocks):
    exported = set(re.findall(r"\b(AWS_[A-Z_]+)=", blocks["environment"]))
    assert exported == ENVIRONMENT
    [url] = re.findall(r"AWS_ENDPOINT_URL=(\S+)", blocks["environment"])
    [port] = re.findall(r"--port (\d+)", blocks["start"])
    assert url == f"http://127.0.0.1:{port}"
    assert all(USER in blocks[name] for name in ("find", "dry-run", "run"))
    assert "--check" in blocks["dry-run"] and "--check" not in blocks["run"]
    assert blocks["run"] == blocks["dry-run"].replace(" --check", "")
    assert f"`{USER}`" in PAGE.read_text(encoding="utf-8").split("## Try it without AWS", 1)[1]


@pytest.fixture
def port_lock(blocks):
    """The page's port is fixed: runs of this test on one machine (pytest-xdist workers, other checkouts) take turns."""
    [port] = re.findall(r"--port (\d+)", blocks["start"])
    with open(os.path.join(tempfile.gettempdir(), f"lmus-try-without-aws-{port}.lock"), "w", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield int(port)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def user_env(tmp_path):
    """A shell with no AWS setting of its own (nor the harness's) and the venv's commands first, as after `make venv tree`.

    Should the page ever lose its endpoint, boto3 would call AWS itself: a proxy on a closed loopback port (the discard port)
    stops any such call on this machine, while 127.0.0.1 is reached directly (NO_PROXY).
    """
    env = ansible_env(**{name: None for name in UNSET})
    env.update(PATH=os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", ""), HOME=env.get("HOME", str(tmp_path)),
               AWS_CONFIG_FILE=str(tmp_path / "no-aws-config"), AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "no-aws-credentials"),
               HTTPS_PROXY=NOWHERE, https_proxy=NOWHERE, HTTP_PROXY=NOWHERE, http_proxy=NOWHERE, NO_PROXY="127.0.0.1,localhost",
               no_proxy="127.0.0.1,localhost")
    return env


def start(command, env):
    """The page's start command in its own terminal (process group), from the root of the checkout; returns (process, first line)."""
    proc = subprocess.Popen(["bash", "-c", command], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    readable = select.select([proc.stdout], [], [], 60)[0]
    line = proc.stdout.readline() if readable else ""
    if not line:
        stop(proc)
        raise AssertionError(f"the emulator did not start: {proc.stderr.read()}")
    return proc, line.strip()


def stop(proc):
    """Ctrl-C in the emulator's terminal: SIGINT to its foreground process group."""
    try:
        os.killpg(proc.pid, signal.SIGINT)
    except ProcessLookupError:
        pass
    try:
        return proc.wait(timeout=15)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=15)
        proc.stdout.close()
        proc.stderr.close()


def shell(blocks, name, env, cwd):
    """The page's environment block, then its block ``name``, in one bash (the user's second terminal)."""
    script = "set -eu\n" + blocks["environment"] + "\n" + blocks[name] + "\n"
    return subprocess.run(["bash", "-c", script], cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False)


def adhoc_result(proc):
    """The module result an ad-hoc command prints: ``localhost | SUCCESS => {...}``."""
    assert proc.returncode == 0, proc.stdout + proc.stderr
    head, arrow, body = proc.stdout.partition(" => ")
    assert arrow and head.strip() == "localhost | SUCCESS", proc.stdout
    return json.loads(body)


def live(state):
    """The sample user's associations and subscriptions that still count."""
    associations = sorted(a["instance_id"] for a in state["associations"] if a["username"] == USER and a["status"] == "ASSOCIATED")
    subscriptions = sorted((s["product"], s["directory_id"]) for s in state["product_subscriptions"] if s["username"] == USER and s["status"] == "SUBSCRIBED")
    return associations, subscriptions


def others(state):
    """Everything that belongs to the other users."""
    return ([a for a in state["associations"] if a["username"] != USER], [s for s in state["product_subscriptions"] if s["username"] != USER])


def test_try_it_without_aws_as_the_page_says(blocks, port_lock, tmp_path):
    env = user_env(tmp_path)
    proc, first_line = start(blocks["start"], env)
    stopped = False
    try:
        url = f"http://127.0.0.1:{port_lock}"
        assert first_line == f"LMUS emulator listening on {url}"
        admin = EmulatorAdmin(url).wait_ready()
        before = admin.state_dump()
        expected = [a["instance_id"] for a in sample_seed()["associations"] if a["username"] == USER]
        assert live(before)[0] == sorted(expected) and len(expected) == 4 and len(live(before)[1]) == 2

        found = adhoc_result(shell(blocks, "find", env, tmp_path))
        assert sorted(u["instance_id"] for u in found["instance_users"] if u["username"] == USER) == sorted(expected)
        assert {u["status"] for u in found["instance_users"]} == {"ASSOCIATED"}
        assert admin.calls("ListInstances") and admin.calls(write=True) == []
        assert all(not entry["security_token"] for entry in admin.log)

        dry = shell(blocks, "dry-run", env, tmp_path)
        assert dry.returncode == 0, dry.stdout[-3000:] + dry.stderr
        assert blocks["dry-run-summary"] in dry.stdout
        assert admin.calls(write=True) == [] and admin.state_dump() == before

        admin.clear_log()
        real = shell(blocks, "run", env, tmp_path)
        assert real.returncode == 0, real.stdout[-3000:] + real.stderr
        after = admin.state_dump()
        assert live(after) == ([], [])
        assert others(after) == others(before)
        # One write per record of the user (the modules name each record by its ARN), and no other write.
        arns = {(a["arn"], "DisassociateUser") for a in before["associations"] if a["username"] == USER}
        arns |= {(s["arn"], "StopProductSubscription") for s in before["product_subscriptions"] if s["username"] == USER and s["status"] == "SUBSCRIBED"}
        writes = admin.calls(write=True, error=None)
        assert sorted((c["params"].get("InstanceUserArn") or c["params"].get("ProductUserArn"), c["operation"]) for c in writes) == sorted(arns)
        assert len(writes) == len(admin.calls(write=True)) == 6

        again = adhoc_result(shell(blocks, "find", env, tmp_path))
        assert {u["status"] for u in again["instance_users"] if u["username"] == USER} == {"DISASSOCIATED"}

        admin.clear_log()
        rerun = shell(blocks, "run", env, tmp_path)
        assert rerun.returncode == 0 and admin.calls(write=True) == []

        assert stop(proc) == 0
        stopped = True
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port_lock), timeout=2).close()
    finally:
        if not stopped:
            stop(proc)
