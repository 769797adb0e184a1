# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The offboard role in a user's own play, with temporary credentials only in the environment.

AWX's "Amazon Web Services" credential sets AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and, for an
STS token, only AWS_SECURITY_TOKEN. A play of the user's own (not the collection's playbook) that
includes the role and passes no credential anywhere must still send the token with every call,
and print it nowhere, even with -vvv and ANSIBLE_DEBUG=1.

How the play reaches the emulator is what a user would write: the endpoint in ``module_defaults``
for the collection's action group (connection settings only, no credentials), the
AWS_ENDPOINT_URL environment variable alone (the region from AWS_REGION in both), or the role's
own offboard_endpoint_url and offboard_region. ``ENDPOINTS`` holds the ways.
"""

import json

import pytest
import yaml

from harness import DOMAIN
from harness import base_seed
from harness import bin_path
from harness import instance_id
from harness import words

SENTINEL_SECRET = "SENTINEL-secret-5c1e9a7d-do-not-print"
SENTINEL_TOKEN = "SENTINEL-token-8e2f4b6a-do-not-print"
GROUP = "group/lmus.user_subscriptions.lmus"
# What is tested here is how credentials travel, not the status words (test_offboard_role runs the role under each vocabulary).
VOCABULARIES = ("aws",)


def with_module_defaults(url):
    """The endpoint (and nothing else) for every module of the collection, as a play's module_defaults."""
    return dict(play={"module_defaults": {GROUP: {"endpoint_url": url}}}, env={})


def with_environment(url):
    """The endpoint in the one environment variable botocore reads (docs/getting-started.md, "Try it without AWS")."""
    return dict(play={}, env={"AWS_ENDPOINT_URL": url})


def with_role_variables(url):
    """The endpoint and the region as the role's own variables, and no AWS_REGION in the environment."""
    return dict(play={"vars": {"offboard_endpoint_url": url, "offboard_region": "us-east-1"}}, env={"AWS_REGION": None})


ENDPOINTS = {"module_defaults": with_module_defaults, "environment": with_environment, "role_variables": with_role_variables}


def own_play(endpoint, report):
    """A play of the user's own that includes the role; only connection settings, never a credential."""
    play = dict(name="Offboard with our own play", hosts="localhost", connection="local", gather_facts=False, **endpoint["play"])
    play["tasks"] = [
        {"name": "Offboard", "ansible.builtin.include_role": {"name": "lmus.user_subscriptions.offboard"},
         "vars": {"offboard_usernames": ["alice"], "offboard_report_path": str(report)}},
        {"name": "Show what was done", "ansible.builtin.debug": {"var": "offboard_report.counts"}},
    ]
    return [play]


# Each way once; the token in AWS_SECURITY_TOKEN (as AWX sets it) in two of them, in AWS_SESSION_TOKEN in the third: how
# the play reaches the endpoint and which variable holds the token are independent of each other.
@pytest.mark.parametrize("endpoint_way,variable", [("module_defaults", "AWS_SECURITY_TOKEN"), ("environment", "AWS_SESSION_TOKEN"),
                                                   ("role_variables", "AWS_SECURITY_TOKEN")])
def test_role_in_own_play_sends_the_token_and_never_prints_it(lmus_emulator_factory, ansible_factory, tmp_path, variable, endpoint_way):
    associations = [dict(instance_id=instance_id(n), username=name, domain=DOMAIN) for n in (1, 2) for name in ("alice", "carol")]
    seed = base_seed(instances=2, associations=associations)
    seed["product_subscriptions"] = [dict(username="alice", product="OFFICE_PROFESSIONAL_PLUS", directory_id=seed["instances"][0]["directory_id"],
                                          domain=DOMAIN)]
    emulator = lmus_emulator_factory(seed=seed)
    ansible = ansible_factory(emulator)
    endpoint = ENDPOINTS[endpoint_way](emulator.url)
    report = tmp_path / "report.json"
    playbook = tmp_path / "own.yml"
    playbook.write_text(yaml.safe_dump(own_play(endpoint, report), sort_keys=False), encoding="utf-8")
    env = dict(endpoint["env"], **{variable: SENTINEL_TOKEN, "AWS_SECRET_ACCESS_KEY": SENTINEL_SECRET, "ANSIBLE_STDOUT_CALLBACK": "default",
                                   "ANSIBLE_DEBUG": "1", "ANSIBLE_DEBUG_BOTOCORE_LOGS": "1"})
    run = ansible.run_command([bin_path("ansible-playbook"), str(playbook), "-vvv"], env)
    printed = run.stdout + run.stderr
    assert run.rc == 0, printed[-4000:]

    # The run is the one meant: -vvv and the debug log took effect, the role did its work.
    assert "ESTABLISH LOCAL CONNECTION" in printed and "_execute_module (lmus.user_subscriptions.lmus_instance_user" in printed
    assert "resource_actions" in printed
    assert sorted((c["operation"], c["params"].get("InstanceUserArn") is not None) for c in emulator.calls(write=True)) == [
        ("DisassociateUser", True), ("DisassociateUser", True), ("StopProductSubscription", False)]
    state = emulator.state_dump()
    assert {a["username"] for a in state["associations"] if a["status"] == "ASSOCIATED"} == {"carol"}
    assert all(s["status"] != words(emulator)["subscribed"] for s in state["product_subscriptions"])

    # The token went with every call, and came from the environment: no module was given it.
    assert emulator.log and all(entry["security_token"] for entry in emulator.log), "a call went out without the session token"
    for line in printed.splitlines():
        if "_execute_module (lmus.user_subscriptions." in line:
            assert "session_token" not in line and "secret_key" not in line and "access_key" not in line, line
    assert SENTINEL_TOKEN not in playbook.read_text(encoding="utf-8")

    # ... and it appears nowhere: not in -vvv nor debug output, the report, the request log.
    for text in (printed, report.read_text(encoding="utf-8"), json.dumps(emulator.log), json.dumps(emulator.state_dump())):
        assert SENTINEL_TOKEN not in text
        assert SENTINEL_SECRET not in text
