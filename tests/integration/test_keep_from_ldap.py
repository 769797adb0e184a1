# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""examples/reconcile/keep_from_ldap.yml, the keep list from an LDAP group, against a real slapd.

The playbook runs through a real ``ansible-playbook`` with ``keep_from_ldap_only=true`` (it stops once the keep
list is computed and printed), against the AD-shaped slapd of ldap_server.py: with the playbook's Active
Directory defaults (filter on objectClass=user and memberOf, attribute sAMAccountName), the bind DN and password
from the environment as an operator gives them. community.general.ldap_search runs with the Python that runs
ansible-playbook (the implicit localhost), so python-ldap must be importable by this test's own interpreter.
"""

import importlib.util
import json
import secrets
from pathlib import Path

from harness import DIRECTORY
from harness import DOMAIN
from harness import Ansible
from harness import bin_path
from harness import instance_id
from ldap_server import EMPTY_GROUP
from ldap_server import OFFICE_GROUP
from ldap_server import person_dn
from ldap_server import require

VOCABULARIES = ("aws",)
PLAYBOOK = Path(__file__).resolve().parents[2] / "examples" / "reconcile" / "keep_from_ldap.yml"
SEARCH = "Search the members of the group"
COLLECT = "Collect the user names of the group's members"
SHOW = "Show the keep list"


def keep_from_ldap(tmp_path, server, password=None, only=True, check=False, **extra_vars):
    """Run the playbook (with keep_from_ldap_only=true unless ``only`` is false); the bind DN and password come from the environment."""
    require("python-ldap (requirements-dev.txt)", importlib.util.find_spec("ldap") is not None)
    settings = dict(keep_ldap_server_uri=server.uri, keep_ldap_base_dn=server.base_dn, keep_ldap_group_dn=OFFICE_GROUP)
    if only:
        settings["keep_from_ldap_only"] = True
    settings.update(extra_vars)
    path = tmp_path / f"keep{secrets.token_hex(4)}.json"
    path.write_text(json.dumps(settings))
    env = dict(LDAP_BIND_DN=server.bind_dn, LDAP_BIND_PW=server.bind_pw if password is None else password)
    cmd = [bin_path("ansible-playbook"), str(PLAYBOOK), "-e", f"@{path}"] + (["--check"] if check else [])
    return Ansible(None, tmp_path).run_command(cmd, env)


def task_names(run):
    return [task["task"]["name"] for play in run.report["plays"] for task in play["tasks"]]


def keep_list(run):
    return run.task(COLLECT)["ansible_facts"]["offboard_keep_usernames"]


def test_the_keep_list_is_the_sorted_names_of_the_group_members(tmp_path, ldap_server):
    run = keep_from_ldap(tmp_path, ldap_server)
    assert run.rc == 0, run.stdout + run.stderr
    # Not bob (a member of Contractors only: memberOf lists direct memberships), nor Contractors (a group, not a user);
    # nosam has no sAMAccountName.
    assert keep_list(run) == ["asmith", "jdoe", "jdoe-adm", "o'brien", "zoë.müller"]
    summary, names, skipped = run.task(SHOW)["msg"]
    assert names == keep_list(run)
    assert skipped == [person_dn("nosam")]
    assert summary.startswith("5 user names ") and " 1 member entries without a sAMAccountName skipped" in summary, summary
    # keep_from_ldap_only: the play ends before the offboard role.
    assert task_names(run)[-1] == "End here when only the keep list is wanted"
    assert ldap_server.bind_pw not in run.stdout + run.stderr
    assert "bind_pw" not in json.dumps(run.task(SEARCH)), "the search task's arguments or result are shown"


def test_each_value_of_a_multi_valued_attribute_is_kept_once(tmp_path, ldap_server):
    # uid: zmuller has two values, jdoe-adm has its own and jdoe's; nosam has one. Two entries per page: four pages.
    # Asked for as UID, answered as uid (slapd spells attributes as its schema does).
    run = keep_from_ldap(tmp_path, ldap_server, keep_ldap_attribute="UID", keep_ldap_page_size=2)
    assert run.rc == 0, run.stdout + run.stderr
    assert keep_list(run) == ["asmith", "jdoe", "jdoe-adm", "nosam", "obrien", "zmuller", "zoë.müller"]
    assert run.task(SHOW)["msg"][2] == []


def test_a_wrong_password_fails_without_showing_it(tmp_path, ldap_server):
    wrong = "wrong-" + secrets.token_hex(12)
    run = keep_from_ldap(tmp_path, ldap_server, password=wrong)
    assert run.rc != 0
    assert wrong not in run.stdout + run.stderr
    assert ldap_server.bind_pw not in run.stdout + run.stderr
    failed = run.last
    assert failed["failed"] is True
    assert task_names(run)[-1] == "Stop when the search failed"
    assert OFFICE_GROUP in failed["msg"] and ldap_server.uri in failed["msg"], failed["msg"]
    assert COLLECT not in task_names(run)


def test_an_empty_group_is_refused_not_taken_for_an_empty_keep_list(tmp_path, ldap_server):
    run = keep_from_ldap(tmp_path, ldap_server, keep_ldap_group_dn=EMPTY_GROUP)
    assert run.rc != 0
    # The search itself succeeded (the group's DN, with its escaped comma, made a valid filter) and found no one.
    assert keep_list(run) == []
    assert task_names(run)[-1] == "Refuse an empty keep list"
    assert run.last["failed"] is True
    assert EMPTY_GROUP in run.last["msg"], run.last["msg"]
    assert SHOW not in task_names(run)


def test_offboard_no_log_keeps_the_names_out_of_the_output(tmp_path, ldap_server):
    run = keep_from_ldap(tmp_path, ldap_server, offboard_no_log=True)
    assert run.rc == 0, run.stdout + run.stderr
    assert run.task(SHOW)["msg"][0].startswith("5 user names ")
    for name in ("asmith", "o'brien", "zoë.müller", "nosam"):
        assert name not in run.stdout + json.dumps(run.report, ensure_ascii=False), name


def test_the_server_group_and_base_are_required(tmp_path):
    run = Ansible(None, tmp_path).run_command([bin_path("ansible-playbook"), str(PLAYBOOK), "-e", "keep_from_ldap_only=true"],
                                              dict(LDAP_BIND_DN="cn=svc", LDAP_BIND_PW="pw"))
    assert run.rc != 0
    assert task_names(run) == ["Refuse a keep list given from outside", "Check the LDAP settings"]
    assert "keep_ldap_server_uri" in run.last["msg"]


def test_the_group_is_the_keep_list_of_the_reconcile(tmp_path, ldap_server, lmus_emulator_factory):
    """The whole play: the group's members are kept, every other holder would be removed (a dry run: no write)."""
    holders = ["asmith", "JDoe", "bob", "zed"]
    seed = dict(identity_providers=[], instances=[dict(instance_id=instance_id(1), directory_id=DIRECTORY, products=["OFFICE_PROFESSIONAL_PLUS"])],
                associations=[dict(instance_id=instance_id(1), username=name, domain=DOMAIN) for name in holders], product_subscriptions=[])
    emulator = lmus_emulator_factory(seed=seed)
    run = keep_from_ldap(tmp_path, ldap_server, only=False, check=True, offboard_endpoint_url=emulator.url, offboard_lift_removal_limits=True)
    assert run.rc == 0, run.stdout[-3000:] + run.stderr
    plan = run.task("Plan who loses what")["ansible_facts"]["offboard__plan"]
    # bob is only in the nested Contractors group; zed in none
    assert [r["username"] for r in plan["remove"]] == ["bob", "zed"]
    assert plan["kept_not_found"] == ["jdoe-adm", "o'brien", "zoë.müller"]
    assert emulator.calls(write=True) == []


def test_a_keep_list_given_from_outside_is_refused(tmp_path, ldap_server):
    run = keep_from_ldap(tmp_path, ldap_server, only=False, offboard_keep_usernames=["everyone"])
    assert run.rc != 0
    assert task_names(run) == ["Refuse a keep list given from outside"]
    assert "offboard_keep_usernames or offboard_keep_file is set from outside" in run.last["msg"]
