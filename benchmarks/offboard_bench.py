# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Offboarding benchmark: the offboard role against what an operator would otherwise use.

    make venv tree                                              # once
    .venv/bin/python benchmarks/offboard_bench.py               # about 4 minutes on 2 CPUs
    .venv/bin/python benchmarks/offboard_bench.py --throttle    # about 11 minutes

(docs/performance.md has the results, what each column means, and the targets.)

Every run gets a fresh in-process emulator (tests/emulator) with the same seed
(benchmarks/scenario.py: 100 instances, 6,000 associations, 1,000 departing users holding
2,000 of them and 1,000 product subscriptions) and 20 ms of latency per API call:

  a   the offboard role, end to end: ansible-playbook lmus.user_subscriptions.offboard
  b   benchmarks/floor.py: the same write calls from a plain threaded boto3 script with a
      warm client and the role's concurrency, nothing else (the practical floor)
  c   a per-user `loop` of lmus.user_subscriptions.lmus_instance_user (state absent), one
      iteration per (user, instance) association, on a slice of the departing users
  d   a shell loop of `aws license-manager-user-subscriptions disassociate-user` (awscli from
      PyPI, in .build/bench-venv, installed on first use) on the same slice

  a2  a with offboard_aws_config {retries: {mode: adaptive, max_attempts: 10}}, a3 with {mode: standard, ...}:
      through the shipped playbook's module_defaults when it takes offboard_aws_config, else
      through benchmarks/offboard_aws_config.yml (the shipped playbook plus that one line)

