# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Run real ``ansible-playbook`` and ``ansible`` commands against the LMUS emulator.

The emulator runs in the test process; Ansible runs as a child process and talks
to it over HTTP through boto3, exactly as it would talk to AWS.
"""

import json
import os
import re
import shutil
import subprocess
import sys

import pytest
import yaml
from lmus_emulator.vocabulary import resolve

# Dummy credentials: the emulator needs a signed request, never a real key.
ACCESS_KEY = "AKIDLMUSINTEGRATION"
SECRET_KEY = "lmus-integration-dummy-secret"
DIRECTORY = "d-1234567890"
OTHER_DIRECTORY = "d-abcdef0123"
DOMAIN = "corp.example.com"
MODULE = "lmus.user_subscriptions.lmus_instance_user"

# The emulator's status vocabularies a test runs under (see conftest.py).
VOCABULARIES = ("aws", "legacy")
# A test that runs only the instance-user modules, in a module whose other tests run under every vocabulary: the
# vocabularies differ only in the product subscriptions' status words, which those modules never read.
INSTANCE_USERS_ONLY = pytest.mark.parametrize("vocabulary", ["aws"])


def words(vocabulary):
    """The status words of an emulator vocabulary (a name, or an Emulator): {"subscribed": "SUBSCRIBED", ...}."""
    if hasattr(vocabulary, "vocabulary"):
        return dict(vocabulary.vocabulary)
    return resolve(vocabulary)[1]


def speak(data, vocabulary):
    """``data`` (a seed, task arguments, ...) with every "<role>" string, e.g. "<unsubscribed>", put in ``vocabulary``'s words."""
    said = words(vocabulary)
    if isinstance(data, dict):
        return {key: speak(value, vocabulary) for key, value in data.items()}
    if isinstance(data, list):
        return [speak(value, vocabulary) for value in data]
    if isinstance(data, str) and data.startswith("<") and data.endswith(">") and data[1:-1] in said:
        return said[data[1:-1]]
    return data


def instance_id(n):
    return f"i-{n:017x}"


def bin_path(name):
    """A command (ansible, ansible-playbook, ...): from the directory LMUS_ANSIBLE_BIN names, else the venv's own copy, else PATH's.

    LMUS_ANSIBLE_BIN is set by the support matrix (tools/matrix.py) to a venv with another ansible-core and botocore:
    the tests then run that venv's commands, and its Python runs the modules. A command missing there is an error, never
    another venv's: the cell would pass having tested releases it does not stand for.
    """
    cell = os.environ.get("LMUS_ANSIBLE_BIN")
    if cell:
        here = os.path.join(cell, name)
        if not os.path.exists(here):
            raise FileNotFoundError(f"LMUS_ANSIBLE_BIN={cell} has no {name}")
        return here
    here = os.path.join(os.path.dirname(sys.executable), name)
    return here if os.path.exists(here) else shutil.which(name)


def ansible_env(**extra):
    """The environment of an operator's run: dummy credentials and region from the environment, JSON output.

    ``extra`` overrides; a value of None removes the variable.
    """
    env = dict(os.environ)
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_URL", "AWS_ENDPOINT_URL"):
        env.pop(name, None)
    env.update(
        AWS_ACCESS_KEY_ID=ACCESS_KEY,
        AWS_SECRET_ACCESS_KEY=SECRET_KEY,
        AWS_REGION="us-east-1",
        AWS_EC2_METADATA_DISABLED="true",
        ANSIBLE_STDOUT_CALLBACK="json",
        ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
        ANSIBLE_LOCALHOST_WARNING="False",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="False",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_RETRY_FILES_ENABLED="False",
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
    )
    for name, value in extra.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


# A warning as Ansible prints it.
WARNING_LINE = re.compile(r"^.*\[(?:DEPRECATION WARNING|WARNING)\].*$", re.M)


class AnsibleRun:
    """One finished ansible run: its exit code and the results by task."""

    def __init__(self, proc):
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self._report = None

    @property
    def report(self):
        """The json callback's output (runs made with another callback have none)."""
        if self._report is None:
            try:
                self._report = json.loads(self.stdout)
            except ValueError:
                raise AssertionError(f"ansible did not print JSON (rc={self.rc}):\n{self.stdout}\n{self.stderr}")
        return self._report

    def warnings(self):
        """Every warning of the run: the [WARNING] and [DEPRECATION WARNING] lines Ansible printed and, in the json
        callback's output, each task result's warnings and deprecations (Ansible's default output prints those as such lines)."""
        found = WARNING_LINE.findall(self.stdout + self.stderr)
        if self.stdout.lstrip().startswith("{"):
            for result in self.results():
                found += [str(w) for w in result.get("warnings") or []]
                found += [str(d.get("msg", d) if isinstance(d, dict) else d) for d in result.get("deprecations") or []]
        return found

    def results(self):
        """Each task's result for localhost, in order."""
        return [task["hosts"]["localhost"] for play in self.report["plays"] for task in play["tasks"] if "localhost" in task["hosts"]]

    def task(self, name):
        for play in self.report["plays"]:
            for task in play["tasks"]:
                if task["task"]["name"] == name or task["task"]["name"].endswith(f" : {name}"):
                    return task["hosts"]["localhost"]
        raise KeyError(name)

    @property
    def last(self):
        return self.results()[-1]


