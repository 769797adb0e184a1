"""Seed files: load_seed(path), generate_seed(...) realistic data, sample_seed(), dump_seed(); CLI main() behind `python3 -m lmus_emulator.seed`."""

import argparse
import json
import os
import random
import sys
import tempfile

import yaml

from .constants import OFFICE_PROFESSIONAL_PLUS, OFFICE_STANDARD, PRODUCTS, REMOTE_DESKTOP_SERVICES, VISUAL_STUDIO_PRODUCTS
from .vocabulary import DEFAULT_VOCABULARY, Vocabulary

DOMAINS = ("corp.example.com", "emea.example.com", "apac.example.com", "amer.example.com", "lab.example.net", "dev.example.org")
FIRST_NAMES = ("james", "mary", "john", "patricia", "robert", "jennifer", "michael", "linda", "william", "elizabeth", "david", "barbara",
               "richard", "susan", "joseph", "jessica", "thomas", "sarah", "charles", "karen", "christopher", "nancy", "daniel", "lisa",
               "matthew", "betty", "anthony", "margaret", "mark", "sandra", "donald", "ashley", "steven", "kimberly", "paul", "emily",
               "andrew", "donna", "joshua", "michelle", "kenneth", "carol", "kevin", "amanda", "brian", "melissa", "george", "deborah",
               "oliver", "zoe", "yusuf", "ines", "hiro", "priya", "lars", "ana", "omar", "fatima", "chen", "olga")
LAST_NAMES = ("smith", "johnson", "williams", "brown", "jones", "garcia", "miller", "davis", "rodriguez", "martinez", "hernandez", "lopez",
              "gonzalez", "wilson", "anderson", "thomas", "taylor", "moore", "jackson", "martin", "lee", "perez", "thompson", "white",
              "harris", "sanchez", "clark", "ramirez", "lewis", "robinson", "walker", "young", "allen", "king", "wright", "scott", "torres",
              "nguyen", "hill", "flores", "green", "adams", "nelson", "baker", "hall", "rivera", "campbell", "mitchell", "carter", "roberts",
              "doe", "novak", "kowalski", "schmidt", "muller", "rossi", "silva", "tanaka", "kim", "patel", "singh", "haddad", "olsen",
              "dubois", "moreau", "fischer", "weber", "costa", "santos", "ivanova", "petrov", "yilmaz", "sato", "wang", "zhang", "ali")


def load_seed(path):
    """Read a seed dict from a YAML or JSON file."""
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    data = json.loads(text) if str(path).endswith(".json") else yaml.safe_load(text)
    data = data or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a seed must be a mapping")
    return data


def _hexid(rng, digits):
    return "".join(rng.choice("0123456789abcdef") for _digit in range(digits))


def _usernames(rng, count):
    names, seen = [], set()
    while len(names) < count:
        base = rng.choice(FIRST_NAMES)[0] + rng.choice(LAST_NAMES)
        name, suffix = base, 2
        while name in seen:
            name, suffix = f"{base}{suffix}", suffix + 1
        seen.add(name)
        names.append(name)
    return names


def _sample(rng, population, count, what):
    if count > len(population):
        raise ValueError(f"cannot make {count} {what}: only {len(population)} distinct combinations exist")
    return rng.sample(population, count)


def generate_seed(instances=40, users=500, associations=1200, subscriptions=600, directories=2, random_seed=7,
                  disassociated_fraction=0.05, inactive_fraction=0.05, vocabulary=DEFAULT_VOCABULARY):
    """Realistic, deterministic seed dict (same arguments -> same data); statuses are the vocabulary's words."""
    words = Vocabulary(vocabulary)
    if directories < 1 or (instances and instances < directories):
        raise ValueError("need at least one directory and at least one instance per directory")
    rng = random.Random(random_seed)
    dirs = []
    for index in range(directories):
        domain = DOMAINS[index] if index < len(DOMAINS) else f"ad{index + 1}.example.com"
        dirs.append({"directory_id": f"d-{_hexid(rng, 10)}", "domain": domain, "products": set()})
    seed_instances = []
    for index in range(instances):
        directory = dirs[index % directories]
        office = rng.random()
        products = [OFFICE_PROFESSIONAL_PLUS] if office < 0.55 else [OFFICE_STANDARD] if office < 0.7 else []
        products += [p for p in VISUAL_STUDIO_PRODUCTS + (REMOTE_DESKTOP_SERVICES,) if rng.random() < 0.25]
        products = products or [rng.choice(PRODUCTS)]
        directory["products"].update(products)
        seed_instances.append({"instance_id": f"i-{_hexid(rng, 17)}", "directory_id": directory["directory_id"], "products": products,
                               "status": words["available"]})
    people = [(name, dirs[rng.randrange(directories)]) for name in _usernames(rng, users)]

    pairs = [(user, inst) for user in people for inst in seed_instances if inst["directory_id"] == user[1]["directory_id"]]
    seed_associations = []
    for (username, directory), inst in _sample(rng, pairs, associations, "associations"):
        status = words["disassociated"] if rng.random() < disassociated_fraction else words["associated"]
        seed_associations.append({"instance_id": inst["instance_id"], "username": username, "domain": directory["domain"], "status": status})
    order = {inst["instance_id"]: index for index, inst in enumerate(seed_instances)}
    seed_associations.sort(key=lambda a: (order[a["instance_id"]], a["username"]))

    combos = [(user, product) for user in people for product in sorted(user[1]["products"])]
    seed_subscriptions = []
    for (username, directory), product in _sample(rng, combos, subscriptions, "product subscriptions"):
        status = words["unsubscribed"] if rng.random() < inactive_fraction else words["subscribed"]
        seed_subscriptions.append({"username": username, "product": product, "directory_id": directory["directory_id"],
                                   "domain": directory["domain"], "status": status})
    seed_subscriptions.sort(key=lambda s: (s["directory_id"], s["product"], s["username"]))

    identity_providers = []
    for directory in dirs:
        for product in sorted(directory["products"]):
            identity_providers.append({"directory_id": directory["directory_id"], "product": product,
                                       "settings": {"Subnets": [f"subnet-{_hexid(rng, 17)}", f"subnet-{_hexid(rng, 17)}"],
                                                    "SecurityGroupId": f"sg-{_hexid(rng, 17)}"}})
    return {"identity_providers": identity_providers, "instances": seed_instances, "associations": seed_associations,
            "product_subscriptions": seed_subscriptions}


