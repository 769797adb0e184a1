"""CLI: python3 -m lmus_emulator --seed FILE | --sample [--port 0] [--transition-delay S] [--page-size N] [--faults JSON_OR_FILE] [--url-file PATH] ...

See README.md for every option.
"""

import argparse
import json
import os
import signal
import sys
import tempfile
import threading

import yaml

from .emulator import Emulator
from .seeds import load_seed, sample_seed
from .vocabulary import DEFAULT_VOCABULARY, PROFILES


def _json_or_file(value):
    """None, a JSON object, or a YAML/JSON file."""
    if value is None:
        return None
    if value.lstrip().startswith("{"):
        return json.loads(value)
    return load_seed(value)


def _vocabulary(value):
    """A profile name, a JSON object or a YAML/JSON file (anything else: the emulator names the valid profiles)."""
    if value in PROFILES or not (value.lstrip().startswith("{") or os.path.isfile(value)):
        return value
    return _json_or_file(value)


def _write_url(path, url):
    directory = os.path.dirname(os.path.abspath(path))
    handle, tmp = tempfile.mkstemp(dir=directory, prefix=".url-")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(url + "\n")
    os.replace(tmp, path)


def _fleet(path):
    """The Emulator keyword arguments of a --fleet file; seeds named by path are read relative to the file."""
    if path is None:
        return {}
    data = load_seed(path)
    unknown = sorted(set(data or {}) - {"partitions", "access_keys", "external_ids"})
    if unknown or not isinstance(data.get("partitions"), list):
        raise ValueError(f"{path}: a fleet file has partitions (a list) and optionally access_keys and external_ids; unknown keys {unknown}")
    here = os.path.dirname(os.path.abspath(path))
    for entry in data["partitions"]:
        if isinstance(entry, dict) and isinstance(entry.get("seed"), str):
            entry["seed"] = os.path.join(here, entry["seed"])
    return data


def main(argv=None):
    """Run the emulator until SIGTERM / SIGINT."""
    parser = argparse.ArgumentParser(prog="python3 -m lmus_emulator", description="Local AWS License Manager User Subscriptions emulator.")
    initial = parser.add_mutually_exclusive_group()
    initial.add_argument("--seed", help="seed file (YAML or JSON); empty state when omitted")
    initial.add_argument("--sample", action="store_true",
                         help="the sample data (40 instances, 500 users; the names the documentation uses, such as jdoe) instead of a seed file")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0 = a free port)")
    parser.add_argument("--transition-delay", type=float, default=0.0, help="seconds an ASSOCIATING/DISASSOCIATING status lasts")
    parser.add_argument("--page-size", type=int, default=50, help="page size when MaxResults is absent")
    parser.add_argument("--faults", help="faults as a JSON object or a YAML/JSON file")
    parser.add_argument("--url-file", help="write the URL to this file once listening")
    parser.add_argument("--account-id", default="123456789012")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--vocabulary", default=DEFAULT_VOCABULARY,
                        help=f"status words: a profile ({', '.join(sorted(PROFILES))}), a JSON object or a YAML/JSON file (default {DEFAULT_VOCABULARY})")
    parser.add_argument("--omit-instance-identity-provider", action="store_true",
                        help="leave IdentityProvider out of ListInstances answers (what botocore < 1.40.35 sees)")
    parser.add_argument("--rules", help='service rules as a JSON object or a YAML/JSON file, e.g. {"require_subscription_to_associate": true}')
    parser.add_argument("--fleet", help="several account-regions, as a YAML/JSON file: {partitions: [{account_id, region, seed}], "
                                        "access_keys: {KEY: account}, external_ids: {account: id}} (see README, \"Accounts, regions and STS\")")
    parser.add_argument("--verbose", action="store_true", help="log request lines (never headers) to stderr")
    args = parser.parse_args(argv)
    try:
        vocabulary = _vocabulary(args.vocabulary)
        seed = sample_seed(vocabulary) if args.sample else load_seed(args.seed) if args.seed else None
        fleet = _fleet(args.fleet)
        emulator = Emulator(seed=seed, transition_delay=args.transition_delay, page_size=args.page_size,
                            faults=_json_or_file(args.faults), port=args.port, account_id=args.account_id, region=args.region, verbose=args.verbose,
                            vocabulary=vocabulary, omit_instance_identity_provider=args.omit_instance_identity_provider,
                            rules=_json_or_file(args.rules), **fleet)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        print(f"lmus-emulator: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        emulator.start()
    except OSError as exc:  # e.g. the port is taken
        print(f"lmus-emulator: cannot listen on 127.0.0.1:{args.port}: {exc}", file=sys.stderr)
        return 2
    print(f"LMUS emulator listening on {emulator.url}", flush=True)
    if args.url_file:
        _write_url(args.url_file, emulator.url)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
