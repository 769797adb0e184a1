# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""examples/awx/setup.yml and review.yml, the AWX set-up as code, checked without an AWX server.

setup.yml sets up offboarding (survey.json), review.yml the monthly licence review (review-survey.json). No AWX
server is available to these tests, so each playbook is checked statically:

- ``ansible-playbook --syntax-check`` (every module name resolves, the YAML is a playbook);
- every awx.awx task's arguments against that module's real argument spec: each module's
  ``main()`` is run with ``ControllerAPIModule`` replaced by a stand-in that captures the spec it
  is given (plus the controller connection options every awx.awx module takes) and stops there.
  Where the real spec takes any dict (``workflow_nodes``), the module's documented suboptions
  (``ansible-doc -j``) are checked instead, as the module reads only those keys. A templated value
  cannot be type-checked before the run: it stands for a value of the type the option wants (its
  first choice, if it has choices). Then ``ArgumentSpecValidator`` reports unknown options,
  bad choices, wrong types, missing required options and broken constraints;
- the arguments as Ansible renders them from the playbook's defaults, against the same specs with no stand-in;
- the checker itself, on mutated copies of the playbooks' tasks (a misspelt option, a bad choice);
- what each playbook sets up is what docs/awx.md describes, and each survey has one source;
- each survey asks only for options of the role entry point its templates' playbook runs, with answers of their type;
- review.yml's schedule: monthly, in a form AWX accepts, and refused by the playbook's first task without the survey's answers.
"""

import copy
import itertools
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import dateutil.rrule
import pytest
import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from harness import ansible_env
from harness import bin_path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "awx"
SETUP = EXAMPLE / "setup.yml"
REVIEW = EXAMPLE / "review.yml"
PLAYBOOKS = (SETUP, REVIEW)
# Each playbook's survey file and the variable that loads it.
SURVEYS = {SETUP: (EXAMPLE / "survey.json", "lmus_awx_survey"), REVIEW: (EXAMPLE / "review-survey.json", "lmus_awx_review_survey")}
ARGUMENT_SPECS = ROOT / "roles" / "offboard" / "meta" / "argument_specs.yml"
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


def load_plays(playbook=SETUP):
    return yaml.safe_load(playbook.read_text(encoding="utf-8"))


def load_survey(playbook):
    return json.loads(SURVEYS[playbook][0].read_text(encoding="utf-8"))


def by_name(playbooks):
    """pytest.mark.parametrize arguments: each playbook, named by its file."""
    return dict(argvalues=playbooks, ids=[playbook.name for playbook in playbooks])


def ansible_run_env(**extra):
    return ansible_env(ANSIBLE_STDOUT_CALLBACK=None, ANSIBLE_LOAD_CALLBACK_PLUGINS=None, **extra)


@pytest.fixture(scope="module")
def specs():
    """{module: {"argument_spec": ..., constraints...}} for every awx.awx module the playbooks use, from the copy Ansible resolves."""
    modules = sorted({module for playbook in PLAYBOOKS for _play, _task, module, _args in awx_tasks(load_plays(playbook))})
    env = ansible_run_env()
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


@pytest.mark.parametrize("playbook", **by_name(PLAYBOOKS))
def test_the_playbook_passes_syntax_check(playbook):
    proc = subprocess.run([bin_path("ansible-playbook"), "--syntax-check", str(playbook)], cwd=ROOT, capture_output=True, text=True,
                          env=ansible_run_env(), timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "playbook: " in proc.stdout


# The modules each playbook must use (at least).
USES = {SETUP: {"credential", "project", "job_template", "workflow_job_template"}, REVIEW: {"job_template", "workflow_job_template", "schedule"}}


@pytest.mark.parametrize("playbook", **by_name(PLAYBOOKS))
def test_every_awx_task_matches_its_module_argument_spec(specs, playbook):
    tasks = awx_tasks(load_plays(playbook))
    assert {module for _play, _task, module, _args in tasks} >= USES[playbook]
    problems = [f"{task['name']}: {kind}: {message}" for _play, task, module, args in tasks for kind, message in check_args(specs, module, args)]
    assert not problems, "\n".join(problems)


# Extra vars for the rendering: for review.yml, schedule answers, so that its schedule task runs too.
RENDER_VARS = {SETUP: {}, REVIEW: {"lmus_awx_review_schedule_answers": {"offboard_keep_usernames": "jdoe\nCORP\\asmith"}}}


def render_awx_arguments(playbook, tmp_path):
    """[(task, module, its arguments as Ansible renders them)]: the playbook's play with each awx.awx task turned into a set_fact of its
    arguments (its `when` kept), then one task that writes them all to a file. The AWS key comes from fake environment values."""
    [play] = load_plays(playbook)
    tasks = awx_tasks([play])
    out = tmp_path / "rendered.json"
    copies = []
    for n, (_play, task, _module, args) in enumerate(tasks):
        copies.append({"name": task["name"], "ansible.builtin.set_fact": {f"lmus_rendered_{n}": args}})
        if "when" in task:
            copies[-1]["when"] = task["when"]
    every = ", ".join(f"lmus_rendered_{n} | default(none)" for n in range(len(tasks)))
    copies.append({"name": "Write what was rendered", "ansible.builtin.copy": {"content": f"{{{{ [{every}] | to_json }}}}", "dest": str(out), "mode": "0600"}})
    (tmp_path / "play.yml").write_text(yaml.safe_dump([dict(play, tasks=copies)], sort_keys=False), encoding="utf-8")
    shutil.copy(SURVEYS[playbook][0], tmp_path)
    (tmp_path / "vars.json").write_text(json.dumps(RENDER_VARS[playbook]), encoding="utf-8")
    env = ansible_run_env(LMUS_AWX_AWS_ACCESS_KEY_ID="AKIAFAKE", LMUS_AWX_AWS_SECRET_ACCESS_KEY="fake", LMUS_AWX_AWS_SESSION_TOKEN=None)
    proc = subprocess.run([bin_path("ansible-playbook"), "play.yml", "-e", "@vars.json"], cwd=tmp_path, capture_output=True, text=True, env=env,
                          timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rendered = json.loads(out.read_text(encoding="utf-8"))
    return [(task, module, args) for (_play, task, module, _args), args in zip(tasks, rendered)]


@pytest.mark.parametrize("playbook", **by_name(PLAYBOOKS))
def test_the_rendered_arguments_match_the_module_argument_spec(specs, playbook, tmp_path):
    """The values Ansible renders from the playbook's defaults (types included: a bool, an int, a dict) pass the validator with no stand-in."""
    rendered = render_awx_arguments(playbook, tmp_path)
    assert [task["name"] for task, _module, args in rendered if args is None] == [], "not rendered: their `when` is false"
    for task, module, args in rendered:
        assert not is_template(json.dumps(args)), args
        assert check_args(specs, module, args) == [], task["name"]
    named = {task["name"]: args for task, _module, args in rendered}
    [workflow] = [args for _task, module, args in rendered if module == "workflow_job_template"]
    assert workflow["survey_spec"] == load_survey(playbook)
    [approval] = [n["unified_job_template"] for n in workflow["workflow_nodes"] if n["unified_job_template"]["type"] == "workflow_approval"]
    assert approval["timeout"] == 86400
    if playbook == REVIEW:
        schedule = named["The monthly schedule of the workflow"]
        assert schedule["enabled"] is False and schedule["extra_data"] == RENDER_VARS[REVIEW]["lmus_awx_review_schedule_answers"]
        assert named["The inventory job template"]["extra_vars"] == {}
        assert named["The reconcile job template"]["credentials"] == ["Offboarding AWS key"]


