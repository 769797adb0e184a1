# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The reconcile plan: who is kept (case, NAME@DOMAIN, DOMAIN\\NAME), who loses what, the limits; the inventory's CSV."""

import csv
import io
import time

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.lmus.user_subscriptions.plugins.filter import offboard_reconcile as reconcile
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.inventory import build_inventory

# One name per line: ansible-lint reads module-level assignments under plugins/ as documentation, and warns on a tuple.
OFFICE = "OFFICE_PROFESSIONAL_PLUS"
VS = "VISUAL_STUDIO_PROFESSIONAL"
RDS = "REMOTE_DESKTOP_SERVICES"
IDP = {"ActiveDirectoryIdentityProvider": {"DirectoryId": "d-1234567890"}}


def assoc(username, instance, domain="corp.example.com", status="ASSOCIATED", **more):
    return dict(Username=username, InstanceId=instance, Domain=domain, Status=status, IdentityProvider=IDP, **more)


def sub(username, product, domain="corp.example.com", status="SUBSCRIBED", **more):
    return dict(Username=username, Product=product, Domain=domain, Status=status, IdentityProvider=IDP, **more)


INSTANCES = [dict(InstanceId="i-1", Products=[OFFICE], IdentityProvider=IDP), dict(InstanceId="i-2", Products=[VS], IdentityProvider=IDP)]


def inventory(associations=(), subscriptions=()):
    return build_inventory(INSTANCES, list(associations), list(subscriptions))


def test_everyone_not_kept_loses_everything_sorted_and_removed_records_do_not_count():
    inv = inventory([assoc("zed", "i-1"), assoc("Amy", "i-2"), assoc("bob", "i-1", status="DISASSOCIATED"), assoc("kim", "i-1")],
                    [sub("zed", OFFICE), sub("bob", VS, status="UNSUBSCRIBED"), sub("amy", VS, LicenseExpirationDate="2027-01-01")])
    plan = reconcile.offboard_reconcile(inv, ["KIM"])
    assert [(r["username"], r["instances"], r["products"]) for r in plan["remove"]] == [("Amy", ["i-2"], [VS]), ("zed", ["i-1"], [OFFICE])]
    assert plan["counts"]["holders"] == 3 and plan["counts"]["percent"] == 66.7
    assert "bob" not in [r["username"] for r in plan["remove"]]


@pytest.mark.parametrize("entry, domain, kept", [
    ("jdoe", "corp.example.com", True),
    ("JDOE", "emea.example.com", True),
    ("jdoe@CORP.example.com", "corp.example.com", True),
    ("jdoe@corp.example.com", "emea.example.com", False),
    ("CORP\\jdoe", "corp.example.com", True),
    ("corp\\JDoe", "CORP", True),
    ("EMEA\\jdoe", "corp.example.com", False),
    ("jdoe@corp.example.com", None, True),  # a record without a domain matches every entry of its name
    ("jdoe2", "corp.example.com", False),
    ("strauss", None, False),  # the holder is straub-with-sharp-s: different people in Active Directory
])
def test_keep_entries_match_as_the_modules_match(entry, domain, kept):
    holder = "stRAUß" if entry == "strauss" else "jdoe"
    plan = reconcile.offboard_reconcile(inventory([assoc(holder, "i-1", domain=domain)]), [entry])
    assert (plan["remove"] == []) is kept
    assert plan["kept_not_found"] == ([] if kept else [entry])


def test_the_same_name_in_two_domains_is_two_users_and_items_carry_the_domain():
    inv = inventory([assoc("jdoe", "i-1"), assoc("jdoe", "i-2", domain="emea.example.com")])
    plan = reconcile.offboard_reconcile(inv, ["jdoe@corp.example.com"])
    assert [(r["username"], r["domain"]) for r in plan["remove"]] == [("jdoe", "emea.example.com")]
    assert reconcile.offboard_reconcile_items(plan, "associations") == [dict(username="jdoe", instance_id="i-2", domain="emea.example.com")]
    assert reconcile.offboard_reconcile_items(plan, "subscriptions") == []


