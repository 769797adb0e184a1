# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:
    # The two ways every module names an identity provider.
    DOCUMENTATION = r"""
options:
  directory_id:
    description:
      - ID of the AWS Directory Service directory (Active Directory) that is the identity provider,
        for example V(d-1234567890) or V(sd-1234567890).
      - A shortcut for O(identity_provider.active_directory_identity_provider.directory_id).
      - Mutually exclusive with O(identity_provider).
    type: str
  identity_provider:
    description:
      - The identity provider, as the API's C(IdentityProvider) union written in snake_case.
      - Use it when the directory ID alone does not name the provider; otherwise O(directory_id) is shorter.
      - Mutually exclusive with O(directory_id).
    type: dict
    suboptions:
      active_directory_identity_provider:
        description: An Active Directory identity provider.
        type: dict
        required: true
        suboptions:
          directory_id:
            description: The directory ID.
            type: str
          active_directory_type:
            description: The type of Active Directory.
            type: str
            choices: [SELF_MANAGED, AWS_MANAGED]
          is_shared_active_directory:
            description: Whether the directory is shared from another account.
            type: bool
          active_directory_settings:
            description: Settings of a self-managed Active Directory.
            type: dict
            suboptions:
              domain_name:
                description: The domain name.
                type: str
              domain_ipv4_list:
                description: IPv4 addresses of the domain controllers.
                type: list
                elements: str
              domain_ipv6_list:
                description: IPv6 addresses of the domain controllers.
                type: list
                elements: str
              domain_credentials_provider:
                description: Where the domain credentials are kept.
                type: dict
                suboptions:
                  secrets_manager_credentials_provider:
                    description: An AWS Secrets Manager secret.
                    type: dict
                    suboptions:
                      secret_id:
                        description: ID or ARN of the secret.
                        type: str
              domain_network_settings:
                description: Network settings of the domain.
                type: dict
                suboptions:
                  subnets:
                    description: Subnet IDs.
                    type: list
                    elements: str
                    required: true
"""