def task_named(playbook, name):
    [found] = [(module, args) for _play, task, module, args in awx_tasks(load_plays(playbook)) if task["name"] == name]
    return found


# (playbook, task, change, the validator's error class, a word its message must hold: the option at fault)
WORKFLOW = "The workflow - dry run, approval, real run"
REVIEW_WORKFLOW = "The workflow - inventory, reconcile dry run, approval, reconcile"
SCHEDULE = "The monthly schedule of the workflow"
INVENTORY = "The inventory job template"
MUTATIONS = [
    (SETUP, "The dry-run job template (check mode)", lambda a: a.update(job_typ=a.pop("job_type")), "UnsupportedError", "job_typ"),
    (SETUP, "The dry-run job template (check mode)", lambda a: a.update(job_type="dry"), "ArgumentValueError", "job_type"),
    (SETUP, "The real-run job template", lambda a: a.update(verbosity=9), "ArgumentValueError", "verbosity"),
    (SETUP, "The real-run job template", lambda a: a.update(surveyspec=a.pop("survey_spec")), "UnsupportedError", "surveyspec"),
    (SETUP, "The project", lambda a: a.update(scm_type="github"), "ArgumentValueError", "scm_type"),
    (SETUP, "The AWS credential, of AWX's built-in type", lambda a: a.pop("credential_type"), "RequiredError", "credential_type"),
    (SETUP, "The AWS credential, of AWX's built-in type", lambda a: a.update(user="someone"), "MutuallyExclusiveError", "organization"),
    (SETUP, WORKFLOW, lambda a: a["workflow_nodes"][1].update(identifer=a["workflow_nodes"][1].pop("identifier")), "UnsupportedError", "identifer"),
    (SETUP, WORKFLOW, lambda a: a["workflow_nodes"][0].update(job_type="dry"), "ArgumentValueError", "job_type"),
    (SETUP, WORKFLOW, lambda a: a["workflow_nodes"][0]["related"].update(sucess_nodes=[]), "UnsupportedError", "sucess_nodes"),
    (SETUP, WORKFLOW, lambda a: a["workflow_nodes"][1]["unified_job_template"].update(timeout="a day"), "ArgumentTypeError", "timeout"),
    (REVIEW, INVENTORY, lambda a: a.update(job_type="inventory"), "ArgumentValueError", "job_type"),
    (REVIEW, INVENTORY, lambda a: a.update(ask_variables_on_launch="when asked"), "ArgumentTypeError", "ask_variables_on_launch"),
    (REVIEW, "The reconcile dry-run job template (check mode)", lambda a: a.update(survey=a.pop("survey_spec")), "UnsupportedError", "survey"),
    (REVIEW, REVIEW_WORKFLOW, lambda a: a["workflow_nodes"][2]["unified_job_template"].update(timout=0), "UnsupportedError", "timout"),
    (REVIEW, REVIEW_WORKFLOW, lambda a: a["workflow_nodes"][1].update(verbosity=9), "ArgumentValueError", "verbosity"),
    (REVIEW, REVIEW_WORKFLOW, lambda a: a["workflow_nodes"][3].update(all_parents_must_converge="both"), "ArgumentTypeError", "all_parents_must_converge"),
    (REVIEW, SCHEDULE, lambda a: a.update(rule=a.pop("rrule")), "UnsupportedError", "rule"),
    (REVIEW, SCHEDULE, lambda a: a.update(enabled="monthly"), "ArgumentTypeError", "enabled"),
    (REVIEW, SCHEDULE, lambda a: a.pop("name"), "RequiredError", "name"),
]