With --throttle the emulator also throttles, by --throttle-profile: "bucket" limits writes to
--write-rate per second (ThrottlingException beyond that); "random30" / "random60" throttle that
share of all calls at random. The runs are then a (the defaults: the collection's own retry layer),
a2 and a3 (botocore's adaptive and standard modes instead, max_attempts 10), and the target is that
a finishes with no failure within 1.5x the better of a2 and a3.

It prints a table (wall time, API calls by operation from the emulator's request log, calls
per removal, peak RSS of the module process, ratio to b) and PASS/FAIL per target.
--check-targets makes a FAIL exit 1 (2: the benchmark could not run). Nothing leaves
127.0.0.1; the credentials are dummies, and no AWS configuration file is read.
"""

import argparse
import collections
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "tests" / "emulator"))
sys.path.insert(0, str(HERE))

from lmus_emulator import Emulator  # noqa: E402 pylint: disable=wrong-import-position
from scenario import PAGE_SIZE, Scenario  # noqa: E402 pylint: disable=wrong-import-position

TREE = ROOT / ".build" / "collections"
BENCH_VENV = ROOT / ".build" / "bench-venv"
AWSCLI_REQUIREMENT = "awscli==1.46.3"
PYSPY_REQUIREMENT = "py-spy==0.4.3"
ROLE_PLAYBOOK = "lmus.user_subscriptions.offboard"
AWS_CONFIG_PLAYBOOK = HERE / "offboard_aws_config.yml"
MODULE = "lmus.user_subscriptions.lmus_instance_user"

# Dummy credentials: the emulator wants a signed request, never a real key.
ACCESS_KEY = "AKIDLMUSBENCHMARK"
SECRET_KEY = "lmus-benchmark-dummy-secret"
REGION = "us-east-1"

WRITE_OPERATIONS = ("DisassociateUser", "StopProductSubscription")
LIST_OPERATIONS = ("ListInstances", "ListUserAssociations", "ListIdentityProviders", "ListProductSubscriptions")
OPERATION_ORDER = LIST_OPERATIONS + WRITE_OPERATIONS + ("AssociateUser", "StartProductSubscription")

# The first line of the role's summary (filter offboard_summary, task "Show the summary").
SUMMARY = re.compile(r"Offboarding of \d+ user\(s\): .*?(?P<failed>\d+) failure\(s\)")
FAILED_LINE = re.compile(r'"\s*(FAILED [^"]*)"')

# Targets
ROLE_VS_FLOOR_FACTOR = 1.5
ROLE_VS_FLOOR_SLACK = 3.0
PER_USER_SPEEDUP = 60.0
MODULE_RSS_LIMIT_MB = 200.0
THROTTLED_FACTOR = 1.3
# The default retry layer against the better of botocore's own modes, on every throttling profile.
THROTTLED_VS_BOTOCORE_FACTOR = 1.5
THROTTLE_PROFILES = {
    "bucket": lambda args: {"write_rate_limit": args.write_rate},
    "random30": lambda args: {"throttle_rate": 0.3, "random_seed": 7},
    "random60": lambda args: {"throttle_rate": 0.6, "random_seed": 7},
}

# The module interpreter: runs the real Python as its only child and logs that child's
# peak RSS (getrusage via wait4: exact, not sampled) and its start and end.
RSS_WRAPPER = '''#!{python} -IS
import os, sys, time
real = {python!r}
started = time.time()
pid = os.fork()
if pid == 0:
    os.execv(real, [real] + sys.argv[1:])
_pid, status, usage = os.wait4(pid, 0)
name = next((os.path.basename(a)[len("AnsiballZ_"):-3] for a in sys.argv[1:] if "AnsiballZ_" in a), "module")
log = os.environ.get("LMUS_BENCH_RSS_LOG")
if log:
    with open(log, "a") as handle:
        handle.write("%s\\t%d\\t%.6f\\t%.6f\\n" % (name, usage.ru_maxrss, started, time.time()))
os._exit(os.waitstatus_to_exitcode(status) & 0xFF)
'''

CLI_LOOP = r'''#!/bin/bash
# The operator's loop: one aws CLI call per (user, instance) association.
set -u
failures=0
while IFS=$'\t' read -r user instance domain directory; do
  aws license-manager-user-subscriptions disassociate-user \
    --username "$user" --instance-id "$instance" --domain "$domain" \
    --identity-provider "{\"ActiveDirectoryIdentityProvider\":{\"DirectoryId\":\"$directory\"}}" \
    --endpoint-url "$LMUS_URL" --region us-east-1 --output json >/dev/null || failures=$((failures + 1))
done < "$1"
echo "failures=$failures"
'''


class BenchError(Exception):
    """The benchmark could not run (as opposed to a target that was missed)."""


# ---------------------------------------------------------------------------- set-up

def check_tree(tree):
    manifest = tree / "ansible_collections" / "amazon" / "aws" / "MANIFEST.json"
    ours = tree / "ansible_collections" / "lmus" / "user_subscriptions"
    if not manifest.exists() or not ours.exists():
        raise BenchError(f"{tree} has no amazon.aws or lmus.user_subscriptions: run `make venv tree` first")
    if tree == TREE and ours.resolve() != ROOT:
        raise BenchError(f"{ours} does not point at this checkout: run `make tree`")
    if not (Path(sys.executable).parent / "ansible-playbook").exists():
        raise BenchError(f"ansible-playbook is not next to {sys.executable}: run this with .venv/bin/python")


def bench_venv_tool(requirement, executable):
    """A tool from PyPI in .build/bench-venv (kept apart from .venv: awscli pins its own botocore), installed once."""
    path = BENCH_VENV / "bin" / executable
    stamp = BENCH_VENV / f".installed-{executable}"
    if path.exists() and stamp.exists() and stamp.read_text(encoding="utf-8").strip() == requirement:
        return path
    print(f"==> set-up: {requirement} into {BENCH_VENV} (once)", flush=True)
    base = getattr(sys, "_base_executable", None) or shutil.which("python3")
    if not (BENCH_VENV / "bin" / "python").exists():
        subprocess.run([base, "-m", "venv", str(BENCH_VENV)], check=True)
    pip = [str(BENCH_VENV / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check", requirement]
    proc = subprocess.run(pip, capture_output=True, text=True, check=False)
    if proc.returncode != 0 or not path.exists():
        raise BenchError(f"could not install {requirement}:\n{proc.stdout}{proc.stderr}")
    stamp.write_text(requirement + "\n", encoding="utf-8")
    return path


def ensure_awscli():
    return bench_venv_tool(AWSCLI_REQUIREMENT, "aws")


def ensure_pyspy():
    return bench_venv_tool(PYSPY_REQUIREMENT, "py-spy")


def aws_config_playbook(tree):
    """The playbook that takes offboard_aws_config: the shipped one once it does, else benchmarks/offboard_aws_config.yml."""
    shipped = tree / "ansible_collections" / "lmus" / "user_subscriptions" / "playbooks" / "offboard.yml"
    if shipped.exists() and "offboard_aws_config" in shipped.read_text(encoding="utf-8"):
        return ROLE_PLAYBOOK, "the shipped playbook"
    return AWS_CONFIG_PLAYBOOK, f"{AWS_CONFIG_PLAYBOOK.relative_to(ROOT)}"


def default_retry_mode(tree):
    """How the collection's modules retry by default, read from module_utils/client.py."""
    client = tree / "ansible_collections" / "lmus" / "user_subscriptions" / "plugins" / "module_utils" / "client.py"
    text = client.read_text(encoding="utf-8") if client.exists() else ""
    if "RetryPolicy().attach" in text:
        return "the collection's retry layer (botocore's retries off)"
    match = re.search(r"""retries\s*=\s*\{\s*["']mode["']\s*:\s*["'](\w+)["']""", text)
    return f"botocore {match.group(1)}" if match else "unknown"


def write_wrapper(workdir):
    path = workdir / "python-rss"
    path.write_text(RSS_WRAPPER.format(python=sys.executable), encoding="utf-8")
    path.chmod(0o755)
    return path


def base_env(workdir, url, tree=TREE):
    """The environment of every child: dummy credentials, no AWS config files, no proxy."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "ANSIBLE_")) and k.lower() not in ("http_proxy", "https_proxy", "all_proxy")}
    env.update(
        AWS_ACCESS_KEY_ID=ACCESS_KEY,
        AWS_SECRET_ACCESS_KEY=SECRET_KEY,
        AWS_REGION=REGION,
        AWS_DEFAULT_REGION=REGION,
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
        ANSIBLE_COLLECTIONS_PATH=str(tree),
        ANSIBLE_LOCALHOST_WARNING="False",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="False",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_RETRY_FILES_ENABLED="False",
        ANSIBLE_LOCAL_TEMP=str(workdir / "ansible-tmp"),
        ANSIBLE_REMOTE_TEMP=str(workdir / "ansible-tmp"),
        LMUS_BENCH_RSS_LOG=str(workdir / "module-rss.tsv"),
        LMUS_URL=url,
    )
    return env


def run_timed(cmd, env, cwd, output):
    """Run to completion; (exit code, wall seconds, peak RSS in KiB of the largest process in the tree)."""
    with open(output, "w", encoding="utf-8") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, wall, usage.ru_maxrss


def module_runs(workdir):
    """[(module name, peak RSS KiB, start, end)] logged by the interpreter wrapper; the log is then emptied."""
    path = workdir / "module-rss.tsv"
    if not path.exists():
        return []
    runs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        name, rss, start, end = line.split("\t")
        runs.append((name, int(rss), float(start), float(end)))
    path.unlink()
    return runs


class CpuMeter:
    """CPU seconds the whole machine spent busy, and how much of it was not this benchmark (other sessions: noise)."""

    def __init__(self):
        self.start = self._sample()

    @staticmethod
    def _sample():
        fields = Path("/proc/stat").read_text(encoding="utf-8").splitlines()[0].split()[1:]
        user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
        busy = (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")
        ours = sum(getattr(resource.getrusage(who), f) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
                   for f in ("ru_utime", "ru_stime"))
        return busy, ours

    def stop(self):
        """(busy CPU seconds, of which other processes')."""
        busy, ours = self._sample()
        total = busy - self.start[0]
        return total, max(0.0, total - (ours - self.start[1]))


# ---------------------------------------------------------------------------- runs

class Run:
    def __init__(self, key, label, users):
        self.key = key
        self.label = label
        self.users = users  # departing users in this run
        self.wall = None
        self.rc = None
        self.log = []
        self.failed = 0  # failures the tool itself reported
        self.rss_kib = None  # peak RSS of the process doing the API work
        self.rss_what = ""
        self.tree_rss_kib = None
        self.modules = []
        self.verified = None  # None: not checked; else a message, "" when every expected removal happened
        self.notes = []
        self.cpu = None  # (machine busy CPU s, of which other processes') during the run

    # request-log statistics
    def count(self, operations=None, error=None, any_error=False):
        ops = (operations,) if isinstance(operations, str) else operations
        return sum(1 for e in self.log if (ops is None or e["operation"] in ops)
                   and (bool(e["error"]) if any_error else (error is None or e["error"] == error)))

    @property
    def by_operation(self):
        return collections.Counter(e["operation"] or "?" for e in self.log)

    @property
    def errors(self):
        return collections.Counter(e["error"] for e in self.log if e["error"])

    @property
    def lists(self):
        return self.count(LIST_OPERATIONS)

    @property
    def removals(self):
        return sum(1 for e in self.log if e["operation"] in WRITE_OPERATIONS and e["error"] is None)

    @property
    def user_filtered_lists(self):
        def by_user(entry):
            filters = (entry.get("params") or {}).get("Filters") or []
            return any(str(f.get("Attribute", "")).lower() == "username" for f in filters)
        return sum(1 for e in self.log if e["operation"] in LIST_OPERATIONS and by_user(e))

    def write_calls(self):
        """Each successful write as (operation, params) in a comparable form."""
        return sorted((e["operation"], json.dumps(e["params"], sort_keys=True)) for e in self.log
                      if e["operation"] in WRITE_OPERATIONS and e["error"] is None)

    @property
    def per_user(self):
        return self.wall / self.users

    def as_dict(self):
        return dict(key=self.key, label=self.label, users=self.users, wall_seconds=round(self.wall, 3), rc=self.rc, failed=self.failed,
                    calls=dict(self.by_operation), errors=dict(self.errors), removals=self.removals,
                    peak_rss_kib=self.rss_kib, peak_rss_of=self.rss_what, tree_peak_rss_kib=self.tree_rss_kib,
                    modules=[dict(name=n, peak_rss_kib=r, seconds=round(e - s, 3)) for n, r, s, e in self.modules],
                    verified=self.verified, notes=self.notes, cpu_busy_seconds=self.cpu and round(self.cpu[0], 1),
                    cpu_others_seconds=self.cpu and round(self.cpu[1], 1))


class Bench:
    def __init__(self, args, scenario, workdir):
        self.args = args
        self.scenario = scenario
        self.workdir = workdir
        self.faults = {"latency": args.latency}
        if args.throttle:
            self.faults.update(THROTTLE_PROFILES[args.throttle_profile](args))
        self.wrapper = write_wrapper(workdir)
        self.ansible_playbook = str(Path(sys.executable).parent / "ansible-playbook")
        self.slice = scenario.departing_names[:args.slice]
        self.expected_writes = self._expected_writes()
        self.profile_path = None

    def emulator(self):
        return Emulator(seed=self.scenario.seed, page_size=self.args.page_size, faults=dict(self.faults)).start()

    def _expected_writes(self):
        """The write calls that offboarding makes: by ARN, as the modules make them."""
        state = Emulator(seed=self.scenario.seed).state_dump()
        departing = set(self.scenario.departing_names)
        calls = [dict(operation="DisassociateUser", params=dict(InstanceUserArn=a["arn"]))
                 for a in state["associations"] if a["username"] in departing and a["status"] == "ASSOCIATED"]
        calls += [dict(operation="StopProductSubscription", params=dict(ProductUserArn=s["arn"]))
                  for s in state["product_subscriptions"] if s["username"] in departing and s["status"] == "SUBSCRIBED"]
        return calls

    def verify(self, emu, usernames, subscriptions=True):
        """'' when every association (and subscription) of ``usernames`` is gone, else what is left."""
        state = emu.state_dump()
        names = set(usernames)
        left = [a for a in state["associations"] if a["username"] in names and a["status"] != "DISASSOCIATED"]
        subs = [s for s in state["product_subscriptions"] if s["username"] in names and s["status"] != "UNSUBSCRIBED"] if subscriptions else []
        if not left and not subs:
            return ""
        return f"{len(left)} association(s) and {len(subs)} subscription(s) left"

    def env(self, emu):
        return base_env(self.workdir, emu.url, self.args.tree)

    # a / a2 / a3 ----------------------------------------------------------
    def run_role(self, key, label, playbook=ROLE_PLAYBOOK, aws_config=None):
        emu = self.emulator()
        try:
            extra = dict(offboard_usernames=self.scenario.departing_names, offboard_endpoint_url=emu.url,
                         offboard_concurrency=self.args.concurrency, ansible_python_interpreter=str(self.wrapper))
            if aws_config is not None:
                extra["offboard_aws_config"] = aws_config
            vars_path = self.workdir / f"{key}-vars.yml"
            vars_path.write_text(yaml.safe_dump(extra), encoding="utf-8")
            run = Run(key, label, len(self.scenario.departing_names))
            cmd = [self.ansible_playbook, str(playbook), "-e", f"@{vars_path}"]
            if self.args.profile and key == "a":
                self.profile_path = self.workdir / f"{key}.pyspy.txt"
                cmd = [str(ensure_pyspy()), "record", "--subprocesses", "--gil", "--rate", "100", "--format", "raw",
                       "--output", str(self.profile_path), "--"] + cmd
                run.notes.append(f"profiled with py-spy (slower than usual): {self.profile_path}")
            out = self.workdir / f"{key}.out"
            run.rc, run.wall, run.tree_rss_kib = run_timed(cmd, self.env(emu), self.workdir, out)
            run.log = emu.log
            run.modules = module_runs(self.workdir)
            run.rss_kib = max((m[1] for m in run.modules), default=None)
            run.rss_what = "module (largest AnsiballZ process)"
            # The role's own summary (task "Show the summary"), as the operator reads it.
            text = out.read_text(encoding="utf-8")
            summary = SUMMARY.search(text)
            if summary:
                run.failed = int(summary.group("failed"))
                run.notes.append("role: " + summary.group(0))
                run.notes.extend("role: " + line for line in FAILED_LINE.findall(text)[:3])
            else:
                run.failed = None
                run.notes.append(f"the role printed no summary; see {out}")
            run.verified = self.verify(emu, self.scenario.departing_names)
            return run
        finally:
            emu.stop()

    # b ----------------------------------------------------------------------
    def run_floor(self, key="b", label="b: threaded boto3 script, warm client", retries=None):
        emu = self.emulator()
        try:
            job = dict(endpoint_url=emu.url, region=REGION, concurrency=self.args.concurrency, retries=retries, calls=self.expected_writes)
            job_path = self.workdir / f"{key}-job.json"
            job_path.write_text(json.dumps(job), encoding="utf-8")
            run = Run(key, label, len(self.scenario.departing_names))
            cmd = [sys.executable, str(HERE / "floor.py"), str(job_path)]
            proc = subprocess.Popen(cmd, env=self.env(emu), cwd=self.workdir, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            ready = proc.stdout.readline().strip()
            if ready != "READY":
                proc.kill()
                raise BenchError(f"floor.py did not get ready: {ready!r}")
            emu.clear_log()
            proc.stdin.write("GO\n")
            proc.stdin.flush()
            line = proc.stdout.readline()
            try:
                result = json.loads(line)
            except ValueError as e:
                proc.kill()
                raise BenchError(f"floor.py did not report its result: {line!r}") from e
            proc.stdin.close()
            proc.stdout.close()
            _pid, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = run.rc = os.waitstatus_to_exitcode(status)
            run.wall = result["seconds"]
            run.failed = result["failed"]
            if result["errors"]:
                run.notes.append(f"errors: {result['errors']}")
            run.rss_kib = run.tree_rss_kib = usage.ru_maxrss
            run.rss_what = "the script's process"
            run.log = emu.log
            run.verified = self.verify(emu, self.scenario.departing_names)
            return run
        finally:
            emu.stop()

    # c ----------------------------------------------------------------------
    def run_loop(self, key="c"):
        emu = self.emulator()
        try:
            items = [dict(username=a["username"], instance_id=a["instance_id"], domain=a["domain"], directory_id=a["directory_id"])
                     for a in self.scenario.departing_associations(self.slice)]
            play = [dict(
                name="Per-user loop", hosts="localhost", connection="local", gather_facts=False,
                module_defaults={"group/lmus.user_subscriptions.lmus": dict(endpoint_url=emu.url, region=REGION)},
                tasks=[{
                    "name": "Remove each departing user from each of their instances",
                    MODULE: dict(state="absent", username="{{ item.username }}", instance_id="{{ item.instance_id }}",
                                 domain="{{ item.domain }}", directory_id="{{ item.directory_id }}"),
                    "loop": "{{ lmus_bench_items }}",
                }],
            )]
            playbook = self.workdir / f"{key}-loop.yml"
            playbook.write_text(yaml.safe_dump(play, sort_keys=False), encoding="utf-8")
            vars_path = self.workdir / f"{key}-vars.yml"
            vars_path.write_text(yaml.safe_dump(dict(lmus_bench_items=items, ansible_python_interpreter=str(self.wrapper))), encoding="utf-8")
            run = Run(key, f"c: per-user loop of {MODULE.rsplit('.', 1)[1]}", len(self.slice))
            env = dict(self.env(emu), ANSIBLE_STDOUT_CALLBACK="json", ANSIBLE_LOAD_CALLBACK_PLUGINS="1")
            out = self.workdir / f"{key}.out"
            run.rc, run.wall, run.tree_rss_kib = run_timed([self.ansible_playbook, str(playbook), "-e", f"@{vars_path}"], env, self.workdir, out)
            run.log = emu.log
            run.modules = module_runs(self.workdir)
            run.rss_kib = max((m[1] for m in run.modules), default=None)
            run.rss_what = "module (largest AnsiballZ process)"
            try:
                text = out.read_text(encoding="utf-8")
                report = json.loads(text[text.index("{"):])
                results = report["plays"][0]["tasks"][0]["hosts"]["localhost"]["results"]
                run.failed = sum(1 for r in results if r.get("failed"))
            except (ValueError, KeyError, IndexError):
                run.failed = None
                run.notes.append(f"could not read the results; see {out}")
            run.notes.append(f"{len(items)} loop iterations ({len(items) / len(self.slice):.0f} per user), "
                             f"{len(run.modules)} module runs")
            run.verified = self.verify(emu, self.slice, subscriptions=False)
            return run
        finally:
            emu.stop()

    # d ----------------------------------------------------------------------
    def run_cli(self, key="d"):
        aws = ensure_awscli()
        emu = self.emulator()
        try:
            rows = self.scenario.departing_associations(self.slice)
            tsv = self.workdir / f"{key}-slice.tsv"
            tsv.write_text("".join(f"{a['username']}\t{a['instance_id']}\t{a['domain']}\t{a['directory_id']}\n" for a in rows), encoding="utf-8")
            script = self.workdir / f"{key}-loop.sh"
            script.write_text(CLI_LOOP, encoding="utf-8")
            env = self.env(emu)
            env["PATH"] = f"{aws.parent}{os.pathsep}{env.get('PATH', '')}"
            run = Run(key, "d: shell loop of aws disassociate-user", len(self.slice))
            out = self.workdir / f"{key}.out"
            run.rc, run.wall, run.tree_rss_kib = run_timed(["bash", str(script), str(tsv)], env, self.workdir, out)
            run.rss_kib = run.tree_rss_kib
            run.rss_what = "largest aws CLI process"
            run.log = emu.log
            tail = out.read_text(encoding="utf-8").strip().splitlines()
            run.failed = int(tail[-1].split("=", 1)[1]) if tail and tail[-1].startswith("failures=") else None
            version = subprocess.run([str(aws), "--version"], capture_output=True, text=True, env=env, check=False)
            run.notes.append(f"{len(rows)} CLI calls ({len(rows) / len(self.slice):.0f} per user); {(version.stdout or version.stderr).strip()}")
            run.verified = self.verify(emu, self.slice, subscriptions=False)
            return run
        finally:
            emu.stop()


# ---------------------------------------------------------------------------- report

def mib(kib):
    return "-" if kib is None else f"{kib / 1024:.0f}"


def machine(tree=TREE):
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        mem_kib = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines() if line.startswith("MemTotal"))
    except (OSError, StopIteration, ValueError):
        mem_kib = 0
    import ansible.release  # pylint: disable=import-outside-toplevel
    import boto3  # pylint: disable=import-outside-toplevel
    import botocore  # pylint: disable=import-outside-toplevel
    aws = json.loads((tree / "ansible_collections" / "amazon" / "aws" / "MANIFEST.json").read_text(encoding="utf-8"))["collection_info"]["version"]
    git = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", "plugins", "roles", "playbooks", "meta"],
                           capture_output=True, text=True, check=False).stdout.strip()
    return dict(commit=(git or "unknown") + (" with uncommitted changes in plugins/roles/playbooks/meta" if dirty else ""),
                nproc=os.cpu_count(), cpu=model, ram_gib=round(mem_kib / 1024 / 1024, 1), python=platform.python_version(),
                ansible_core=ansible.release.__version__, amazon_aws=aws, boto3=boto3.__version__, botocore=botocore.__version__,
                kernel=platform.release())


def table(rows, headers, aligns):
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) for i, h in enumerate(headers)]

    def line(cells):
        return "| " + " | ".join(str(c).rjust(w) if a == "r" else str(c).ljust(w) for c, w, a in zip(cells, widths, aligns)) + " |"
    sep = "|" + "|".join(("-" * (w + 1) + ":") if a == "r" else ("-" * (w + 2)) for w, a in zip(widths, aligns)) + "|"
    return "\n".join([line(headers), sep] + [line(r) for r in rows])


