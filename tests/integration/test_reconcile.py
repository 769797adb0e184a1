# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Reconcile and inventory: the playbooks lmus.user_subscriptions.reconcile and .inventory, run as an operator runs them."""

import csv
import json

import pytest

from harness import DIRECTORY
from harness import DOMAIN
from harness import OTHER_DIRECTORY
from harness import instance_id
from harness import run_offboard
from harness import words

# The status words do not change what is held here: the vocabularies' own tests cover them (one runs below).
VOCABULARIES = ("aws",)
USERS = [f"user{n:03d}" for n in range(300)]
KEPT, LEAVING = USERS[:250], USERS[250:]
PRODUCTS = ("OFFICE_PROFESSIONAL_PLUS", "VISUAL_STUDIO_PROFESSIONAL", "REMOTE_DESKTOP_SERVICES")


def account(users=USERS):
    """Ten instances over two directories; each user on one to three of them, with one or two products."""
    data = dict(identity_providers=[], instances=[], associations=[], product_subscriptions=[])
    for n in range(1, 11):
        directory = DIRECTORY if n <= 6 else OTHER_DIRECTORY
        data["instances"].append(dict(instance_id=instance_id(n), directory_id=directory, products=[PRODUCTS[n % 2]]))
    for number, username in enumerate(users):
        for k in range(1 + number % 3):
            data["associations"].append(dict(instance_id=instance_id(1 + (number + 4 * k) % 10), username=username, domain=DOMAIN))
        # the product of the user's instances (instance n provides PRODUCTS[n % 2]; a user's instances are all odd or all even)
        data["product_subscriptions"].append(dict(username=username, product=PRODUCTS[(1 + number) % 2], directory_id=DIRECTORY, domain=DOMAIN))
        if number % 5 == 0:
            data["product_subscriptions"].append(dict(username=username, product="REMOTE_DESKTOP_SERVICES", directory_id=DIRECTORY, domain=DOMAIN))
    return data


def holders(emulator):
    """The users who still hold an association or a subscription."""
    state, said = emulator.state_dump(), words(emulator)
    return sorted({a["username"] for a in state["associations"] if a["status"] != said["disassociated"]}
                  | {s["username"] for s in state["product_subscriptions"] if s["status"] == said["subscribed"]})


def writes(emulator):
    """The write calls made, as (operation, user, instance or product), the user and instance of an ARN looked up in the emulator."""
    state = emulator.state_dump()
    by_arn = {r["arn"]: (r["username"], r.get("instance_id") or r.get("product")) for r in state["associations"] + state["product_subscriptions"]}
    made = []
    for call in emulator.calls(write=True):
        params = call["params"]
        arn = params.get("InstanceUserArn") or params.get("ProductUserArn")
        user, where = by_arn[arn] if arn else (params["Username"], params.get("InstanceId") or params.get("Product"))
        made.append((call["operation"], user, where))
    return sorted(made)


def spelled(names):
    """The keep list as an export would spell it: case, NAME@DOMAIN and DOMAIN\\NAME variants."""
    forms = (str.upper, lambda n: f"{n}@{DOMAIN.upper()}", lambda n: f"CORP\\{n}", str.title, lambda n: n)
    return [forms[n % len(forms)](name) for n, name in enumerate(names)]


def plan_of(run):
    return run.task("Plan who loses what")["ansible_facts"]["offboard__plan"]


def summary_of(run):
    return run.task("Show who would lose what")["msg"]


@pytest.fixture
def org(lmus_emulator_factory):
    return lmus_emulator_factory(seed=account())


