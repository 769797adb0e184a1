# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What happens when the service does not answer as we assume (docs/service-assumptions.md).

The emulator is switched to disagree with us: other status words, an omitted member, a
NextToken that repeats, claims that a read contradicts. Each test runs the real module
through ansible-playbook against it.
"""

import time

import pytest

from harness import DIRECTORY
from harness import DOMAIN
from harness import INSTANCE_USERS_ONLY
from harness import MODULE
from harness import OTHER_DIRECTORY
from harness import base_seed
from harness import instance_id
from harness import words

SUBS = "lmus.user_subscriptions.lmus_product_subscription"
I1, I2 = instance_id(1), instance_id(2)


def subscriptions_seed(*entries):
    seed = base_seed(instances=1)
    seed["identity_providers"].append(dict(directory_id=DIRECTORY, product="REMOTE_DESKTOP_SERVICES"))
    seed["product_subscriptions"] = [dict(dict(directory_id=DIRECTORY, domain=DOMAIN), **entry) for entry in entries]
    return seed


def stop(**args):
    return {"name": "stop", SUBS: dict(dict(state="absent", domain=DOMAIN, directory_id=DIRECTORY), **args), "register": "r"}


def test_stopping_a_subscription_settles_at_once_and_a_rerun_writes_nothing(lmus_emulator_factory, ansible_factory):
    emulator = lmus_emulator_factory(seed=subscriptions_seed(dict(username="jdoe", product="OFFICE_PROFESSIONAL_PLUS")))
    ansible = ansible_factory(emulator)
    started = time.monotonic()
    run = ansible.playbook([stop(username="jdoe", product="OFFICE_PROFESSIONAL_PLUS")])
    assert run.rc == 0 and run.last["changed"] is True, run.stdout[-2000:]
    assert time.monotonic() - started < 60  # no wait to the 300 s timeout for a word we did not expect
    assert run.last["product_subscription"]["status"] == words(emulator)["unsubscribed"]  # the service's word, not one we made up
    emulator.clear_log()
    again = ansible.playbook([stop(username="jdoe", product="OFFICE_PROFESSIONAL_PLUS")])
    assert again.rc == 0 and again.last["changed"] is False and emulator.calls(write=True) == []
    assert again.last["product_subscription"]["status"] == words(emulator)["unsubscribed"]


def test_starting_a_subscription_that_is_live_makes_no_call(lmus_emulator_factory, ansible_factory):
    emulator = lmus_emulator_factory(seed=subscriptions_seed(dict(username="jdoe", product="OFFICE_PROFESSIONAL_PLUS")))
    run = ansible_factory(emulator).playbook([stop(state="present", username="jdoe", product="OFFICE_PROFESSIONAL_PLUS")])
    assert run.rc == 0 and run.last["changed"] is False
    assert emulator.calls(write=True) == []


@pytest.mark.parametrize("vocabulary", ["aws"])
def test_an_unknown_word_is_never_written_and_is_named(lmus_emulator_factory, ansible_factory):
    emulator = lmus_emulator_factory(seed=subscriptions_seed(dict(username="jdoe", product="OFFICE_PROFESSIONAL_PLUS")),
                                     vocabulary={"subscribed": "ENROLLED", "unsubscribed": "WITHDRAWN"})
    started = time.monotonic()
    run = ansible_factory(emulator).playbook([stop(username="jdoe", product="OFFICE_PROFESSIONAL_PLUS")])
    assert run.rc != 0 and "'ENROLLED'" in run.last["msg"] and "nothing was written" in run.last["msg"]
    assert emulator.calls(write=True) == [] and time.monotonic() - started < 60


@pytest.mark.parametrize("vocabulary", ["aws"])
def test_a_word_first_seen_in_the_write_answer_is_learned_and_the_rerun_is_settled_by_the_end_date(lmus_emulator_factory, ansible_factory):
    emulator = lmus_emulator_factory(seed=subscriptions_seed(dict(username="jdoe", product="OFFICE_PROFESSIONAL_PLUS")),
                                     vocabulary={"unsubscribed": "CANCELLED"})
    ansible = ansible_factory(emulator)
    run = ansible.playbook([stop(username="jdoe", product="OFFICE_PROFESSIONAL_PLUS")])
    assert run.rc == 0 and run.last["changed"] is True, run.stdout[-2000:]
    assert run.last["product_subscription"]["status"] == "CANCELLED"
    assert [w for w in run.last["warnings"] if "'CANCELLED'" in w] and len(emulator.calls(write=True)) == 1
    emulator.clear_log()
    again = ansible.playbook([stop(username="jdoe", product="OFFICE_PROFESSIONAL_PLUS")])
    assert again.rc == 0 and again.last["changed"] is False and emulator.calls(write=True) == []
    assert any("'CANCELLED'" in w and "SubscriptionEndDate" in w for w in again.last["warnings"])


def test_a_conflict_that_a_read_does_not_confirm_fails_and_is_not_retried(lmus_emulator_factory, ansible_factory):
    emulator = lmus_emulator_factory(seed=subscriptions_seed())
    emulator.set_faults({"fail_next": [{"operation": "StartProductSubscription", "error": "ConflictException", "count": 5}]})
    run = ansible_factory(emulator).playbook([stop(state="present", username="jdoe", product="OFFICE_PROFESSIONAL_PLUS")])
    assert run.rc != 0 and "ConflictException" in run.last["msg"] and "does not show that" in run.last["msg"]
    assert len(emulator.calls(operation="StartProductSubscription")) == 1  # HTTP 500, but never retried


@INSTANCE_USERS_ONLY
def test_not_found_that_a_read_contradicts_fails_with_the_code(lmus_emulator_factory, ansible_factory):
    emulator = lmus_emulator_factory(seed=base_seed(instances=1, associations=[dict(instance_id=I1, username="jdoe", domain=DOMAIN)]))
    emulator.set_faults({"fail_next": [{"operation": "DisassociateUser", "error": "ResourceNotFoundException", "count": 1}]})
    task = {"name": "rm", MODULE: dict(state="absent", username="jdoe", instance_id=I1, directory_id=DIRECTORY), "register": "r"}
    run = ansible_factory(emulator).playbook([task])
    assert run.rc != 0 and "ResourceNotFoundException" in run.last["msg"]
    assert [a["status"] for a in emulator.state_dump()["associations"]] == [words(emulator)["associated"]]


@INSTANCE_USERS_ONLY
def test_a_lost_answer_is_retried_and_the_claim_confirmed_by_reading(lmus_emulator_factory, ansible_factory):
    emulator = lmus_emulator_factory(seed=base_seed(instances=1, associations=[dict(instance_id=I1, username="jdoe", domain=DOMAIN)]))
    emulator.set_faults({"fail_next": [{"operation": "DisassociateUser", "error": "drop_after", "count": 1}]})
    task = {"name": "rm", MODULE: dict(state="absent", username="jdoe", instance_id=I1, directory_id=DIRECTORY), "register": "r"}
    run = ansible_factory(emulator).playbook([task])
    assert run.rc == 0, run.stdout[-2000:]
    assert "confirmed by reading it back" in run.last["msg"]
    assert [c["error"] for c in emulator.calls(operation="DisassociateUser")] == ["drop", "ResourceNotFoundException"]


@pytest.mark.parametrize("vocabulary", ["aws"])
def test_instances_listed_without_their_identity_provider_fail_loudly_or_use_the_directory_given(lmus_emulator_factory, ansible_factory):
    emulator = lmus_emulator_factory(seed=base_seed(instances=2, associations=[dict(instance_id=I1, username="jdoe", domain=DOMAIN)]),
                                     omit_instance_identity_provider=True)
    ansible = ansible_factory(emulator)
    run = ansible.playbook([{"name": "rm", MODULE: dict(state="absent", users=[dict(username="jdoe")]), "register": "r"}])
    assert run.rc != 0 and run.last["summary"]["failed"] == 2  # never "nothing found": both instances fail, naming the cause
    assert all("gave no IdentityProvider" in r["msg"] and "1.40.35" in r["msg"] for r in run.last["results"])
    assert emulator.calls(write=True) == []
    run = ansible.playbook([{"name": "rm", MODULE: dict(state="absent", directory_id=DIRECTORY, users=[dict(username="jdoe")]), "register": "r"}])
    assert run.rc == 0 and run.last["summary"]["changed"] == 1, run.stdout[-2000:]


@INSTANCE_USERS_ONLY
def test_user_names_match_without_case_and_records_without_a_domain_match_any(lmus_emulator_factory, ansible_factory):
    associations = [dict(instance_id=I1, username="JDoe", domain=DOMAIN), dict(instance_id=I2, username="jdoe")]
    emulator = lmus_emulator_factory(seed=base_seed(instances=2, associations=associations))
    run = ansible_factory(emulator).playbook([{"name": "rm", MODULE: dict(state="absent", domain=DOMAIN, users=[dict(username="jdoe")]), "register": "r"}])
    assert run.rc == 0, run.stdout[-2000:]
    assert sorted((r["username"], r["instance_id"], r["changed"]) for r in run.last["results"]) == [("JDoe", I1, True), ("jdoe", I2, True)]
    assert len(emulator.calls(write=True)) == 2


def test_an_identity_provider_not_registered_is_skipped_with_a_warning(lmus_emulator_factory, ansible_factory):
    seed = subscriptions_seed(dict(username="jdoe", product="OFFICE_PROFESSIONAL_PLUS"))
    seed["identity_providers"].append(dict(directory_id=OTHER_DIRECTORY, product="OFFICE_PROFESSIONAL_PLUS", status="DEREGISTERED"))
    emulator = lmus_emulator_factory(seed=seed)
    run = ansible_factory(emulator).playbook([{"name": "rm", SUBS: dict(state="absent", users=[dict(username="jdoe")]), "register": "r"}])
    assert run.rc == 0 and run.last["summary"]["changed"] == 1, run.stdout[-2000:]
    assert any(OTHER_DIRECTORY in w and "DEREGISTERED" in w for w in run.last["warnings"])
    assert {c["params"]["IdentityProvider"]["ActiveDirectoryIdentityProvider"]["DirectoryId"]
            for c in emulator.calls(operation="ListProductSubscriptions")} == {DIRECTORY}


@INSTANCE_USERS_ONLY
@pytest.mark.parametrize("mode", ["same", "cycle"])
def test_a_next_token_that_repeats_fails_the_read_clearly(lmus_emulator_factory, ansible_factory, mode):
    associations = [dict(instance_id=I1, username=f"user{n}", domain=DOMAIN) for n in range(10)]
    emulator = lmus_emulator_factory(seed=base_seed(instances=1, associations=associations), page_size=2)
    emulator.set_faults({"repeat_token": {"operation": "ListUserAssociations", "mode": mode}})
    task = {"name": "rm", MODULE: dict(state="absent", username="user9", instance_id=I1, directory_id=DIRECTORY), "register": "r"}
    run = ansible_factory(emulator).playbook([task])
    assert run.rc != 0 and "NextToken it had returned before" in run.last["msg"]
    assert len(emulator.calls(operation="ListUserAssociations")) <= 4 and emulator.calls(write=True) == []


def test_an_unknown_product_is_passed_on_with_a_warning_naming_the_valid_ones(lmus_emulator_factory, ansible_factory):
    emulator = lmus_emulator_factory(seed=subscriptions_seed())
    run = ansible_factory(emulator).playbook([stop(username="jdoe", product="OFFICE_PROFESSIONAL")])
    assert any("'OFFICE_PROFESSIONAL'" in w and "OFFICE_PROFESSIONAL_PLUS" in w for w in run.last.get("warnings", []))
    assert {c["params"].get("Product") for c in emulator.calls(operation="ListProductSubscriptions")} == {"OFFICE_PROFESSIONAL"}


def test_remote_desktop_licence_expiry_is_returned(lmus_emulator_factory, ansible_factory):
    emulator = lmus_emulator_factory(seed=subscriptions_seed(dict(username="jdoe", product="REMOTE_DESKTOP_SERVICES",
                                                                  license_expiration_date="2027-01-29T00:00:00Z")))
    run = ansible_factory(emulator).playbook([stop(username="jdoe", product="REMOTE_DESKTOP_SERVICES")])
    assert run.rc == 0, run.stdout[-2000:]
    assert run.last["product_subscription"]["license_expiration_date"] == "2027-01-29T00:00:00Z"


# The throttling bound (30 attempts) is counted in tests/unit/plugins/module_utils/test_retries.py: 29 backoffs take about a minute.
@INSTANCE_USERS_ONLY
@pytest.mark.parametrize("error,count,attempts", [("ThrottlingException", 5, 6), ("InternalServerException", 100, 6)])
def test_one_call_makes_at_most_the_documented_http_attempts(lmus_emulator_factory, ansible_factory, error, count, attempts):
    emulator = lmus_emulator_factory(seed=base_seed(instances=1, associations=[dict(instance_id=I1, username="jdoe", domain=DOMAIN)]))
    emulator.set_faults({"fail_next": [{"operation": "ListUserAssociations", "error": error, "count": count}]})
    task = {"name": "rm", MODULE: dict(state="absent", username="jdoe", instance_id=I1, directory_id=DIRECTORY, wait=False), "register": "r"}
    run = ansible_factory(emulator).playbook([task])
    assert len(emulator.calls(operation="ListUserAssociations")) == attempts
    assert (run.rc == 0) is (count < attempts)