def print_results(runs, reference, full_users, rate_bound=None):
    headers = ["run", "users", "wall s", "ms/user", f"{full_users:,} users s", "x bound" if rate_bound else "x b",
               "API calls", "list", "writes ok", "throttled", "calls/removal", "module peak RSS MiB", "failed"]
    rows = []
    for run in runs:
        full = run.per_user * full_users
        ratio = full / rate_bound if rate_bound else (full / reference.wall if reference else None)
        removals = run.removals
        rows.append([run.label, run.users, f"{run.wall:.1f}", f"{run.per_user * 1000:.1f}",
                     f"{full:.1f}" + ("" if run.users == full_users else " (est.)"),
                     "-" if ratio is None else f"{ratio:.2f}", len(run.log), run.lists, removals,
                     run.count(error="ThrottlingException"), f"{len(run.log) / removals:.2f}" if removals else "-",
                     mib(run.rss_kib), "?" if run.failed is None else run.failed])
    print(table(rows, headers, "lrrrrrrrrrrrr"))
    print()
    ops = [op for op in OPERATION_ORDER if any(run.by_operation.get(op) for run in runs)]
    ops += sorted({op for run in runs for op in run.by_operation} - set(ops))
    codes = sorted({code for run in runs for code in run.errors})
    rows = [[run.key] + [run.by_operation.get(op, 0) for op in ops] + [run.errors.get(code, 0) for code in codes] for run in runs]
    print("API calls by operation (emulator request log)" + (", and error answers" if codes else "") + ":")
    print(table(rows, ["run"] + ops + codes, "l" + "r" * (len(ops) + len(codes))))
    print()
    for run in runs:
        print(run.label)
        if run.modules:
            total = busy_time([(start, end) for _n, _r, start, end in run.modules])
            per = collections.OrderedDict()
            for name, rss, start, end in run.modules:
                seconds, peak, n = per.get(name, (0.0, 0, 0))
                per[name] = (seconds + end - start, max(peak, rss), n + 1)
            parts = ", ".join(f"{name} {s:.1f} s / {mib(p)} MiB" + (f" ({n} runs)" if n > 1 else "") for name, (s, p, n) in per.items())
            print(f"    wall {run.wall:.1f} s = module processes {total:.1f} s [{parts}] + controller alone {run.wall - total:.1f} s")
            if len(run.modules) <= 10:
                for line in module_timeline(run):
                    print(f"      {line}")
        print(f"    peak RSS: {run.rss_what} {mib(run.rss_kib)} MiB; whole process tree max {mib(run.tree_rss_kib)} MiB; exit code {run.rc}")
        if run.cpu:
            print(f"    CPU: machine busy {run.cpu[0]:.1f} CPU-s during the run, {run.cpu[1]:.1f} of them outside this benchmark (other sessions)")
        if run.log:
            start = min(e["time"] for e in run.log)
            writes = [e["time"] for e in run.log if e["write"]]
            if writes:
                reads_before = [e["time"] for e in run.log if not e["write"] and e["time"] < min(writes)]
                span = f"reads {max(reads_before) - start:.1f} s, " if reads_before else ""
                print(f"    API: {span}first write at +{min(writes) - start:.1f} s, writes over {max(writes) - min(writes):.1f} s")
        for note in run.notes:
            print(f"    {note}")
        if run.verified is not None:
            print(f"    emulator state: {'every expected removal done' if run.verified == '' else run.verified}")
    print()


