"""pytest fixtures: lmus_emulator (started, empty seed) and lmus_emulator_factory(seed=..., **kwargs)."""

import pytest

from .emulator import Emulator


@pytest.fixture
def lmus_emulator_factory():
    """Start emulators with Emulator(**kwargs); all are stopped at teardown."""
    started = []

    def factory(seed=None, **kwargs):
        emulator = Emulator(seed=seed, **kwargs).start()
        started.append(emulator)
        return emulator

    yield factory
    for emulator in started:
        emulator.stop()


@pytest.fixture
def lmus_emulator(lmus_emulator_factory):  # pylint: disable=redefined-outer-name
    """A started emulator with an empty seed; call .load(seed) to fill it."""
    return lmus_emulator_factory()
