# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""docs/adhoc.md, run as written: each command line of the page, in its order, against the emulator.

The test reads the command lines from the page's ``sh`` blocks and runs each with bash, changing
nothing but the environment (the emulator's URL in AWS_URL, dummy credentials, a region: the page's
``export`` lines are the operator's own environment). It checks what each command did in the emulator's
request log and state, and that the ``msg`` the page shows is the one the command prints, so the page
cannot drift from the modules.
"""

import functools
import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from harness import DIRECTORY
from harness import DOMAIN
from harness import ansible_env
from harness import bin_path
from harness import hand_written_play
from harness import play_with_task_texts
from harness import task_text

# The page shows the emulator's output in the words AWS uses.
VOCABULARIES = ("aws",)

PAGE = Path(__file__).resolve().parents[2] / "docs" / "adhoc.md"
MODULES = "ansible localhost -m lmus.user_subscriptions."
# The environment an operator sets before the commands; the test sets its own instead.
OPERATOR_ENVIRONMENT = {"AWS_PROFILE", "AWS_REGION"}

I0, I1, I2 = "i-0123456789abcdef0", "i-0123456789abcdef1", "i-0123456789abcdef2"
EARLIER = "i-0fedcba9876543210"  # jdoe was removed from it before
OFFICE, VISUAL_STUDIO = "OFFICE_PROFESSIONAL_PLUS", "VISUAL_STUDIO_ENTERPRISE"


def seed():
    """The names the page uses: jdoe on three instances (gone from a fourth) with two products; bob, asmith and carol."""
    def association(username, instance_id, status="ASSOCIATED"):
        return dict(instance_id=instance_id, username=username, domain=DOMAIN, status=status)

    return dict(
        identity_providers=[dict(directory_id=DIRECTORY, product=OFFICE), dict(directory_id=DIRECTORY, product=VISUAL_STUDIO)],
        instances=[dict(instance_id=i, directory_id=DIRECTORY, products=[OFFICE]) for i in (I0, I1, I2, EARLIER)],
        associations=[association("jdoe", I0), association("jdoe", I1), association("jdoe", I2), association("jdoe", EARLIER, "DISASSOCIATED"),
                      association("bob", I1), association("asmith", I2), association("carol", I0), association("carol", I1),
                      association("dave", I0)],
        product_subscriptions=[dict(username=user, product=product, directory_id=DIRECTORY, domain=DOMAIN)
                               for user, product in (("jdoe", OFFICE), ("jdoe", VISUAL_STUDIO), ("bob", OFFICE), ("carol", OFFICE))],
    )


def page_commands():
    """[command line, the msg the page shows after it (or None)] for each command of the page's sh blocks, in order."""
    commands = []
    for match in re.finditer(r"^```(\w*)\n(.*?)^```$", PAGE.read_text(encoding="utf-8"), re.S | re.M):
        language, body = match.groups()
        if language == "sh":
            for line in body.splitlines():
                if not line.strip() or line.lstrip().startswith("#"):
                    continue
                if line.startswith("export "):
                    names = {assignment.split("=", 1)[0] for assignment in line.split()[1:]}
                    assert names <= OPERATOR_ENVIRONMENT, f"docs/adhoc.md sets {names - OPERATOR_ENVIRONMENT}, which this test does not stand in for"
                    continue
                assert line.startswith(MODULES), f"docs/adhoc.md: not a command of this collection's modules: {line}"
                commands.append([line, None])
        elif language == "text" and commands:
            shown = re.search(r'^ *"msg": (".*?"),?$', body, re.M)
            if shown:
                commands[-1][1] = json.loads(shown.group(1))
    return commands


class Output:
    """One command's run, read from what the ``ansible`` command prints by default: ``localhost | CHANGED => {...}``."""

    def __init__(self, proc):
        self.rc, self.stdout, self.stderr = proc.returncode, proc.stdout, proc.stderr
        found = re.search(r"^localhost \| ([A-Z!]+) => ", proc.stdout, re.M)
        assert found, f"no result line (rc={proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
        self.status = found.group(1)
        self.before = proc.stdout[:found.start()]  # what --diff printed
        self.result, _end = json.JSONDecoder().raw_decode(proc.stdout, found.end())


def run_line(line, emulator, workdir):
    """The page's command line, through bash, with the emulator's environment and nothing else changed."""
    path = os.pathsep.join([os.path.dirname(bin_path("ansible")), os.environ.get("PATH", "")])
    env = ansible_env(ANSIBLE_STDOUT_CALLBACK=None, AWS_URL=emulator.url, PATH=path)
    proc = subprocess.run(["bash", "-c", line], cwd=workdir, env=env, capture_output=True, text=True, timeout=600, check=False)
    return Output(proc)


# ---------------------------------------------------------------- what each command must do

def associations(emulator, username):
    return sorted((a["instance_id"], a["status"]) for a in emulator.state_dump()["associations"] if a["username"] == username)


def subscriptions(emulator, username):
    return sorted((s["product"], s["status"]) for s in emulator.state_dump()["product_subscriptions"] if s["username"] == username)


def written(emulator):
    """(operation, ARN) of each write call, in order; every one answered."""
    writes = emulator.calls(write=True)
    assert all(w["error"] is None for w in writes), writes
    return [(w["operation"], w["params"].get("InstanceUserArn") or w["params"].get("ProductUserArn")) for w in writes]


def arns(emulator, kind, username, places):
    """The ARNs of a user's associations (kind "associations") or subscriptions at ``places``, from the emulator's state."""
    key = "instance_id" if kind == "associations" else "product"
    return sorted(r["arn"] for r in emulator.state_dump()[kind] if r["username"] == username and r[key] in places)


def where_is_jdoe(out, emulator):
    assert out.status == "SUCCESS"
    assert sorted((r["instance_id"], r["status"]) for r in out.result["instance_users"]) == [
        (I0, "ASSOCIATED"), (I1, "ASSOCIATED"), (I2, "ASSOCIATED"), (EARLIER, "DISASSOCIATED")]
    assert emulator.calls(write=True) == []


def jdoes_subscriptions(out, emulator):
    assert out.status == "SUCCESS"
    assert sorted((r["product"], r["status"]) for r in out.result["product_subscriptions"]) == [(OFFICE, "SUBSCRIBED"), (VISUAL_STUDIO, "SUBSCRIBED")]
    assert emulator.calls(write=True) == []


def dry_run(out, emulator):
    assert out.status == "CHANGED"
    assert emulator.calls(write=True) == [] and associations(emulator, "jdoe")[:3] == [(i, "ASSOCIATED") for i in (I0, I1, I2)]
    assert [(r["instance_id"], r["outcome"]) for r in out.result["results"]] == [
        (I0, "removed"), (I1, "removed"), (I2, "removed"), (EARLIER, "already_absent")]
    assert out.result["summary"] == dict(total=4, changed=3, unchanged=1, failed=0) and out.result["instance_user"] == {}
    # --diff: each association to be removed, before and after
    assert len(re.findall(r'^-\s+"status": "ASSOCIATED",$', out.before, re.M)) == 3
    assert len(re.findall(r'^\+\s+"status": "DISASSOCIATED",$', out.before, re.M)) == 3
    assert all(f'"instance_id": "{instance}"' in out.before for instance in (I0, I1, I2)) and EARLIER not in out.before


def everywhere(out, emulator):
    assert out.status == "CHANGED"
    assert sorted(written(emulator)) == [("DisassociateUser", arn) for arn in arns(emulator, "associations", "jdoe", (I0, I1, I2))]
    assert associations(emulator, "jdoe") == [(i, "DISASSOCIATED") for i in (I0, I1, I2, EARLIER)]
    assert associations(emulator, "carol") == [(I0, "ASSOCIATED"), (I1, "ASSOCIATED")]


def a_few_users(out, emulator):
    assert out.status == "CHANGED"
    assert sorted(written(emulator)) == sorted([("DisassociateUser", arn) for arn in arns(emulator, "associations", "bob", (I1,))
                                                + arns(emulator, "associations", "asmith", (I2,))])
    assert [(r["username"], r["instance_id"], r["outcome"]) for r in out.result["results"]] == [
        ("jdoe", I0, "already_absent"), ("jdoe", I1, "already_absent"), ("jdoe", I2, "already_absent"), ("jdoe", EARLIER, "already_absent"),
        ("bob", I1, "removed"), ("asmith", I2, "removed")]
    assert associations(emulator, "bob") == [(I1, "DISASSOCIATED")] and associations(emulator, "asmith") == [(I2, "DISASSOCIATED")]
    assert len(emulator.calls(operation="ListInstances")) == 1  # one listing for the three users


def one_instance(out, emulator):
    assert out.status == "CHANGED"
    assert out.result["instance_user"]["instance_id"] == I0 and out.result["instance_user"]["status"] == "DISASSOCIATED"
    assert written(emulator) == [("DisassociateUser", arn) for arn in arns(emulator, "associations", "carol", (I0,))]
    assert associations(emulator, "carol") == [(I0, "DISASSOCIATED"), (I1, "ASSOCIATED")]
    assert associations(emulator, "dave") == [(I0, "ASSOCIATED")]
    assert {c["params"].get("InstanceId") for c in emulator.calls(operation="ListUserAssociations")} == {I0}  # only that instance is read


def one_product(out, emulator):
    assert out.status == "CHANGED"
    assert written(emulator) == [("StopProductSubscription", arn) for arn in arns(emulator, "product_subscriptions", "jdoe", (OFFICE,))]
    assert subscriptions(emulator, "jdoe") == [(OFFICE, "UNSUBSCRIBED"), (VISUAL_STUDIO, "SUBSCRIBED")]
    assert subscriptions(emulator, "carol") == [(OFFICE, "SUBSCRIBED")]
    assert out.result["product_subscription"]["product"] == OFFICE


def every_product(out, emulator):
    assert out.status == "CHANGED"
    assert written(emulator) == [("StopProductSubscription", arn) for arn in arns(emulator, "product_subscriptions", "jdoe", (VISUAL_STUDIO,))]
    assert subscriptions(emulator, "jdoe") == [(OFFICE, "UNSUBSCRIBED"), (VISUAL_STUDIO, "UNSUBSCRIBED")]
    assert subscriptions(emulator, "bob") == [(OFFICE, "SUBSCRIBED")]
    assert out.result["summary"] == dict(total=2, changed=1, unchanged=1, failed=0)


STEPS = [
    (MODULES + 'lmus_instance_user_info -a "usernames=jdoe"', where_is_jdoe),
    (MODULES + 'lmus_product_subscription_info -a "usernames=jdoe"', jdoes_subscriptions),
    (MODULES + 'lmus_instance_user -a "state=absent username=jdoe" --check --diff', dry_run),
    (MODULES + 'lmus_instance_user -a "state=absent username=jdoe"', everywhere),
    (MODULES + 'lmus_instance_user -a "state=absent users=jdoe,bob,asmith"', a_few_users),
    (MODULES + f'lmus_instance_user -a "state=absent username=carol instance_id={I0}"', one_instance),
    (MODULES + f'lmus_product_subscription -a "state=absent username=jdoe product={OFFICE}"', one_product),
    (MODULES + 'lmus_product_subscription -a "state=absent username=jdoe"', every_product),
]


def test_the_page_lists_the_commands_this_test_checks():
    assert [line for line, _shown in page_commands()] == [line for line, _check in STEPS]


@pytest.fixture
def world(lmus_emulator_factory):
    return lmus_emulator_factory(seed=seed())


def offboarding_policy():
    """The API calls docs/iam-policy.json allows, which the page says cover its commands."""
    document = json.loads((PAGE.parent / "iam-policy.json").read_text(encoding="utf-8"))
    return {action.split(":", 1)[1] for statement in document["Statement"] for action in statement["Action"]}


def test_every_command_of_the_page_does_what_the_page_says_and_changes_nothing_when_run_again(world, tmp_path):
    checks = dict(STEPS)
    called = set()
    for line, shown in page_commands():
        world.clear_log()
        out = run_line(line, world, tmp_path)
        print(f"$ {line}\n{out.stdout}")
        assert out.rc == 0, f"{line}\n{out.stdout}\n{out.stderr}"
        checks[line](out, world)
        if shown is not None:
            assert out.result["msg"] == shown, f"{line}: docs/adhoc.md shows msg {shown!r}, the command printed {out.result['msg']!r}"
        called |= {entry["operation"] for entry in world.log}
    assert called <= offboarding_policy(), called - offboarding_policy()

    # Each command again, in the same order: nothing changes, nothing is written.
    world.clear_log()
    for line, _shown in page_commands():
        out = run_line(line, world, tmp_path)
        assert out.rc == 0 and out.status == "SUCCESS" and out.result["changed"] is False, f"{line}\n{out.stdout}"
    assert world.calls(write=True) == []


# ---------------------------------------------------------------- users as user names, and a user without a place

def play_with_task_text(ansible, text, check=False):
    """One play whose only task is written by hand, so that YAML, not Python, types its values."""
    return hand_written_play(ansible, "    - name: adhoc\n" + task_text("lmus.user_subscriptions.lmus_instance_user", text), check=check)


def test_users_may_be_a_yaml_list_of_user_names_mixed_with_mappings(world, ansible_factory):
    run = play_with_task_text(ansible_factory(world), f"state: absent\nusers: [jdoe, bob, {{username: carol, instance_id: {I1}}}]\n", check=True)
    assert run.rc == 0, run.stdout[-3000:]
    assert [(r["username"], r["instance_id"], r["outcome"]) for r in run.last["results"]] == [
        ("jdoe", I0, "removed"), ("jdoe", I1, "removed"), ("jdoe", I2, "removed"), ("jdoe", EARLIER, "already_absent"),
        ("bob", I1, "removed"), ("carol", I1, "removed")]
    assert run.last["msg"] == (f"jdoe: would be removed from 3 instances, already absent on instance {EARLIER}; "
                               f"bob: would be removed from instance {I1}; carol: would be removed from instance {I1}")
    assert world.calls(write=True) == []


NOT_USER_NAMES = [
    ("users: [jdoe, yes]", "users[1]: true (a YAML boolean) is not a user name; quote user names in YAML"),
    ("users: [jdoe, 0123]", "users[1]: 83 (a YAML number) is not a user name"),
    ("users:\n  - jdoe\n  -", "users[1]: null (YAML null: an empty item or value) is not a user name"),
    ("users: [[jdoe, bob]]", 'users[0]: ["jdoe", "bob"] (a list) is not a user name'),
    # As a list option, Ansible would have made these the users "True" and "83".
    ("users: yes", "users: true (a YAML boolean) is not a list of users"),
    ("users: 0123", "users: 83 (a YAML number) is not a list of users"),
    ('users: "jdoe,,bob"', "users[1]: a non-empty user name is required, got ''"),
    ("users: [jdoe, {username: bob, colour: blue}]", "unsupported parameters: users[1].colour"),
]


@pytest.fixture
def refused(shared_run):
    """Each case of NOT_USER_NAMES, written by hand, as a task of one playbook (conftest.shared_run)."""

    texts = {text: task_text("lmus.user_subscriptions.lmus_instance_user", f"state: absent\n{text}") for text, _needle in NOT_USER_NAMES}
    make = functools.partial(play_with_task_texts, task_texts=texts)

    return shared_run("adhoc-not-user-names", seed(), make)


@pytest.mark.parametrize("text,needle", NOT_USER_NAMES, ids=["yes", "0123", "empty item", "list", "users yes", "users 0123", "empty name", "unknown option"])
def test_users_items_that_are_not_user_names_are_refused_before_any_api_call(refused, text, needle):
    result = refused["results"][text]
    assert result.get("failed") is True, result
    assert needle in result["msg"], result["msg"]
    assert refused["log"] == []


def test_adding_a_user_still_needs_the_instance_and_the_directory(world, ansible_factory):
    run = ansible_factory(world).adhoc(dict(state="present", username="jdoe"))
    assert run.rc != 0
    assert run.last["msg"] == "missing instance_id and directory_id or identity_provider: needed to name user 'jdoe'"
    assert world.log == []


def test_one_user_everywhere_goes_on_past_an_instance_it_cannot_read(world, ansible_factory):
    world.set_faults({"access_denied_instances": [I1]})
    run = ansible_factory(world).adhoc(dict(state="absent", username="jdoe"))
    assert run.rc != 0
    assert run.last["msg"].startswith(f"jdoe: removed from 2 instances, already absent on instance {EARLIER}, "
                                      f"failed on instance {I1} (AccessDeniedException); first failure: ")
    assert [(r["instance_id"], r["outcome"], r["code"]) for r in run.last["results"]] == [
        (I0, "removed", None), (I1, "failed", "AccessDeniedException"), (I2, "removed", None), (EARLIER, "already_absent", None)]
    assert associations(world, "jdoe") == [(I0, "DISASSOCIATED"), (I1, "ASSOCIATED"), (I2, "DISASSOCIATED"), (EARLIER, "DISASSOCIATED")]


def test_one_subscription_of_a_user_under_every_identity_provider_it_is_found_in(lmus_emulator_factory, ansible_factory):
    data = seed()
    other = "d-abcdef0123"
    data["identity_providers"].append(dict(directory_id=other, product=OFFICE))
    data["product_subscriptions"].append(dict(username="jdoe", product=OFFICE, directory_id=other, domain=DOMAIN))
    data["associations"] = []
    emulator = lmus_emulator_factory(seed=data)
    run = ansible_factory(emulator).adhoc(dict(state="absent", username="jdoe", product=OFFICE), module="lmus.user_subscriptions.lmus_product_subscription")
    assert run.rc == 0, run.stdout[-3000:]
    assert run.last["msg"] == f"jdoe: unsubscribed from {OFFICE}"  # one product, under two directories
    assert run.last["summary"]["changed"] == 2 and run.last["product_subscription"] == {}  # two records: see results
    assert subscriptions(emulator, "jdoe") == [(OFFICE, "UNSUBSCRIBED"), (OFFICE, "UNSUBSCRIBED"), (VISUAL_STUDIO, "SUBSCRIBED")]