def busy_time(intervals):
    """Seconds covered by at least one of the (start, end) intervals."""
    total, reach = 0.0, None
    for start, end in sorted(intervals):
        if reach is None or start > reach:
            total += end - start
            reach = end
        elif end > reach:
            total += end - reach
            reach = end
    return total


def module_timeline(run):
    """Per module run: start-up (process start to its first API call), API time, wind-down (last answer to exit)."""
    lines = []
    for name, _rss, start, end in run.modules:
        if any(s < end and start < e for n, _r, s, e in run.modules if (s, e) != (start, end)):
            name += " (ran alongside another module; calls counted by time)"
        calls = [e for e in run.log if start <= e["time"] <= end]
        if not calls:
            lines.append(f"{name}: {end - start:.2f} s, no API call")
            continue
        first = min(e["time"] for e in calls)
        last = max(e["time"] + (e["duration"] or 0) for e in calls)
        ops = collections.Counter(e["operation"] for e in calls)
        lines.append(f"{name}: {end - start:.2f} s = start-up {first - start:.2f} s + API {last - first:.2f} s "
                     f"({', '.join(f'{n} {op}' for op, n in ops.items())}) + wind-down {end - last:.2f} s")
    return lines


# Frames that only wait (threads blocked on sockets, locks, child processes) in py-spy's samples.
WAITING = ("SocketIO.readinto", "Condition.wait", "_wait_on_pending_results", "select (selectors.py", "Event.wait", "Thread.join",
           "poll_wait_for_socket", "Lock.acquire", "Popen._wait", "Popen.wait", "time.sleep")


