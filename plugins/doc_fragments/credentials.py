# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:
    # Where every module takes AWS credentials from.
    DOCUMENTATION = r"""
options: {}
notes:
  - >-
    Credentials: leave O(access_key), O(secret_key) and O(session_token) unset and let the module take them from its
    environment (C(AWS_ACCESS_KEY_ID), C(AWS_SECRET_ACCESS_KEY), C(AWS_SESSION_TOKEN)), a profile or an instance role,
    as AWS tools do. The session token is also read from C(AWS_SECURITY_TOKEN), the name AWX's Amazon Web Services
    credential sets, when C(AWS_SESSION_TOKEN) is not set.
  - >-
    A secret passed as a module option is hidden from the task's results and C(-v) output (the options are C(no_log)),
    but Ansible prints every module argument with C(ANSIBLE_DEBUG=1), and writes them into the module's payload file
    (C(AnsiballZ_*.py) under C(~/.ansible/tmp)), which stays behind when the run is killed.
"""
