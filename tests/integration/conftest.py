# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Fixtures for the integration tests: an emulator and an Ansible runner pointed at it.

Every test that starts an emulator runs once per status vocabulary (``aws``: the words AWS's
documentation and samples use; ``legacy``: ACTIVE / INACTIVE for subscriptions), so that no test
hard-wires a status word: tests read the words in use from ``harness.words``. A test module whose
emulators hold no product subscription sets ``VOCABULARIES = ("aws",)``: the profiles differ only
in the subscription words. So does a single test that runs only the instance-user modules
(``harness.INSTANCE_USERS_ONLY``).

Many cases of one kind (bad input, filters) can share one ``ansible-playbook`` run, each case a task of
it (``shared_run``): a run costs about a second of CPU to start, on top of each module's own.
"""

import fcntl
import json

import pytest
from lmus_emulator.emulator import Emulator

from harness import Ansible
from harness import VOCABULARIES
# A real slapd, for test_keep_from_ldap.py.
from ldap_server import ldap_server  # noqa: F401 pylint: disable=unused-import


def pytest_configure(config):
    if not config.pluginmanager.has_plugin("lmus_emulator.pytest_plugin"):
        config.pluginmanager.import_plugin("lmus_emulator.pytest_plugin")


def pytest_generate_tests(metafunc):
    """Run each test that starts an emulator under each vocabulary its module names (unless it chooses one itself)."""
    chosen = any("vocabulary" in marker.args[0] for marker in metafunc.definition.iter_markers("parametrize"))
    if "vocabulary" in metafunc.fixturenames and not chosen:
        metafunc.parametrize("vocabulary", getattr(metafunc.module, "VOCABULARIES", VOCABULARIES))


@pytest.fixture
def vocabulary():
    """The emulator's status vocabulary (parametrised by pytest_generate_tests)."""
    return "aws"


@pytest.fixture
def lmus_emulator_factory(lmus_emulator_factory, vocabulary):  # pylint: disable=redefined-outer-name
    """The emulator plugin's factory, speaking ``vocabulary`` unless a test asks for another."""

    def factory(seed=None, **kwargs):
        kwargs.setdefault("vocabulary", vocabulary)
        return lmus_emulator_factory(seed=seed, **kwargs)

    return factory


@pytest.fixture
def lmus_emulator(lmus_emulator_factory):  # pylint: disable=redefined-outer-name
    return lmus_emulator_factory()


@pytest.fixture
def ansible(lmus_emulator, tmp_path):
    return Ansible(lmus_emulator, tmp_path)


@pytest.fixture(scope="session")
def shared_run(tmp_path_factory, request):
    """One ansible-playbook run that many test cases share (``Ansible.each_task``), made once per test session.

    ``shared_run(name, seed, make, **emulator_options)`` starts an emulator, calls ``make(ansible)`` (an Ansible pointed at
    it), stops it and returns ``{"results": what make returned, "log": the emulator's request log, "state": its state}``.
    The first pytest-xdist worker to ask makes it; the others wait for it and read it from the session's directory. A
    run that fails is reported to every case that shares it.
    """
    root = tmp_path_factory.getbasetemp()
    if hasattr(request.config, "workerinput"):  # a pytest-xdist worker
        root = root.parent  # the session's directory, which every worker's own directory is in

    def run(name, seed, make, **emulator_options):
        path = root / f"shared-{name}.json"
        with open(root / f"shared-{name}.lock", "w", encoding="utf-8") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not path.exists():
                emulator = Emulator(seed=seed, **emulator_options).start()
                try:
                    data = {"results": make(Ansible(emulator, tmp_path_factory.mktemp(name)))}
                except Exception as e:  # pylint: disable=broad-exception-caught
                    data = {"error": f"{type(e).__name__}: {e}"}
                finally:
                    emulator.stop()
                data.update(log=emulator.log, state=emulator.state_dump())
                path.write_text(json.dumps(data, default=str), encoding="utf-8")
        data = json.loads(path.read_text(encoding="utf-8"))
        if "error" in data:
            pytest.fail(f"the run these cases share failed: {data['error']}")
        return data

    return run


@pytest.fixture
def ansible_factory(tmp_path):
    """Ansible runs against an emulator of the test's choosing."""
    return lambda emulator: Ansible(emulator, tmp_path)