def test_offboard_domain_narrows_the_holders():
    inv = inventory([assoc("a", "i-1"), assoc("b", "i-1", domain="emea.example.com"), assoc("c", "i-1", domain=None)])
    plan = reconcile.offboard_reconcile(inv, ["x"], domain="EMEA.example.com")
    assert [r["username"] for r in plan["remove"]] == ["b", "c"]


def test_keep_products_trims_the_other_products_and_the_instances_that_provide_them():
    inv = inventory([assoc("amy", "i-1"), assoc("amy", "i-2")], [sub("amy", OFFICE), sub("amy", VS), sub("amy", RDS)])
    rules = [dict(usernames=["AMY"], products=[VS]), dict(usernames="amy\nbob", products=[RDS])]
    plan = reconcile.offboard_reconcile(inv, ["amy"], rules)
    assert plan["remove"] == []
    assert [(r["instances"], r["products"], r["why"]) for r in plan["trim"]] == [(["i-1"], [OFFICE], "products not kept")]
    assert plan["counts"]["affected"] == 1


@pytest.mark.parametrize("rules, message", [
    ([dict(usernames=["amy"], products=["OFFICE"])], "offboard_keep_products[0].products: 'OFFICE' not a product"),
    ([dict(usernames=["amy"])], "exactly the keys usernames and products"),
    ([dict(usernames=[], products=[VS])], "offboard_keep_products[0].usernames: no user name given"),
    ([dict(usernames=[True], products=[VS])], "offboard_keep_products[0].usernames[0]: true"),
    ({"amy": [VS]}, "is not a list of {usernames, products} mappings"),
])
def test_bad_keep_products_are_refused(rules, message):
    with pytest.raises(AnsibleFilterError, match=None) as error:
        reconcile.offboard_keep_list(["amy"], None, rules)
    assert message in str(error.value)


@pytest.mark.parametrize("names", [[], "", "\n,\n"])
def test_an_empty_keep_list_is_refused(names):
    with pytest.raises(AnsibleFilterError, match="empty"):
        reconcile.offboard_reconcile(inventory([assoc("a", "i-1")]), reconcile.offboard_keep_list(names) or [])


@pytest.mark.parametrize("entry", ["@corp.example.com", "jdoe@", "\\jdoe", "CORP\\"])
def test_an_entry_without_a_name_or_a_domain_is_refused(entry):
    with pytest.raises(AnsibleFilterError, match="write NAME, NAME@DOMAIN or DOMAIN"):
        reconcile.offboard_keep_list([entry])


def test_the_file_names_join_the_list_and_are_checked_with_their_own_label():
    assert reconcile.offboard_keep_list(["amy"], "bob\nAmy\n") == ["amy", "bob"]  # one person once, across the sources
    with pytest.raises(AnsibleFilterError, match=r"offboard_keep_file\[1\]: 83"):
        reconcile.offboard_keep_list(["amy"], ["bob", 83])


@pytest.mark.parametrize("max_removals, percent, exceeded", [
    (None, None, 0), (2, None, 0), (1, None, 1), (None, 66.7, 0), (None, 66.6, 1), (1, 50, 2), (0, 0, 2),
])
def test_limits(max_removals, percent, exceeded):
    inv = inventory([assoc("a", "i-1"), assoc("b", "i-1"), assoc("c", "i-1")])
    plan = reconcile.offboard_reconcile(inv, ["a"], None, "", max_removals, percent)
    assert len(plan["limits"]["exceeded"]) == exceeded
    summary = reconcile.offboard_reconcile_summary(plan, True)
    assert len([line for line in summary if "LIMIT EXCEEDED" in line]) == exceeded


