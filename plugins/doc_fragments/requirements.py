# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:
    # What the host that runs a module needs, in the words of the collection's statement of support
    # (docs/support.md; tests/integration/test_support.py checks that every place says the same).
    # It takes the place of amazon.aws.boto3, whose requirements are amazon.aws's own, lower minimums.
    DOCUMENTATION = r"""
options: {}
requirements:
  - python >= 3.11
  - boto3 >= 1.40.35
  - botocore >= 1.40.35 (ListInstances returns each instance's IdentityProvider from this release on)
"""
