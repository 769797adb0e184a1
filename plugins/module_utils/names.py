# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""How user names compare: without regard to case, the way Active Directory compares them (no imports: filters load this)."""

from __future__ import annotations


def name_key(name: str) -> str:
    """The key two user names share when Active Directory holds them for one account.

    Active Directory ignores case one character at a time (simple case mapping), so each
    character is upper-cased only where that gives one character: ``jdoe`` and ``JDoe``
    share a key, but ``strauss`` and ``strauß``, or ``kelvin`` and ``\\u212aelvin`` (the
    Kelvin sign), stay different people, as they are in the directory. (``str.casefold``
    would make them one.)
    """
    if name.isascii():  # every ASCII letter upper-cases to one ASCII letter: the same rule, at C speed
        return name.upper()
    return "".join(upper if len(upper := char.upper()) == 1 else char for char in name)
