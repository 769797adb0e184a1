# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Fixtures for the integration tests: an emulator and an Ansible runner pointed at it."""

import pytest

from harness import Ansible


def pytest_configure(config):
    if not config.pluginmanager.has_plugin("lmus_emulator.pytest_plugin"):
        config.pluginmanager.import_plugin("lmus_emulator.pytest_plugin")


@pytest.fixture
def ansible(lmus_emulator, tmp_path):
    return Ansible(lmus_emulator, tmp_path)


@pytest.fixture
def ansible_factory(tmp_path):
    """Ansible runs against an emulator of the test's choosing."""
    return lambda emulator: Ansible(emulator, tmp_path)
