# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The support matrix (``make matrix``; docs/support.md). ``make test`` runs the cells (--cells-only) beside the full
suite, after the checks, and prints the table (--table-only) when both are done.

For each cell of tools/matrix.yml: a venv of its own under .build/matrix/venvs with one ansible-core and one
boto3/botocore release and nothing else (created without pip and filled by .venv's pip; kept while its
requirements stay the same), then the smoke tests (``pytest -m smoke tests/integration``), run by .venv's pytest
with LMUS_ANSIBLE_BIN pointing at the cell's bin/: the tests run that venv's ``ansible-playbook`` and ``ansible``,
whose Python runs the modules with that botocore. The collections (amazon.aws, ansible.posix) come from the build
tree, .build/collections, as in every other run.

Prints the matrix as a table at the end, the full suite's row (from the JUnit file ``make pytest`` writes,
when --main names it) first, and exits non-zero when any row failed.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / ".build"
TREE = BUILD / "collections"
MATRIX = BUILD / "matrix"
# pip prints these for this machine's local package mirrors; they say nothing about the install.
PIP_NOISE = re.compile(r"^(WARNING|DEPRECATION): .*Location '?file:.*is ignored|^Looking in (links|indexes)")


def pins(path, operator):
    """{name: version} for the ``name<operator>version`` lines of a requirements file."""
    found = {}
    for line in (ROOT / path).read_text(encoding="utf-8").splitlines():
        match = re.match(rf"^([A-Za-z0-9_.-]+)\s*{re.escape(operator)}\s*([0-9][0-9.]*)\s*$", line.split("#", 1)[0].strip())
        if match:
            found[match.group(1).lower()] = match.group(2)
    return found


def botocore_releases():
    """{"minimum": ..., "newest": ...}: requirements.txt's lower bound and requirements-dev.txt's pin."""
    minimum, newest = pins("requirements.txt", ">="), pins("requirements-dev.txt", "==")
    for name in ("boto3", "botocore"):
        for where, found in (("requirements.txt", minimum), ("requirements-dev.txt", newest)):
            if name not in found:
                raise SystemExit(f"matrix: {where} names no {name} version")
        if minimum[name] != minimum["botocore"] or newest[name] != newest["botocore"]:
            raise SystemExit("matrix: boto3 and botocore must be the same release in requirements.txt and requirements-dev.txt")
    return {"minimum": minimum["botocore"], "newest": newest["botocore"]}


class Row:
    """One line of the table: what ran, where, and how it went."""

    def __init__(self, core, botocore, tests, venv=None, skips_allowed=False):
        self.core, self.botocore, self.tests, self.venv = core, botocore, tests, venv
        self.skips_allowed = skips_allowed
        self.passed = self.failed = self.skipped = 0
        self.setup = "-"  # how the venv came to be: the time its creation took, or "kept"
        self.duration = None
        self.problem = None

    @property
    def ok(self):
        """Passed, with no failure. A smoke cell also skips nothing (a skipped smoke test is a release not tested); the
        full suite may skip what this machine cannot do (tests that need root, for one), and its row says how many."""
        return self.problem is None and self.failed == 0 and self.passed > 0 and (self.skips_allowed or not self.skipped)

    def count(self, junit):
        """Read pytest's JUnit XML: passed, failed (failures and errors), skipped."""
        try:
            root = ET.parse(junit).getroot()
        except (OSError, ET.ParseError) as e:
            self.problem = self.problem or f"no test results ({e})"
            return
        suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
        total = sum(int(s.get("tests", 0)) for s in suites)
        self.failed = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
        self.skipped = sum(int(s.get("skipped", 0)) for s in suites)
        self.passed = total - self.failed - self.skipped
        if self.duration is None:
            self.duration = sum(float(s.get("time", 0)) for s in suites)


def cells(releases):
    data = yaml.safe_load((ROOT / "tools" / "matrix.yml").read_text(encoding="utf-8"))
    rows = []
    for cell in data["cells"]:
        core, which = str(cell["ansible_core"]), cell["botocore"]
        if which not in releases:
            raise SystemExit(f"matrix: tools/matrix.yml: botocore must be one of {sorted(releases)}, not {which!r}")
        name = f"core-{core}_botocore-{releases[which]}"
        rows.append(Row(core, f"{releases[which]} ({which})", "smoke", MATRIX / "venvs" / name))
    return rows


def run(cmd, **kwargs):
    return subprocess.run(cmd, capture_output=True, text=True, check=False, **kwargs)


