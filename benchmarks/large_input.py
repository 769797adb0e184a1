# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Large input: a dry run of the offboard role for 100,000 departing names, and the name filter alone.

    make venv tree                                   # once
    nice .venv/bin/python benchmarks/large_input.py  # about 5 minutes on 2 CPUs

(docs/performance.md has the results.) The emulator holds the benchmark's usual world
(benchmarks/scenario.py at 1,000 departing users: 100 instances, 6,000 associations); the
departing list is those 1,000 users and 99,000 names nobody holds, so every step of the role
(the name filter, the removal items, both module runs, the report) sees 100,000 names. It
prints the wall time, the peak RSS of the largest process of the run (ansible-playbook, its
workers and the module processes, from wait4) and of each module process (from the interpreter
wrapper of offboard_bench.py), and times lmus.user_subscriptions.departing_usernames on
100,000 names as a list and as a survey's text. Nothing leaves 127.0.0.1; the credentials
are dummies.
"""

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from offboard_bench import ROOT, TREE, BenchError, base_env, check_tree, mib, module_runs, run_timed, write_wrapper  # noqa: E402 pylint: disable=C0413
from scenario import PAGE_SIZE, Scenario  # noqa: E402 pylint: disable=wrong-import-position
from lmus_emulator import Emulator  # noqa: E402 pylint: disable=wrong-import-position,wrong-import-order

FILTER_LIMIT_S = 2.0


def time_filter(tree, names):
    """Seconds departing_usernames takes for ``names`` as a list, and as one survey text."""
    sys.path.insert(0, str(tree))
    from ansible_collections.lmus.user_subscriptions.plugins.filter.offboard import departing_usernames  # pylint: disable=C0415
    timings = {}
    for shape, given in (("list", list(names)), ("survey text", "\n".join(names))):
        started = time.perf_counter()
        result = departing_usernames(given)
        timings[shape] = time.perf_counter() - started
        assert len(result) == len(names)
    return timings


def dry_run(tree, names, scenario, workdir):
    """The role in check mode for ``names``: (exit code, wall s, largest process KiB, [(module, KiB, start, end)], the request log)."""
    wrapper = write_wrapper(workdir)
    emulator = Emulator(seed=scenario.seed, page_size=PAGE_SIZE).start()
    try:
        extra = dict(offboard_usernames=names, offboard_endpoint_url=emulator.url, ansible_python_interpreter=str(wrapper),
                     offboard_report_path=str(workdir / "report.json"))
        vars_path = workdir / "vars.yml"
        vars_path.write_text(yaml.safe_dump(extra), encoding="utf-8")
        cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "lmus.user_subscriptions.offboard", "-e", f"@{vars_path}", "--check"]
        rc, wall, tree_rss = run_timed(cmd, base_env(workdir, emulator.url, tree), workdir, workdir / "run.out")
        return rc, wall, tree_rss, module_runs(workdir), emulator.log
    finally:
        emulator.stop()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--names", type=int, default=100_000, help="departing names (default 100000)")
    parser.add_argument("--tree", type=Path, default=TREE, help=f"ANSIBLE_COLLECTIONS_PATH to measure (default {TREE.relative_to(ROOT)})")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args(argv)
    tree = args.tree.resolve()
    check_tree(tree)
    scenario = Scenario(departing=1000)
    names = scenario.departing_names + [f"nobody{n:06d}" for n in range(args.names - len(scenario.departing_names))]
    workdir = Path(tempfile.mkdtemp(prefix="lmus-large-input-"))
    try:
        timings = time_filter(tree, names)
        for shape, seconds in timings.items():
            print(f"departing_usernames, {len(names):,} names as a {shape}: {seconds:.2f} s (limit {FILTER_LIMIT_S:g} s)")
        rc, wall, tree_rss, modules, log = dry_run(tree, names, scenario, workdir)
        print(f"offboard role, --check, {len(names):,} departing names: exit code {rc}, {wall:.1f} s, "
              f"{len(log)} API calls ({sum(1 for e in log if e['write'])} writes)")
        print(f"  peak RSS of the largest process: {mib(tree_rss)} MiB")
        for name, rss, start, end in modules:
            print(f"  module {name}: peak RSS {mib(rss)} MiB, {end - start:.1f} s")
        report = (workdir / "report.json")
        print(f"  report file: {report.stat().st_size:,} bytes" if report.exists() else "  no report file")
        failed = rc != 0 or any(seconds >= FILTER_LIMIT_S for seconds in timings.values())
        return 1 if failed else 0
    finally:
        if args.keep:
            print(f"work directory kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as e:
        print(f"ERROR: {e}", file=sys.stderr)
        sys.exit(2)
