# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""examples/awx/setup.yml, the AWX set-up as code, checked without an AWX server.

No AWX server is available to these tests, so the playbook is checked statically:

- ``ansible-playbook --syntax-check`` (every module name resolves, the YAML is a playbook);
- every awx.awx task's arguments against that module's real argument spec: each module's
  ``main()`` is run with ``ControllerAPIModule`` replaced by a stand-in that captures the spec it
  is given (plus the controller connection options every awx.awx module takes) and stops there.
  Where the real spec takes any dict (``workflow_nodes``), the module's documented suboptions
  (``ansible-doc -j``) are checked instead, as the module reads only those keys. A templated value
  cannot be type-checked before the run: it stands for a value of the type the option wants (its
  first choice, if it has choices). Then ``ArgumentSpecValidator`` reports unknown options,
  bad choices, wrong types, missing required options and broken constraints;
- the checker itself, on mutated copies of the playbook's tasks (a misspelt option, a bad choice);
- what the playbook sets up is what docs/awx.md describes, and the survey has one source.
"""

import copy
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from harness import ansible_env
from harness import bin_path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "awx"
PLAYBOOK = EXAMPLE / "setup.yml"
SURVEY = EXAMPLE / "survey.json"
PREFIX = "awx.awx."
CONSTRAINTS = ("mutually_exclusive", "required_together", "required_one_of", "required_if", "required_by")

# Runs in a child process (module imports and patches stay out of the test process): argv[1] is the directory that holds
# ansible_collections/awx/awx (where Ansible itself finds it), argv[2:] the module names. Prints {module: captured}.
CAPTURE = r'''
import importlib
import json
import sys

sys.path.insert(0, sys.argv[1])
from ansible_collections.awx.awx.plugins.module_utils import controller_api


class Captured(Exception):
    pass


def capture(argument_spec=None, **kwargs):
    spec = dict(controller_api.ControllerModule.AUTH_ARGSPEC)
    spec.update(argument_spec or {})
    raise Captured(dict(kwargs, argument_spec=spec))


def plain(value):
    """The spec as JSON data; fallbacks (functions reading the environment) left out."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items() if k != "fallback"}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


specs = {}
for name in sys.argv[2:]:
    module = importlib.import_module("ansible_collections.awx.awx.plugins.modules." + name)
    for cls in ("ControllerAPIModule", "ControllerAWXKitModule", "ControllerModule"):
        if hasattr(module, cls):
            setattr(module, cls, capture)
    try:
        module.main()
    except Captured as captured:
        specs[name] = plain(captured.args[0])
    else:
        raise SystemExit(name + ": main() built no module")
