"""Local emulator of AWS License Manager user-based subscriptions (license-manager-user-subscriptions, 2018-05-10)."""

from .admin import EmulatorAdmin
from .emulator import ANY, Emulator
from .seeds import generate_seed, load_seed, sample_seed

__all__ = ["Emulator", "EmulatorAdmin", "load_seed", "generate_seed", "sample_seed", "ANY"]
