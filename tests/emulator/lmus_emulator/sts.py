"""STS over the query protocol: AssumeRole and GetCallerIdentity, a minimal subset checked against botocore's sts model.

Credentials that AssumeRole hands out are bound to the role's account: a request signed with
their access key is served from that account's partitions. Only a digest of each session token
is kept (to recognise it); no key, secret or token is ever logged.
"""

import hashlib
import re
import secrets
import string
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

import botocore.session

STS_VERSION = "2011-06-15"
STS_NAMESPACE = f"https://sts.amazonaws.com/doc/{STS_VERSION}/"
# The members of each action the emulator takes; botocore's model has more (policies, tags, MFA, ...), refused here.
SUPPORTED = {"AssumeRole": ("RoleArn", "RoleSessionName", "DurationSeconds", "ExternalId"), "GetCallerIdentity": ()}
# A role's MaxSessionDuration when IAM is not told otherwise.
DEFAULT_MAX_SESSION_DURATION = 3600
ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::(?P<account>\d{12}):role/(?:[\w+=,.@-]+/)*(?P<name>[\w+=,.@-]{1,64})")
ACCOUNT_ID = re.compile(r"\d{12}")
# HTTP status per STS error code.
STS_ERROR_STATUS = {"AccessDenied": 403, "ValidationError": 400, "InvalidAction": 400, "MissingAction": 400, "InvalidClientTokenId": 403,
                    "ExpiredToken": 400, "IncompleteSignature": 400, "MissingAuthenticationToken": 403, "InternalFailure": 500}


class StsError(Exception):
    """An STS error answer: ``<ErrorResponse><Error><Type/><Code/><Message/></Error>``."""

    def __init__(self, code, message, status=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status or STS_ERROR_STATUS.get(code, 400)


def validation_error(problems):
    """STS's own wording for constraint failures."""
    head = "1 validation error detected: " if len(problems) == 1 else f"{len(problems)} validation errors detected: "
    return StsError("ValidationError", head + "; ".join(problems))


def _lower_camel(name):
    return name[:1].lower() + name[1:]


class StsModel:
    """botocore's sts model: parses a form-encoded request into typed, validated parameters."""

    def __init__(self):
        self.model = botocore.session.get_session().get_service_model("sts")

    def parse(self, body):
        """(action, params) from a form-encoded body; StsError when the action or a member is missing, unknown or malformed."""
        try:
            pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(body))
        except (UnicodeDecodeError, ValueError) as exc:
            raise StsError("ValidationError", f"could not parse the form-encoded request: {exc}") from exc
        form = {}
        for key, value in pairs:
            if key in form:
                raise StsError("ValidationError", f"parameter {key} given more than once")
            form[key] = value
        action = form.pop("Action", None)
        if not action:
            raise StsError("MissingAction", "Missing Action")
        if action not in self.model.operation_names:
            raise StsError("InvalidAction", f"Could not find operation {action} for version {form.get('Version')}")
        if action not in SUPPORTED:
            raise StsError("InvalidAction", f"{action} is not implemented by emulator")
        if form.pop("Version", None) != STS_VERSION:
            raise StsError("InvalidAction", f"Could not find operation {action} for this version; the emulator speaks {STS_VERSION}")
        shape = self.model.operation_model(action).input_shape
        members = shape.members if shape is not None else {}
        params, problems = {}, []
        for key, value in form.items():
            name = key.split(".", 1)[0]
            if name not in members:
                raise StsError("ValidationError", f"{action} has no parameter {key}")
            if name not in SUPPORTED[action]:
                raise StsError("ValidationError", f"{action} parameter {name} is not implemented by emulator")
            params[name] = self._typed(members[name], value, name, problems)
        for name in (shape.required_members if shape is not None else []):
            if name not in params:
                problems.append(f"Value null at '{_lower_camel(name)}' failed to satisfy constraint: Member must not be null")
        for name, value in params.items():
            if value is not None:
                self._constraints(members[name], value, _lower_camel(name), problems)
        if problems:
            raise validation_error(problems)
        return action, params

    @staticmethod
    def _typed(shape, value, name, problems):
        if shape.type_name in ("integer", "long"):
            try:
                return int(value)
            except ValueError:
                problems.append(f"Value '{value}' at '{_lower_camel(name)}' failed to satisfy constraint: Member must be a number")
                return None
        return value

    @staticmethod
    def _constraints(shape, value, path, problems):
        meta = shape.metadata
        size = len(value) if isinstance(value, str) else value
        what = "have length" if isinstance(value, str) else "have value"
        shown = "*** sensitive ***" if meta.get("sensitive") else value
        if "min" in meta and size < meta["min"]:
            problems.append(f"Value '{shown}' at '{path}' failed to satisfy constraint: Member must {what} greater than or equal to {meta['min']}")
        if "max" in meta and size > meta["max"]:
            problems.append(f"Value '{shown}' at '{path}' failed to satisfy constraint: Member must {what} less than or equal to {meta['max']}")
        pattern = meta.get("pattern")
        # Patterns written with \\u escapes beyond the BMP (RoleArn's "any printable") do not translate to Python; those
        # members are checked by their own rules instead (ROLE_ARN).
        if isinstance(value, str) and pattern and "\\u" not in pattern and not re.fullmatch(pattern, value):
            problems.append(f"Value '{shown}' at '{path}' failed to satisfy constraint: Member must satisfy regular expression pattern: {pattern}")


