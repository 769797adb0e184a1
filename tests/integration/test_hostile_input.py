# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Hostile input: values that are not user names never become user names, identifiers are checked whole.

Each case is written as an operator writes it (YAML text, not Python values dumped to YAML), and must
stop the run before any API call: the emulator's request log stays empty.
"""

import json
import os
import stat
from pathlib import Path

import pytest
import yaml

from harness import DIRECTORY
from harness import DOMAIN
from harness import MODULE
from harness import base_seed
from harness import instance_id
from harness import play_with_task_texts
from harness import task_text

# Refused before any API call, whatever the service would answer.
VOCABULARIES = ("aws",)

ROOT = Path(__file__).resolve().parents[2]

SUBS = "lmus.user_subscriptions.lmus_product_subscription"
I1 = "i-04284ea17bdb7dab1"
ARN = "arn:aws:license-manager-user-subscriptions:us-east-1:123456789012:instance-user/0123456789abcdef"
# Real users whose names are what Ansible used to make of the hostile items: none of them may be touched.
DECOYS = ["leaver0001", "leaver0002", "None", "True", "83", "16", "750", "{'name': 'leaver0001'}", "['leaver0001'", "'leaver0002']", "yes", "0123"]


@pytest.fixture
def world(lmus_emulator_factory):
    return lmus_emulator_factory(seed=decoy_seed())


def decoy_seed():
    """One instance where every decoy (a real user named as Ansible used to make a hostile item) holds an association and a subscription."""
    seed = base_seed(instances=1)
    seed["instances"][0]["instance_id"] = I1
    seed["associations"] = [dict(instance_id=I1, username=name, domain=DOMAIN) for name in DECOYS]
    seed["product_subscriptions"] = [dict(username=name, product="OFFICE_PROFESSIONAL_PLUS", directory_id=DIRECTORY, domain=DOMAIN) for name in DECOYS]
    return seed


def case_ids(group, cases):
    """The (name, needle) parameters of a list of (module, task, needle) cases: the name is the key refused() gives each."""
    return [pytest.param(f"{group}: {case.id}", case.values[2], id=case.id) for case in cases]


@pytest.fixture
def refused(shared_run):
    """Every module-level hostile case of this file, each a task of one playbook against the decoys (conftest.shared_run)."""
    texts = {}
    for case in NOT_STRINGS:
        module, task, _needle = case.values
        texts[f"not a string: {case.id}"] = task_text(module, f"state: absent\ndirectory_id: {DIRECTORY}\n{task}")
    for case in FILTERS_NOT_STRINGS:
        module, task, _needle = case.values
        texts[f"filter: {case.id}"] = task_text(module, task)
    for case in TRAILING_NEWLINES:
        module, args, _needle = case.values
        texts[f"identifier: {case.id}"] = task_text(module, json.dumps(dict(dict(state="absent", directory_id=DIRECTORY), **args)))
    return shared_run("hostile-input", decoy_seed(), lambda ansible: play_with_task_texts(ansible, texts))


def offboard_with_vars_text(ansible, text, check=False):
    """The offboard playbook with a vars file written by hand: YAML decides what each unquoted item is."""
    ansible.runs += 1
    path = ansible.workdir / f"departing{ansible.runs}.yml"
    path.write_text(text + f"offboard_endpoint_url: {json.dumps(ansible.emulator.url)}\n", encoding="utf-8")
    return ansible.run_command(["ansible-playbook", "lmus.user_subscriptions.offboard", "-e", f"@{path}"] + (["--check"] if check else []))


def untouched(emulator):
    """No decoy lost anything (an emulator, or the state a shared run left)."""
    state = emulator if isinstance(emulator, dict) else emulator.state_dump()
    return all(a["status"] == "ASSOCIATED" for a in state["associations"]) and len(state["associations"]) == len(DECOYS)


# ------------------------------------------------------------------ 1. values that are not user names

def test_role_refuses_items_that_are_not_strings_naming_each_position_and_value(world, ansible_factory):
    ansible = ansible_factory(world)
    text = """offboard_usernames:
  - leaver0001
  -
  - yes
  - 0123
  - 0x10
  - 12:30
  - {name: leaver0001}
  - [leaver0001, leaver0002]