def quiet(output):
    return "\n".join(line for line in output.splitlines() if not PIP_NOISE.search(line))


def make_venv(row, botocore):
    """The cell's venv with exactly these releases; kept from an earlier run when its requirements are the same."""
    requirements = f"ansible-core=={row.core}\nboto3=={botocore}\nbotocore=={botocore}\n"
    stamp, stamped = row.venv / ".installed", requirements + "# compiled\n"
    python = row.venv / "bin" / "python"
    if python.exists() and stamp.exists() and stamp.read_text(encoding="utf-8") == stamped:
        return False
    shutil.rmtree(row.venv, ignore_errors=True)
    # No pip in the cell: creating one costs seconds per venv; .venv's pip installs into it (pip --python).
    proc = run([sys.executable, "-m", "venv", "--without-pip", str(row.venv)])
    if proc.returncode == 0:
        pip = [sys.executable, "-m", "pip", "--python", str(python)]
        # pip compiles the packages' modules as it installs them. Without that, where PYTHONDONTWRITEBYTECODE is set
        # (it is on some machines), every ansible command would compile ansible-core and botocore anew.
        proc = run(pip + ["install", "-q", "--only-binary=:all:"] + requirements.split())
        if proc.returncode == 0:
            proc = run(pip + ["check"])
    if proc.returncode != 0:
        raise RuntimeError(f"creating the venv failed:\n{quiet(proc.stdout + proc.stderr)}")
    stamp.write_text(stamped, encoding="utf-8")
    return True


def check_venv(row, botocore, env):
    """What the cell's ansible and Python really are: the versions it stands for, and its own Python."""
    proc = run([str(row.venv / "bin" / "python"), "-c",
                "import ansible.release, boto3, botocore; print(ansible.release.__version__, boto3.__version__, botocore.__version__)"])
    found = proc.stdout.split()
    if proc.returncode != 0 or found != [row.core, botocore, botocore]:
        raise RuntimeError(f"the venv holds {found or proc.stderr.strip()}, not ansible-core {row.core} and boto3/botocore {botocore}")
    for command in COMMANDS:
        proc = run([str(row.venv / "bin" / command), "--version"], env=env)
        if proc.returncode != 0 or f"[core {row.core}]" not in proc.stdout or str(row.venv / "bin" / "python") not in proc.stdout:
            raise RuntimeError(f"`{command} --version` in the venv does not name ansible-core {row.core} and the venv's Python:\n"
                               f"{proc.stdout}{proc.stderr}")


# The commands the tests run (tests/integration/harness.py bin_path): each must be the cell's own.
COMMANDS = ("ansible", "ansible-playbook", "ansible-galaxy")


def run_cell(row, workers):
    botocore = row.botocore.split()[0]
    print(f"==> matrix: ansible-core {row.core}, boto3/botocore {row.botocore}: {row.venv.relative_to(ROOT)}", flush=True)
    env = dict(os.environ)
    env.update(
        ANSIBLE_COLLECTIONS_PATH=str(TREE),
        PYTHONPATH=os.pathsep.join([str(TREE), str(ROOT / "tests" / "emulator")]),
        LMUS_ANSIBLE_BIN=str(row.venv / "bin"),
        PATH=os.pathsep.join([str(row.venv / "bin"), env.get("PATH", "")]),
    )
    start = time.monotonic()
    try:
        created = make_venv(row, botocore)
        try:
            check_venv(row, botocore, env)
        except RuntimeError as e:
            if created:
                raise
            # A venv kept from an earlier run that has since been damaged: made again, once.
            print(f"    the venv kept from an earlier run fails its check, made again: {str(e).splitlines()[0]}", flush=True)
            shutil.rmtree(row.venv, ignore_errors=True)
            created = make_venv(row, botocore)
            check_venv(row, botocore, env)
    except RuntimeError as e:
        row.problem = str(e)
        print(f"    {e}", flush=True)
        return
    row.setup = seconds(time.monotonic() - start) if created else "kept"
    print(f"    venv {'created in ' + row.setup if created else 'kept from an earlier run'}; pytest -m smoke", flush=True)
    junit = MATRIX / "junit" / f"{row.venv.name}.xml"
    junit.parent.mkdir(parents=True, exist_ok=True)
    if junit.exists():
        junit.unlink()
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "smoke", f"--junitxml={junit}"]
    if workers > 0:
        cmd += ["-p", "xdist", "-n", str(workers)]
    start = time.monotonic()
    rc = subprocess.run(cmd + ["tests/integration"], cwd=ROOT, env=env, check=False).returncode
    row.duration = time.monotonic() - start
    row.count(junit)
    if rc != 0 and row.ok:
        row.problem = f"pytest exited with {rc}"