@pytest.mark.parametrize("playbook, task_name, mutate, kind, word", MUTATIONS,
                         ids=[f"{n}-{p.stem}-{k}-{w}" for n, (p, _t, _m, k, w) in enumerate(MUTATIONS)])
def test_the_checker_rejects_a_mutated_task(specs, playbook, task_name, mutate, kind, word):
    module, args = task_named(playbook, task_name)
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
    assert_a_chain(nodes)


def assert_a_chain(nodes):
    """The workflow's nodes, in their order, each on the success of the one before; no failure or always path."""
    order = list(nodes)
    for before, after in zip(order, order[1:]):
        assert [n["identifier"] for n in nodes[before]["related"]["success_nodes"]] == [after]
    assert "related" not in nodes[order[-1]]
    assert not any(key in node.get("related", {}) for node in nodes.values() for key in ("failure_nodes", "always_nodes"))


def test_the_review_playbook_sets_up_what_the_awx_page_describes():
    [play] = load_plays(REVIEW)
    variables = play["vars"]
    tasks = {}
    for _play, task, module, args in awx_tasks([play]):
        tasks.setdefault(module, []).append((task, args))
    # Only templates, the workflow and the schedule: the project, EE and credential are setup.yml's.
    assert sorted(tasks) == ["job_template", "schedule", "workflow_job_template"]

    templates = {args["name"]: args for _task_, args in tasks["job_template"]}
    names = {key: "{{ %s }}" % key for key in ("lmus_awx_inventory_template", "lmus_awx_reconcile_dry_run_template", "lmus_awx_reconcile_template")}
    assert sorted(templates) == sorted(names.values())
    inventory, dry_run, real_run = (templates[names[key]] for key in names)
    assert [variables[key] for key in names] == ["Licence inventory", "Licence reconcile - dry run", "Licence reconcile"]
    assert (inventory["job_type"], dry_run["job_type"], real_run["job_type"]) == ("run", "check", "run")
    assert inventory["playbook"] == "{{ lmus_awx_inventory_playbook }}" and variables["lmus_awx_inventory_playbook"] == "playbooks/inventory.yml"
    assert "survey_spec" not in inventory and inventory["ask_variables_on_launch"] is True
    aws = "[lmus_awx_aws_credential] if lmus_awx_aws_credential else []"
    assert inventory["credentials"] == "{{ %s }}" % aws
    for template in (dry_run, real_run):
        assert template["playbook"] == "{{ lmus_awx_reconcile_playbook }}" and variables["lmus_awx_reconcile_playbook"] == "playbooks/reconcile.yml"
        assert template["survey_enabled"] is True and template["survey_spec"] == "{{ lmus_awx_review_survey }}"
        assert template["credentials"] == "{{ (%s) + lmus_awx_reconcile_credentials }}" % aws and variables["lmus_awx_reconcile_credentials"] == []
    for template in templates.values():
        assert template["project"] == "{{ lmus_awx_project }}" and template["execution_environment"] == "{{ lmus_awx_execution_environment }}"
        assert template["verbosity"] == 0
    assert "'review-survey.json'" in variables["lmus_awx_review_survey"] and "from_json" in variables["lmus_awx_review_survey"]

    [(_task_, workflow)] = tasks["workflow_job_template"]
    assert workflow["name"] == "{{ lmus_awx_review_workflow }}" and variables["lmus_awx_review_workflow"] == "Monthly licence review"
    assert workflow["survey_enabled"] is True and workflow["survey_spec"] == "{{ lmus_awx_review_survey }}"
    nodes = {node["identifier"]: node for node in workflow["workflow_nodes"]}
    assert list(nodes) == ["inventory", "dry-run", "approval", "real-run"]
    for identifier, template in (("inventory", inventory), ("dry-run", dry_run), ("real-run", real_run)):
        assert nodes[identifier]["unified_job_template"]["name"] == template["name"]
    approval = nodes["approval"]["unified_job_template"]
    assert approval["type"] == "workflow_approval" and approval["timeout"] == "{{ lmus_awx_approval_timeout }}"
    assert "job log" in approval["description"] and "offboard_published_report.reconcile" in approval["description"]
    assert_a_chain(nodes)

    # The schedule: of the workflow, disabled unless asked, only with the answers the survey requires.
    [(task, schedule)] = tasks["schedule"]
    assert schedule["unified_job_template"] == workflow["name"] and schedule["rrule"] == "{{ lmus_awx_review_schedule_rrule }}"
    assert schedule["enabled"] == "{{ lmus_awx_review_schedule_enabled }}" and variables["lmus_awx_review_schedule_enabled"] is False
    assert schedule["extra_data"] == "{{ lmus_awx_review_schedule_answers }}" and variables["lmus_awx_review_schedule_answers"] == {}
    assert task["when"] == "lmus_awx_review_schedule_answers | length > 0"