def print_profile(path, top=15):
    """Where the CPU went, per process kind (the controller, each module), from py-spy's raw (collapsed) output."""
    self_time = collections.defaultdict(collections.Counter)
    ours = collections.defaultdict(collections.Counter)
    totals = collections.Counter()
    for line in path.read_text(encoding="utf-8").splitlines():
        stack, _sep, count = line.rpartition(" ")
        frames = stack.split(";")
        kind = next((re.sub(r".*AnsiballZ_(\w+)\.py.*", r"\1", f) for f in frames if "AnsiballZ_" in f), "controller (ansible-playbook)")
        frames = [f for f in frames if not f.startswith("process ")]
        if not frames or any(w in frames[-1] for w in WAITING):
            continue
        totals[kind] += int(count)
        self_time[kind][frames[-1]] += int(count)
        for frame in set(frames):
            if "user_subscriptions" in frame or "offboard.py" in frame or "module_utils/" in frame:
                ours[kind][frame] += int(count)
    print(f"Profile (py-spy --gil: the thread holding the GIL, 100 samples/s, waiting frames left out): {path}")
    for kind, total in totals.most_common():
        print(f"  {kind}: {total / 100:.1f} s on CPU")
        for frame, n in self_time[kind].most_common(top):
            print(f"      self {n / 100:5.2f} s  {frame}")
        for frame, n in ours[kind].most_common(8):
            print(f"      incl {n / 100:5.2f} s  {frame}")
    print()


