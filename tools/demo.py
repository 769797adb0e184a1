# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The main job, end to end, against the local emulator (``make demo``).

Starts the emulator with sample data (40 instances, 500 users, 1,200 associations,
600 product subscriptions), runs the offboarding playbook for 25 departing users
(and one name nobody has) as a dry run and then for real, shows the report, and
stops the emulator. Nothing leaves this machine: the endpoint is 127.0.0.1.
"""

import json
import os
import signal
import subprocess
import sys
import time

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORK = os.path.join(ROOT, ".build", "demo")
sys.path.insert(0, os.path.join(ROOT, "tests", "emulator"))

from lmus_emulator import sample_seed  # noqa: E402 pylint: disable=wrong-import-position

DEPARTING = 25


def banner(text):
    print(f"\n{'=' * 78}\n{text}\n{'=' * 78}", flush=True)


def start_emulator(seed_path):
    url_file = os.path.join(WORK, "emulator.url")
    if os.path.exists(url_file):
        os.unlink(url_file)
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "tests", "emulator"))
    cmd = [sys.executable, "-m", "lmus_emulator", "--seed", seed_path, "--transition-delay", "0.5", "--url-file", url_file]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for _attempt in range(100):
        if os.path.exists(url_file):
            with open(url_file, encoding="utf-8") as f:
                return proc, f.read().strip()
        if proc.poll() is not None:
            raise SystemExit(f"the emulator did not start:\n{proc.stdout.read()}")
        time.sleep(0.1)
    proc.kill()
    raise SystemExit("the emulator did not start within 10 s")


def departing_users(seed):
    """The first DEPARTING users (sorted) who hold an association, plus one nobody has heard of."""
    holders = sorted({a["username"] for a in seed["associations"]})
    return holders[:DEPARTING] + ["former.contractor"]


def run_playbook(url, departing_file, check):
    env = dict(
        os.environ,
        AWS_ACCESS_KEY_ID="AKIDLMUSDEMO",
        AWS_SECRET_ACCESS_KEY="lmus-demo-not-a-secret",
        AWS_REGION="us-east-1",
        ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "collections"),
        ANSIBLE_LOCALHOST_WARNING="False",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="False",
    )
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "lmus.user_subscriptions.offboard",
           "-e", f"@{departing_file}", "-e", f"offboard_endpoint_url={url}"] + (["--check"] if check else [])
    print("$ " + " ".join(cmd), flush=True)
    return subprocess.run(cmd, env=env, check=False).returncode


def show_report(path):
    with open(path, encoding="utf-8") as f:
        report = json.load(f)
    mode = oct(os.stat(path).st_mode & 0o777)
    print(f"report: {path} (mode {mode}, dry_run={report['dry_run']})")
    print("counts: " + ", ".join(f"{k}={v}" for k, v in report["counts"].items()))
    for outcome in ("disassociated", "unsubscribed", "not_found"):
        for record in report[outcome][:3]:
            print(f"  {outcome}: {json.dumps(record, sort_keys=True)}")
        if len(report[outcome]) > 3:
            print(f"  {outcome}: ... and {len(report[outcome]) - 3} more")


def main():
    os.makedirs(WORK, exist_ok=True)
    seed = sample_seed()  # what `python3 -m lmus_emulator --sample` serves (docs/getting-started.md)
    seed_path = os.path.join(WORK, "seed.yml")
    with open(seed_path, "w", encoding="utf-8") as f:
        yaml.safe_dump(seed, f)
    users = departing_users(seed)
    report_path = os.path.join(WORK, "offboard-report.json")
    departing_file = os.path.join(WORK, "departing.yml")
    with open(departing_file, "w", encoding="utf-8") as f:
        yaml.safe_dump(dict(offboard_usernames=users, offboard_report_path=report_path), f)

    banner(f"Sample data: {len(seed['instances'])} instances, {len({a['username'] for a in seed['associations']})} users, "
           f"{len(seed['associations'])} associations, {len(seed['product_subscriptions'])} product subscriptions")
    proc, url = start_emulator(seed_path)
    print(f"emulator at {url}; departing users: {', '.join(users)}")
    try:
        banner("1. Dry run (check mode): nothing is changed, the report says what would be done")
        if run_playbook(url, departing_file, check=True) != 0:
            return 1
        show_report(report_path)
        banner("2. The real run")
        rc = run_playbook(url, departing_file, check=False)
        show_report(report_path)
        banner("3. A rerun changes nothing")
        rc = rc or run_playbook(url, departing_file, check=False)
        show_report(report_path)
        return rc
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
        print(f"\nemulator stopped; files in {WORK}")


if __name__ == "__main__":
    sys.exit(main())
