# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Run (b) of the offboarding benchmark: the role's write calls from a plain threaded boto3 script.

This is the practical floor for the work: no Ansible, no reads, one warm client, the
calls known in advance. offboard_bench.py starts it as

    python benchmarks/floor.py JOB.json

where JOB.json is ``{"endpoint_url", "region", "concurrency", "retries", "calls":
[{"operation": "DisassociateUser", "params": {...}}, ...]}``. It builds the client, opens
``concurrency`` connections (warm-up ListInstances calls), prints ``READY`` and waits for
a line on stdin (the benchmark clears the emulator's request log meanwhile), then makes
the calls with ``concurrency`` threads and prints one JSON line:
``{"seconds": ..., "ok": n, "failed": n, "errors": {code: n}}``.
Credentials come from the environment (dummy ones: the emulator only wants a signature).
"""

import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from botocore import xform_name

SERVICE = "license-manager-user-subscriptions"


def main(argv):
    with open(argv[1], encoding="utf-8") as handle:
        job = json.load(handle)
    concurrency = int(job["concurrency"])
    config = Config(max_pool_connections=concurrency, retries=job.get("retries") or {"mode": "standard", "max_attempts": 3})
    client = boto3.client(SERVICE, endpoint_url=job["endpoint_url"], region_name=job.get("region", "us-east-1"), config=config)
    calls = [(getattr(client, xform_name(c["operation"])), c["params"]) for c in job["calls"]]

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        # Warm up: every pooled connection opened, the endpoint resolved, the model loaded.
        list(pool.map(lambda _: client.list_instances(MaxResults=1), range(concurrency)))
        print("READY", flush=True)
        sys.stdin.readline()

        def call(item):
            method, params = item
            try:
                method(**params)
                return None
            except ClientError as e:
                return e.response.get("Error", {}).get("Code") or "ClientError"
            except BotoCoreError as e:
                return type(e).__name__

        started = time.perf_counter()
        outcomes = list(pool.map(call, calls))
        seconds = time.perf_counter() - started
    errors = {}
    for code in outcomes:
        if code is not None:
            errors[code] = errors.get(code, 0) + 1
    print(json.dumps(dict(seconds=seconds, ok=outcomes.count(None), failed=len(outcomes) - outcomes.count(None), errors=errors)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