# The names the documentation uses (docs/getting-started.md), which the sample data holds.
SAMPLE_DIRECTORY_ID = "d-1234567890"
SAMPLE_DOMAIN = "corp.example.com"
SAMPLE_INSTANCE_ID = "i-0123456789abcdef0"
SAMPLE_USERNAME = "jdoe"


def sample_seed(vocabulary=DEFAULT_VOCABULARY):
    """The sample data (``python3 -m lmus_emulator --sample``, ``make demo``): generate_seed()'s defaults, with the documentation's names.

    Same size as generate_seed() (40 instances, 500 users, 1,200 associations, 600 product subscriptions), three things renamed:
    the corp.example.com directory is SAMPLE_DIRECTORY_ID, its first instance with OFFICE_PROFESSIONAL_PLUS is SAMPLE_INSTANCE_ID,
    and one user associated with that instance, and with others, and subscribed to OFFICE_PROFESSIONAL_PLUS is SAMPLE_USERNAME.
    """
    seed = generate_seed(vocabulary=vocabulary)
    words = Vocabulary(vocabulary)
    [directory] = {i["directory_id"] for i in seed["instances"]} & {s["directory_id"] for s in seed["product_subscriptions"] if s["domain"] == SAMPLE_DOMAIN}
    instance = next(i["instance_id"] for i in seed["instances"] if i["directory_id"] == directory and OFFICE_PROFESSIONAL_PLUS in i["products"])
    live = [a for a in seed["associations"] if a["status"] == words["associated"]]
    office = {s["username"] for s in seed["product_subscriptions"]
              if s["product"] == OFFICE_PROFESSIONAL_PLUS and s["status"] == words["subscribed"] and s["directory_id"] == directory}
    username = min(a["username"] for a in live
                   if a["instance_id"] == instance and a["username"] in office and sum(b["username"] == a["username"] for b in live) >= 2)
    taken = {a["username"] for a in seed["associations"]} | {s["username"] for s in seed["product_subscriptions"]}
    if SAMPLE_USERNAME in taken or any(i["instance_id"] == SAMPLE_INSTANCE_ID for i in seed["instances"]):
        raise ValueError("the generated data already uses a sample name")
    renames = {"directory_id": {directory: SAMPLE_DIRECTORY_ID}, "instance_id": {instance: SAMPLE_INSTANCE_ID}, "username": {username: SAMPLE_USERNAME}}
    for records in seed.values():
        for record in records:
            for key, names in renames.items():
                if record.get(key) in names:
                    record[key] = names[record[key]]
    return seed


def dump_seed(seed, path=None):
    """Write a seed as YAML (or JSON for *.json) atomically; stdout YAML when path is None."""
    if path is None:
        yaml.safe_dump(seed, sys.stdout, sort_keys=False)
        return
    text = json.dumps(seed, indent=1) if str(path).endswith(".json") else yaml.safe_dump(seed, sort_keys=False)
    directory = os.path.dirname(os.path.abspath(path))
    handle, tmp = tempfile.mkstemp(dir=directory, prefix=".seed-")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(text)
    os.replace(tmp, path)


def main(argv=None):
    """CLI: generate a seed file."""
    parser = argparse.ArgumentParser(prog="python3 -m lmus_emulator.seed", description="Generate realistic LMUS emulator seed data.")
    parser.add_argument("--instances", type=int, default=40)
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--associations", type=int, default=1200)
    parser.add_argument("--subscriptions", type=int, default=600)
    parser.add_argument("--directories", type=int, default=2)
    parser.add_argument("--random-seed", type=int, default=7)
    parser.add_argument("--disassociated-fraction", type=float, default=0.05)
    parser.add_argument("--inactive-fraction", type=float, default=0.05, help="fraction of product subscriptions that are unsubscribed")
    parser.add_argument("--vocabulary", default=DEFAULT_VOCABULARY, help="status words: a profile name (aws, legacy) or a JSON object")
    parser.add_argument("--out", help="output file (.yml/.yaml or .json); stdout when omitted")
    args = parser.parse_args(argv)
    try:
        seed = generate_seed(instances=args.instances, users=args.users, associations=args.associations, subscriptions=args.subscriptions,
                             directories=args.directories, random_seed=args.random_seed,
                             disassociated_fraction=args.disassociated_fraction, inactive_fraction=args.inactive_fraction,
                             vocabulary=json.loads(args.vocabulary) if args.vocabulary.lstrip().startswith("{") else args.vocabulary)
    except ValueError as exc:
        parser.error(str(exc))
    dump_seed(seed, args.out)
    if args.out:
        print(f"wrote {args.out}: {len(seed['instances'])} instances, {len(seed['associations'])} associations, "
              f"{len(seed['product_subscriptions'])} product subscriptions, {len(seed['identity_providers'])} identity providers",
              file=sys.stderr)
    return 0