print(json.dumps(specs))
'''

PLACEHOLDERS = {"str": "templated", "path": "templated", "raw": "templated", "bool": True, "int": 0, "float": 0.0, "list": [], "dict": {},
                "json": "{}", "jsonarg": "{}", "bytes": "0", "bits": "0"}


def is_template(value):
    return isinstance(value, str) and ("{{" in value or "{%" in value)


def concretise(value, spec):
    """``value`` with each templated string replaced by a value of the type (or the first choice) its option asks for."""
    if is_template(value):
        if spec.get("choices"):
            return spec["choices"][0]
        return copy.deepcopy(PLACEHOLDERS[spec.get("type") or "str"])
    if isinstance(value, dict) and spec.get("options"):
        return concretise_params(value, spec["options"])
    if isinstance(value, list) and spec.get("type") == "list":
        element = {k: v for k, v in spec.items() if k not in ("type", "elements", "required", "default")}
        element["type"] = spec.get("elements") or "raw"
        return [concretise(item, element) for item in value]
    return value


def concretise_params(params, options):
    by_name = {}
    for name, spec in options.items():
        for alias in [name] + list(spec.get("aliases") or []):
            by_name[alias] = spec
    return {key: concretise(value, by_name.get(key, {})) for key, value in params.items()}


def spec_from_doc(options):
    """An argument spec from ansible-doc's options (their suboptions included)."""
    spec = {}
    for name, doc in options.items():
        entry = {key: doc[key] for key in ("type", "elements", "choices", "required", "aliases", "default") if key in doc}
        if "suboptions" in doc:
            entry["options"] = spec_from_doc(doc["suboptions"])
        spec[name] = entry
    return spec


def graft_documented_suboptions(spec, doc_options):
    """Give each option that takes any dict (or list of dicts) the suboptions the module documents."""
    for name, entry in spec.items():
        doc = doc_options.get(name) or {}
        if "suboptions" in doc:
            if entry.get("options"):
                graft_documented_suboptions(entry["options"], doc["suboptions"])
            else:
                entry["options"] = spec_from_doc(doc["suboptions"])


def check_args(specs, module, args):
    """ArgumentSpecValidator's errors for one task's arguments, as (error class, message); an empty list when they are valid."""
    captured = specs[module]
    argument_spec = captured["argument_spec"]
    validator = ArgumentSpecValidator(argument_spec, **{key: captured[key] for key in CONSTRAINTS if captured.get(key)})
    return [(type(error).__name__, str(error)) for error in validator.validate(concretise_params(args, argument_spec)).errors]


def awx_tasks(plays):
    """(play index, task, module short name, arguments) for every awx.awx task."""
    found = []
    for index, play in enumerate(plays):
        for section in ("pre_tasks", "tasks", "post_tasks", "handlers"):
            for task in play.get(section) or []:
                for key, args in task.items():
                    if key.startswith(PREFIX):
                        assert isinstance(args, dict), f"{task.get('name')}: free-form arguments"
                        found.append((index, task, key[len(PREFIX):], args))
    return found


def load_plays():
    return yaml.safe_load(PLAYBOOK.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def specs():
    """{module: {"argument_spec": ..., constraints...}} for every awx.awx module the playbook uses, from the copy Ansible resolves."""
    modules = sorted({module for _play, _task, module, _args in awx_tasks(load_plays())})
    env = ansible_env(ANSIBLE_STDOUT_CALLBACK=None, ANSIBLE_LOAD_CALLBACK_PLUGINS=None)
    doc = subprocess.run([bin_path("ansible-doc"), "-j", "-t", "module"] + [PREFIX + m for m in modules], capture_output=True, text=True,
                         env=env, timeout=300, check=False)
    assert doc.returncode == 0, doc.stderr
    docs = {name[len(PREFIX):]: entry["doc"] for name, entry in json.loads(doc.stdout).items()}
    assert sorted(docs) == modules, f"ansible-doc knows {sorted(docs)}"
    roots = {str(Path(d["filename"]).resolve().parents[5]) for d in docs.values()}
    assert len(roots) == 1, roots
    [root] = roots
    proc = subprocess.run([sys.executable, "-c", CAPTURE, root] + modules, capture_output=True, text=True, env=env, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    captured = json.loads(proc.stdout)
    for module, spec in captured.items():
        graft_documented_suboptions(spec["argument_spec"], docs[module]["options"])
    return captured


def test_setup_playbook_passes_syntax_check():
    env = ansible_env(ANSIBLE_STDOUT_CALLBACK=None, ANSIBLE_LOAD_CALLBACK_PLUGINS=None)
    proc = subprocess.run([bin_path("ansible-playbook"), "--syntax-check", str(PLAYBOOK)], cwd=ROOT, capture_output=True, text=True, env=env,
                          timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "playbook: " in proc.stdout


def test_every_awx_task_matches_its_module_argument_spec(specs):
    tasks = awx_tasks(load_plays())
    assert {module for _play, _task, module, _args in tasks} >= {"credential", "project", "job_template", "workflow_job_template"}
    problems = [f"{task['name']}: {kind}: {message}" for _play, task, module, args in tasks for kind, message in check_args(specs, module, args)]
    assert not problems, "\n".join(problems)


def task_named(name):
    [found] = [(module, args) for _play, task, module, args in awx_tasks(load_plays()) if task["name"] == name]
    return found


# (task, change, the validator's error class, a word its message must hold: the option at fault)
WORKFLOW = "The workflow - dry run, approval, real run"
MUTATIONS = [
    ("The dry-run job template (check mode)", lambda a: a.update(job_typ=a.pop("job_type")), "UnsupportedError", "job_typ"),
    ("The dry-run job template (check mode)", lambda a: a.update(job_type="dry"), "ArgumentValueError", "job_type"),
    ("The real-run job template", lambda a: a.update(verbosity=9), "ArgumentValueError", "verbosity"),
    ("The real-run job template", lambda a: a.update(surveyspec=a.pop("survey_spec")), "UnsupportedError", "surveyspec"),
    ("The project", lambda a: a.update(scm_type="github"), "ArgumentValueError", "scm_type"),
    ("The AWS credential, of AWX's built-in type", lambda a: a.pop("credential_type"), "RequiredError", "credential_type"),
    ("The AWS credential, of AWX's built-in type", lambda a: a.update(user="someone"), "MutuallyExclusiveError", "organization"),
    (WORKFLOW, lambda a: a["workflow_nodes"][1].update(identifer=a["workflow_nodes"][1].pop("identifier")), "UnsupportedError", "identifer"),
    (WORKFLOW, lambda a: a["workflow_nodes"][0].update(job_type="dry"), "ArgumentValueError", "job_type"),
    (WORKFLOW, lambda a: a["workflow_nodes"][0]["related"].update(sucess_nodes=[]), "UnsupportedError", "sucess_nodes"),
    (WORKFLOW, lambda a: a["workflow_nodes"][1]["unified_job_template"].update(timeout="a day"), "ArgumentTypeError", "timeout"),
]


@pytest.mark.parametrize("task_name, mutate, kind, word", MUTATIONS, ids=[f"{n}-{k}-{w}" for n, (_t, _m, k, w) in enumerate(MUTATIONS)])
def test_the_checker_rejects_a_mutated_task(specs, task_name, mutate, kind, word):
    module, args = task_named(task_name)
    assert check_args(specs, module, args) == []
    mutated = copy.deepcopy(args)
    mutate(mutated)
    errors = check_args(specs, module, mutated)
    assert any(found == kind and word in message for found, message in errors), errors


def test_the_playbook_sets_up_what_the_awx_page_describes():
    [play] = load_plays()
    variables = play["vars"]
    tasks = {module: [] for module in ("credential", "project", "job_template", "workflow_job_template", "execution_environment")}
    for _play, task, module, args in awx_tasks([play]):
        tasks[module].append((task, args))

    # The AWS credential: AWX's built-in type, its values from the environment (never literal), hidden from output.
    [(task, credential)] = tasks["credential"]
    assert credential["credential_type"] == "Amazon Web Services"
    assert task.get("no_log") is True and is_template(credential["inputs"])
    for key in ("lmus_awx_aws_access_key", "lmus_awx_aws_secret_key", "lmus_awx_aws_security_token"):
        assert key in credential["inputs"]
        assert re.fullmatch(r"\{\{ lookup\('ansible\.builtin\.env', '[A-Z_]+'\) \}\}", variables[key]), variables[key]

    # The project runs the collection's playbook; two job templates, check and run, with the survey; the workflow.
    [(_task_, project)] = tasks["project"]
    templates = {args["job_type"]: args for _task_, args in tasks["job_template"]}
    assert sorted(templates) == ["check", "run"]
    assert variables["lmus_awx_playbook"] == "playbooks/offboard.yml" and (ROOT / variables["lmus_awx_playbook"]).is_file()
    for template in templates.values():
        assert template["project"] == project["name"] and template["playbook"] == "{{ lmus_awx_playbook }}"
        assert template["survey_enabled"] is True and template["survey_spec"] == "{{ lmus_awx_survey }}"
        assert template["credentials"] == "{{ [lmus_awx_aws_credential] if lmus_awx_aws_credential else [] }}"
        assert template["verbosity"] == 0
    assert "'survey.json'" in variables["lmus_awx_survey"] and "from_json" in variables["lmus_awx_survey"]

    [(_task_, workflow)] = tasks["workflow_job_template"]
    assert workflow["survey_enabled"] is True and workflow["survey_spec"] == "{{ lmus_awx_survey }}"
    nodes = {node["identifier"]: node for node in workflow["workflow_nodes"]}
    assert list(nodes) == ["dry-run", "approval", "real-run"]
    assert nodes["dry-run"]["unified_job_template"]["name"] == templates["check"]["name"]
    assert nodes["real-run"]["unified_job_template"]["name"] == templates["run"]["name"]
    assert nodes["approval"]["unified_job_template"]["type"] == "workflow_approval"
    assert [n["identifier"] for n in nodes["dry-run"]["related"]["success_nodes"]] == ["approval"]
    assert [n["identifier"] for n in nodes["approval"]["related"]["success_nodes"]] == ["real-run"]
    assert "related" not in nodes["real-run"]
    assert not any(key in node.get("related", {}) for node in nodes.values() for key in ("failure_nodes", "always_nodes"))


def test_the_survey_has_one_source_that_the_awx_page_shows():
    text = (ROOT / "docs" / "awx.md").read_text(encoding="utf-8")
    shown = [json.loads(block) for block in re.findall(r"^```json\n(.*?)^```$", text, re.S | re.M) if '"spec"' in block]
    assert shown == [json.loads(SURVEY.read_text(encoding="utf-8"))]
    assert "../examples/awx/survey.json" in text and "../examples/awx/setup.yml" in text


def test_the_survey_lookup_renders_the_survey_file(tmp_path):
    """The playbook's own expression for the survey, templated by Ansible with the playbook's directory as its base."""
    [play] = load_plays()
    variables = tmp_path / "vars.json"
    variables.write_text(json.dumps({"lmus_awx_survey": play["vars"]["lmus_awx_survey"]}), encoding="utf-8")
    env = ansible_env(ANSIBLE_STDOUT_CALLBACK=None, ANSIBLE_LOAD_CALLBACK_PLUGINS=None)
    proc = subprocess.run([bin_path("ansible"), "localhost", "-m", "ansible.builtin.debug", "-a", "var=lmus_awx_survey", "-e", f"@{variables}"],
                          cwd=EXAMPLE, capture_output=True, text=True, env=env, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    head, arrow, body = proc.stdout.partition(" => ")
    assert arrow and head.strip() == "localhost | SUCCESS", proc.stdout
    assert json.loads(body)["lmus_awx_survey"] == json.loads(SURVEY.read_text(encoding="utf-8"))
