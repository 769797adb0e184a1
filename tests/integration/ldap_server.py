# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A real OpenLDAP server (slapd) for the tests, shaped like Active Directory where a keep-list search looks.

``start_ldap_server(workdir, entries)`` writes a slapd.conf of its own in ``workdir``, loads the entries with
slapadd (offline, in milliseconds) and runs slapd in the foreground, as the current user, on 127.0.0.1 at a free
port. Nothing outside ``workdir`` is written: the system's slapd service, if any, and /etc/ldap are left alone
(only the schema files the slapd package installs are read). ``stop()`` ends that one process.

Active Directory's shape, without its server: a small schema file gives OpenLDAP AD's ``user`` and ``group``
object classes and its ``sAMAccountName`` and ``memberOf`` attributes (with AD's OIDs and AD's matching: names
case-insensitive, ``memberOf`` compared as a DN). In AD, ``memberOf`` is a back-link that the server derives from
each group's ``member`` values; OpenLDAP derives it only with its memberof overlay, and only for entries written
through the running server, not for those slapadd loads. ``directory()`` therefore derives it when it writes the
entries: each entry named in a group's ``member`` gets that group in its ``memberOf``. The server then answers
the playbook's Active Directory filter, ``(&(objectClass=user)(memberOf=<group DN>))``, as AD does: the search,
the filter (with its escaped DN), the bind, the attribute list and paging are all real LDAP.

The bind account is an ordinary entry with a password (not slapd's rootdn, which no limit or ACL applies to);
anonymous clients may only bind, as in AD.
"""

import base64
import os
import secrets
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

SCHEMA_DIR = Path("/etc/ldap/schema")
# Where distributions put slapd's dynamic modules (Debian: /usr/lib/ldap); a slapd without back_mdb.* there has it built in.
MODULE_DIRS = (Path("/usr/lib/ldap"), Path("/usr/lib64/openldap"), Path("/usr/lib/openldap"), Path("/usr/libexec/openldap"))

BASE_DN = "dc=example,dc=com"
BIND_DN = "cn=svc-licences,ou=Service Accounts,dc=example,dc=com"

# Active Directory's names and OIDs (user, group, sAMAccountName, memberOf), with AD's matching rules.
AD_SCHEMA = """\
attributetype ( 1.2.840.113556.1.4.221 NAME 'sAMAccountName'
  EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch
  SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.2.102 NAME 'memberOf'
  EQUALITY distinguishedNameMatch
  SYNTAX 1.3.6.1.4.1.1466.115.121.1.12 )
objectclass ( 1.2.840.113556.1.5.9 NAME 'user' SUP top AUXILIARY
  MAY ( sAMAccountName $ memberOf ) )
objectclass ( 1.2.840.113556.1.5.8 NAME 'group' SUP top STRUCTURAL
  MUST cn MAY ( member $ sAMAccountName $ memberOf $ description ) )
"""

SLAPD_CONF = """\
include {schema}/core.schema
include {schema}/cosine.schema
include {schema}/inetorgperson.schema
include {workdir}/ad.schema
pidfile {workdir}/slapd.pid
argsfile {workdir}/slapd.args
{modules}
database mdb
maxsize 10485760
suffix "{base}"
directory {workdir}/db
access to attrs=userPassword by anonymous auth by * none
access to * by users read by * none
"""


def slapd_paths():
    """(slapd, slapadd), or None when the slapd package is not installed."""
    found = []
    for name in ("slapd", "slapadd"):
        path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/local/sbin:/sbin")
        if path is None:
            return None
        found.append(path)
    return tuple(found)


def require(what, present):
    """Skip when ``what`` is missing on a developer's machine; fail under CI, where `make venv` installs it."""
    if present:
        return
    msg = f"{what} is not installed (`make venv` installs it: see the Makefile's venv recipe)"
    if os.environ.get("CI"):
        pytest.fail(msg)
    pytest.skip(msg)


def _ldif_value(attr, value):
    """``attr: value``, or ``attr:: base64`` when LDIF (RFC 2849) cannot carry the value as it is."""
    raw = value.encode("utf-8")
    safe = raw.isascii() and value == value.strip() and not value.startswith((":", "<")) and "\n" not in value and "\r" not in value
    return f"{attr}: {value}" if safe and value else f"{attr}:: {base64.b64encode(raw).decode('ascii')}"


def directory(entries):
    """LDIF for ``entries`` ({dn: {attr: value or [values]}}), parents first, with AD's memberOf back-links added."""
    entries = {dn: {attr: list(v) if isinstance(v, (list, tuple)) else [v] for attr, v in attrs.items()} for dn, attrs in entries.items()}
    for group_dn, attrs in entries.items():
        for member in attrs.get("member", []):
            entries[member].setdefault("memberOf", []).append(group_dn)
    blocks = []
    for dn in sorted(entries, key=lambda dn: dn.count(",") - dn.count("\\,")):
        lines = [_ldif_value("dn", dn)] + [_ldif_value(attr, v) for attr, values in entries[dn].items() for v in values]
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks)


