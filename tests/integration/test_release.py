# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Release checks: what a user installs and reads must match what the code does.

- every module's ansible-doc JSON has DOCUMENTATION, EXAMPLES and RETURN; the examples are valid
  tasks for the documented options and pass ansible-lint (production profile, offline), together
  with the playbooks in docs/;
- the keys each module returns against the emulator are the documented ones;
- the IAM policy in docs/ lists exactly the operations the code calls (read from the source, and
  seen in the emulator's request log during an offboarding run);
- the built tarball installs with --no-deps beside a copy of amazon.aws and its modules run;
- the changelog, the execution environment definition and the docs' links and snippets hold.

Each test uses its own emulator and temporary directory, so they run in any order and in
parallel (pytest-xdist).
"""

import ast
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tarfile
import textwrap
from pathlib import Path

import pytest
import yaml

from harness import words
from harness import ansible_env as harness_env
from harness import bin_path

# The vocabularies differ in the emulator's status words, which these tests do not turn on: one is enough here
# (test_service_fidelity.py, test_wherever_found.py and test_product_subscription.py run under each).
VOCABULARIES = ("aws",)

ROOT = Path(__file__).resolve().parents[2]
COLLECTION = "lmus.user_subscriptions"
NAMESPACE, NAME = COLLECTION.split(".")
SERVICE = "license-manager-user-subscriptions"
TREE = Path(os.environ.get("ANSIBLE_COLLECTIONS_PATH", "").split(os.pathsep)[0] or ROOT / ".build" / "collections")
AMAZON_AWS = TREE / "ansible_collections" / "amazon" / "aws"
DOCS = ROOT / "docs"
MODULES = sorted(p.stem for p in (ROOT / "plugins" / "modules").glob("*.py") if p.stem != "__init__")

DIRECTORY = "d-1234567890"
DOMAIN = "corp.example.com"

# Keys that amazon.aws's fail_json adds to a failed result.
AMAZON_AWS_FAILURE_KEYS = {"boto3_version", "botocore_version", "error", "response_metadata"}
# Keys of a task result that Ansible (or its callbacks) adds, not the module's RETURN.
ANSIBLE_RESULT_KEYS = {
    "_ansible_no_log", "_ansible_verbose_always", "_ansible_verbose_override", "action", "ansible_facts",
    "attempts", "changed", "deprecations", "diff", "exception", "failed", "failed_when_result", "invocation",
    "item", "ansible_loop_var", "module_stderr", "module_stdout", "msg", "rc", "skip_reason", "skipped", "warnings",
}
TASK_KEYWORDS = {
    "name", "register", "check_mode", "diff", "when", "loop", "loop_control", "vars", "tags", "become", "ignore_errors",
    "changed_when", "failed_when", "notify", "environment", "delegate_to", "no_log", "until", "retries", "delay",
    "module_defaults", "args", "run_once",
}


def iid(n):
    return f"i-{n:017x}"


def ansible_env(**extra):
    """An operator's environment (see harness.ansible_env) using the build tree's collections."""
    return harness_env(**dict({"ANSIBLE_COLLECTIONS_PATH": str(TREE)}, **extra))


def run(cmd, env=None, cwd=None, timeout=300):
    return subprocess.run(cmd, env=env or ansible_env(), cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)


def play_results(proc):
    """Results by task name from the json callback's output."""
    try:
        report = json.loads(proc.stdout)
    except ValueError:
        raise AssertionError(f"no JSON from ansible (rc={proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    results = {}
    for play in report["plays"]:
        for task in play["tasks"]:
            if "localhost" in task["hosts"]:
                results[task["task"]["name"]] = task["hosts"]["localhost"]
    return report, results


def markdown_blocks(path, language):
    """The fenced code blocks of one language in a Markdown file."""
    text = Path(path).read_text(encoding="utf-8")
    return [m.group(1) for m in re.finditer(rf"^```{language}\n(.*?)^```$", text, re.S | re.M)]


def role_readmes():
    return sorted((ROOT / "roles").glob("*/README.md"))


def doc_pages():
    return sorted(DOCS.rglob("*.md")) + [ROOT / "README.md"] + role_readmes()


# ---------------------------------------------------------------- ansible-doc

@pytest.fixture(scope="module")
def module_docs():
    proc = run([bin_path("ansible-doc"), "--json", "-t", "module"] + [f"{COLLECTION}.{m}" for m in MODULES])
    assert proc.returncode == 0, proc.stderr
    return {name.split(".")[-1]: data for name, data in json.loads(proc.stdout).items()}


def test_there_are_modules():
    assert {"lmus_instance_user", "lmus_instance_user_info", "lmus_product_subscription", "lmus_product_subscription_info"} <= set(MODULES)


@pytest.mark.parametrize("module", MODULES)
def test_ansible_doc_json_has_documentation_examples_and_return(module_docs, module):
    data = module_docs[module]
    doc = data["doc"]
    assert doc["module"] == module
    for key in ("short_description", "description", "options", "author", "version_added"):
        assert doc.get(key), f"{module}: DOCUMENTATION has no {key}"
    assert isinstance(data["examples"], str) and data["examples"].strip(), f"{module}: no EXAMPLES"
    assert isinstance(data["return"], dict) and data["return"], f"{module}: no RETURN"

    def walk(values, path=""):
        for key, spec in values.items():
            for field in ("description", "returned", "type"):
                assert spec.get(field), f"{module}: RETURN {path}{key} has no {field}"
            walk(spec.get("contains") or {}, f"{path}{key}.")

    walk(data["return"])


def _argument_spec(options):
    """An argument spec from documented options, for ArgumentSpecValidator."""
    spec = {}
    for name, option in options.items():
        entry = {"type": option.get("type", "str")}
        for key in ("elements", "choices", "aliases", "required"):
            if option.get(key) is not None:
                entry[key] = list(option[key]) if key == "choices" else option[key]
        if option.get("suboptions"):
            entry["options"] = _argument_spec(option["suboptions"])
        spec[name] = entry
    return spec


def _module_of(task):
    actions = [key for key in task if key not in TASK_KEYWORDS]
    assert len(actions) == 1, f"cannot tell the module of task {task.get('name')!r}: {actions}"
    return actions[0]


@pytest.mark.parametrize("module", MODULES)
def test_examples_are_named_tasks_with_documented_options(module_docs, module):
    from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

    data = module_docs[module]
    tasks = yaml.safe_load(data["examples"])
    assert isinstance(tasks, list) and tasks, f"{module}: EXAMPLES is not a list of tasks"
    validator = ArgumentSpecValidator(_argument_spec(data["doc"]["options"]))
    fqcn = f"{COLLECTION}.{module}"
    used = 0
    for task in tasks:
        assert task.get("name"), f"{module}: an example task has no name: {task}"
        action = _module_of(task)
        assert "." in action, f"{module}: example {task['name']!r} does not use a FQCN ({action})"
        if action != fqcn:
            continue
        used += 1
        args = dict(task[action] or {})
        templated = [k for k, v in args.items() if isinstance(v, str) and "{{" in v]
        for key in templated:  # a template's value is only known at run time; its name must still be an option
            assert key in validator.argument_spec or any(key in (s.get("aliases") or []) for s in validator.argument_spec.values()), key
            del args[key]
        result = validator.validate(args)
        assert not result.error_messages, f"{module}: example {task['name']!r}: {result.error_messages}"
    assert used, f"{module}: no example uses {fqcn}"


def _lint_playbooks(module_docs):
    """Playbooks to lint: each module's EXAMPLES in a play, and every playbook in docs/."""
    books = {}
    for module in MODULES:
        examples = module_docs[module]["examples"].strip("\n")
        books[f"examples_{module}.yml"] = (
            f"---\n- name: Examples of {COLLECTION}.{module}\n  hosts: localhost\n  gather_facts: false\n  tasks:\n"
            + textwrap.indent(examples + "\n", "    ")
        )
    for page in sorted(DOCS.glob("*.md")) + role_readmes():
        prefix = f"role_{page.parent.name}" if page.parent.parent.name == "roles" else f"docs_{page.stem}"
        for n, block in enumerate(markdown_blocks(page, "yaml")):
            data = yaml.safe_load(block)
            if isinstance(data, list) and data and all(isinstance(p, dict) and ("hosts" in p or "ansible.builtin.import_playbook" in p) for p in data):
                books[f"{prefix}_{n}.yml"] = block
    return books


def test_examples_and_docs_playbooks_pass_ansible_lint(module_docs, tmp_path):
    books = _lint_playbooks(module_docs)
    assert len(books) > len(MODULES), "no playbook found in docs/"
    for name, text in books.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    (tmp_path / ".ansible-lint").write_text("profile: production\noffline: true\n", encoding="utf-8")
    env = ansible_env(ANSIBLE_STDOUT_CALLBACK=None, HOME=os.environ.get("HOME", str(tmp_path)))
    proc = run([bin_path("ansible-lint"), "--nocolor", "-c", str(tmp_path / ".ansible-lint"), "--project-dir", str(tmp_path)] + sorted(books),
               env=env, cwd=tmp_path)
    assert proc.returncode == 0, f"ansible-lint:\n{proc.stdout}\n{proc.stderr}"
    assert f"{len(books)} files processed" in proc.stdout + proc.stderr, proc.stdout + proc.stderr


# ---------------------------------------------------------------- RETURN against real results

OTHER_DIRECTORY = "d-abcdef0123"
DENIED_INSTANCE = iid(9)


def _return_world():
    return dict(
        identity_providers=[dict(directory_id=DIRECTORY, product="OFFICE_PROFESSIONAL_PLUS"),
                            dict(directory_id=OTHER_DIRECTORY, product="OFFICE_PROFESSIONAL_PLUS")],
        instances=[dict(instance_id=iid(n), directory_id=DIRECTORY, products=["OFFICE_PROFESSIONAL_PLUS"]) for n in (1, 2)]
        + [dict(instance_id=DENIED_INSTANCE, directory_id=DIRECTORY, products=["OFFICE_PROFESSIONAL_PLUS"])],
        associations=[dict(instance_id=iid(1), username="alice", domain=DOMAIN), dict(instance_id=DENIED_INSTANCE, username="alice", domain=DOMAIN)],
        product_subscriptions=[dict(username="alice", product="OFFICE_PROFESSIONAL_PLUS", directory_id=DIRECTORY, domain=DOMAIN),
                               dict(username="alice", product="OFFICE_PROFESSIONAL_PLUS", directory_id=OTHER_DIRECTORY, domain=DOMAIN)],
    )


def _return_tasks():
    """(task name, module, args, expect failure): each module once in each of its modes."""
    return [
        # First ListProductSubscriptions call of the run: it is denied (fail_next), so failures has an entry.
        ("subscriptions info, one provider denied", "lmus_product_subscription_info", dict(), True),
        ("subscriptions info", "lmus_product_subscription_info", dict(usernames=["alice"]), False),
        ("instance users info, one instance denied", "lmus_instance_user_info", dict(), True),
        ("instance users info", "lmus_instance_user_info", dict(instance_ids=[iid(1), iid(2)], directory_id=DIRECTORY), False),
        ("associate one user", "lmus_instance_user", dict(username="bob", domain=DOMAIN, instance_id=iid(2), directory_id=DIRECTORY), False),
        ("disassociate one user, looked for", "lmus_instance_user", dict(state="absent", username="bob", instance_id=iid(2)), False),
        ("disassociate in batch", "lmus_instance_user", dict(
            state="absent", directory_id=DIRECTORY,
            users=[dict(username="alice", domain=DOMAIN, instance_id=iid(1)), dict(username="carol", instance_id=iid(2))]), False),
        ("subscribe one user", "lmus_product_subscription",
         dict(username="bob", domain=DOMAIN, product="OFFICE_PROFESSIONAL_PLUS", directory_id=DIRECTORY), False),
        ("unsubscribe one user, looked for", "lmus_product_subscription", dict(state="absent", username="bob", product="OFFICE_PROFESSIONAL_PLUS"), False),
        ("unsubscribe in batch", "lmus_product_subscription", dict(
            state="absent", directory_id=DIRECTORY,
            users=[dict(username="alice", domain=DOMAIN, product="OFFICE_PROFESSIONAL_PLUS"),
                   dict(username="carol", product="OFFICE_PROFESSIONAL_PLUS")]), False),
        ("write a report file", "lmus_report_file", dict(path="report.json", content="{}\n"), False),
        # After the removals above: alice's removed records are listed with include_removed.
        ("inventory, one instance denied", "lmus_user_inventory_info", dict(include_removed=True), True),
        ("inventory of one directory", "lmus_user_inventory_info", dict(directory_id=OTHER_DIRECTORY), False),
    ]


def _check_keys(module, returned, documented, where, problems):
    """Observed keys must be documented; documented ``returned: always`` keys must be observed."""
    for key in sorted(set(returned) - set(documented)):
        problems.append(f"{module}: {where}{key} is returned but not documented in RETURN")
    for key, spec in documented.items():
        if spec.get("returned") == "always" and key not in returned:
            problems.append(f"{module}: {where}{key} is documented as returned always but is missing")
    for key, value in returned.items():
        contains = (documented.get(key) or {}).get("contains")
        if not contains:
            continue
        if isinstance(value, dict) and value:
            _check_keys(module, value, contains, f"{where}{key}.", problems)
        elif isinstance(value, list):
            for element in value:
                if isinstance(element, dict):
                    _check_keys(module, element, contains, f"{where}{key}[].", problems)


def test_returned_keys_are_the_documented_ones(module_docs, lmus_emulator_factory, tmp_path):
    # Every module once, in any order: AWS's rule against stopping a subscription of an associated user is off here.
    emulator = lmus_emulator_factory(seed=_return_world(), rules={"refuse_stop_while_associated": False})
    emulator.set_faults({
        "access_denied_instances": [DENIED_INSTANCE],
        "fail_next": [{"operation": "ListProductSubscriptions", "error": "AccessDeniedException", "count": 1}],
    })
    tasks = _return_tasks()
    play = [dict(
        name="Every module once", hosts="localhost", gather_facts=False,
        module_defaults={f"group/{COLLECTION}.lmus": {"endpoint_url": emulator.url}},
        tasks=[dict({"name": name, f"{COLLECTION}.{module}": args}, **({"ignore_errors": True} if fails else {})) for name, module, args, fails in tasks],
    )]
    path = tmp_path / "every-module.yml"
    path.write_text(yaml.safe_dump(play, sort_keys=False), encoding="utf-8")
    proc = run([bin_path("ansible-playbook"), str(path), "--diff"], cwd=tmp_path)
    _report, results = play_results(proc)
    assert proc.returncode == 0, proc.stdout[-4000:]

    problems = []
    seen = {module: set() for module in MODULES}
    for name, module, _args, fails in tasks:
        result = results[name]
        assert bool(result.get("failed")) == fails, f"{name}: {json.dumps(result)[:2000]}"
        documented = module_docs[module]["return"]
        exempt = ANSIBLE_RESULT_KEYS | (AMAZON_AWS_FAILURE_KEYS if fails else set())
        own = {k: v for k, v in result.items() if k not in exempt or k in documented}
        seen[module] |= set(own)
        _check_keys(module, own, documented, "", problems)
        if fails:
            assert result.get("failures"), f"{name}: no failures reported"
    for module, keys in seen.items():
        never = set(module_docs[module]["return"]) - keys
        if keys and never:
            problems.append(f"{module}: documented in RETURN but never returned in these runs: {sorted(never)}")
    assert not problems, "\n".join(problems)
    assert {module for module, keys in seen.items() if keys} == set(MODULES), "a module was not exercised"


# ---------------------------------------------------------------- IAM policy

PRESENT_ONLY = {"AssociateUser", "StartProductSubscription"}  # state=present writes; the offboard role never makes them
TAG_ON_CREATE = {"TagResource"}  # authorised with AssociateUser / StartProductSubscription requests that carry tags


def _service_operations():
    import botocore.session
    from botocore import xform_name

    model = botocore.session.get_session().get_service_model(SERVICE)
    return {xform_name(op): op for op in model.operation_names}


def _is_client(node):
    return (isinstance(node, ast.Name) and node.id == "client") or (isinstance(node, ast.Attribute) and node.attr == "client")


def code_operations():
    """{snake_name: [file:line, ...]} for every boto3 call in plugins/.

    Two shapes are recognised: ``client.<operation>`` (called, or handed to a retry or error
    decorator) and a helper that takes the client and the operation's name as its first two
    arguments, as ``list_all(client, "<operation>", ...)`` does. ``client.get_paginator("<op>")``
    is read too, and so are the ``*_call`` fields of the table of facts (``Resource(list_call="<op>", ...)``).
    """
    found = {}
    for path in sorted((ROOT / "plugins").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            name = None
            if isinstance(node, ast.Attribute) and _is_client(node.value):
                name = node.attr
            elif isinstance(node, ast.Call) and len(node.args) >= 2 and _is_client(node.args[0]) \
                    and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str):
                name = node.args[1].value
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get_paginator" \
                    and _is_client(node.func.value) and node.args and isinstance(node.args[0], ast.Constant):
                name = node.args[0].value
            elif isinstance(node, ast.keyword) and (node.arg or "").endswith("_call") and isinstance(node.value, ast.Constant):
                name = node.value.value
            if name and name not in ("get_paginator", "can_paginate", "meta", "exceptions", "close"):
                found.setdefault(name, []).append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def policy_actions(path):
    document = json.loads(Path(path).read_text(encoding="utf-8"))
    assert document["Version"] == "2012-10-17"
    actions = []
    for statement in document["Statement"]:
        assert statement["Effect"] == "Allow" and statement["Resource"] == "*", statement
        actions += statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
    assert len(actions) == len(set(actions)), f"{path}: an action is listed twice"
    prefixes = {a.split(":", 1)[0] for a in actions}
    assert prefixes == {SERVICE}, f"{path}: actions of other services: {prefixes}"
    return {a.split(":", 1)[1] for a in actions}


def test_iam_policy_lists_exactly_the_operations_the_code_calls():
    operations = _service_operations()
    calls = code_operations()
    unknown = {name: where for name, where in calls.items() if name not in operations}
    assert not unknown, f"calls on the client that are not {SERVICE} operations: {unknown}"
    called = {operations[name] for name in calls}
    assert {"ListUserAssociations", "DisassociateUser", "ListProductSubscriptions", "StopProductSubscription"} <= called, called

    assert policy_actions(DOCS / "iam-policy-all-modules.json") == called | TAG_ON_CREATE
    assert PRESENT_ONLY <= called
    assert policy_actions(DOCS / "iam-policy.json") == called - PRESENT_ONLY


def test_offboard_role_only_removes():
    """Why the role's policy may leave out the state=present operations."""
    writers = {"lmus_instance_user", "lmus_product_subscription"}
    checked = 0
    for path in sorted((ROOT / "roles").glob("*/tasks/*.yml")):
        for task in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            for key, args in task.items():
                if key.split(".")[-1] in writers:
                    assert isinstance(args, dict) and args.get("state") == "absent", f"{path.name}: {task.get('name')} does not use state: absent"
                    checked += 1
    assert checked >= 2


def test_iam_page_shows_the_policy_files():
    blocks = [json.loads(b) for b in markdown_blocks(DOCS / "iam.md", "json")]
    files = [json.loads((DOCS / name).read_text(encoding="utf-8")) for name in ("iam-policy.json", "iam-policy-all-modules.json")]
    assert blocks == files


def _survey():
    """The offboarding survey docs/awx.md shows (the page also shows the monthly licence review's)."""
    [spec] = [json.loads(b) for b in markdown_blocks(DOCS / "awx.md", "json") if '"spec"' in b and '"offboard_usernames"' in b]
    return spec


def test_awx_survey_asks_for_role_variables():
    specs = yaml.safe_load((ROOT / "roles" / "offboard" / "meta" / "argument_specs.yml").read_text(encoding="utf-8"))
    options = specs["argument_specs"]["main"]["options"]
    playbook_vars = {"offboard_region"}  # read by playbooks/offboard.yml itself
    assert "offboard_region" in (ROOT / "playbooks" / "offboard.yml").read_text(encoding="utf-8")
    survey = _survey()
    variables = [q["variable"] for q in survey["spec"]]
    assert len(variables) == len(set(variables))
    assert {name for name, o in options.items() if o.get("required")} <= set(variables)
    for question in survey["spec"]:
        assert question["variable"] in options or question["variable"] in playbook_vars, question["variable"]
        option = options.get(question["variable"], {"type": "str"})
        compatible = {"list": {"textarea", "multiselect"}, "bool": {"multiplechoice"}, "str": {"text", "textarea", "multiplechoice"},
                      "int": {"integer"}}[option["type"]]
        assert question["type"] in compatible, (question["variable"], question["type"])
        if question["type"] in ("multiplechoice", "multiselect"):
            choices = question["choices"].split("\n") if isinstance(question["choices"], str) else question["choices"]
            if option["type"] == "bool":
                assert sorted(choices) == ["false", "true"]
            if question.get("default"):
                assert all(d in choices for d in str(question["default"]).split("\n"))


def _offboard_world():
    return dict(
        identity_providers=[dict(directory_id=DIRECTORY, product="OFFICE_PROFESSIONAL_PLUS")],
        instances=[dict(instance_id=iid(n), directory_id=DIRECTORY, products=["OFFICE_PROFESSIONAL_PLUS"]) for n in (1, 2, 3)],
        associations=[
            dict(instance_id=iid(1), username="jdoe", domain=DOMAIN),
            dict(instance_id=iid(2), username="jdoe", domain=DOMAIN),
            dict(instance_id=iid(3), username="jdoe", domain=DOMAIN, status="DISASSOCIATED"),
            dict(instance_id=iid(1), username="asmith", domain=DOMAIN),
            dict(instance_id=iid(2), username="staying", domain=DOMAIN),
        ],
        product_subscriptions=[
            dict(username="jdoe", product="OFFICE_PROFESSIONAL_PLUS", directory_id=DIRECTORY, domain=DOMAIN),
            dict(username="staying", product="OFFICE_PROFESSIONAL_PLUS", directory_id=DIRECTORY, domain=DOMAIN),
        ],
    )


def _live(emulator):
    state = emulator.state_dump()
    return (sorted((a["username"], a["instance_id"]) for a in state["associations"] if a["status"] == "ASSOCIATED"),
            sorted((s["username"], s["product"]) for s in state["product_subscriptions"] if s["status"] == words(emulator)["subscribed"]))


def test_awx_style_offboarding_uses_only_the_policy_and_the_runbook_undo_restores(lmus_emulator_factory, tmp_path):
    """The job as AWX launches it (survey answers, AWS credential env, no AWS_REGION), then the runbook's undo."""
    emulator = lmus_emulator_factory(seed=_offboard_world())
    before = _live(emulator)
    report_path = tmp_path / "report.json"
    answers = {q["variable"]: q["default"] for q in _survey()["spec"] if q.get("default") not in (None, "")}
    answers.update(offboard_usernames="jdoe\nasmith, nobody\n", offboard_report_path=str(report_path), offboard_endpoint_url=emulator.url)
    extra_vars = tmp_path / "extra_vars.json"
    extra_vars.write_text(json.dumps(answers), encoding="utf-8")
    # What AWX's "Amazon Web Services" credential sets, with an STS token; it sets no region.
    env = ansible_env(AWS_REGION=None, AWS_SECURITY_TOKEN="dummy-sts-token", ANSIBLE_SHOW_CUSTOM_STATS="1")
    offboard = [bin_path("ansible-playbook"), f"{COLLECTION}.offboard", "-e", f"@{extra_vars}"]

    dry = run(offboard + ["--check"], env=env, cwd=tmp_path)
    dry_report = play_results(dry)[0]
    assert dry.returncode == 0, dry.stdout[-4000:]
    assert emulator.calls(write=True) == [] and _live(emulator) == before
    real = run(offboard, env=env, cwd=tmp_path)
    real_report = play_results(real)[0]
    assert real.returncode == 0, real.stdout[-4000:]

    operations = {entry["operation"] for entry in emulator.log}
    assert operations == policy_actions(DOCS / "iam-policy.json"), "the offboarding run called other operations than iam-policy.json lists"
    assert all(entry["error"] is None for entry in emulator.log)

    artifact = real_report["global_custom_stats"]["offboard_published_report"]
    assert dry_report["global_custom_stats"]["offboard_published_report"]["dry_run"] is True
    assert artifact["counts"] == dict(disassociated=3, unsubscribed=1, already_absent=1, not_found=1, failed=0, unsettled=0,
                                      unknown_instance_ids=0, not_checked=0)
    assert artifact.pop("report_file") == str(report_path)
    assert json.loads(report_path.read_text(encoding="utf-8")) == artifact
    assert stat.S_IMODE(report_path.stat().st_mode) == 0o600
    assert _live(emulator) == ([("staying", iid(2))], [("staying", "OFFICE_PROFESSIONAL_PLUS")])

    proc = run([bin_path("ansible-playbook"), f"{COLLECTION}.undo_offboard", "-e", f"offboard_undo_report={report_path}"],
               env=ansible_env(AWS_URL=emulator.url), cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert _live(emulator) == before


# ---------------------------------------------------------------- the release artifact

def _galaxy():
    return yaml.safe_load((ROOT / "galaxy.yml").read_text(encoding="utf-8"))


NOT_RELEASED = re.compile(r"(^|/)(\.venv|\.build|tests/output|__pycache__|\.pytest_cache|\.hypothesis|\.mypy_cache|\.git|\.ansible)(/|$)|\.pyc$")


def test_built_tarball_installs_beside_amazon_aws_and_runs(lmus_emulator_factory, tmp_path):
    galaxy = _galaxy()
    dist = tmp_path / "dist"
    proc = run([bin_path("ansible-galaxy"), "collection", "build", "--force", "--output-path", str(dist), str(ROOT)], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    [tarball] = dist.glob(f"{NAMESPACE}-{NAME}-*.tar.gz")
    assert tarball.name == f"{NAMESPACE}-{NAME}-{galaxy['version']}.tar.gz"
    size = tarball.stat().st_size
    assert size < 1024 * 1024, f"{tarball.name} is {size} bytes"
    with tarfile.open(tarball) as tar:
        names = set(tar.getnames())
    assert not [n for n in names if NOT_RELEASED.search(n)], [n for n in names if NOT_RELEASED.search(n)][:20]
    assert not [n for n in names if n.startswith("examples/")], "examples/ (AWX set-up code that needs awx.awx) is in the tarball"
    for wanted in ["MANIFEST.json", "FILES.json", "README.md", "LICENSE", "meta/runtime.yml", "meta/execution-environment.yml",
                   "requirements.txt", "bindep.txt", "docs/README.md", "docs/iam-policy.json", "docs/reference/README.md",
                   "playbooks/offboard.yml", "roles/offboard/meta/argument_specs.yml", "changelogs/changelog.yaml"] \
            + [f"plugins/modules/{m}.py" for m in MODULES]:
        assert wanted in names, f"{wanted} is not in {tarball.name}"

    # Only the temporary path: not the checkout's tree (which PYTHONPATH may name), not the ansible
    # package's bundled collections. Otherwise ansible-galaxy finds 0.1.0 "already installed".
    collections = tmp_path / "collections"
    env = ansible_env(ANSIBLE_COLLECTIONS_PATH=str(collections), ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="False",
                      ANSIBLE_STDOUT_CALLBACK=None, ANSIBLE_LOAD_CALLBACK_PLUGINS=None, PYTHONPATH=None)
    proc = run([bin_path("ansible-galaxy"), "collection", "install", "--no-deps", "--offline", "-p", str(collections), str(tarball)],
               env=env, cwd=tmp_path)
    assert proc.returncode == 0 and "installed successfully" in proc.stdout, proc.stdout + proc.stderr
    shutil.copytree(AMAZON_AWS, collections / "ansible_collections" / "amazon" / "aws", symlinks=True,
                    ignore=shutil.ignore_patterns("__pycache__", "tests"))
    listing = run([bin_path("ansible-galaxy"), "collection", "list", "--format", "json"], env=env, cwd=tmp_path)
    assert listing.returncode == 0, listing.stderr
    found = {name: path for path, found_collections in json.loads(listing.stdout).items() for name in found_collections}
    found.pop("ansible._protomatter", None)  # ansible-core's own, inside the ansible package
    assert set(found) == {COLLECTION, "amazon.aws"}, found
    assert all(Path(p).resolve().is_relative_to(collections.resolve()) for p in found.values()), found

    emulator = lmus_emulator_factory(seed=dict(
        identity_providers=[dict(directory_id=DIRECTORY, product="OFFICE_PROFESSIONAL_PLUS")],
        instances=[dict(instance_id=iid(1), directory_id=DIRECTORY, products=["OFFICE_PROFESSIONAL_PLUS"])],
        associations=[dict(instance_id=iid(1), username="alice", domain=DOMAIN)],
        product_subscriptions=[],
    ))
    proc = run([bin_path("ansible"), "localhost", "-o", "-m", f"{COLLECTION}.lmus_instance_user_info", "-a", json.dumps({"usernames": ["alice"]})],
               env=dict(env, AWS_URL=emulator.url), cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    head, arrow, body = proc.stdout.partition("=>")
    assert arrow and "SUCCESS" in head, proc.stdout
    result = json.loads(body)
    assert [(u["username"], u["instance_id"]) for u in result["instance_users"]] == [("alice", iid(1))]
    assert [e["operation"] for e in emulator.log if e["operation"]] == ["ListInstances", "ListUserAssociations"]


def test_public_url_is_set_in_galaxy_yml_only():
    """Galaxy refuses a collection without `repository`; the URL is set once, in galaxy.yml (docs/releasing.md)."""
    galaxy = _galaxy()
    repository = galaxy["repository"]
    assert re.fullmatch(r"https://[^\s/]+/\S+[^/]", repository), repository
    for key in ("documentation", "issues"):
        assert galaxy[key].startswith(repository + "/"), (key, galaxy[key])
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout.decode().split("\0")
    elsewhere = [f for f in files if f and f != "galaxy.yml" and (ROOT / f).is_file()
                 and repository.encode() in (ROOT / f).read_bytes()]
    assert not elsewhere, f"{repository} is also written in {elsewhere}: set it in galaxy.yml only"


def test_roles_have_a_readme_naming_only_their_variables():
    """galaxy-importer refuses a role without README.md; the README's variables must exist."""
    roles = sorted(p.parent.parent for p in (ROOT / "roles").glob("*/meta/argument_specs.yml"))
    assert roles
    for role in roles:
        readme = role / "README.md"
        assert readme.is_file(), f"{readme.relative_to(ROOT)} is missing"
        text = readme.read_text(encoding="utf-8")
        assert f"{COLLECTION}.{role.name}" in text
        specs = yaml.safe_load((role / "meta" / "argument_specs.yml").read_text(encoding="utf-8"))["argument_specs"]
        options = {name for entry in specs.values() for name in (entry.get("options") or {})}
        # the facts the role sets, and the names it publishes to AWX
        facts = {f"{role.name}_{name}" for name in ("report", "published_report", "inventory", "published_inventory",
                                                    "fleet_report", "published_fleet_report")}
        named = set(re.findall(rf"`({role.name}_[a-z0-9_]+)`", text)) - facts
        assert named, f"{readme.relative_to(ROOT)} names no variable"
        assert named <= options, f"{readme.relative_to(ROOT)} names variables the role does not have: {sorted(named - options)}"
        required = {name for entry in specs.values() for name, spec in (entry.get("options") or {}).items() if spec.get("required")}
        assert required <= named, f"{readme.relative_to(ROOT)} does not name the required {sorted(required - named)}"


def test_changelog_is_released_for_the_galaxy_version():
    version = str(_galaxy()["version"])
    proc = run([bin_path("antsibull-changelog"), "lint"], cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    changes = yaml.safe_load((ROOT / "changelogs" / "changelog.yaml").read_text(encoding="utf-8"))
    assert version in changes["releases"], f"changelogs/changelog.yaml has no release {version}"
    releases = changes["releases"].values()
    released = [m for m in MODULES if _version_added(m) <= _version_tuple(version)]
    assert {m["name"] for r in releases for m in r.get("modules", [])} >= set(released)
    assert "offboard" in {o["name"] for r in releases for o in (r.get("objects") or {}).get("role", [])}
    assert "offboard" in {o["name"] for r in releases for o in (r.get("objects") or {}).get("playbook", [])}
    text = (ROOT / "CHANGELOG.rst").read_text(encoding="utf-8")
    assert f"v{version}" in text
    for module in released:
        assert f"{COLLECTION}.{module}" in text


def _version_tuple(version):
    return tuple(int(part) for part in str(version).split("."))


def _version_added(module):
    """A module's version_added, read from its DOCUMENTATION: modules added after the galaxy version are not released yet."""
    sidecar = ROOT / "plugins" / "modules" / f"{module}.yml"
    if sidecar.exists():
        return _version_tuple(yaml.safe_load(sidecar.read_text(encoding="utf-8"))["DOCUMENTATION"]["version_added"])
    tree = ast.parse((ROOT / "plugins" / "modules" / f"{module}.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "DOCUMENTATION" for t in node.targets):
            return _version_tuple(yaml.safe_load(node.value.value)["version_added"])
    raise AssertionError(f"{module}: no DOCUMENTATION")


def test_execution_environment_definition():
    ee = yaml.safe_load((ROOT / "meta" / "execution-environment.yml").read_text(encoding="utf-8"))
    assert ee["version"] == 3
    image = ee["images"]["base_image"]["name"]
    assert ":" in image.rsplit("/", 1)[-1], f"base image needs a tag: {image}"
    dependencies = ee["dependencies"]
    # ansible-builder's introspection reads these two as plain paths relative to the collection root.
    assert dependencies["python"] == "requirements.txt" and dependencies["system"] == "bindep.txt"
    requirements = [line.strip() for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines() if line.strip() and not line.startswith("#")]
    assert any(r.startswith("boto3>=") for r in requirements) and any(r.startswith("botocore>=") for r in requirements)
    for line in (ROOT / "bindep.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9.+_-]*( *\[[a-z0-9: _.-]+\])?", line.strip()), f"bindep.txt: {line!r}"
    assert dependencies["ansible_core"]["package_pip"].startswith("ansible-core")
    assert dependencies["ansible_runner"]["package_pip"].startswith("ansible-runner")
    collections = {c["name"]: c for c in dependencies["galaxy"]["collections"]}
    for name, version in _galaxy()["dependencies"].items():
        assert collections[name]["version"] == version, name
    tarballs = [c for c in collections.values() if c.get("type") == "file"]
    assert len(tarballs) == 1
    staged = {Path(f["dest"]) / Path(f["src"]).name for f in ee["additional_build_files"]}
    assert Path(tarballs[0]["name"]) in staged


def test_docs_links_resolve():
    def slug(heading):
        return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")

    problems = []
    for page in doc_pages():
        text = re.sub(r"^```.*?^```$", "", page.read_text(encoding="utf-8"), flags=re.S | re.M)
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target):
                continue
            path, anchor = (target.split("#", 1) + [""])[:2]
            resolved = (page.parent / path).resolve() if path else page
            if not resolved.exists():
                problems.append(f"{page.relative_to(ROOT)}: {target}: no such file")
            elif anchor and resolved.suffix == ".md":
                headings = {slug(h) for h in re.findall(r"^#+ (.*)$", resolved.read_text(encoding="utf-8"), re.M)}
                if anchor not in headings:
                    problems.append(f"{page.relative_to(ROOT)}: {target}: no such heading")
    assert not problems, "\n".join(problems)


def test_docs_snippets_parse():
    count = 0
    for page in sorted(DOCS.glob("*.md")):
        for block in markdown_blocks(page, "yaml"):
            yaml.safe_load(block)
            count += 1
        for block in markdown_blocks(page, "json"):
            json.loads(block)
            count += 1
    assert count >= 8


# ---------------------------------------------------------------- the reference generator

@pytest.fixture(scope="module")
def render_reference():
    """docs/tools/render_reference.py, imported without writing __pycache__ into docs/."""
    saved = sys.dont_write_bytecode
    sys.dont_write_bytecode = True
    sys.path.insert(0, str(DOCS / "tools"))
    try:
        import render_reference as module  # pylint: disable=import-outside-toplevel
    finally:
        sys.path.remove(str(DOCS / "tools"))
        sys.dont_write_bytecode = saved
    return module


@pytest.mark.parametrize("text,markdown", [
    ("B(not) I(this) C(a|b)", "**not** *this* `a\\|b`"),
    ("O(users[].directory_id) and O(state=absent)", "`users[].directory_id` and `state=absent`"),
    ("RV(ignore:changed=false) V(x\\)y)", "`changed=false` `x)y`"),
    ("see M(lmus.user_subscriptions.lmus_instance_user) or M(amazon.aws.s3_object)",
     "see [`lmus.user_subscriptions.lmus_instance_user`](lmus_instance_user.md) or `amazon.aws.s3_object`"),
    ("U(https://example.com/a) L(the docs, https://example.com/b)", "<https://example.com/a> [the docs](https://example.com/b)"),
    ("snake_case stays, *stars* and <tags> do not", "snake_case stays, \\*stars\\* and \\<tags> do not"),
    ("C(unclosed", "C(unclosed"),
])
def test_markup_becomes_markdown(render_reference, text, markdown):
    links = {"lmus.user_subscriptions.lmus_instance_user": "lmus_instance_user.md"}
    assert render_reference.Markup(links).render(text) == markdown


def test_reference_covers_every_module_and_role(render_reference):
    names = {p.name for p in (DOCS / "reference").glob("*.md")}
    assert names == {"README.md"} | {f"{m}.md" for m in MODULES} | {render_reference.role_file(r) for r in render_reference.role_names()}
    for name in names:
        assert (DOCS / "reference" / name).read_text(encoding="utf-8").startswith(render_reference.BANNER)
