"""Service rules from the AWS License Manager user guide, each switchable, and the error each answers when it refuses a call.

A rule's value is False (off), True (on, answering its default error code) or a modelled error code (on, answering that code).
"""

import copy

from .constants import MODELED_ERRORS

# name -> (default value, default error code). The error codes are guesses: the guide states the rules, not the errors.
RULES = {
    # "Microsoft products like Office or Visual Studio require an active subscription before you can associate Active Directory
    # users to an instance that includes those products." Off by default: seeds and tests associate users without subscriptions.
    "require_subscription_to_associate": (False, "ValidationException"),
    # "For Microsoft Office or Visual Studio user-based subscription products, you must first disassociate the Active Directory
    # user from all instances where they are currently associated before you can unsubscribe them."
    "refuse_stop_while_associated": (True, "ConflictException"),
}


def default_rules():
    """{rule: default value}."""
    return {name: default for name, (default, _code) in RULES.items()}


def merge_rules(current, changes):
    """current updated with changes (a partial dict); ValueError for unknown rules or bad values."""
    if changes is None:
        return copy.deepcopy(current)
    if not isinstance(changes, dict):
        raise ValueError(f"rules must be a mapping of rule names to true/false or an error code, got {changes!r}")
    unknown = sorted(set(changes) - set(RULES))
    if unknown:
        raise ValueError(f"unknown rules {unknown}; known rules: {sorted(RULES)}")
    merged = copy.deepcopy(current)
    for name, value in changes.items():
        if not isinstance(value, bool) and value not in MODELED_ERRORS:
            raise ValueError(f"rule {name} must be true, false or one of {list(MODELED_ERRORS)}, got {value!r}")
        merged[name] = value
    return merged


def rule_error(rules, name):
    """The error code a rule answers when it refuses a call, or None when the rule is off."""
    value = rules.get(name, RULES[name][0])
    if value is False:
        return None
    return RULES[name][1] if value is True else value
