# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""lmus_report_file through real ``ansible-playbook`` runs on localhost (no AWS, no emulator)."""

import json
import os
import stat
import subprocess

import yaml

from harness import AnsibleRun
from harness import ansible_env
from harness import bin_path

MODULE = "lmus.user_subscriptions.lmus_report_file"
LABEL = "offboard_report_path"
CONTENT = '{\n  "disassociated": [{"username": "zoë"}]\n}\n'


def run_play(workdir, tasks, check=False, module_defaults=None):
    """One play of ``tasks`` on the implicit localhost, as ``ansible-playbook`` runs it."""
    play = [dict(name="report file", hosts="localhost", gather_facts=False, tasks=tasks)]
    if module_defaults:
        play[0]["module_defaults"] = module_defaults
    runs = len(list(workdir.glob("play-*.yml")))
    path = workdir / f"play-{runs + 1}.yml"
    path.write_text(yaml.safe_dump(play, sort_keys=False, allow_unicode=True), encoding="utf-8")
    cmd = [bin_path("ansible-playbook"), str(path)] + (["--check"] if check else [])
    proc = subprocess.run(cmd, cwd=workdir, env=ansible_env(), capture_output=True, text=True, timeout=300, check=False)
    return AnsibleRun(proc)


def task(args, name="write the report", **keywords):
    return dict({"name": name, MODULE: args}, **keywords)


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_writes_the_content_exactly_with_mode_0600_then_nothing_to_do(tmp_path):
    target = tmp_path / "out" / "report.json"
    target.parent.mkdir()
    first = run_play(tmp_path, [task(dict(path=str(target), content=CONTENT, label=LABEL))])
    assert first.rc == 0, first.stdout + first.stderr
    assert first.last["changed"] is True
    assert first.last["path"] == str(target)
    assert target.read_bytes() == CONTENT.encode("utf-8")
    assert mode(target) == 0o600
    assert os.listdir(target.parent) == ["report.json"]

    again = run_play(tmp_path, [task(dict(path=str(target), content=CONTENT, label=LABEL))])
    assert again.rc == 0 and again.last["changed"] is False, again.stdout


def test_check_mode_writes_nothing_unless_told_to(tmp_path):
    dry = tmp_path / "dry.json"
    forced = tmp_path / "forced.json"
    run = run_play(tmp_path, [
        task(dict(path=str(dry), content=CONTENT), name="in check mode"),
        task(dict(path=str(forced), content=CONTENT), name="with check_mode false", check_mode=False),
    ], check=True)
    assert run.rc == 0, run.stdout + run.stderr
    assert run.task("in check mode")["changed"] is True
    assert run.task("in check mode")["path"] == str(dry)
    assert not dry.exists()
    assert forced.read_text(encoding="utf-8") == CONTENT and mode(forced) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("play-")) == ["forced.json"]


def test_symlink_at_the_path_is_refused_and_its_target_untouched(tmp_path):
    target = tmp_path / "precious.txt"
    target.write_text("precious\n", encoding="utf-8")
    target.chmod(0o644)
    link = tmp_path / "report.json"
    link.symlink_to(target)
    run = run_play(tmp_path, [task(dict(path=str(link), content=CONTENT, label=LABEL))])
    assert run.rc != 0
    result = run.last
    assert result["failed"] is True
    assert result["msg"].startswith(f"{LABEL}: '{link}' is a symbolic link"), result["msg"]
    assert target.read_text(encoding="utf-8") == "precious\n"
    assert mode(target) == 0o644
    assert os.readlink(link) == str(target)


def test_checked_state_on_a_missing_parent_fails_naming_the_label(tmp_path):
    missing = tmp_path / "no-such-dir" / "report.json"
    run = run_play(tmp_path, [task(dict(path=str(missing), state="checked", label=LABEL), name="check the report path")])
    assert run.rc != 0
    result = run.task("check the report path")
    assert result["failed"] is True
    assert result["msg"] == f"{LABEL}: '{missing}': parent directory '{missing.parent}' does not exist", result["msg"]
    assert not missing.parent.exists()


