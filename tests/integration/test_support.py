# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What the collection supports (docs/support.md): one statement, said the same everywhere, and runs free of warnings.

- a normal run prints no warning: neither our code nor our metadata (meta/runtime.yml's action group) may make
  Ansible print one. On every ansible-core of the support matrix the smoke tests of a module
  (test_instance_user.py) and of the offboard role (test_offboard_role.py) check their runs the same way;
- every place that states what the collection supports says the same: meta/runtime.yml, requirements.txt, the
  modules' requirements, the role's metadata, the execution environment definition, the Markdown pages that state
  it, and the support matrix (tools/matrix.yml and its table in docs/support.md) covers all of it.
"""

import ast
import re
from pathlib import Path

import pytest
import yaml

from harness import DIRECTORY
from harness import DOMAIN
from harness import MODULE
from harness import base_seed
from harness import instance_id

ROOT = Path(__file__).resolve().parents[2]
VOCABULARIES = ("aws",)

# What an operator sees: Ansible's default output. The harness turns off two warnings of ansible-core's own about a
# run without an inventory (ANSIBLE_LOCALHOST_WARNING, ANSIBLE_INVENTORY_UNPARSED_WARNING): they are about how
# Ansible is set up, not about this collection. Deprecation warnings stay on.
DEFAULT_OUTPUT = {"ANSIBLE_STDOUT_CALLBACK": "default"}


@pytest.fixture
def small_org(lmus_emulator_factory):
    """alice and bob on two instances."""
    associations = [dict(instance_id=instance_id(n), username=u, domain=DOMAIN) for n in (1, 2) for u in ("alice", "bob")]
    return lmus_emulator_factory(seed=base_seed(instances=2, associations=associations))


def test_a_normal_run_prints_no_warning(small_org, ansible_factory):
    """A user's play, with Ansible's default output: module_defaults for the collection's action group (where the harness
    sets the endpoint), an info module, and a write module in single and in batch mode. The offboard role's runs are
    checked in test_offboard_role.py::test_dry_run_then_real_run_then_rerun (AnsibleRun.warnings)."""
    ansible = ansible_factory(small_org)
    tasks = [
        {"name": "List", "lmus.user_subscriptions.lmus_instance_user_info": {"usernames": ["alice", "bob"]}},
        {"name": "Remove one", MODULE: {"state": "absent", "username": "alice", "domain": DOMAIN, "instance_id": instance_id(1),
                                        "directory_id": DIRECTORY}},
        {"name": "Remove everywhere", MODULE: {"state": "absent", "users": [{"username": "alice"}, {"username": "bob"}]}},
    ]
    run = ansible.playbook(tasks, env=DEFAULT_OUTPUT)
    assert run.rc == 0, f"{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    assert re.search(r"^localhost +: ok=3 +changed=2 ", run.stdout, re.M), f"not Ansible's default output, or not what was asked:\n{run.stdout}"
    assert run.warnings() == []
    assert [a["username"] for a in small_org.state_dump()["associations"] if a["status"] == "ASSOCIATED"] == []

    # The same look finds a warning where there is one: a repeated item is handled once, with a warning.
    repeated = ansible.playbook([{"name": "Repeat", MODULE: {"state": "absent", "users": [{"username": "carol"}] * 2}}], env=DEFAULT_OUTPUT)
    assert repeated.rc == 0
    assert len(repeated.warnings()) == 1 and "users[1] repeats users[0]" in repeated.warnings()[0], repeated.stdout + repeated.stderr


# ---------------------------------------------------------------- one statement of support

MARKER = "<!-- support statement"
# The pages that state what the collection supports, each in a paragraph after MARKER.
STATEMENT_PAGES = ["README.md", "docs/getting-started.md", "docs/adhoc.md", "docs/support.md", "roles/offboard/README.md"]


def read(path):
    return (ROOT / path).read_text(encoding="utf-8")


def requirement_lines(path):
    """{name: specifier} for the requirement lines of a requirements file."""
    found = {}
    for line in read(path).splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):  # not an option such as -r requirements.txt
            match = re.fullmatch(r"([A-Za-z0-9_.-]+)\s*([<>=!~].*)", line)
            assert match, f"{path}: {line!r}"
            found[match.group(1).lower()] = match.group(2).replace(" ", "")
    return found


def core_specifier():
    """meta/runtime.yml's requires_ansible: the one place the ansible-core range is set."""
    return yaml.safe_load(read("meta/runtime.yml"))["requires_ansible"]


def core_minors():
    """The ansible-core minors in requires_ansible, e.g. ["2.17", "2.18", "2.19"]: a bounded range of one major."""
    match = re.fullmatch(r">=(\d+)\.(\d+)\.0,<(\d+)\.(\d+)\.0", core_specifier())
    assert match and match.group(1) == match.group(3), f"requires_ansible: not a range of whole minors of one major: {core_specifier()!r}"
    major, first, last = int(match.group(1)), int(match.group(2)), int(match.group(4))
    assert first < last
    return [f"{major}.{minor}" for minor in range(first, last)]


def botocore_minimum():
    """requirements.txt's lower bound, the same for boto3 and botocore, and nothing else there."""
    requirements = requirement_lines("requirements.txt")
    assert set(requirements) == {"boto3", "botocore"}, requirements
    assert requirements["boto3"] == requirements["botocore"] and re.fullmatch(r">=\d+\.\d+\.\d+", requirements["botocore"]), requirements
    return requirements["botocore"][2:]


def requirements_fragment():
    fragment = read("plugins/doc_fragments/requirements.py")
    return yaml.safe_load(re.search(r'DOCUMENTATION = r"""(.*?)"""', fragment, re.S).group(1))["requirements"]