def test_the_summary_names_everyone_or_with_no_log_no_one():
    inv = inventory([assoc("a", "i-1"), assoc("b", "i-1")], [sub("b", RDS, LicenseExpirationDate="2027-01-30T00:00:00Z")])
    plan = reconcile.offboard_reconcile(inv, ["ghost", "c"], None, "", 100, 100)
    lines = reconcile.offboard_reconcile_summary(plan, dry_run=True)
    assert lines[1:] == ["  REMOVE a (corp.example.com): 1 instance(s) i-1",
                         "  REMOVE b (corp.example.com): 1 instance(s) i-1; REMOTE_DESKTOP_SERVICES; Remote Desktop licence until 2027-01-30T00:00:00Z",
                         "  KEPT BUT HOLDING NOTHING (2; a typo or a stale list?): ghost, c"]
    hidden = reconcile.offboard_reconcile_summary(plan, dry_run=False, names=False)
    assert not any(name in line for line in hidden for name in (" a ", " b ", "ghost"))
    assert hidden[-1] == "  KEPT BUT HOLDING NOTHING: 2 name(s); names in the report file"


def test_an_unknown_status_word_is_held_and_so_removed():
    plan = reconcile.offboard_reconcile(inventory([assoc("a", "i-1", status="PENDING_REVIEW")]), ["b"])
    assert [r["username"] for r in plan["remove"]] == ["a"]


def test_the_csv_has_a_row_per_user_and_no_cell_a_spreadsheet_would_run():
    inv = inventory([assoc("=HYPERLINK(\"x\")", "i-1"), assoc("amy", "i-1"), assoc("amy", "i-2")],
                    [sub("amy", RDS, LicenseExpirationDate="2027-01-30T00:00:00Z"), sub("@bob", OFFICE, domain="+x")])
    rows = list(csv.reader(io.StringIO(reconcile.offboard_inventory_csv(inv))))
    assert rows[0][:4] == ["username", "domain", "instance_count", "instance_ids"] and rows[0][-1] == "license_expiration_date"
    by_name = {row[0]: dict(zip(rows[0], row)) for row in rows[1:]}
    assert set(by_name) == {"'=HYPERLINK(\"x\")", "'@bob", "amy"}
    assert by_name["amy"]["instance_ids"] == "i-1 i-2" and by_name["amy"][RDS] == "SUBSCRIBED" and by_name["amy"][OFFICE] == ""
    assert by_name["'@bob"]["domain"] == "'+x"


def test_a_large_keep_list_is_linear():
    users = [f"u{n}" for n in range(20000)]
    inv = inventory([assoc(name, "i-1") for name in users])
    start = time.process_time()
    plan = reconcile.offboard_reconcile(inv, users[:15000], None, "", None, None)
    assert time.process_time() - start < 10  # a product of the sizes (3 * 10^8 comparisons) would take minutes
    assert plan["counts"]["remove"] == 5000


def test_a_file_that_is_not_utf8_is_refused_naming_the_byte():
    import base64
    assert reconcile.offboard_utf8(base64.b64encode("\ufeffjos\u00e9\n".encode()).decode()) == "jos\u00e9\n"
    with pytest.raises(AnsibleFilterError, match=r"keep.txt: byte 3 \(0xe9\) is not UTF-8"):
        reconcile.offboard_utf8(base64.b64encode("jos\u00e9".encode("latin-1")).decode(), "keep.txt")


def test_a_trimmed_user_keeps_the_remote_desktop_licence_out_of_the_line():
    inv = inventory([], [sub("amy", VS), sub("amy", RDS, LicenseExpirationDate="2027-01-30T00:00:00Z")])
    plan = reconcile.offboard_reconcile(inv, ["amy"], [dict(usernames=["amy"], products=[RDS])])
    assert [(r["products"], r.get("license_expiration_date")) for r in plan["trim"]] == [([VS], None)]


