# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""How long is the path from a departing user to an API call?

Runs ``lmus_instance_user`` (``state: absent``, three users given by name only, the
way the offboard role calls it) in-process over the unit tests' fake client, with
``sys.setprofile`` recording every Python call made in the collection's
``plugins/`` code. Prints the functions called (distinct and in all), the files
they live in, and how many times consecutive calls switch from one file to another.

    PYTHONPATH=.build/collections .venv/bin/python tools/trace_module_path.py [--calls]
"""

import json
import os
import sys
from unittest import mock

from ansible.module_utils.testing import patch_module_args
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.lmus.user_subscriptions.plugins.modules import lmus_instance_user
from ansible_collections.lmus.user_subscriptions.tests.unit.plugins.module_utils.fakes import IDP
from ansible_collections.lmus.user_subscriptions.tests.unit.plugins.module_utils.fakes import FakeClient
from ansible_collections.lmus.user_subscriptions.tests.unit.plugins.module_utils.fakes import association

PLUGINS = os.sep + os.path.join("user_subscriptions", "plugins") + os.sep
I1, I2 = "i-0123456789abcdef0", "i-0123456789abcdef1"


def fake_client():
    instances = [dict(InstanceId=i, IdentityProvider=IDP, Status="AVAILABLE", Products=["OFFICE_PROFESSIONAL_PLUS"]) for i in (I1, I2)]
    records = [association("alice", I1, n=1), association("alice", I2, n=2), association("bob", I1, n=3), association("carol", I2, n=4, status="DISASSOCIATED")]
    return FakeClient(records, instances)


def trace():
    calls = []

    def profiler(frame, event, _arg):
        if event == "call" and PLUGINS in frame.f_code.co_filename:
            calls.append((frame.f_code.co_filename.split(PLUGINS, 1)[1], frame.f_code.co_name))

    args = dict(state="absent", users=[dict(username=u) for u in ("alice", "bob", "carol")], concurrency=1, region="us-east-1")
    client = fake_client()
    with patch_module_args(args), mock.patch.object(AnsibleAWSModule, "client", return_value=client):
        sys.setprofile(profiler)
        try:
            lmus_instance_user.main()
        except SystemExit:
            pass
        finally:
            sys.setprofile(None)
    return calls, client


def main():
    stdout = sys.stdout
    sys.stdout = open(os.devnull, "w")  # the module prints its JSON result
    try:
        calls, client = trace()
    finally:
        sys.stdout.close()
        sys.stdout = stdout
    # Generator expressions and comprehensions are frames of their own: count the functions that hold them.
    calls = [call for call in calls if not call[1].startswith("<")]
    switches = sum(1 for here, there in zip(calls, calls[1:]) if here[0] != there[0])
    summary = dict(
        distinct_functions=len(set(calls)),
        calls=len(calls),
        files=sorted({file_name for file_name, _function in calls}),
        file_switches=switches,
        api_calls=[c[0] for c in client.calls],
    )
    print(json.dumps(summary, indent=2))
    if "--calls" in sys.argv:
        for file_name, function in calls:
            print(f"{file_name}:{function}")


if __name__ == "__main__":
    main()