def python_minimum():
    [python] = [r for r in requirements_fragment() if r.startswith("python ")]
    return re.fullmatch(r"python >= (\d+\.\d+)", python).group(1)


def statement():
    """The statement of support, built from the places that set it."""
    *first, last = core_minors()
    dependencies = yaml.safe_load(read("galaxy.yml"))["dependencies"]
    assert all(re.fullmatch(r">=\d+\.\d+\.\d+", version) for version in dependencies.values()), dependencies
    collections = " and ".join(f"the `{name}` collection {version[2:]} or newer" for name, version in dependencies.items())
    return (f"ansible-core {', '.join(first)} or {last} with {collections}; "
            f"on the host that runs the modules, Python {python_minimum()} or newer with `boto3` and `botocore` {botocore_minimum()} or newer.")


def test_the_statement_reads_as_expected():
    assert statement() == ("ansible-core 2.17, 2.18 or 2.19 with the `amazon.aws` collection 10.0.0 or newer and the `community.general` "
                           "collection 9.0.0 or newer; on the host that runs the modules, Python 3.11 or newer with `boto3` and `botocore` "
                           "1.40.35 or newer.")


@pytest.mark.parametrize("page", STATEMENT_PAGES)
def test_pages_state_the_support_statement(page):
    text = read(page)
    assert text.count(MARKER) == 1, f"{page}: one {MARKER} ... --> comment before the statement"
    paragraph = text.split(MARKER, 1)[1].split("-->", 1)[1].strip().split("\n\n", 1)[0]
    assert statement() in " ".join(paragraph.split()), f"{page}: the paragraph after the marker does not say:\n{statement()}"


def test_the_execution_environment_installs_a_supported_ansible_core_python_and_collections():
    ee = yaml.safe_load(read("meta/execution-environment.yml"))["dependencies"]
    assert ee["ansible_core"]["package_pip"] == f"ansible-core{core_specifier()}"
    assert ee["python_interpreter"]["package_system"] == f"python{python_minimum()}"
    assert ee["python"] == "requirements.txt"
    # The collections it installs from Galaxy are galaxy.yml's dependencies, with the same lower bounds.
    from_galaxy = {c["name"]: c["version"] for c in ee["galaxy"]["collections"] if c.get("type") != "file"}
    assert from_galaxy == yaml.safe_load(read("galaxy.yml"))["dependencies"]


def test_the_modules_state_the_requirements_once():
    minimum = botocore_minimum()
    requirements = requirements_fragment()
    assert requirements[1:] == [f"boto3 >= {minimum}", requirements[2]] and requirements[2].startswith(f"botocore >= {minimum} ")
    client = ast.parse(read("plugins/module_utils/client.py"))
    [value] = [node.value.value for node in client.body if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "MINIMUM_BOTOCORE"]
    assert value == minimum
    sidecars = sorted((ROOT / "plugins" / "modules").glob("*.yml"))
    assert sidecars
    for path in sidecars:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))["DOCUMENTATION"]
        fragments = doc["extends_documentation_fragment"]
        # amazon.aws.boto3 states amazon.aws's own, lower minimums: ansible-doc would list both.
        assert "lmus.user_subscriptions.requirements" in fragments and "amazon.aws.boto3" not in fragments, path.name
        assert "requirements" not in doc, f"{path.name}: requirements belong in plugins/doc_fragments/requirements.py"


def test_the_role_names_the_oldest_ansible_core():
    meta = yaml.safe_load(read("roles/offboard/meta/main.yml"))
    assert meta["galaxy_info"]["min_ansible_version"] == core_minors()[0]


# ---------------------------------------------------------------- the support matrix covers the statement

def matrix_rows():
    """(ansible-core, botocore) of every row: .venv's (requirements-dev.txt) and tools/matrix.yml's cells."""
    dev = requirement_lines("requirements-dev.txt")
    assert dev["boto3"] == dev["botocore"], "requirements-dev.txt: boto3 and botocore of one release"
    releases = {"minimum": botocore_minimum(), "newest": dev["botocore"][2:]}
    rows = [(dev["ansible-core"][2:], releases["newest"])]
    for cell in yaml.safe_load(read("tools/matrix.yml"))["cells"]:
        rows.append((str(cell["ansible_core"]), releases[cell["botocore"]]))
    return rows, releases


def test_the_matrix_covers_every_ansible_core_and_both_ends_of_botocore():
    rows, releases = matrix_rows()
    assert len(set(rows)) == len(rows), "a row twice"
    minors = core_minors()
    patches = {}
    for core, _botocore in rows:
        minor = core.rsplit(".", 1)[0]
        assert minor in minors, f"ansible-core {core} is outside requires_ansible {core_specifier()}"
        patches.setdefault(minor, set()).add(core)
    assert all(len(p) == 1 for p in patches.values()), f"one patch release per minor: {patches}"
    # Every supported ansible-core with the newest botocore, and the minimum botocore on at least one of them.
    assert {core.rsplit(".", 1)[0] for core, botocore in rows if botocore == releases["newest"]} == set(minors)
    assert any(botocore == releases["minimum"] for _core, botocore in rows)
    # .venv, where the full suite runs, has the newest of them.
    assert rows[0][0].rsplit(".", 1)[0] == minors[-1]


def test_the_support_page_shows_the_matrix():
    rows, _releases = matrix_rows()
    text = read("docs/support.md")
    table = text.split("<!-- matrix rows: tools/matrix.yml -->", 1)[1].strip().split("\n\n", 1)[0]
    shown = [[cell.strip().strip("`") for cell in line.strip("|").split("|")] for line in table.splitlines()[2:]]
    assert [(cells[0], cells[1].split()[0]) for cells in shown] == rows
