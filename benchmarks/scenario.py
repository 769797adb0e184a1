# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The offboarding benchmark's world, built deterministically (same arguments, same seed).

At the default scale (``departing=1000``): 100 instances under two directories, 3,000 users,
6,000 associations. The 1,000 departing users hold 2,000 of them (two each, all ASSOCIATED)
and one SUBSCRIBED product subscription each (1,000); the 2,000 staying users hold the other
4,000 associations and 1,000 subscriptions, so every read returns records the role must skip.
Every number scales with ``departing`` for quick runs.
"""

import math
import random

RANDOM_SEED = 20240510
PAGE_SIZE = 50

# (directory id, AD domain, products registered for it)
DIRECTORIES = (
    ("d-1a2b3c4d5e", "corp.example.com", ("OFFICE_PROFESSIONAL_PLUS", "VISUAL_STUDIO_PROFESSIONAL")),
    ("d-9f8e7d6c5b", "emea.example.com", ("OFFICE_PROFESSIONAL_PLUS", "REMOTE_DESKTOP_SERVICES")),
)


class Scenario:
    """The seed, the departing users, and what the benchmark expects to be written."""

    def __init__(self, departing=1000, associations_per_user=2, staying_per_departing=2, instances=None, random_seed=RANDOM_SEED):
        rng = random.Random(random_seed)
        self.instance_count = instances or max(len(DIRECTORIES) * associations_per_user, round(100 * departing / 1000))
        self.instances = []
        for index in range(self.instance_count):
            directory_id, _domain, products = DIRECTORIES[index % len(DIRECTORIES)]
            instance_id = "i-0" + "".join(rng.choice("0123456789abcdef") for _digit in range(16))
            self.instances.append(dict(instance_id=instance_id, directory_id=directory_id, products=list(products), status="AVAILABLE"))
        by_directory = {d[0]: [i["instance_id"] for i in self.instances if i["directory_id"] == d[0]] for d in DIRECTORIES}

        def users(prefix, count):
            out = []
            for number in range(1, count + 1):
                directory_id, domain, products = DIRECTORIES[number % len(DIRECTORIES)]
                out.append(dict(username=f"{prefix}{number:04d}", directory_id=directory_id, domain=domain, products=products))
            return out

        self.departing = users("leaver", departing)
        self.staying = users("staff", departing * staying_per_departing)
        self.associations = []
        self.subscriptions = []
        for user in self.departing + self.staying:
            for instance_id in rng.sample(by_directory[user["directory_id"]], associations_per_user):
                self.associations.append(dict(instance_id=instance_id, username=user["username"], domain=user["domain"], status="ASSOCIATED"))
        order = {i["instance_id"]: n for n, i in enumerate(self.instances)}
        self.associations.sort(key=lambda a: (order[a["instance_id"]], a["username"]))
        subscribed = self.departing + rng.sample(self.staying, departing)
        for user in subscribed:
            self.subscriptions.append(dict(username=user["username"], product=rng.choice(user["products"]), directory_id=user["directory_id"],
                                           domain=user["domain"], status="SUBSCRIBED"))
        self.subscriptions.sort(key=lambda s: (s["directory_id"], s["product"], s["username"]))
        self.departing_names = [u["username"] for u in self.departing]
        self.directory_of = {u["username"]: u["directory_id"] for u in self.departing + self.staying}

    @property
    def seed(self):
        providers = [dict(directory_id=d, product=p) for d, _domain, products in DIRECTORIES for p in products]
        return dict(identity_providers=providers, instances=self.instances, associations=self.associations, product_subscriptions=self.subscriptions)

    def departing_associations(self, usernames=None):
        """The departing users' associations (of ``usernames`` only, when given), in seed order."""
        wanted = set(self.departing_names if usernames is None else usernames)
        return [dict(a, directory_id=self.directory_of[a["username"]]) for a in self.associations if a["username"] in wanted]

    def departing_subscriptions(self):
        wanted = set(self.departing_names)
        return [s for s in self.subscriptions if s["username"] in wanted]

    def summary(self):
        return (f"{len(self.instances)} instances, {len(self.associations)} associations, {len(self.departing)} departing users "
                f"holding {len(self.departing_associations())} of them and {len(self.departing_subscriptions())} product subscriptions "
                f"({len(self.staying)} staying users hold {len(self.associations) - len(self.departing_associations())} associations "
                f"and {len(self.subscriptions) - len(self.departing_subscriptions())} subscriptions)")

    def read_bound(self, page_size=PAGE_SIZE, passes=1):
        """Most list calls a per-group (never per-user) offboarding may make.

        Every group is read in full ``passes`` times (the role's write modules find the
        users' records themselves, so once): ListInstances and ListIdentityProviders once
        per pass, ListUserAssociations per instance, ListProductSubscriptions per directory
        and per (directory, product), each as many pages as its records need.
        """

        def pages(count):
            return max(1, math.ceil(count / page_size))

        per_instance = {}
        for a in self.associations:
            per_instance[a["instance_id"]] = per_instance.get(a["instance_id"], 0) + 1
        per_directory, per_product = {}, {}
        for s in self.subscriptions:
            per_directory[s["directory_id"]] = per_directory.get(s["directory_id"], 0) + 1
            per_product[(s["directory_id"], s["product"])] = per_product.get((s["directory_id"], s["product"]), 0) + 1
        providers = sum(len(products) for _d, _domain, products in DIRECTORIES)
        one_pass = (pages(len(self.instances)) + pages(providers)
                    + sum(pages(per_instance.get(i["instance_id"], 0)) for i in self.instances)
                    + sum(pages(per_directory.get(d[0], 0)) for d in DIRECTORIES)
                    + sum(pages(per_product.get((d, p), 0)) for d, _domain, products in DIRECTORIES for p in products))
        return passes * one_pass