def test_the_review_playbook_names_what_setup_created_as_setup_does():
    """One vars file serves both playbooks: the names they share have the same defaults, the review's own names are its own."""
    setup, review = (load_plays(playbook)[0]["vars"] for playbook in (SETUP, REVIEW))
    shared = {"lmus_awx_organization", "lmus_awx_inventory", "lmus_awx_aws_credential", "lmus_awx_execution_environment", "lmus_awx_project",
              "lmus_awx_job_variables", "lmus_awx_approval_timeout"}
    assert set(setup) & set(review) == shared
    assert {key: review[key] for key in shared} == {key: setup[key] for key in shared}


def test_the_schedule_is_monthly_and_in_a_form_awx_accepts():
    [play] = load_plays(REVIEW)
    rrule = play["vars"]["lmus_awx_review_schedule_rrule"]
    # AWX's rules (its schedule serializer): one DTSTART in UTC or with a TZID, an RRULE with INTERVAL, no numeric BYDAY prefix,
    # no COUNT with UNTIL, no EXDATE or RDATE.
    dtstart, rule = rrule.split(" ")
    assert re.fullmatch(r"DTSTART(:\d{8}T\d{6}Z|;TZID=[\w/+-]+:\d{8}T\d{6})", dtstart), dtstart
    assert rule.startswith("RRULE:") and {"FREQ=MONTHLY", "INTERVAL=1"} <= set(rule[len("RRULE:"):].split(";"))
    assert not re.search(r"BYDAY=[+-]?\d", rule) and "COUNT" not in rule and "UNTIL" not in rule
    # The first Monday of every month, from its start on.
    first = list(itertools.islice(dateutil.rrule.rrulestr(rrule), 13))
    start = first[0].month - 1
    assert [(d.month, d.weekday(), d.day <= 7) for d in first] == [((start + n) % 12 + 1, 0, True) for n in range(13)]