class Ansible:
    """Builds the environment of a user's run: credentials and region from the environment, endpoint from module_defaults."""

    def __init__(self, emulator, workdir):
        self.emulator = emulator
        self.workdir = workdir
        self.runs = 0

    def env(self, **extra):
        return ansible_env(**extra)

    def playbook(self, tasks, check=False, diff=False, extra_args=(), env=None, module_defaults=None):
        """Run the tasks in one play on localhost; the emulator's URL comes through the lmus action group."""
        defaults = {"group/lmus.user_subscriptions.lmus": {"endpoint_url": self.emulator.url}}
        if module_defaults is not None:
            defaults = module_defaults
        play = [dict(name="integration", hosts="localhost", gather_facts=False, module_defaults=defaults, tasks=tasks)]
        self.runs += 1
        path = self.workdir / f"playbook{self.runs}.yml"
        path.write_text(yaml.safe_dump(play, sort_keys=False))
        cmd = [bin_path("ansible-playbook"), str(path)] + (["--check"] if check else []) + (["--diff"] if diff else []) + list(extra_args)
        return self.run_command(cmd, env)

    def each_task(self, tasks, check=False, env=None):
        """Run each of ``tasks`` ({name: task}) as a task of one playbook, with ``ignore_errors``; return {name: its result}.

        For many cases of one kind (bad input, filters): each module runs once per task exactly as it would alone, and
        only the controller's start-up is shared, which is most of what one ansible-playbook run costs.
        """
        run = self.playbook([dict(task, name=name, ignore_errors=True) for name, task in tasks.items()], check=check, env=env)
        assert run.rc == 0, f"{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
        return {name: run.task(name) for name in tasks}

    def adhoc(self, args, module=MODULE, check=False, diff=False, env=None):
        """``ansible localhost -m MODULE -a '<json>'``, with the endpoint in AWS_URL as an operator would set it."""
        cmd = [bin_path("ansible"), "localhost", "-m", module, "-a", json.dumps(args)] + (["--check"] if check else []) + (["--diff"] if diff else [])
        return self.run_command(cmd, dict(env or {}, AWS_URL=self.emulator.url))

    def run_command(self, cmd, env=None):
        proc = subprocess.run(cmd, cwd=self.workdir, env=self.env(**(env or {})), capture_output=True, text=True, timeout=600, check=False)
        return AnsibleRun(proc)


def base_seed(instances=2, associations=(), directory=DIRECTORY):
    """A small world: ``instances`` instances under one directory, the given associations."""
    return dict(
        identity_providers=[dict(directory_id=directory, product="OFFICE_PROFESSIONAL_PLUS")],
        instances=[dict(instance_id=instance_id(n), directory_id=directory, products=["OFFICE_PROFESSIONAL_PLUS"]) for n in range(1, instances + 1)],
        associations=[dict(a) for a in associations],
        product_subscriptions=[],
    )


def run_offboard(ansible, extra_vars, check=False, env=None, extra_args=(), playbook="offboard"):
    """``ansible-playbook lmus.user_subscriptions.offboard -e @departing.yml`` (or another of the collection's playbooks), as an operator runs it."""
    ansible.runs += 1
    path = ansible.workdir / f"departing{ansible.runs}.yml"
    path.write_text(yaml.safe_dump(dict(extra_vars, offboard_endpoint_url=ansible.emulator.url), allow_unicode=True))
    cmd = [bin_path("ansible-playbook"), f"lmus.user_subscriptions.{playbook}", "-e", f"@{path}"] + (["--check"] if check else []) + list(extra_args)
    return ansible.run_command(cmd, env)


def hand_written_play(ansible, tasks, check=False):
    """One play on localhost whose tasks are YAML text written by hand (so that YAML, not Python, types their values),
    the emulator's URL in module_defaults; the finished run."""
    ansible.runs += 1
    path = ansible.workdir / f"playbook{ansible.runs}.yml"
    path.write_text(f"""- hosts: localhost
  gather_facts: false
  module_defaults:
    group/lmus.user_subscriptions.lmus:
      endpoint_url: {json.dumps(ansible.emulator.url)}
  tasks:
{tasks}""", encoding="utf-8")
    return ansible.run_command([bin_path("ansible-playbook"), str(path)] + (["--check"] if check else []))


def play_with_task_texts(ansible, task_texts):
    """hand_written_play with many tasks, each with ignore_errors: {name: module and arguments as YAML text} in,
    {name: result} out."""
    run = hand_written_play(ansible, "".join(f"    - name: {json.dumps(name)}\n      ignore_errors: true\n{text}" for name, text in task_texts.items()))
    assert run.rc == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return {name: run.task(name) for name in task_texts}


def task_text(module, body):
    """A task's module and its arguments, indented for play_with_task_texts."""
    return f"      {module}:\n" + "".join(f"        {line}\n" for line in body.splitlines())