def test_dry_run_then_real_run_then_rerun_keep_only_the_kept(org, ansible_factory, tmp_path):
    ansible = ansible_factory(org)
    keep = tmp_path / "keep.txt"
    keep.write_text("\n".join(spelled(KEPT) + ["ghost", "user999"]) + "\n")
    # Relative paths, as an operator types them: from the directory the run starts in (the harness runs in tmp_path), not from
    # the directory of the collection's playbook, where modules run.
    wanted = dict(offboard_keep_file="keep.txt", offboard_report_dir=".")

    dry = run_offboard(ansible, wanted, check=True, playbook="reconcile")
    assert dry.rc == 0, dry.stdout[-3000:] + dry.stderr[-2000:]
    assert org.calls(write=True) == []
    plan = plan_of(dry)
    assert [r["username"] for r in plan["remove"]] == LEAVING
    assert plan["counts"] == dict(holders=300, keep=252, remove=50, trim=0, affected=50, percent=16.7, kept_not_found=2, held_back=0,
                                  associations=sum(1 + n % 3 for n in range(250, 300)), subscriptions=60)
    assert plan["kept_not_found"] == ["ghost", "user999"]
    assert plan["remove"][0] == dict(username="user250", domain=DOMAIN, instances=[instance_id(1), instance_id(5)],
                                     products=["REMOTE_DESKTOP_SERVICES", "VISUAL_STUDIO_PROFESSIONAL"],
                                     license_expiration_date=plan["remove"][0]["license_expiration_date"], why="not kept")
    summary = summary_of(dry)
    assert summary[0].startswith("Reconcile dry run: 300 user(s) hold licences, 252 name(s) on the keep list; 50 not kept would lose everything")
    assert [line.split()[1] for line in summary if line.startswith("  REMOVE ")] == LEAVING
    assert "  KEPT BUT HOLDING NOTHING (2; a typo or a stale list?): ghost, user999" in summary
    assert holders(org) == USERS

    real = run_offboard(ansible, wanted, playbook="reconcile")
    assert real.rc == 0, real.stdout[-3000:]
    assert holders(org) == KEPT
    removed = writes(org)
    assert {operation for operation, _user, _where in removed} == {"DisassociateUser", "StopProductSubscription"}
    assert {user for _operation, user, _where in removed} == set(LEAVING)
    report = real.task("Set the report fact")["ansible_facts"]["offboard_report"]
    assert report["dry_run"] is False and report["counts"]["failed"] == 0
    assert report["counts"]["disassociated"] == plan["counts"]["associations"]
    assert report["counts"]["unsubscribed"] == plan["counts"]["subscriptions"]
    assert [r["username"] for r in report["reconcile"]["remove"]] == LEAVING

    rerun = run_offboard(ansible, wanted, playbook="reconcile")
    assert rerun.rc == 0, rerun.stdout[-3000:]
    assert writes(org) == removed
    assert plan_of(rerun)["remove"] == [] and plan_of(rerun)["counts"]["holders"] == 250
    assert rerun.report["stats"]["localhost"]["changed"] == 0
    assert sorted(p.name.endswith("-dry-run.json") for p in tmp_path.glob("offboard-*.json")) == [False, False, True]


@pytest.mark.parametrize("limits, tripped", [
    (dict(), ["200 users would lose licences, more than offboard_max_removals (100)",
              "200 of 300 holders (66.7%) would lose licences, more than offboard_max_removal_percent (25.0%)"]),
    (dict(offboard_max_removals=500, offboard_max_removal_percent=60),
     ["200 of 300 holders (66.7%) would lose licences, more than offboard_max_removal_percent (60.0%)"]),
    (dict(offboard_max_removals=199, offboard_max_removal_percent=100), ["200 users would lose licences, more than offboard_max_removals (199)"]),
])
def test_a_tripped_limit_stops_the_run_before_any_write(org, ansible_factory, limits, tripped):
    ansible = ansible_factory(org)
    run = run_offboard(ansible, dict(limits, offboard_keep_usernames=USERS[:100]), playbook="reconcile")
    assert run.rc != 0
    assert org.calls(write=True) == []
    assert {c["operation"] for c in org.calls()} <= {"ListInstances", "ListUserAssociations", "ListIdentityProviders", "ListProductSubscriptions"}
    msg = run.task("Stop at the removal limits")["msg"]
    assert msg.startswith("Removal limits exceeded, nothing was changed: " + "; ".join(tripped) + ".")
    assert "offboard_lift_removal_limits" in msg
    assert [line for line in summary_of(run) if "LIMIT EXCEEDED" in line] == [f"  LIMIT EXCEEDED: {t}" for t in tripped]
    assert holders(org) == USERS
    # The report still comes, with the plan, saying why nothing was changed
    report = run.task("Set the report fact")["ansible_facts"]["offboard_report"]
    assert report["stopped"] == msg and report["counts"]["disassociated"] == 0 and len(report["reconcile"]["remove"]) == 200
    assert msg in run.task("Show the summary")["msg"][1]


def test_lifting_the_limits_lets_the_dry_run_show_everything(org, ansible_factory):
    ansible = ansible_factory(org)
    run = run_offboard(ansible, dict(offboard_keep_usernames=USERS[:100], offboard_lift_removal_limits=True), check=True, playbook="reconcile")
    assert run.rc == 0, run.stdout[-3000:]
    assert len(plan_of(run)["remove"]) == 200 and plan_of(run)["limits"]["exceeded"] == []
    assert org.calls(write=True) == []


