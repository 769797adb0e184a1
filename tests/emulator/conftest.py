"""Fixtures for the emulator's own tests (real boto3 clients over HTTP)."""

import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from emutest import SEED, make_client  # noqa: E402 pylint: disable=wrong-import-position

PLUGIN = "lmus_emulator.pytest_plugin"


def pytest_configure(config):
    """Register the emulator plugin (fixtures lmus_emulator, lmus_emulator_factory).

    Not `pytest_plugins = [...]`: pytest refuses that in a conftest that is not top-level (e.g. `pytest tests`).
    import_plugin is idempotent, so other conftests may register the same plugin.
    """
    config.pluginmanager.import_plugin(PLUGIN)


@pytest.fixture
def emu(lmus_emulator_factory):
    """An emulator started on the standard test seed."""
    return lmus_emulator_factory(seed=SEED)


@pytest.fixture
def client(emu):  # pylint: disable=redefined-outer-name
    """boto3 client for `emu`, no retries, every successful response checked against the output shape."""
    return make_client(emu)