class Targets:
    def __init__(self):
        self.rows = []

    def check(self, name, passed, detail, counted=True):
        self.rows.append((name, passed, detail, counted))

    def print(self):
        print("Targets:")
        for name, passed, detail, counted in self.rows:
            print(f"  {'PASS' if passed else 'FAIL'}  {name}: {detail}" + ("" if counted else "  (informational)"))
        print()

    @property
    def failed(self):
        return [r for r in self.rows if r[3] and not r[1]]


def completed(targets, run, counted=True):
    ok = run.rc == 0 and run.failed == 0 and run.verified == ""
    targets.check(f"{run.key} finishes with zero failures", ok,
                  f"exit code {run.rc}, {run.failed} failed, {run.verified or 'every association and subscription removed'}", counted)
    return ok


def main_targets(runs, scenario, page_size):
    targets = Targets()
    a, b, c = runs.get("a"), runs.get("b"), runs.get("c")
    if a:
        completed(targets, a)
        if b:
            limit = ROLE_VS_FLOOR_FACTOR * b.wall + ROLE_VS_FLOOR_SLACK
            targets.check(f"a within {ROLE_VS_FLOOR_FACTOR}x b + {ROLE_VS_FLOOR_SLACK:.0f} s", a.wall <= limit,
                          f"{a.wall:.1f} s vs limit {limit:.1f} s (b {b.wall:.1f} s; a/b {a.wall / b.wall:.2f})")
            same = a.write_calls() == b.write_calls()
            targets.check("b makes exactly a's write calls", same, f"{len(b.write_calls())} vs {len(a.write_calls())} successful writes, "
                          + ("same operations and parameters" if same else "they differ"))
        if c:
            speedup = c.per_user / a.per_user
            targets.check(f"a at least {PER_USER_SPEEDUP:.0f}x faster per user than c", speedup >= PER_USER_SPEEDUP,
                          f"{a.per_user * 1000:.1f} ms vs {c.per_user * 1000:.0f} ms per user: {speedup:.0f}x")
        bound = scenario.read_bound(page_size)
        targets.check("a makes no per-user reads", a.lists <= bound and a.lists < a.users,
                      f"{a.lists} list calls for {a.users} users, bound {bound} (every instance, identity provider and product read in full "
                      f"once, {page_size} per page); {a.user_filtered_lists} narrowed by Username")
        if a.rss_kib is not None:
            targets.check(f"module peak RSS under {MODULE_RSS_LIMIT_MB:.0f} MB", a.rss_kib * 1024 < MODULE_RSS_LIMIT_MB * 1e6,
                          f"{a.rss_kib / 1024:.0f} MiB ({a.rss_kib * 1024 / 1e6:.0f} MB), largest module process of a")
    return targets