@pytest.mark.parametrize("given, message", [
    (dict(offboard_keep_usernames=[]), "The keep list is empty"),
    (dict(offboard_keep_usernames="\n\n"), "The keep list is empty"),
    (dict(offboard_keep_usernames=["jdoe", None]), "offboard_keep_usernames[1]: null"),
    (dict(offboard_keep_usernames=["jdoe"], offboard_usernames=["bob"]), "not offboard_usernames"),
    (dict(offboard_keep_usernames=["jdoe"], offboard_keep_products=[dict(usernames=["jdoe"], products=["OFFICE_PRO_PLUS"])]),
     "offboard_keep_products[0].products: 'OFFICE_PRO_PLUS' not a product"),
    (dict(offboard_keep_usernames=["@corp.example.com"]), "is not a user name: write NAME, NAME@DOMAIN or DOMAIN\\NAME"),
    (dict(offboard_keep_usernames=["jdoe"], offboard_max_removal_percent="lots"), "offboard_max_removal_percent"),
    (dict(offboard_keep_usernames=["jdoe"], offboard_max_removals="-1"), "offboard_max_removals: a whole number of users"),
    (dict(offboard_keep_usernames=["jdoe"], offboard_lift_removal_limits="nope"), "offboard_lift_removal_limits"),
    (dict(offboard_keep_usernames=["jdoe"], offboard_stop_product_subscriptions=False), "offboard_stop_product_subscriptions true"),
])
def test_bad_keep_lists_are_refused_before_any_call(org, ansible_factory, given, message):
    ansible = ansible_factory(org)
    run = run_offboard(ansible, given, playbook="reconcile")
    assert run.rc != 0
    assert message in json.dumps(run.report, ensure_ascii=False).replace("\\\\", "\\")
    assert org.calls() == []


def test_an_empty_keep_list_is_refused_before_any_call(org, ansible_factory, tmp_path):
    ansible = ansible_factory(org)
    empty = tmp_path / "keep.csv"
    empty.write_text("username\n")
    for given in (dict(offboard_keep_usernames=[]), dict(offboard_keep_file=str(empty))):
        run = run_offboard(ansible, given, playbook="reconcile")
        assert run.rc != 0
        assert org.calls() == [], given


@pytest.fixture
def small(lmus_emulator_factory):
    return lmus_emulator_factory(seed=account(USERS[:12]))


@pytest.mark.parametrize("name, text", [
    ("keep.txt", "user000\r\nUSER001\n\nuser002@corp.example.com\nCORP\\user003\n"),
    # smoke (docs/support.md): the CSV form runs community.general.read_csv and the role's file handling on every ansible-core
    pytest.param("keep.csv", "\ufeffsAMAccountName,department\nuser000,it\nUSER001,hr\nuser002@corp.example.com,it\nCORP\\user003,it\n",
                 marks=pytest.mark.smoke),
    ("keep.json", json.dumps(["user000", "USER001", "user002@corp.example.com", "CORP\\user003"])),
    ("keep.yml", "---\n- user000\n- USER001\n- user002@corp.example.com\n- CORP\\user003\n"),
], ids=["keep.txt", "keep.csv", "keep.json", "keep.yml"])
def test_keep_list_sources_give_the_same_plan(small, ansible_factory, tmp_path, name, text):
    ansible = ansible_factory(small)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    given = dict(offboard_keep_file=str(path), offboard_keep_file_column="sAMAccountName", offboard_lift_removal_limits=True)
    run = run_offboard(ansible, given, check=True, playbook="reconcile")
    assert run.rc == 0, run.stdout[-3000:]
    assert [r["username"] for r in plan_of(run)["remove"]] == USERS[4:12]
    assert plan_of(run)["kept_not_found"] == []


def test_a_csv_without_the_column_is_refused_naming_its_columns(small, ansible_factory, tmp_path):
    ansible = ansible_factory(small)
    path = tmp_path / "keep.csv"
    path.write_text("name,department\nuser000,it\n")
    run = run_offboard(ansible, dict(offboard_keep_file=str(path)), playbook="reconcile")
    assert run.rc != 0
    assert 'no column "username" (its columns: name, department)' in run.task("Refuse a CSV file without the column")["msg"]
    assert small.calls() == []