@dataclass
class Session:
    """Credentials handed out by AssumeRole; the token is kept only as a digest."""

    account_id: str
    role_arn: str
    role_name: str
    session_name: str
    role_id: str
    token_digest: str
    expires: float

    @property
    def arn(self):
        """The assumed role's session ARN, as GetCallerIdentity and AssumeRole answer it."""
        partition = self.role_arn.split(":", 2)[1]
        return f"arn:{partition}:sts::{self.account_id}:assumed-role/{self.role_name}/{self.session_name}"


def token_digest(token):
    """What is kept of a session token: its SHA-256."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest() if token else None


def _key_id(prefix, seed=None):
    alphabet = string.ascii_uppercase + "234567"
    if seed is None:
        return prefix + "".join(secrets.choice(alphabet) for _position in range(16))
    digest = hashlib.sha256(seed.encode("utf-8")).digest()
    return prefix + "".join(alphabet[b % len(alphabet)] for b in digest[:17])


class Identity:
    """Who signed a request: the account of its access key, and the session when the key came from AssumeRole."""

    def __init__(self, account_id, access_key=None, session=None):
        self.account_id = account_id
        self.access_key = access_key
        self.session = session

    @property
    def arn(self):
        """The caller's ARN (a session's assumed-role ARN, else an IAM user of the key's account)."""
        if self.session is not None:
            return self.session.arn
        return f"arn:aws:iam::{self.account_id}:user/emulator"

    @property
    def user_id(self):
        """GetCallerIdentity's UserId (stable per key, derived, never the key itself)."""
        if self.session is not None:
            return f"{self.session.role_id}:{self.session.session_name}"
        return _key_id("AIDA", f"user:{self.account_id}:{self.access_key}")


