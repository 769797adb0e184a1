"""CLI: python3 -m lmus_emulator.seed --instances 40 --users 500 ... --out FILE.yml (see seeds.py)."""

import sys

from .seeds import dump_seed, generate_seed, load_seed, main

__all__ = ["dump_seed", "generate_seed", "load_seed", "main"]

if __name__ == "__main__":
    sys.exit(main())