def test_a_name_kept_in_another_domain_is_removed_and_a_netbios_name_keeps(lmus_emulator_factory, ansible_factory):
    seed = account(USERS[:3])
    for sub in seed["product_subscriptions"]:
        if sub["username"] == "user001":
            sub["domain"] = "emea.example.com"
    emulator = lmus_emulator_factory(seed=seed)
    run = run_offboard(ansible_factory(emulator), dict(offboard_keep_usernames=["user000", "user001@corp.example.com", "CORP\\user002"]),
                       check=True, playbook="reconcile")
    assert run.rc == 0, run.stdout[-3000:]
    remove = plan_of(run)["remove"]
    assert [(r["username"], r["domain"], r["products"]) for r in remove] == [("user001", "emea.example.com", ["OFFICE_PROFESSIONAL_PLUS"])]
    items = run.task("Name what to remove")["ansible_facts"]["offboard__subscription_items"]
    assert items == [dict(username="user001", product="OFFICE_PROFESSIONAL_PLUS", domain="emea.example.com")]


def test_keep_products_stops_the_others_and_leaves_their_instances(small, ansible_factory):
    ansible = ansible_factory(small)
    rules = [dict(usernames=["user000", "user001"], products=["VISUAL_STUDIO_PROFESSIONAL"])]
    run = run_offboard(ansible, dict(offboard_keep_usernames=USERS[:12], offboard_keep_products=rules), playbook="reconcile")
    assert run.rc == 0, run.stdout[-3000:]
    trim = plan_of(run)["trim"]
    # user000 keeps Visual Studio and its instance, and loses Remote Desktop (no instance of theirs provides it); user001 loses
    # Office, and so the two Office instances it is on.
    assert [(r["username"], r["instances"], r["products"]) for r in trim] == [
        ("user000", [], ["REMOTE_DESKTOP_SERVICES"]), ("user001", [instance_id(2), instance_id(6)], ["OFFICE_PROFESSIONAL_PLUS"])]
    assert writes(small) == [
        ("DisassociateUser", "user001", instance_id(2)), ("DisassociateUser", "user001", instance_id(6)),
        ("StopProductSubscription", "user000", "REMOTE_DESKTOP_SERVICES"), ("StopProductSubscription", "user001", "OFFICE_PROFESSIONAL_PLUS")]
    assert holders(small) == [u for u in USERS[:12] if u != "user001"]  # user001 held nothing else


def test_inventory_writes_json_and_csv_for_people(small, ansible_factory, tmp_path):
    ansible = ansible_factory(small)
    out = tmp_path / "out"
    out.mkdir()
    run = run_offboard(ansible, dict(offboard_inventory_dir="out"), playbook="inventory")
    assert run.rc == 0, run.stdout[-3000:]
    assert small.calls(write=True) == []
    inventory = run.task("Set the inventory fact")["ansible_facts"]["offboard_inventory"]
    assert inventory["counts"] == dict(users=12, holders=12, instances=10, associations=24, subscriptions=15)
    assert inventory["products"]["OFFICE_PROFESSIONAL_PLUS"] == dict(users=6, subscriptions=6)
    assert inventory["products"]["REMOTE_DESKTOP_SERVICES"] == dict(users=3, subscriptions=3)
    files = sorted(out.iterdir())
    assert [f.suffix for f in files] == [".csv", ".json"] and all(f.stat().st_mode & 0o777 == 0o600 for f in files)
    rows = list(csv.DictReader(files[0].open(newline="")))
    assert [r["username"] for r in rows] == USERS[:12]
    assert rows[0]["VISUAL_STUDIO_PROFESSIONAL"] == "SUBSCRIBED" and rows[0]["REMOTE_DESKTOP_SERVICES"] == "SUBSCRIBED"
    assert rows[0]["license_expiration_date"] and rows[0]["instance_ids"] == instance_id(1)
    assert json.loads(files[1].read_text())["users"] == inventory["users"]
    assert run.task("Show the summary")["msg"][0] == "Inventory: 12 user(s) hold 24 association(s) on 10 instance(s) and 15 product subscription(s)"


@pytest.mark.parametrize("vocabulary", ["legacy"])
def test_reconcile_under_another_vocabulary_removes_the_same_people(lmus_emulator_factory, ansible_factory, vocabulary):
    emulator = lmus_emulator_factory(seed=account(USERS[:12]), vocabulary=vocabulary)
    run = run_offboard(ansible_factory(emulator), dict(offboard_keep_usernames=USERS[:8], offboard_max_removal_percent=40), playbook="reconcile")
    assert run.rc == 0, run.stdout[-3000:]
    assert [r["username"] for r in plan_of(run)["remove"]] == USERS[8:12]
    assert holders(emulator) == USERS[:8]