def throttle_targets(runs, rate_bound):
    targets = Targets()
    for key in ("a", "a2", "a3"):
        run = runs.get(key)
        if run is None:
            continue
        counted = key == "a"
        completed(targets, run, counted)
        if rate_bound:
            limit = THROTTLED_FACTOR * rate_bound
            targets.check(f"{key} within {THROTTLED_FACTOR}x the rate bound", run.wall <= limit,
                          f"{run.wall:.1f} s vs limit {limit:.1f} s (bound {rate_bound:.1f} s; {run.wall / rate_bound:.2f}x); "
                          f"{run.count(error='ThrottlingException')} throttled answers", counted)
    a, others = runs.get("a"), [runs[k] for k in ("a2", "a3") if k in runs]
    if a and others:
        best = min(others, key=lambda run: run.wall)
        limit = THROTTLED_VS_BOTOCORE_FACTOR * best.wall
        targets.check(f"a within {THROTTLED_VS_BOTOCORE_FACTOR}x the better of botocore's modes", a.wall <= limit,
                      f"{a.wall:.1f} s vs limit {limit:.1f} s ({best.key} {best.wall:.1f} s, {best.failed} failed; a/{best.key} {a.wall / best.wall:.2f})")
    return targets


# ---------------------------------------------------------------------------- main