def _module_lines():
    for path in MODULE_DIRS:
        if any(path.glob("back_mdb.*")):
            return f"modulepath {path}\nmoduleload back_mdb"
    return ""


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LdapServer:
    """One running slapd: ``uri``, ``bind_dn``, ``bind_pw``; ``stop()`` ends it."""

    def __init__(self, workdir, entries):
        self.workdir = Path(workdir)
        self.bind_dn = BIND_DN
        self.bind_pw = "pw-" + secrets.token_hex(12)
        self.base_dn = BASE_DN
        self.proc = None
        self.uri = None
        self.log = self.workdir / "slapd.log"
        slapd, slapadd = slapd_paths()
        (self.workdir / "db").mkdir(parents=True)
        (self.workdir / "ad.schema").write_text(AD_SCHEMA)
        conf = self.workdir / "slapd.conf"
        conf.write_text(SLAPD_CONF.format(schema=SCHEMA_DIR, workdir=self.workdir, modules=_module_lines(), base=BASE_DN))
        seed = dict(entries)
        seed[BASE_DN] = {"objectClass": ["dcObject", "organization"], "dc": "example", "o": "Example"}
        seed["ou=Service Accounts," + BASE_DN] = {"objectClass": "organizationalUnit", "ou": "Service Accounts"}
        seed[BIND_DN] = {"objectClass": "person", "cn": "svc-licences", "sn": "svc-licences", "userPassword": self.bind_pw}
        ldif = self.workdir / "seed.ldif"
        ldif.write_text(directory(seed), encoding="utf-8")
        subprocess.run([slapadd, "-f", str(conf), "-l", str(ldif)], check=True, capture_output=True, text=True, timeout=60)
        # A free port can be taken between the check and slapd's bind: try a few.
        for _attempt in range(5):
            port = _free_port()
            uri = f"ldap://127.0.0.1:{port}"
            with open(self.log, "ab") as log:
                # -d 0: stay in the foreground (this process owns it) and log nothing but errors.
                self.proc = subprocess.Popen([slapd, "-f", str(conf), "-h", uri + "/", "-d", "0"], stdout=log, stderr=subprocess.STDOUT)
            if self._wait_until_listening(port):
                self.uri = uri
                return
        self.stop()
        raise RuntimeError(f"slapd did not start: {self.log.read_text(errors='replace')}")

    def _wait_until_listening(self, port, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    return True
            except OSError:
                time.sleep(0.02)
        self.proc.kill()
        self.proc.wait()
        return False

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start_ldap_server(workdir, entries):
    """A running slapd holding ``entries`` below dc=example,dc=com (see ``directory`` for their form)."""
    paths = slapd_paths()
    require("slapd (Debian package slapd)", paths is not None and (SCHEMA_DIR / "core.schema").exists())
    return LdapServer(workdir, entries)


# The directory the keep-list tests search: people, and groups that name them in `member`.
PEOPLE = "ou=People," + BASE_DN
GROUPS = "ou=Groups," + BASE_DN
# Parentheses and an escaped comma: a DN put into a filter as it is written would break the filter.
OFFICE_GROUP = "cn=Office Pro Plus (EU)," + GROUPS
EMPTY_GROUP = "cn=Visio\\, unused," + GROUPS
CONTRACTORS_GROUP = "cn=Contractors," + GROUPS


def person_dn(uid):
    return f"uid={uid},{PEOPLE}"


def _person(uids, sam=None):
    """An AD-shaped user: inetOrgPerson with AD's ``user`` class; ``sam`` None means no sAMAccountName at all."""
    uids = [uids] if isinstance(uids, str) else list(uids)
    entry = {"objectClass": ["inetOrgPerson", "user"], "uid": uids, "cn": uids[0], "sn": uids[0]}
    if sam is not None:
        entry["sAMAccountName"] = sam
    return entry


ENTRIES = {
    PEOPLE: {"objectClass": "organizationalUnit", "ou": "People"},
    GROUPS: {"objectClass": "organizationalUnit", "ou": "Groups"},
    person_dn("jdoe"): _person("jdoe", "jdoe"),
    person_dn("asmith"): _person("asmith", "asmith"),
    person_dn("obrien"): _person("obrien", "o'brien"),
    # Two uid values, one of them not ASCII.
    person_dn("zmuller"): _person(["zmuller", "zoë.müller"], "zoë.müller"),
    # A member without a sAMAccountName (the default attribute): skipped and counted.
    person_dn("nosam"): _person("nosam"),
    # jdoe's admin account, which also carries the uid jdoe.
    person_dn("jdoe-adm"): _person(["jdoe-adm", "jdoe"], "jdoe-adm"),
    # Not a member of the Office group.
    person_dn("bob"): _person("bob", "bob"),
    # A group inside the Office group: AD gives groups a sAMAccountName too; objectClass=user leaves it out.
    CONTRACTORS_GROUP: {"objectClass": "group", "cn": "Contractors", "sAMAccountName": "contractors", "member": [person_dn("bob")]},
    OFFICE_GROUP: {
        "objectClass": "group",
        "cn": "Office Pro Plus (EU)",
        "member": [person_dn(uid) for uid in ("jdoe", "asmith", "obrien", "zmuller", "nosam", "jdoe-adm")] + [CONTRACTORS_GROUP],
    },
    EMPTY_GROUP: {"objectClass": "group", "cn": "Visio, unused"},
}


@pytest.fixture(scope="module")
def ldap_server(tmp_path_factory):
    """A running slapd holding ENTRIES (one per test module and xdist worker), stopped at teardown."""
    server = start_ldap_server(tmp_path_factory.mktemp("slapd"), ENTRIES)
    yield server
    server.stop()
