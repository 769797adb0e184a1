"""Status vocabularies: the words the emulator uses for each state, so tests can make it disagree with the collection.

A vocabulary maps a *role* (what a status means to the emulator's state machine) to a *word* (the string it answers).
The named profiles are in PROFILES; a custom vocabulary is a dict of roles to words, the roles it leaves out coming from
its "base" profile (default "aws"). Transitional roles may be None: "no transitional word, straight to the final one".
"""

import copy

# Roles, by group. Within a group the words must be distinct.
ASSOCIATION_ROLES = ("associating", "associated", "disassociating", "disassociated")
SUBSCRIPTION_ROLES = ("subscribing", "subscribed", "unsubscribing", "unsubscribed")
IDENTITY_PROVIDER_ROLES = ("registered",)
INSTANCE_ROLES = ("available",)
GROUPS = {"association": ASSOCIATION_ROLES, "subscription": SUBSCRIPTION_ROLES, "identity_provider": IDENTITY_PROVIDER_ROLES,
          "instance": INSTANCE_ROLES}
ROLES = ASSOCIATION_ROLES + SUBSCRIPTION_ROLES + IDENTITY_PROVIDER_ROLES + INSTANCE_ROLES
# Roles that may be None (the record goes straight to the final word).
TRANSITIONAL_ROLES = ("associating", "disassociating", "subscribing", "unsubscribing")
META_KEYS = ("name", "base")

_ASSOCIATIONS = {"associating": "ASSOCIATING", "associated": "ASSOCIATED", "disassociating": "DISASSOCIATING",
                 "disassociated": "DISASSOCIATED"}
_OTHERS = {"registered": "REGISTERED", "available": "AVAILABLE"}
PROFILES = {
    # Words evidenced by AWS: SUBSCRIBED / UNSUBSCRIBED and REGISTERED from aws-license-manager-license-consumption-sample
    # (user-subscriptions/docs/API_REFERENCE.md; the License Manager user guide says "a Status of Subscribed"); the association
    # words are the emulator's original ones. No transitional subscription word is evidenced. AVAILABLE is kept for instances
    # although that sample lists ACTIVATED / FAILED / TERMINATED.
    "aws": {**_ASSOCIATIONS, "subscribing": None, "subscribed": "SUBSCRIBED", "unsubscribing": None, "unsubscribed": "UNSUBSCRIBED",
            **_OTHERS},
    # The emulator's original words (what the collection was first written against).
    "legacy": {**_ASSOCIATIONS, "subscribing": None, "subscribed": "ACTIVE", "unsubscribing": None, "unsubscribed": "INACTIVE", **_OTHERS},
}
DEFAULT_VOCABULARY = "aws"


class Vocabulary:
    """Resolved words per role, plus the state machine derived from them."""

    def __init__(self, spec=None):
        if isinstance(spec, Vocabulary):
            spec = spec.as_dict()
        self.name, self.words = resolve(spec)
        words = self.words
        self.association_live = tuple(w for w in (words["associating"], words["associated"]) if w)
        self.subscription_live = tuple(w for w in (words["subscribing"], words["subscribed"]) if w)
        self.association_transitions = {words[t]: words[f] for t, f in (("associating", "associated"), ("disassociating", "disassociated"))
                                        if words[t]}
        self.subscription_transitions = {words[t]: words[f] for t, f in (("subscribing", "subscribed"), ("unsubscribing", "unsubscribed"))
                                         if words[t]}
        self.transitions = {"association": self.association_transitions, "subscription": self.subscription_transitions}

    def __getitem__(self, role):
        return self.words[role]

    def __eq__(self, other):
        return isinstance(other, Vocabulary) and (self.name, self.words) == (other.name, other.words)

    def __repr__(self):
        return f"Vocabulary({self.name!r})"

    def as_dict(self):
        """{"name": ..., role: word, ...}; feeding it back to Vocabulary() gives the same vocabulary."""
        return {"name": self.name, **copy.deepcopy(self.words)}

    def first(self, transitional, final):
        """The word a write starts a record in: the transitional role's word, or the final one's when there is none."""
        return self.words[transitional] or self.words[final]

    def role_of(self, group, word):
        """Role of a word within a group ("association", "subscription", ...), or None for a word this vocabulary lacks."""
        for role in GROUPS[group]:
            if self.words[role] is not None and self.words[role] == word:
                return role
        return None

    def translate(self, group, word, new):
        """The word `new` (a Vocabulary) uses for the role `word` has here; a word without a role here is kept.

        A transitional role the new vocabulary lacks becomes its final word.
        """
        role = self.role_of(group, word)
        if role is None:
            return word
        if new.words[role] is None:
            role = {"associating": "associated", "disassociating": "disassociated", "subscribing": "subscribed",
                    "unsubscribing": "unsubscribed"}[role]
        return new.words[role]


def resolve(spec):
    """(name, {role: word}) for a profile name, a dict (see module doc) or None (the default); ValueError when invalid."""
    if spec is None:
        spec = DEFAULT_VOCABULARY
    if isinstance(spec, str):
        if spec not in PROFILES:
            raise ValueError(f"unknown vocabulary {spec!r}; use one of {sorted(PROFILES)} or a dict of roles to words")
        return spec, dict(PROFILES[spec])
    if not isinstance(spec, dict):
        raise ValueError(f"vocabulary must be a profile name or a dict, got {spec!r}")
    unknown = sorted(set(spec) - set(ROLES) - set(META_KEYS))
    if unknown:
        raise ValueError(f"unknown vocabulary keys {unknown}; allowed: {list(META_KEYS) + list(ROLES)}")
    base = spec.get("base", DEFAULT_VOCABULARY)
    if base not in PROFILES:
        raise ValueError(f"vocabulary base must be one of {sorted(PROFILES)}, got {base!r}")
    words = dict(PROFILES[base])
    for role in ROLES:
        if role in spec:
            words[role] = spec[role]
    for role, word in words.items():
        if word is None and role in TRANSITIONAL_ROLES:
            continue
        if not isinstance(word, str) or not word:
            allowed = "a non-empty string or None" if role in TRANSITIONAL_ROLES else "a non-empty string"
            raise ValueError(f"vocabulary {role!r} must be {allowed}, got {word!r}")
    for group, roles in GROUPS.items():
        used = [words[r] for r in roles if words[r] is not None]
        if len(used) != len(set(used)):
            raise ValueError(f"vocabulary words for {group} roles must be distinct: {[(r, words[r]) for r in roles]}")
    name = spec.get("name")
    if name is None:
        name = base if not set(spec) & set(ROLES) else "custom"
    if not isinstance(name, str) or not name:
        raise ValueError(f"vocabulary name must be a non-empty string, got {name!r}")
    return name, words