# The schedule settings review.yml's first task accepts (True) or refuses (False) before it changes anything in AWX.
SCHEDULE_SETTINGS = [
    ({}, True),
    ({"lmus_awx_review_schedule_answers": {"offboard_keep_usernames": "jdoe"}}, True),
    ({"lmus_awx_review_schedule_answers": {"offboard_keep_usernames": "jdoe"}, "lmus_awx_review_schedule_enabled": True}, True),
    ({"lmus_awx_review_schedule_enabled": True}, False),
    ({"lmus_awx_review_schedule_answers": {"offboard_max_removals": 10}}, False),
    ({"lmus_awx_review_schedule_answers": {"offboard_keep_usernames": ""}}, False),
    ({"lmus_awx_review_schedule_answers": "offboard_keep_usernames=jdoe"}, False),
]


@pytest.mark.parametrize("settings, accepted", SCHEDULE_SETTINGS, ids=[f"{n}-{'accepted' if a else 'refused'}" for n, (_s, a) in enumerate(SCHEDULE_SETTINGS)])
def test_the_review_playbook_checks_the_schedule_settings_first(settings, accepted, tmp_path):
    [play] = load_plays(REVIEW)
    assert not any(key.startswith(PREFIX) for key in play["tasks"][0])
    (tmp_path / "play.yml").write_text(yaml.safe_dump([dict(play, tasks=play["tasks"][:1])], sort_keys=False), encoding="utf-8")
    shutil.copy(SURVEYS[REVIEW][0], tmp_path)
    (tmp_path / "vars.json").write_text(json.dumps(settings), encoding="utf-8")
    proc = subprocess.run([bin_path("ansible-playbook"), "play.yml", "-e", "@vars.json"], cwd=tmp_path, capture_output=True, text=True,
                          env=ansible_run_env(), timeout=300, check=False)
    assert (proc.returncode == 0) is accepted, proc.stdout + proc.stderr
    if not accepted:
        assert "lmus_awx_review_schedule_answers" in proc.stdout, proc.stdout


@pytest.mark.parametrize("playbook", **by_name(PLAYBOOKS))
def test_the_survey_has_one_source_that_the_awx_page_shows(playbook):
    text = (ROOT / "docs" / "awx.md").read_text(encoding="utf-8")
    shown = [json.loads(block) for block in re.findall(r"^```json\n(.*?)^```$", text, re.S | re.M) if '"spec"' in block]
    assert len(shown) == len(SURVEYS) and shown.count(load_survey(playbook)) == 1
    assert f"../examples/awx/{SURVEYS[playbook][0].name}" in text and f"../examples/awx/{playbook.name}" in text