def test_checked_state_passes_and_writes_nothing(tmp_path):
    run = run_play(tmp_path, [task(dict(path=str(tmp_path / "report.json"), state="checked"))])
    assert run.rc == 0, run.stdout
    assert run.last["changed"] is False and run.last["path"] == str(tmp_path / "report.json")
    assert not (tmp_path / "report.json").exists()


def test_directory_mode_writes_a_new_file_each_run(tmp_path):
    reports = tmp_path / "reports"
    reports.mkdir()
    args = dict(directory=str(reports), prefix="offboard", suffix="-dry-run.json", content=CONTENT)
    first = run_play(tmp_path, [task(args)])
    second = run_play(tmp_path, [task(args)])
    assert first.rc == 0 and second.rc == 0, first.stdout + second.stdout
    paths = [first.last["path"], second.last["path"]]
    assert paths[0] != paths[1]
    assert sorted(os.listdir(reports)) == sorted(os.path.basename(p) for p in paths)
    for path in paths:
        assert os.path.dirname(path) == str(reports)
        name = os.path.basename(path)
        assert name.startswith("offboard-") and name.endswith("-dry-run.json"), name
        assert mode(path) == 0o600
        with open(path, encoding="utf-8") as f:
            assert f.read() == CONTENT


def test_module_defaults_of_the_lmus_group_do_not_reach_it(tmp_path):
    """The module is not in the lmus action group, so AWS defaults set for the group cannot break it."""
    target = tmp_path / "report.json"
    run = run_play(tmp_path, [task(dict(path=str(target), content=CONTENT))],
                   module_defaults={"group/lmus.user_subscriptions.lmus": {"endpoint_url": "http://127.0.0.1:9", "region": "us-east-1"}})
    assert run.rc == 0, run.stdout + run.stderr
    assert target.read_text(encoding="utf-8") == CONTENT


def test_returned_keys_are_the_documented_ones(tmp_path):
    proc = subprocess.run([bin_path("ansible-doc"), "--json", "-t", "module", MODULE], env=ansible_env(), capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    documented = set(json.loads(proc.stdout)[MODULE]["return"])
    run = run_play(tmp_path, [
        task(dict(path=str(tmp_path / "a.json"), content="x"), name="path"),
        task(dict(directory=str(tmp_path), content="x"), name="directory"),
        task(dict(path=str(tmp_path / "a.json"), state="checked"), name="checked"),
        task(dict(path=str(tmp_path / "missing" / "a.json"), content="x"), name="failed", ignore_errors=True),
    ])
    assert run.rc == 0, run.stdout
    ansible_keys = {"action", "exception", "invocation", "failed", "_ansible_no_log", "warnings", "deprecations"}
    for name in ("path", "directory", "checked", "failed"):
        result = run.task(name)
        assert set(result) - ansible_keys == documented, (name, result)


def test_absent_removes_a_file_of_ours_never_a_link_and_check_mode_removes_nothing(tmp_path):
    target = tmp_path / "profiles.ini"
    target.write_text("[profile x]\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_text("keep\n")
    (tmp_path / "link").symlink_to(elsewhere)
    dry = run_play(tmp_path, [task(dict(path=str(target), state="absent"), name="remove")], check=True)
    assert dry.rc == 0 and dry.last["changed"] is True and target.exists(), dry.stdout
    real = run_play(tmp_path, [task(dict(path=str(target), state="absent"), name="remove"),
                               task(dict(path=str(target), state="absent"), name="again")])
    assert real.rc == 0, real.stdout
    assert [r["changed"] for r in real.results()] == [True, False] and not target.exists()
    refused = run_play(tmp_path, [task(dict(path=str(tmp_path / "link"), state="absent"), name="link")])
    assert refused.rc != 0 and "is a symbolic link; refusing to remove or follow it" in refused.last["msg"]
    assert (tmp_path / "link").is_symlink() and elsewhere.read_text() == "keep\n"
    wrong = run_play(tmp_path, [task(dict(directory=str(tmp_path), state="absent"), name="directory")])
    assert wrong.rc != 0 and "directory is not allowed" in wrong.last["msg"]