def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0], formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="runs: a = role, a2 / a3 = role with aws_config adaptive / standard retries, b = boto3 floor, "
                                            "c = module loop, d = aws CLI loop")
    parser.add_argument("--throttle", action="store_true", help="the throttling variant, see --throttle-profile")
    parser.add_argument("--throttle-profile", choices=sorted(THROTTLE_PROFILES), default="bucket",
                        help="bucket: writes limited to --write-rate per second; random30 / random60: that share of all calls throttled")
    parser.add_argument("--runs", help="comma-separated subset of a,a2,a3,b,c,d (default: a,b,c,d; with --throttle: a,a2,a3)")
    parser.add_argument("--check-targets", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--users", type=int, default=1000, help="departing users (the whole world scales with it; default 1000)")
    parser.add_argument("--slice", type=int, default=50, help="departing users in the c and d loops (default 50)")
    parser.add_argument("--concurrency", type=int, default=8, help="offboard_concurrency, and b's threads (default 8)")
    parser.add_argument("--latency", type=float, default=0.02, help="emulator latency per call, seconds (default 0.02)")
    parser.add_argument("--write-rate", type=float, default=10.0, help="--throttle: writes per second (default 10)")
    parser.add_argument("--page-size", type=int, default=PAGE_SIZE, help=f"emulator page size (default {PAGE_SIZE})")
    parser.add_argument("--repeat", type=int, default=3, help="run a, a2, a3 and b N times each and report the median (default 3; not with --throttle)")
    parser.add_argument("--profile", action="store_true", help="run a under py-spy (installed into .build/bench-venv) and print the hot spots")
    parser.add_argument("--tree", type=Path, default=TREE, help=f"ANSIBLE_COLLECTIONS_PATH to benchmark (default {TREE.relative_to(ROOT)})")
    parser.add_argument("--json", help="also write the results as JSON to this file")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (playbooks, outputs, reports)")
    args = parser.parse_args(argv)
    args.runs = [r.strip() for r in args.runs.split(",") if r.strip()] if args.runs else None
    unknown = set(args.runs or ()) - {"a", "a2", "a3", "b", "c", "d"}
    if unknown:
        parser.error(f"--runs: unknown run(s) {', '.join(sorted(unknown))}")
    args.slice = min(args.slice, args.users)
    return args


def main(argv=None):
    args = parse_args(argv)
    args.tree = args.tree.resolve()
    check_tree(args.tree)
    if args.runs is None:
        args.runs = ["a", "a2", "a3"] if args.throttle else ["a", "b", "c", "d"]
    if "d" in args.runs:
        ensure_awscli()
    (ROOT / ".build").mkdir(exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="bench-", dir=ROOT / ".build"))
    try:
        scenario = Scenario(departing=args.users)
        bench = Bench(args, scenario, workdir)
        info = machine(args.tree)
        variant = (f"throttled ({args.throttle_profile}: {THROTTLE_PROFILES[args.throttle_profile](args)}), " if args.throttle else "") \
            + f"{args.latency * 1000:g} ms latency per call"
        print(f"Scenario: {scenario.summary()}; {variant}; page size {args.page_size}; concurrency {args.concurrency}.")
        print(f"Machine: {info['nproc']} CPU ({info['cpu']}), {info['ram_gib']} GiB RAM, Python {info['python']}, "
              f"ansible-core {info['ansible_core']}, amazon.aws {info['amazon_aws']}, boto3 {info['boto3']} / botocore {info['botocore']}")
        print(f"Collection: commit {info['commit']}" + ("" if args.tree == TREE else f", tree {args.tree}"))
        print(f"Command: .venv/bin/python benchmarks/offboard_bench.py {' '.join(sys.argv[1:] if argv is None else argv)}".rstrip())
        print()
        playbook, playbook_name = aws_config_playbook(args.tree)
        print(f"Retries of the modules by default: {default_retry_mode(args.tree)}; a2/a3 pass offboard_aws_config through {playbook_name}.")
        plan = {
            "a": lambda: bench.run_role("a", "a: offboard role" + (" (defaults)" if args.throttle else "")),
            "a2": lambda: bench.run_role("a2", "a2: offboard role, botocore adaptive", playbook, {"retries": {"mode": "adaptive", "max_attempts": 10}}),
            "a3": lambda: bench.run_role("a3", "a3: offboard role, botocore standard", playbook, {"retries": {"mode": "standard", "max_attempts": 10}}),
            "b": bench.run_floor,
            "c": bench.run_loop,
            "d": bench.run_cli,
        }
        runs = {}
        for key in ("a", "a2", "a3", "b", "c", "d"):
            if key in args.runs:
                print(f"==> {key} ...", end=" ", flush=True)
                tries = []
                for _attempt in range(max(1, args.repeat) if key in ("a", "a2", "a3", "b") and not args.throttle else 1):
                    meter = CpuMeter()
                    tries.append(plan[key]())
                    tries[-1].cpu = meter.stop()
                    print(f"{tries[-1].wall:.1f} s", end=" ", flush=True)
                tries.sort(key=lambda r: r.wall)
                runs[key] = tries[(len(tries) - 1) // 2]
                if len(tries) > 1:
                    runs[key].notes.append(f"median of {len(tries)} runs: " + ", ".join(f"{r.wall:.1f} s" for r in tries)
                                           + " (CPU-s used by other sessions meanwhile: " + ", ".join(f"{r.cpu[1]:.1f}" for r in tries) + ")")
                print(flush=True)
        print()
        rate_bound = len(bench.expected_writes) / args.write_rate if args.throttle and args.throttle_profile == "bucket" else None
        if rate_bound:
            print(f"Rate bound: {len(bench.expected_writes)} writes / {args.write_rate:g} per second = {rate_bound:.1f} s")
        print_results(list(runs.values()), runs.get("b"), args.users, rate_bound)
        targets = throttle_targets(runs, rate_bound) if args.throttle else main_targets(runs, scenario, args.page_size)
        targets.print()
        if bench.profile_path and bench.profile_path.exists():
            print_profile(bench.profile_path)
            args.keep = True
        if args.json:
            Path(args.json).write_text(json.dumps(dict(machine=info, args=vars(args), scenario=scenario.summary(), rate_bound=rate_bound,
                                                       runs=[r.as_dict() for r in runs.values()],
                                                       targets=[dict(name=n, passed=p, detail=d, counted=c) for n, p, d, c in targets.rows]),
                                                  indent=1, default=str), encoding="utf-8")
        if args.keep:
            print(f"Work directory kept: {workdir}")
        return 1 if args.check_targets and targets.failed else 0
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as e:
        print(f"ERROR: {e}", file=sys.stderr)
        sys.exit(2)