"""
    for check in (True, False):
        run = offboard_with_vars_text(ansible, text, check=check)
        assert run.rc != 0
        message = run.last["msg"]
        assert "7 item(s) of offboard_usernames refused" in message
        for shown in ["offboard_usernames[1]: null (YAML null: an empty item or value)", "offboard_usernames[2]: true (a YAML boolean)",
                      "offboard_usernames[3]: 83 (a YAML number)", "offboard_usernames[4]: 16 (a YAML number)", "offboard_usernames[5]: 750 (a YAML number)",
                      'offboard_usernames[6]: {"name": "leaver0001"} (a mapping)', 'offboard_usernames[7]: ["leaver0001", "leaver0002"] (a list)']:
            assert shown + " is not a user name" in message, message
        assert 'quote user names in YAML, spelled as they are (for example "0123" or "yes")' in message
        assert world.log == [] and untouched(world)


def test_role_takes_quoted_names_literally(world, ansible_factory):
    run = offboard_with_vars_text(ansible_factory(world), 'offboard_usernames: ["yes", "0123", "None"]\n', check=True)
    assert run.rc == 0, run.stdout[-3000:]
    report = run.task("Set the report fact")["ansible_facts"]["offboard_report"]
    assert report["usernames"] == ["yes", "0123", "None"]
    assert sorted(r["username"] for r in report["disassociated"]) == ["0123", "None", "yes"]


def test_role_refuses_a_name_with_a_control_character(world, ansible_factory):
    run = offboard_with_vars_text(ansible_factory(world), 'offboard_usernames: ["leaver0001", "leaver\\t0002", "\\e[2Jleaver0003"]\n')
    assert run.rc != 0
    assert "offboard_usernames[1]: 'leaver\\t0002' contains control characters ('\\t')" in run.last["msg"]
    assert "offboard_usernames[2]: '\\x1b[2Jleaver0003' contains control characters ('\\x1b')" in run.last["msg"]
    assert world.log == []


@pytest.mark.parametrize("text,needle", [
    ("offboard_usernames: []\n", "offboard_usernames: no user name given"),
    ('offboard_usernames: " , ,\\n\\n"\n', "offboard_usernames: no user name given"),
    ("offboard_usernames:\n", "argument 'offboard_usernames' is of type NoneType"),  # the role's argument spec says so first
], ids=["empty list", "survey text of separators", "null"])
def test_role_refuses_a_list_without_any_name(world, ansible_factory, text, needle):
    run = offboard_with_vars_text(ansible_factory(world), text)
    assert run.rc != 0
    assert needle in run.last["msg"], run.last["msg"]
    assert world.log == []


NOT_STRINGS = [
    pytest.param(MODULE, f"username: yes\ninstance_id: {I1}", "username: true (a YAML boolean) is not a user name", id="username yes"),
    pytest.param(MODULE, f"username: 0123\ninstance_id: {I1}", "username: 83 (a YAML number) is not a user name", id="username 0123"),
    pytest.param(MODULE, f"username: 12:30\ninstance_id: {I1}", "username: 750 (a YAML number) is not a user name", id="username 12:30"),
    pytest.param(MODULE, f"username: {{name: leaver0001}}\ninstance_id: {I1}", 'username: {"name": "leaver0001"} (a mapping) is not a user name',
                 id="username mapping"),
    pytest.param(MODULE, f"username: [leaver0001, leaver0002]\ninstance_id: {I1}", 'username: ["leaver0001", "leaver0002"] (a list) is not a user name',
                 id="username list"),
    pytest.param(MODULE, "users:\n  - username: leaver0001\n  - username: leaver0002\n  - username: '16'\n  - username: 0x10",
                 "users[3].username: 16 (a YAML number) is not a user name", id="users[3].username 0x10"),
    pytest.param(SUBS, "product: OFFICE_PROFESSIONAL_PLUS\nusers:\n  - username: leaver0001\n  - username: no",
                 "users[1].username: false (a YAML boolean) is not a user name", id="subscription users[1].username no"),
    pytest.param(MODULE, f'username: "leaver0001\\n"\ninstance_id: {I1}', "username: 'leaver0001\\n' contains control characters ('\\n')",
                 id="username with a new line"),
    pytest.param(MODULE, f'username: "leaver\\x000001"\ninstance_id: {I1}', "username: 'leaver\\x000001' contains control characters ('\\x00')",
                 id="username with a NUL"),
    pytest.param(MODULE, f'username: "leaver\\u200b0001"\ninstance_id: {I1}',
                 "username: 'leaver\\u200b0001' contains control characters ('\\u200b' ZERO WIDTH SPACE)", id="username with a zero-width space"),
    pytest.param(MODULE, 'users:\n  - username: leaver0001\n  - username: "leaver0002\\u2028"',
                 "users[1].username: 'leaver0002\\u2028' contains control characters ('\\u2028' LINE SEPARATOR)", id="users[1].username with U+2028"),
    pytest.param(SUBS, 'product: OFFICE_PROFESSIONAL_PLUS\nusers:\n  - username: "\\ufeffleaver0001"',
                 "users[0].username: '\\ufeffleaver0001' contains control characters ('\\ufeff' ZERO WIDTH NO-BREAK SPACE)",
                 id="subscription users[0].username with a BOM"),
]


@pytest.mark.parametrize("name,needle", case_ids("not a string", NOT_STRINGS))
def test_modules_refuse_user_names_that_are_not_strings(refused, name, needle):
    result = refused["results"][name]
    assert result.get("failed") is True, result
    assert needle in result["msg"], result["msg"]
    if "YAML" in needle:
        assert "quote user names in YAML" in result["msg"]
    assert refused["log"] == [] and untouched(refused["state"])


def test_role_refuses_names_with_line_separators_or_format_characters_in_a_list_and_in_survey_text(world, ansible_factory):
    ansible = ansible_factory(world)
    run = offboard_with_vars_text(ansible, 'offboard_usernames: ["leaver0001", "leaver\\u200b0002", "\\ufeffleaver0003", "leaver0004\\u2028", '
                                           '"leaver0005\\u200e", "leaver0006\\x85"]\n')
    assert run.rc != 0
    message = run.last["msg"]
    assert "5 item(s) of offboard_usernames refused: " in message, message
    for shown in ["offboard_usernames[1]: 'leaver\\u200b0002' contains control characters ('\\u200b' ZERO WIDTH SPACE)",
                  "offboard_usernames[2]: '\\ufeffleaver0003' contains control characters ('\\ufeff' ZERO WIDTH NO-BREAK SPACE)",
                  "offboard_usernames[3]: 'leaver0004\\u2028' contains control characters ('\\u2028' LINE SEPARATOR)",
                  "offboard_usernames[4]: 'leaver0005\\u200e' contains control characters ('\\u200e' LEFT-TO-RIGHT MARK)",
                  "offboard_usernames[5]: 'leaver0006\\x85' contains control characters ('\\x85')"]:
        assert shown in message, message
    assert world.log == [] and untouched(world)
    # A survey's text: U+2028 and U+2029 are no line ends (only \n, \r\n and \r are); the part holding one is refused, not split.
    run = offboard_with_vars_text(ansible, 'offboard_usernames: "leaver0001\\u2028leaver0002\\nleaver0003\\u2029"\n')
    assert run.rc != 0
    assert "offboard_usernames (part 1): 'leaver0001\\u2028leaver0002' contains control characters ('\\u2028' LINE SEPARATOR)" in run.last["msg"]
    assert "offboard_usernames (part 2): 'leaver0003\\u2029' contains control characters ('\\u2029' PARAGRAPH SEPARATOR)" in run.last["msg"]
    assert world.log == [] and untouched(world)


def test_role_refuses_a_blank_item_of_a_list_naming_its_position(world, ansible_factory):
    run = offboard_with_vars_text(ansible_factory(world), 'offboard_usernames: [leaver0001, "", "   ", leaver0002]\n')
    assert run.rc != 0
    message = run.last["msg"]
    assert "2 item(s) of offboard_usernames refused: " in message, message
    assert "offboard_usernames[1]: a non-empty user name is required, got ''" in message
    assert "offboard_usernames[2]: a non-empty user name is required, got '   '" in message
    assert world.log == [] and untouched(world)


INFO = "lmus.user_subscriptions.lmus_instance_user_info"
SUBS_INFO = "lmus.user_subscriptions.lmus_product_subscription_info"


FILTERS_NOT_STRINGS = [
    pytest.param(INFO, "usernames: [leaver0001, yes]", "usernames[1]: true (a YAML boolean) is not a user name; quote user names in YAML", id="yes"),
    pytest.param(INFO, "usernames: [0123]", "usernames[0]: 83 (a YAML number) is not a user name", id="0123"),
    pytest.param(INFO, "usernames:\n  - leaver0001\n  -", "usernames[1]: null (YAML null: an empty item or value) is not a user name", id="empty item"),
    pytest.param(INFO, 'usernames: ["leaver0001", "   "]', "usernames[1]: a non-empty user name is required, got '   '", id="blank"),
    pytest.param(INFO, 'usernames: ["leaver\\u200b0001"]',
                 "usernames[0]: 'leaver\\u200b0001' contains control characters ('\\u200b' ZERO WIDTH SPACE)", id="zero-width space"),
    pytest.param(INFO, "statuses: [ASSOCIATED, off]", "statuses[1]: false (a YAML boolean) is not a status; quote it in YAML", id="status off"),
    pytest.param(SUBS_INFO, "usernames: [12:30]", "usernames[0]: 750 (a YAML number) is not a user name", id="subscriptions 12:30"),
    pytest.param(SUBS_INFO, "usernames: [leaver0001, 0x10]", "usernames[1]: 16 (a YAML number) is not a user name", id="subscriptions 0x10"),
    pytest.param(SUBS_INFO, "statuses: [SUBSCRIBED, '']", "statuses[1]: a non-empty status is required, got ''", id="subscriptions blank status"),
]


@pytest.mark.parametrize("name,needle", case_ids("filter", FILTERS_NOT_STRINGS))
def test_info_modules_refuse_filters_that_are_not_strings_before_any_api_call(refused, name, needle):
    """Ansible would make the names True, 83, None, 750 and 16 of them, and list the records of the users so named."""
    result = refused["results"][name]
    assert result.get("failed") is True, result
    assert needle in result["msg"], result["msg"]
    assert refused["log"] == []


# ------------------------------------------------------------------ 2. identifiers are checked whole

TRAILING_NEWLINES = [
    pytest.param(MODULE, dict(username="leaver0001", instance_id=I1 + "\n"), f"instance_id: '{I1}\\n' is not a valid EC2 instance ID", id="instance id"),
    pytest.param(MODULE, dict(username="leaver0001", instance_id=I1, directory_id=DIRECTORY + "\n"),
                 f"directory_id: '{DIRECTORY}\\n' is not a valid directory ID", id="directory id"),
    pytest.param(MODULE, dict(instance_user_arn=ARN + "\n"), f"instance_user_arn: '{ARN}\\n' is not a valid ARN", id="ARN"),
    pytest.param(SUBS, dict(username="leaver0001", product="OFFICE_PROFESSIONAL_PLUS\n"),
                 "product: 'OFFICE_PROFESSIONAL_PLUS\\n' is not a valid product name", id="product"),
    pytest.param(SUBS, dict(username="leaver0001", product="OFFICE PROFESSIONAL PLUS"),
                 "product: 'OFFICE PROFESSIONAL PLUS' is not a valid product name", id="product with spaces"),
    pytest.param(MODULE, dict(username="leaver0001", instance_id=I1, domain=DOMAIN + "\n"),
                 f"domain: '{DOMAIN}\\n' contains control characters", id="domain"),
    pytest.param(MODULE, dict(users=[dict(username="leaver0001", instance_id=instance_id(1)), dict(username="leaver0002", instance_id=I1 + "\n")]),
                 f"users[1].instance_id: '{I1}\\n' is not a valid EC2 instance ID", id="instance id in an item"),
]


@pytest.mark.parametrize("name,needle", case_ids("identifier", TRAILING_NEWLINES))
def test_identifiers_with_a_trailing_newline_are_refused_before_any_api_call(refused, name, needle):
    result = refused["results"][name]
    assert result.get("failed") is True, result
    assert needle in result["msg"], result["msg"]
    assert refused["log"] == [] and untouched(refused["state"])


def test_role_refuses_an_instance_id_with_a_trailing_newline_instead_of_reporting_not_found(world, ansible_factory):
    run = offboard_with_vars_text(ansible_factory(world), f'offboard_usernames: [leaver0001]\noffboard_instance_ids: ["{I1}\\n"]\n')
    assert run.rc != 0
    assert "Not well formed, nothing was done" in run.last["msg"] and I1 in run.last["msg"], run.last["msg"]
    assert world.log == [] and untouched(world)


@pytest.mark.parametrize("line", ['offboard_products: ["OFFICE_PROFESSIONAL_PLUS\\n"]', 'offboard_products: ["OFFICE STANDARD"]',
                                  'offboard_directory_id: "d-1234567890\\n"'])
def test_role_refuses_a_malformed_product_or_directory_before_any_api_call(world, ansible_factory, line):
    # Checked by the product module alone, a bad product would be refused only after the disassociations.
    run = offboard_with_vars_text(ansible_factory(world), f"offboard_usernames: [leaver0001]\n{line}\n")
    assert run.rc != 0 and "Not well formed, nothing was done" in run.last["msg"], run.last["msg"]
    assert world.log == [] and untouched(world)


# ------------------------------------------------------------------ 3. the report file

def offboard_report_to(ansible, path, check=False, usernames=("leaver0001",)):
    text = f"offboard_usernames: {json.dumps(list(usernames))}\noffboard_report_path: {json.dumps(str(path))}\n"
    return offboard_with_vars_text(ansible, text, check=check)


def snapshot(path):
    """What a test must find unchanged at ``path``: the kind of file, mode, owner, inode, content (links are not followed)."""
    st = os.lstat(path)
    content = os.readlink(path) if stat.S_ISLNK(st.st_mode) else sorted(os.listdir(path)) if stat.S_ISDIR(st.st_mode) else path.read_bytes()
    return stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode), st.st_uid, st.st_ino, content


@pytest.mark.parametrize("check", [True, False], ids=["check mode", "real run"])
@pytest.mark.parametrize("target_kind", ["file", "directory"])
def test_a_symlink_at_the_report_path_is_refused_before_any_api_call_and_never_followed(world, ansible_factory, tmp_path, check, target_kind):
    target = tmp_path / "precious"
    if target_kind == "file":
        target.write_text("precious\n", encoding="utf-8")
        target.chmod(0o644)
    else:
        target.mkdir()
        target.chmod(0o755)
    link = tmp_path / "report.json"
    link.symlink_to(target)
    before = snapshot(target), snapshot(link)
    run = offboard_report_to(ansible_factory(world), link, check=check)
    assert run.rc != 0
    assert f"offboard_report_path: '{link}' is a symbolic link; refusing to write through it" in run.last["msg"], run.last["msg"]
    assert (snapshot(target), snapshot(link)) == before  # mode, content and (for a directory) entries unchanged
    assert world.log == [] and untouched(world)


@pytest.mark.parametrize("dir_mode", [0o755, 0o700])
def test_a_directory_at_the_report_path_is_refused_before_any_api_call_and_keeps_its_mode(world, ansible_factory, tmp_path, dir_mode):
    folder = tmp_path / "report.json"
    folder.mkdir()
    (folder / "keep.txt").write_text("x", encoding="utf-8")
    folder.chmod(dir_mode)
    before = snapshot(folder)
    run = offboard_report_to(ansible_factory(world), folder)
    assert run.rc != 0
    assert f"offboard_report_path: '{folder}' is a directory; give the path of a file" in run.last["msg"], run.last["msg"]
    assert snapshot(folder) == before
    assert world.log == [] and untouched(world)


@pytest.mark.skipif(os.geteuid() != 0, reason="making a file of another user needs root")
def test_a_report_file_of_another_user_is_never_reused(world, ansible_factory, tmp_path):
    planted = tmp_path / "report.json"  # as someone else could pre-create it in a shared /tmp
    planted.write_text("planted\n", encoding="utf-8")
    planted.chmod(0o666)
    os.chown(planted, 65534, 65534)
    before = snapshot(planted)
    run = offboard_report_to(ansible_factory(world), planted)
    assert run.rc != 0
    assert f"offboard_report_path: '{planted}' exists and belongs to uid 65534, not to the running user" in run.last["msg"], run.last["msg"]
    assert snapshot(planted) == before
    assert world.log == [] and untouched(world)


def test_a_missing_report_directory_stops_the_run_before_any_api_call(world, ansible_factory, tmp_path):
    path = tmp_path / "no-such-dir" / "report.json"
    run = offboard_report_to(ansible_factory(world), path)
    assert run.rc != 0 and "offboard_report_path" in run.last["msg"] and "does not exist" in run.last["msg"]
    assert world.log == [] and untouched(world)


def test_an_existing_report_is_replaced_by_a_new_whole_file_not_rewritten_in_place(world, ansible_factory, tmp_path):
    path = tmp_path / "report.json"
    path.write_text("old report\n", encoding="utf-8")
    path.chmod(0o644)
    other_name = tmp_path / "other-name.json"  # a hard link: rewriting the file in place would change this one too
    os.link(path, other_name)
    old_inode = os.lstat(path).st_ino
    ansible = ansible_factory(world)
    run = offboard_report_to(ansible, path)
    assert run.rc == 0, run.stdout[-3000:]
    report = json.loads(path.read_text(encoding="utf-8"))
    assert report["counts"]["disassociated"] == 1
    assert stat.S_IMODE(os.lstat(path).st_mode) == 0o600 and os.lstat(path).st_ino != old_inode
    assert other_name.read_text(encoding="utf-8") == "old report\n" and stat.S_IMODE(os.lstat(other_name).st_mode) == 0o644
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".json") or p.name.startswith(".")) == ["other-name.json", "report.json"]
    # A rerun that changes nothing in AWS reports no change, though the report file is written again.
    world.clear_log()
    again = offboard_report_to(ansible, path)
    assert again.rc == 0 and world.calls(write=True) == []
    assert not any(r.get("changed") for r in again.results()), [r for r in again.results() if r.get("changed")]
    assert json.loads(path.read_text(encoding="utf-8"))["counts"]["already_absent"] == 2  # the association and the subscription


def test_a_dry_run_writes_its_report_through_the_same_writer(world, ansible_factory, tmp_path):
    path = tmp_path / "dry-run.json"
    run = offboard_report_to(ansible_factory(world), path, check=True)
    assert run.rc == 0, run.stdout[-3000:]
    assert json.loads(path.read_text(encoding="utf-8"))["dry_run"] is True
    assert stat.S_IMODE(os.lstat(path).st_mode) == 0o600
    assert world.calls(write=True) == []


FILE_WRITING_MODULES = {"copy", "template", "file", "lineinfile", "blockinfile", "replace", "assemble", "fetch", "get_url", "unarchive", "tempfile"}


def test_the_role_and_playbooks_write_files_only_through_lmus_report_file():
    """Every file the collection writes goes through one tested writer (plugins/module_utils/files.py)."""
    used = set()
    for path in list((ROOT / "roles").rglob("*.yml")) + list((ROOT / "playbooks").rglob("*.yml")):
        for task in tasks_in(yaml.safe_load(path.read_text(encoding="utf-8"))):
            used.update((path.relative_to(ROOT).as_posix(), key) for key in task if key.split(".")[-1] in FILE_WRITING_MODULES)
            assert "ansible.builtin.copy" not in json.dumps(task)
    assert used == set()
    assert "lmus.user_subscriptions.lmus_report_file" in (ROOT / "roles" / "offboard" / "tasks" / "report.yml").read_text(encoding="utf-8")


def tasks_in(data):
    """Every task-like mapping in a tasks file or playbook, blocks and plays included."""
    if isinstance(data, list):
        for entry in data:
            yield from tasks_in(entry)
    elif isinstance(data, dict):
        yield data
        for key in ("tasks", "pre_tasks", "post_tasks", "handlers", "block", "rescue", "always"):
            yield from tasks_in(data.get(key))
