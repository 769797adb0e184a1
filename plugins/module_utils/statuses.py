# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Status values, and which count as present or absent (no imports: filters load this cheaply).

AWS does not enumerate these statuses. A record in a PRESENT status satisfies
state=present; a record in an ABSENT status needs no removal for state=absent;
a record in any other status (known or not) is removed for state=absent and
replaced for state=present.
"""

ASSOCIATING = "ASSOCIATING"
ASSOCIATED = "ASSOCIATED"
DISASSOCIATING = "DISASSOCIATING"
DISASSOCIATED = "DISASSOCIATED"
ASSOCIATION_PRESENT = (ASSOCIATED, ASSOCIATING)
ASSOCIATION_ABSENT = (DISASSOCIATED, DISASSOCIATING)

ACTIVE = "ACTIVE"
INACTIVE = "INACTIVE"
SUBSCRIPTION_PRESENT = (ACTIVE,)
SUBSCRIPTION_ABSENT = (INACTIVE,)
