# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from ansible_collections.lmus.user_subscriptions.plugins.filter import offboard

IDP = {"active_directory_identity_provider": {"directory_id": "d-1234567890"}}


def assoc(username, instance_id, status="ASSOCIATED"):
    return dict(username=username, instance_id=instance_id, domain="corp.example.com", status=status, identity_provider=IDP)


def sub(username, product, status="ACTIVE"):
    return dict(username=username, product=product, domain="corp.example.com", status=status, identity_provider=IDP)


def test_departing_usernames_splits_survey_text_and_keeps_order():
    assert offboard.departing_usernames("alice\nbob, carol\n\n alice ") == ["alice", "bob", "carol"]
    assert offboard.departing_usernames(["o'brien", "Jane Doe", "zoë", "{{ x }}"]) == ["o'brien", "Jane Doe", "zoë", "{{ x }}"]
    assert offboard.departing_usernames([]) == []


def test_items_skip_what_is_already_absent_and_other_products():
    users = [assoc("a", "i-1"), assoc("b", "i-1", "DISASSOCIATED"), assoc("c", "i-2", "DISASSOCIATING"), assoc("d", "i-2", "ODD")]
    assert offboard.offboard_association_items(users) == [
        dict(username="a", instance_id="i-1", domain="corp.example.com", identity_provider=IDP),
        dict(username="d", instance_id="i-2", domain="corp.example.com", identity_provider=IDP),
    ]
    subs = [sub("a", "OFFICE"), sub("a", "VS"), sub("b", "OFFICE", "INACTIVE")]
    assert [i["product"] for i in offboard.offboard_subscription_items(subs)] == ["OFFICE", "VS"]
    assert [i["product"] for i in offboard.offboard_subscription_items(subs, ["VS"])] == ["VS"]


def test_report_puts_every_user_in_a_known_outcome():
    associations = dict(instance_users=[assoc("a", "i-1"), assoc("b", "i-1", "DISASSOCIATED")],
                        failures=[dict(instance_id="i-9", code="AccessDeniedException", msg="denied")])
    subscriptions = dict(product_subscriptions=[sub("a", "OFFICE"), sub("c", "VS", "INACTIVE")], failures=[])
    disassociated = dict(results=[dict(username="a", instance_id="i-1", domain="corp.example.com", changed=True, failed=False)])
    unsubscribed = dict(results=[dict(username="a", product="OFFICE", domain="corp.example.com", changed=False, failed=True, msg="boom")])
    report = offboard.offboard_report(["a", "b", "c", "z"], associations, subscriptions, disassociated, unsubscribed)
    # z may hold something on i-9, which could not be read: not "not found", but named in the failure.
    assert report["counts"] == dict(disassociated=1, unsubscribed=0, already_absent=2, not_found=0, failed=2)
    associations["failures"] = []
    assert offboard.offboard_report(["a", "b", "c", "z"], associations, subscriptions, disassociated, unsubscribed)["not_found"] == [{"username": "z"}]
    assert report["failed"][0] == dict(usernames=["a", "b", "c", "z"], code="AccessDeniedException", msg="denied", instance_id="i-9")
    assert report["failed"][1]["msg"] == "boom" and report["failed"][1]["product"] == "OFFICE"
    assert report["dry_run"] is False


def test_user_items_name_the_user_or_the_user_and_each_value():
    assert offboard.offboard_user_items(["a", "b"]) == [dict(username="a"), dict(username="b")]
    assert offboard.offboard_user_items(["a", "b"], "instance_id", []) == [dict(username="a"), dict(username="b")]
    assert offboard.offboard_user_items(["a", "b"], "product", ["X", "Y"]) == [
        dict(username="a", product="X"), dict(username="a", product="Y"), dict(username="b", product="X"), dict(username="b", product="Y")]


def test_report_from_write_results_alone():
    record = dict(instance_user_arn="arn:1", status="DISASSOCIATED", identity_provider=IDP)
    disassociated = dict(results=[
        dict(username="a", instance_id="i-1", domain=None, changed=True, failed=False, instance_user=dict(record, domain="d")),
        dict(username="a", instance_id="i-1", domain="d", changed=False, failed=False, msg="same as users[0]", instance_user=record),
        dict(username="a", instance_id="i-2", domain="d", changed=False, failed=False, instance_user=dict(record, instance_user_arn="arn:3")),
        dict(username="b", instance_id="i-3", domain="d", changed=False, failed=True, code="AccessDeniedException", msg="denied", instance_user={}),
        dict(username="z", instance_id=None, domain="d", changed=False, failed=False, msg="no association", instance_user={}),
    ])
    unsubscribed = dict(results=[
        dict(username="a", product="OFFICE", domain="d", changed=True, failed=False, product_subscription=dict(product_user_arn="arn:2")),
        dict(username="b", product=None, domain="d", changed=False, failed=False, product_subscription={}),
    ])
    report = offboard.offboard_report(["a", "b", "z"], None, None, disassociated, unsubscribed)
    assert report["counts"] == dict(disassociated=1, unsubscribed=1, already_absent=1, not_found=1, failed=1)
    assert report["disassociated"] == [dict(username="a", domain="d", instance_id="i-1", directory_id="d-1234567890", arn="arn:1")]
    assert report["already_absent"][0]["status"] == "DISASSOCIATED"
    assert report["failed"] == [dict(username="b", domain="d", instance_id="i-3", directory_id=None, arn=None, code="AccessDeniedException", msg="denied")]
    assert report["not_found"] == [dict(username="z")]  # b failed somewhere: not "not found"


def test_report_ignores_products_not_asked_for():
    subscriptions = dict(product_subscriptions=[sub("a", "OFFICE", "INACTIVE")], failures=[])
    report = offboard.offboard_report(["a"], dict(instance_users=[]), subscriptions, products=["VS"])
    assert report["not_found"] == [{"username": "a"}]


def test_summary_counts_and_caps_per_instance_lines():
    results = [dict(username=f"u{n}", instance_id=f"i-{n:02d}", changed=True, failed=False) for n in range(15)]
    report = offboard.offboard_report([f"u{n}" for n in range(15)], dict(instance_users=[]), None, dict(results=results), None, dry_run=True)
    lines = offboard.offboard_summary(report)
    assert lines[0].startswith("Offboarding dry run of 15 user(s): 15 association(s) would be removed")
    assert len(lines) == 1 + offboard.MAX_LINES + 1
    assert lines[-1] == "  ... and 5 more instance(s); the report has every record"