def test_a_record_without_a_domain_of_a_kept_user_is_never_reached_by_another_domains_removal():
    # jdoe without a domain is kept (jdoe@corp.example.com matches a record without a domain); jdoe of emea is not. An item
    # for jdoe of emea would also reach the record without a domain on the same instance or product: it is held back there.
    inv = inventory([assoc("jdoe", "i-1", domain=None), assoc("jdoe", "i-1", domain="emea.example.com"), assoc("jdoe", "i-2", domain="emea.example.com")],
                    [sub("jdoe", OFFICE, domain=None), sub("jdoe", OFFICE, domain="emea.example.com")])
    plan = reconcile.offboard_reconcile(inv, ["jdoe@corp.example.com"])
    assert [(r["username"], r["domain"], r["instances"], r["products"]) for r in plan["remove"]] == [("jdoe", "emea.example.com", ["i-2"], [])]
    assert {r.get("instance_id") or r.get("product") for r in plan["held_back"]} == {"i-1", OFFICE}
    assert reconcile.offboard_reconcile_items(plan, "associations") == [dict(username="jdoe", instance_id="i-2", domain="emea.example.com")]
    assert reconcile.offboard_reconcile_items(plan, "subscriptions") == []
    assert any(line.startswith("  HELD BACK jdoe (emea.example.com): i-1, not removed") for line in reconcile.offboard_reconcile_summary(plan))


def test_a_trim_without_a_domain_never_reaches_another_kept_domain():
    inv = inventory([], [sub("jdoe", RDS, domain=None), sub("jdoe", RDS, domain="emea.example.com"), sub("alice", RDS)])
    rules = [dict(usernames=["jdoe@corp.example.com"], products=[OFFICE])]
    plan = reconcile.offboard_reconcile(inv, ["alice", "jdoe@corp.example.com", "jdoe@emea.example.com"], rules)
    assert plan["trim"] == [] and [r["product"] for r in plan["held_back"]] == [RDS]


def test_a_trim_keeps_an_instance_that_also_provides_a_kept_product():
    mixed = [dict(InstanceId="i-1", Products=[OFFICE, "VISUAL_STUDIO_ENTERPRISE"], IdentityProvider=IDP)]
    inv = build_inventory(mixed, [assoc("alice", "i-1")], [sub("alice", OFFICE), sub("alice", "VISUAL_STUDIO_ENTERPRISE")])
    plan = reconcile.offboard_reconcile(inv, ["alice"], [dict(usernames=["alice"], products=[OFFICE])])
    assert plan["trim"] == []
    assert plan["held_back"] == [dict(username="alice", domain="corp.example.com", product="VISUAL_STUDIO_ENTERPRISE",
                                      why="instance i-1 provides it and a product the user keeps")]


def test_a_rule_naming_someone_not_kept_and_a_rule_without_products_are_refused():
    with pytest.raises(AnsibleFilterError, match=r"offboard_keep_products\[0\].usernames: 'carol' not on the keep list"):
        reconcile.offboard_keep_list(["alice"], None, [dict(usernames=["carol"], products=[OFFICE])])
    with pytest.raises(AnsibleFilterError, match="a non-empty list of products"):
        reconcile.offboard_keep_list(["alice"], None, [dict(usernames=["alice"], products=[])])


def test_with_no_log_refusals_name_positions_not_values():
    for call in (lambda: reconcile.offboard_keep_list(["zqalice", "zqbob@"], None, None, False),
                 lambda: reconcile.offboard_keep_list(["zqalice"], None, [dict(usernames=["zqalice"], prodcts=[OFFICE])], False),
                 lambda: reconcile.offboard_keep_list(["zqalice"], None, [dict(usernames=["zqcarol"], products=[OFFICE])], False)):
        with pytest.raises(AnsibleFilterError) as error:
            call()
        assert "zq" not in str(error.value), str(error.value)


def test_the_percentage_limit_compares_the_exact_share():
    inv = inventory([assoc("a", "i-1"), assoc("b", "i-1"), assoc("c", "i-1")])
    plan = reconcile.offboard_reconcile(inv, ["a", "b"], None, "", None, 33.33)
    assert plan["counts"]["percent"] == 33.3 and len(plan["limits"]["exceeded"]) == 1