@pytest.mark.parametrize("playbook", **by_name(PLAYBOOKS))
def test_the_survey_lookup_renders_the_survey_file(playbook, tmp_path):
    """The playbook's own expression for the survey, templated by Ansible with the playbook's directory as its base."""
    [play] = load_plays(playbook)
    name = SURVEYS[playbook][1]
    variables = tmp_path / "vars.json"
    variables.write_text(json.dumps({name: play["vars"][name]}), encoding="utf-8")
    proc = subprocess.run([bin_path("ansible"), "localhost", "-m", "ansible.builtin.debug", "-a", f"var={name}", "-e", f"@{variables}"],
                          cwd=EXAMPLE, capture_output=True, text=True, env=ansible_run_env(), timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    head, arrow, body = proc.stdout.partition(" => ")
    assert arrow and head.strip() == "localhost | SUCCESS", proc.stdout
    assert json.loads(body)[name] == load_survey(playbook)


def entry_point(playbook_path):
    """The offboard role's entry point a playbook of playbooks/ runs: main (roles:), or include_role's tasks_from."""
    [play] = yaml.safe_load(playbook_path.read_text(encoding="utf-8"))
    if play.get("roles"):
        assert [r["role"] if isinstance(r, dict) else r for r in play["roles"]] == ["lmus.user_subscriptions.offboard"]
        return "main"
    [include] = [task["ansible.builtin.include_role"] for task in play["tasks"] if "ansible.builtin.include_role" in task]
    assert include["name"] == "lmus.user_subscriptions.offboard"
    return include.get("tasks_from", "main")


def job_templates(playbook):
    """(template, the playbook file it runs) for each job template: the path after the playbook's own defaults."""
    [play] = load_plays(playbook)
    found = []
    for _play, _task, module, args in awx_tasks([play]):
        if module == "job_template":
            path = args["playbook"]
            match = re.fullmatch(r"\{\{ (\w+) \}\}", path)
            found.append((args, ROOT / (play["vars"][match.group(1)] if match else path)))
    return found


# Which entry point runs the templates that ask a survey's questions, and what each template's playbook runs.
ENTRY_POINTS = {SETUP: ("main", {"main"}), REVIEW: ("reconcile", {"inventory", "reconcile"})}
# The option type a survey question's answer suits: text for a str, or for a list the role splits; true/false choices for a bool.
SUITS = {"text": {"str", "list"}, "textarea": {"str", "list"}, "integer": {"int"}, "float": {"float"}, "multiselect": {"list"}}


@pytest.mark.parametrize("playbook", **by_name(PLAYBOOKS))
def test_the_job_templates_run_playbooks_of_the_collection(playbook):
    templates = job_templates(playbook)
    assert templates
    survey_entry_point, entry_points = ENTRY_POINTS[playbook]
    for template, path in templates:
        assert path.parent == ROOT / "playbooks" and path.is_file(), path
        assert entry_point(path) in entry_points
        if template.get("survey_enabled"):
            assert entry_point(path) == survey_entry_point, path
    assert {entry_point(path) for _template, path in templates} == entry_points


@pytest.mark.parametrize("playbook", **by_name(PLAYBOOKS))
def test_every_survey_question_is_an_option_of_the_entry_point(playbook):
    options = yaml.safe_load(ARGUMENT_SPECS.read_text(encoding="utf-8"))["argument_specs"][ENTRY_POINTS[playbook][0]]["options"]
    questions = load_survey(playbook)["spec"]
    assert len({q["variable"] for q in questions}) == len(questions)
    for question in questions:
        option = options.get(question["variable"])
        assert option is not None, f"{question['variable']} is no option of the {ENTRY_POINTS[playbook][0]} entry point"
        if question["type"] == "multiplechoice" and question["choices"].split("\n") == ["true", "false"]:
            assert option["type"] == "bool" and question["default"] in ("true", "false"), question
        else:
            assert option["type"] in SUITS[question["type"]], question
        if question["type"] in ("text", "textarea", "integer", "float"):
            assert question["min"] <= question["max"], question
    if playbook == REVIEW:
        # The removal limits' answers start at the role's own defaults: the survey never loosens them unasked.
        defaults = {q["variable"]: q["default"] for q in questions}
        for name in ("offboard_max_removals", "offboard_max_removal_percent"):
            assert defaults[name] == options[name]["default"], name
        assert defaults["offboard_lift_removal_limits"] == "false" and options["offboard_lift_removal_limits"]["default"] is False
        [keep] = [q for q in questions if q["variable"] == "offboard_keep_usernames"]
        assert keep["type"] == "textarea" and keep["required"] is True and keep["max"] >= 100000