def seconds(value):
    if value is None:
        return "-"
    return f"{value:.0f} s" if value < 100 else f"{int(value // 60)} min {value % 60:02.0f} s"


def table(rows):
    header = ("ansible-core", "boto3/botocore", "tests", "passed", "failed", "venv", "test time", "result")
    lines = [header]
    for row in rows:
        result = "ok" if row.ok else "FAILED" + (f": {row.problem.splitlines()[0]}" if row.problem else "")
        if row.skipped and not row.problem:
            result += f" ({row.skipped} skipped)"
        lines.append((row.core, row.botocore, row.tests, str(row.passed), str(row.failed), row.setup, seconds(row.duration), result))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = []
    for n, line in enumerate(lines):
        out.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(line)).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


RESULTS = MATRIX / "cells.json"
FIELDS = ("core", "botocore", "tests", "passed", "failed", "skipped", "setup", "duration", "problem")


def save(rows, elapsed):
    MATRIX.mkdir(parents=True, exist_ok=True)
    data = {"elapsed": elapsed, "rows": [dict({key: getattr(row, key) for key in FIELDS}, venv=str(row.venv)) for row in rows]}
    RESULTS.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


def load():
    """The cells' rows and the time they took, as the last run of the cells left them."""
    try:
        data = json.loads(RESULTS.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise SystemExit(f"matrix: no results of the cells in {RESULTS.relative_to(ROOT)} ({e}): run tools/matrix.py without --table-only")
    rows = []
    for item in data["rows"]:
        row = Row(item["core"], item["botocore"], item["tests"], Path(item["venv"]))
        for key in FIELDS[3:]:
            setattr(row, key, item[key])
        rows.append(row)
    return rows, data["elapsed"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--main", type=Path, help="the JUnit XML of the full suite's run on .venv (make pytest), reported as the first row")
    parser.add_argument("--workers", type=int, default=int(os.environ.get("PYTEST_WORKERS", "2")), help="pytest-xdist workers per cell (0: none)")
    phase = parser.add_mutually_exclusive_group()
    phase.add_argument("--cells-only", action="store_true",
                       help=f"run the cells and keep their results in {RESULTS.relative_to(ROOT)}; print no table (make test runs them beside the full suite)")
    phase.add_argument("--table-only", action="store_true", help="print the table from the kept results of the cells (and --main); run nothing")
    args = parser.parse_args()

    releases = botocore_releases()
    if args.table_only:
        cell_rows, elapsed = load()
        wanted = [(row.core, row.botocore) for row in cells(releases)]
        kept = [(row.core, row.botocore) for row in cell_rows]
        if kept != wanted:
            raise SystemExit(f"matrix: {RESULTS.relative_to(ROOT)} holds the cells {kept}, tools/matrix.yml names {wanted}: "
                             "run the cells again (tools/matrix.py without --table-only)")
    else:
        RESULTS.unlink(missing_ok=True)
        started = time.monotonic()
        cell_rows = []
        for row in cells(releases):
            run_cell(row, args.workers)
            cell_rows.append(row)
        elapsed = time.monotonic() - started
        save(cell_rows, elapsed)
    if args.cells_only:
        failed = [row for row in cell_rows if not row.ok]
        print(f"==> matrix: {len(cell_rows)} cell(s) in {seconds(elapsed)}, {len(failed)} failed; the table follows the full suite", flush=True)
        return 1 if failed else 0

    rows = []
    if args.main:
        main_row = Row(pins("requirements-dev.txt", "==")["ansible-core"], f"{releases['newest']} (newest)", "full suite", skips_allowed=True)
        main_row.setup = ".venv"
        main_row.count(args.main)
        rows.append(main_row)
    rows += cell_rows
    text = table(rows)
    MATRIX.mkdir(parents=True, exist_ok=True)
    (MATRIX / "table.txt").write_text(text + "\n", encoding="utf-8")
    print(f"\n==> matrix: the support matrix (docs/support.md); its venvs and smoke tests took {seconds(elapsed)}\n{text}", flush=True)
    failed = [row for row in rows if not row.ok]
    if failed:
        print(f"ERROR: {len(failed)} row(s) of the support matrix failed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