class Sts:
    """Issued sessions and the AssumeRole / GetCallerIdentity handlers."""

    def __init__(self, account_id, access_keys=None, external_ids=None, max_session_duration=DEFAULT_MAX_SESSION_DURATION, clock=time.time):
        self.model = StsModel()
        self.default_account = account_id
        self.access_keys = validate_access_keys(access_keys)
        self.external_ids = validate_external_ids(external_ids)
        self.max_session_duration = int(max_session_duration)
        self.clock = clock
        self.lock = threading.Lock()
        self.sessions = {}

    def clear(self):
        """Forget every issued session."""
        with self.lock:
            self.sessions.clear()

    def identify(self, access_key, digest):
        """(Identity, None) for an access key and the digest of the session token that came with it (see token_digest);
        (None, (kind, message)) for a session key whose token is missing or wrong ("invalid") or expired ("expired")."""
        with self.lock:
            session = self.sessions.get(access_key) if access_key else None
        if session is None:
            return Identity(self.access_keys.get(access_key, self.default_account), access_key), None
        if digest != session.token_digest:
            return None, ("invalid", "The security token included in the request is invalid.")
        if self.clock() >= session.expires:
            return None, ("expired", "The security token included in the request is expired")
        return Identity(session.account_id, access_key, session), None

    def assume_role(self, identity, params, denied_accounts=()):
        """AssumeRole: credentials bound to the role's account; AccessDenied for a denied account or a wrong ExternalId."""
        arn = params["RoleArn"]
        match = ROLE_ARN.fullmatch(arn)
        if match is None:
            raise StsError("ValidationError", f"{arn} is invalid: RoleArn must be the ARN of an IAM role (arn:aws:iam::<account>:role/<name>)")
        account_id = match.group("account")
        denied = StsError("AccessDenied", f"User: {identity.arn} is not authorized to perform: sts:AssumeRole on resource: {arn}")
        if account_id in denied_accounts:
            raise denied
        expected = self.external_ids.get(account_id)
        if expected is not None and params.get("ExternalId") != expected:
            raise denied
        duration = params.get("DurationSeconds", 3600)
        if duration > self.max_session_duration:
            raise StsError("ValidationError", f"The requested DurationSeconds exceeds the MaxSessionDuration set for this role "
                                              f"({self.max_session_duration} seconds in this emulator).")
        access_key = _key_id("ASIA")
        secret = secrets.token_urlsafe(30)
        token = "IQoJb3JpZ2luX2VjE" + secrets.token_urlsafe(120)
        session = Session(account_id=account_id, role_arn=arn, role_name=match.group("name"), session_name=params["RoleSessionName"],
                          role_id=_key_id("AROA", arn), token_digest=token_digest(token), expires=self.clock() + duration)
        with self.lock:
            self.sessions[access_key] = session
        expiration = datetime.fromtimestamp(session.expires, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        return ("<Credentials>"
                f"<AccessKeyId>{access_key}</AccessKeyId><SecretAccessKey>{escape(secret)}</SecretAccessKey>"
                f"<SessionToken>{escape(token)}</SessionToken><Expiration>{expiration}</Expiration>"
                "</Credentials>"
                f"<AssumedRoleUser><AssumedRoleId>{escape(session.role_id)}:{escape(session.session_name)}</AssumedRoleId>"
                f"<Arn>{escape(session.arn)}</Arn></AssumedRoleUser>"
                "<PackedPolicySize>0</PackedPolicySize>")

    @staticmethod
    def caller_identity(identity):
        """GetCallerIdentity."""
        return f"<UserId>{escape(identity.user_id)}</UserId><Account>{identity.account_id}</Account><Arn>{escape(identity.arn)}</Arn>"


def result_xml(action, inner, request_id):
    """The answer to a successful call."""
    return (f'<{action}Response xmlns="{STS_NAMESPACE}"><{action}Result>{inner}</{action}Result>'
            f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></{action}Response>")


def error_xml(error, request_id):
    """The answer to a failed call."""
    kind = "Receiver" if error.status >= 500 else "Sender"
    return (f'<ErrorResponse xmlns="{STS_NAMESPACE}"><Error><Type>{kind}</Type><Code>{escape(error.code)}</Code>'
            f"<Message>{escape(error.message)}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>")


def new_request_id():
    """An x-amzn-RequestId."""
    return str(uuid.uuid4())


def validate_access_keys(access_keys):
    """{access key ID: account ID}: which account a (non-session) access key belongs to."""
    access_keys = dict(access_keys or {})
    for key, account in access_keys.items():
        if not isinstance(key, str) or not re.fullmatch(r"[A-Z0-9]{16,128}", key):
            raise ValueError(f"access_keys: {key!r} is not an access key ID (16 to 128 upper-case letters and digits)")
        if not isinstance(account, str) or not ACCOUNT_ID.fullmatch(account):
            raise ValueError(f"access_keys: the account of {key} must be 12 digits as a string, got {account!r}")
    return access_keys


def validate_external_ids(external_ids):
    """{account ID: external ID}: AssumeRole of a role in that account must give this ExternalId."""
    external_ids = dict(external_ids or {})
    for account, value in external_ids.items():
        if not isinstance(account, str) or not ACCOUNT_ID.fullmatch(account):
            raise ValueError(f"external_ids: {account!r} is not an account ID (12 digits, as a string)")
        if not isinstance(value, str) or not value:
            raise ValueError(f"external_ids: the external ID of {account} must be a non-empty string")
    return external_ids


def scope_of(authorization):
    """(access key ID, region, service) from a SigV4 Authorization header's credential scope, or Nones."""
    match = re.search(r"Credential=([^/,\s]+)/\d{8}/([^/,\s]+)/([^/,\s]+)/aws4_request", authorization or "")
    return match.groups() if match else (None, None, None)
