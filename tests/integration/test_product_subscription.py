# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""lmus_product_subscription: stop, idempotent rerun, check mode, ARN path, batch."""

import pytest

from harness import DIRECTORY
from harness import DOMAIN
from harness import base_seed
from harness import words

MODULE = "lmus.user_subscriptions.lmus_product_subscription"


@pytest.fixture
def subs(lmus_emulator_factory):
    seed = base_seed(instances=1)
    seed["product_subscriptions"] = [
        dict(username="alice", product="OFFICE_PROFESSIONAL_PLUS", directory_id=DIRECTORY, domain=DOMAIN),
        dict(username="alice", product="VISUAL_STUDIO_ENTERPRISE", directory_id=DIRECTORY, domain=DOMAIN),
        dict(username="bob", product="OFFICE_PROFESSIONAL_PLUS", directory_id=DIRECTORY, domain=DOMAIN),
    ]
    return lmus_emulator_factory(seed=seed, page_size=2)


def status(emulator, username, product):
    return next(s["status"] for s in emulator.state_dump()["product_subscriptions"] if s["username"] == username and s["product"] == product)


def stop(**args):
    base = dict(state="absent", username="alice", product="OFFICE_PROFESSIONAL_PLUS", domain=DOMAIN, directory_id=DIRECTORY)
    return {"name": "stop", MODULE: dict(base, **args), "register": "r"}


def test_stop_check_then_real_then_idempotent(subs, ansible_factory):
    said = words(subs)
    ansible = ansible_factory(subs)
    check = ansible.playbook([stop()], check=True, diff=True)
    assert check.rc == 0 and check.last["changed"] is True
    # check mode predicts, in the words AWS documents; the real run reports the service's own word
    assert check.last["diff"]["before"]["status"] == said["subscribed"] and check.last["diff"]["after"]["status"] == "UNSUBSCRIBED"
    assert subs.calls(write=True) == []
    real = ansible.playbook([stop()])
    assert real.rc == 0 and real.last["changed"] is True, real.stdout
    assert real.last["product_subscription"]["status"] == said["unsubscribed"]
    assert [c["operation"] for c in subs.calls(write=True)] == ["StopProductSubscription"]
    assert status(subs, "alice", "OFFICE_PROFESSIONAL_PLUS") == said["unsubscribed"]
    assert status(subs, "alice", "VISUAL_STUDIO_ENTERPRISE") == said["subscribed"]
    assert status(subs, "bob", "OFFICE_PROFESSIONAL_PLUS") == said["subscribed"]
    subs.clear_log()
    again = ansible.playbook([stop()])
    assert again.last["changed"] is False and subs.calls(write=True) == []


def test_stop_by_arn_and_rerun(subs, ansible_factory):
    arn = next(s["arn"] for s in subs.state_dump()["product_subscriptions"] if s["username"] == "bob")
    task = {"name": "stop", MODULE: dict(state="absent", product_user_arn=arn), "register": "r"}
    ansible = ansible_factory(subs)
    check = ansible.playbook([task], check=True)
    assert check.last["changed"] is True and subs.calls(write=True) == []
    real = ansible.playbook([task])
    assert real.rc == 0 and real.last["changed"] is True, real.stdout
    assert real.last["product_subscription"]["username"] == "bob"
    assert [c["params"] for c in subs.calls(write=True)] == [{"ProductUserArn": arn}]
    subs.clear_log()
    again = ansible.playbook([task])
    assert again.last["changed"] is False and subs.calls(write=True) == []


def test_start_then_idempotent(subs, ansible_factory):
    task = {"name": "start", MODULE: dict(username="carol", product="OFFICE_PROFESSIONAL_PLUS", directory_id=DIRECTORY, tags={"cc": "1"}), "register": "r"}
    ansible = ansible_factory(subs)
    first = ansible.playbook([task])
    assert first.rc == 0 and first.last["changed"] is True, first.stdout
    [write] = subs.calls(write=True)
    assert write["operation"] == "StartProductSubscription" and write["params"]["Tags"] == {"cc": "1"}
    subs.clear_log()
    again = ansible.playbook([task])
    assert again.last["changed"] is False and subs.calls(write=True) == []


def test_batch_stop_reads_once_per_product(subs, ansible_factory):
    items = [dict(username="alice", product="OFFICE_PROFESSIONAL_PLUS"), dict(username="bob", product="OFFICE_PROFESSIONAL_PLUS"),
             dict(username="alice", product="VISUAL_STUDIO_ENTERPRISE"), dict(username="zed", product="OFFICE_PROFESSIONAL_PLUS")]
    task = {"name": "stop", MODULE: dict(state="absent", directory_id=DIRECTORY, users=items), "register": "r"}
    run = ansible_factory(subs).playbook([task])
    assert run.rc == 0, run.stdout
    assert [r["changed"] for r in run.last["results"]] == [True, True, True, False]
    assert run.last["summary"] == dict(total=4, changed=3, unchanged=1, failed=0)
    reads = subs.calls(operation="ListProductSubscriptions")
    assert sorted({c["params"]["Product"] for c in reads}) == ["OFFICE_PROFESSIONAL_PLUS", "VISUAL_STUDIO_ENTERPRISE"]
    assert len([c for c in reads if "NextToken" not in c["params"]]) == 2
    assert len(subs.calls(write=True)) == 3


def test_missing_product_fails_a_start_before_any_api_call(subs, ansible_factory):
    task = {"name": "start", MODULE: dict(state="present", username="alice", directory_id=DIRECTORY), "register": "r"}
    run = ansible_factory(subs).playbook([task])
    assert run.rc != 0 and "missing product" in run.last["msg"]
    assert subs.log == []


def test_without_product_a_stop_stops_every_product_of_the_user(subs, ansible_factory):
    said = words(subs)
    run = ansible_factory(subs).playbook([stop(product=None)])
    assert run.rc == 0 and run.last["changed"] is True, run.stdout
    assert sorted(r["product"] for r in run.last["results"] if r["changed"]) == ["OFFICE_PROFESSIONAL_PLUS", "VISUAL_STUDIO_ENTERPRISE"]
    assert run.last["product_subscription"] == {} and run.last["summary"]["changed"] == 2  # two records: see results
    assert [c["operation"] for c in subs.calls(write=True)] == ["StopProductSubscription"] * 2
    assert status(subs, "alice", "OFFICE_PROFESSIONAL_PLUS") == status(subs, "alice", "VISUAL_STUDIO_ENTERPRISE") == said["unsubscribed"]
    assert status(subs, "bob", "OFFICE_PROFESSIONAL_PLUS") == said["subscribed"]