@pytest.mark.parametrize("name, data, message", [
    ("keep.txt", "user000\nJos\xe9\n".encode("latin-1"), "byte 11 (0xe9) is not UTF-8"),
    ("keep.csv", "username\nJos\xe9\n".encode("cp1252"), "offboard_keep_file"),
    ("keep.json", b'{"user000": 1}', "is not a list of user names"),
    ("keep.yml", b"- user000\n  - : [", "not read as a keep list"),
    ("missing.txt", None, "not read as a keep list"),
])
def test_a_keep_file_that_cannot_be_read_whole_is_refused_naming_it(small, ansible_factory, tmp_path, name, data, message):
    if data is not None:
        (tmp_path / name).write_bytes(data)
    run = run_offboard(ansible_factory(small), dict(offboard_keep_file=name), playbook="reconcile")
    assert run.rc != 0
    shown = json.dumps(run.report, ensure_ascii=False)
    assert message in shown and f"{tmp_path / name}" in shown, shown[-2000:]
    assert small.calls() == []


def test_names_from_both_sources_count_once_and_blank_csv_cells_are_skipped(small, ansible_factory, tmp_path):
    (tmp_path / "keep.csv").write_text("username,dept\nuser000,it\n,hr\nUSER001,it\n", encoding="utf-8")
    given = dict(offboard_keep_file="keep.csv", offboard_keep_usernames="User000\nuser002", offboard_lift_removal_limits=True)
    run = run_offboard(ansible_factory(small), given, check=True, playbook="reconcile")
    assert run.rc == 0, run.stdout[-3000:]
    assert plan_of(run)["counts"]["keep"] == 3
    assert [r["username"] for r in plan_of(run)["remove"]] == USERS[3:12]


def test_an_incomplete_inventory_stops_before_any_write_and_says_where(small, ansible_factory):
    small.set_faults({"access_denied_instances": [instance_id(3)]})
    run = run_offboard(ansible_factory(small), dict(offboard_keep_usernames=USERS[:11], offboard_no_log=True), playbook="reconcile")
    assert run.rc != 0
    msg = run.task("Stop when the inventory is incomplete")["msg"]
    assert msg.startswith("Who holds what could not be read whole, so nothing was changed: ") and instance_id(3) in msg and "AccessDenied" in msg
    assert small.calls(write=True) == []
    assert "user001" not in run.stdout


def test_a_kept_user_without_a_domain_is_never_removed_with_a_namesake(lmus_emulator_factory, ansible_factory):
    """jdoe without a domain is kept; jdoe of emea is not. Where both hold the same instance or product, the write would reach
    both records (a record without a domain matches every domain): that place is held back; elsewhere emea's jdoe goes."""
    seed = dict(identity_providers=[], instances=[dict(instance_id=instance_id(n), directory_id=DIRECTORY, products=[PRODUCTS[0]]) for n in (1, 2)],
                associations=[dict(instance_id=instance_id(1), username="jdoe"), dict(instance_id=instance_id(1), username="jdoe", domain="emea.example.com"),
                              dict(instance_id=instance_id(2), username="jdoe", domain="emea.example.com"),
                              dict(instance_id=instance_id(1), username="alice", domain=DOMAIN)],
                product_subscriptions=[dict(username="jdoe", product=PRODUCTS[0], directory_id=DIRECTORY),
                                       dict(username="jdoe", product=PRODUCTS[0], directory_id=DIRECTORY, domain="emea.example.com")])
    emulator = lmus_emulator_factory(seed=seed, rules={"refuse_stop_while_associated": False})
    run = run_offboard(ansible_factory(emulator), dict(offboard_keep_usernames=["alice", "jdoe@corp.example.com"], offboard_max_removal_percent=100),
                       playbook="reconcile")
    assert run.rc == 0, run.stdout[-3000:]
    assert writes(emulator) == [("DisassociateUser", "jdoe", instance_id(2))]
    state, said = emulator.state_dump(), words(emulator)
    assert [(a["instance_id"], a["status"]) for a in state["associations"] if a["username"] == "jdoe" and not a.get("domain")] == [
        (instance_id(1), said["associated"])]
    held = [line for line in summary_of(run) if line.startswith("  HELD BACK ")]
    assert held == [f"  HELD BACK jdoe (emea.example.com): {where}, not removed: the same name without a domain (or with none here) "
                    "holds it too and keeps it" for where in (instance_id(1), PRODUCTS[0])]
