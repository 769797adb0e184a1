"""The Emulator: state + faults + request log behind an HTTP server on 127.0.0.1."""

import copy
import json
import os
import re
import threading
import time
import uuid

from .constants import (DEFAULT_ACCOUNT_ID, DEFAULT_PAGE_SIZE, DEFAULT_REGION, IMPLEMENTED_OPERATIONS, NOT_IMPLEMENTED_STATUS, SERVICE_NAME,
                        WRITE_OPERATIONS)
from .faults import DROP, DROP_AFTER, TIMEOUT, FaultInjector
from .model import ApiError, ServiceModel, validation_error
from .seeds import load_seed
from .server import EmulatorHTTPServer
from .rules import default_rules, merge_rules
from .state import SeedError, Store
from .sts import DEFAULT_MAX_SESSION_DURATION, Sts, StsError, error_xml, result_xml
from .vocabulary import DEFAULT_VOCABULARY, Vocabulary

ANY = object()
_MODEL = []
_MODEL_LOCK = threading.Lock()
ENDPOINT_ENV = "AWS_ENDPOINT_URL_LICENSE_MANAGER_USER_SUBSCRIPTIONS"
STS_ENDPOINT_ENV = "AWS_ENDPOINT_URL_STS"
REGION_RE = re.compile(r"[a-z]{2}(-[a-z]+)+-\d+")
ACCOUNT_RE = re.compile(r"\d{12}")


def shared_model():
    """One ServiceModel per process (loading it takes a while)."""
    with _MODEL_LOCK:
        if not _MODEL:
            _MODEL.append(ServiceModel())
        return _MODEL[0]


class Reply:
    """An API answer: status + JSON payload (+ error code), or a dropped connection."""

    content_type = "application/json"

    def __init__(self, status=200, payload=None, error=None, drop=False, request_id=None):
        self.status = status
        self.payload = payload if payload is not None else {}
        self.error = error
        self.drop = drop
        self.request_id = request_id or str(uuid.uuid4())

    def headers(self):
        """Response headers (besides Content-Length)."""
        headers = {"Content-Type": self.content_type, "x-amzn-RequestId": self.request_id}
        if self.error:
            headers["x-amzn-ErrorType"] = self.error
        return headers

    def body(self):
        """Response body bytes."""
        return json.dumps(self.payload).encode("utf-8")


class XmlReply(Reply):
    """An STS answer (query protocol): an XML document."""

    content_type = "text/xml"

    def __init__(self, status, document, request_id):
        super().__init__(status, request_id=request_id)
        self.document = document

    def headers(self):
        return {"Content-Type": self.content_type, "x-amzn-RequestId": self.request_id}

    def body(self):
        return self.document.encode("utf-8")


def filter_calls(entries, operation=None, write=None, error=ANY, account_id=None, region=None):
    """Filter log entries: operation (name or list), write (bool), error (code, None for successes, ANY), partition (account_id, region)."""
    if isinstance(operation, str):
        operation = (operation,)
    out = []
    for entry in entries:
        if operation is not None and entry["operation"] not in operation:
            continue
        if account_id is not None and entry.get("account_id") != account_id:
            continue
        if region is not None and entry.get("region") != region:
            continue
        if write is not None and entry["write"] != write:
            continue
        if error is not ANY and entry["error"] != error:
            continue
        out.append(entry)
    return out


class Emulator:
    """Local License Manager User Subscriptions service; see README.md."""

    def __init__(self, seed=None, transition_delay=0.0, page_size=DEFAULT_PAGE_SIZE, faults=None, port=0, *,
                 account_id=DEFAULT_ACCOUNT_ID, region=DEFAULT_REGION, check_responses=True, verbose=False, vocabulary=DEFAULT_VOCABULARY,
                 omit_instance_identity_provider=False, rules=None, partitions=None, access_keys=None, external_ids=None,
                 max_session_duration=DEFAULT_MAX_SESSION_DURATION):
        if isinstance(seed, (str, os.PathLike)):
            seed = load_seed(seed)
        self.model = shared_model()
        self.lock = threading.RLock()
        self.port = port
        self.account_id = account_id
        self.region = region
        self.check_responses = check_responses
        self.verbose = verbose
        self._start_seed = copy.deepcopy(seed or {})
        self._start_config = {"transition_delay": float(transition_delay), "page_size": int(page_size), "vocabulary": Vocabulary(vocabulary),
                              "omit_instance_identity_provider": bool(omit_instance_identity_provider),
                              "rules": merge_rules(default_rules(), rules)}
        self.store = Store(self.model, self.lock, account_id=account_id, region=region, transition_delay=transition_delay, page_size=page_size,
                           vocabulary=self._start_config["vocabulary"], omit_instance_identity_provider=omit_instance_identity_provider,
                           rules=self._start_config["rules"])
        # Several account-regions: each (account, region) a store of its own, chosen per request by the account of the
        # access key that signed it and the region of its credential scope. Without partitions, one store serves every request.
        self.fleet = partitions is not None
        self._start_partitions = normalise_partitions(partitions, (account_id, region), seed)
        if self._start_partitions.get((account_id, region)):
            self._start_seed = copy.deepcopy(self._start_partitions[(account_id, region)])
        self.store.load(copy.deepcopy(self._start_seed))
        self.stores = {(account_id, region): self.store}
        self._load_partitions()
        self.sts = Sts(account_id, access_keys=access_keys, external_ids=external_ids, max_session_duration=max_session_duration)
        self.fault_injector = FaultInjector(self.lock, faults)
        self._log = []
        self._seq = 0
        self._hooks = []
        self._server = None
        self._thread = None
        self._stopping = threading.Event()

    # ----------------------------------------------------------------- lifecycle
    def start(self):
        """Start serving on 127.0.0.1 (port 0 = a free port); returns self."""
        if self._server is not None:
            return self
        self._stopping.clear()
        self._server = EmulatorHTTPServer(self, self.port)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="lmus-emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        """Stop serving and close open connections."""
        if self._server is None:
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.close_all_connections()
        self._server.server_close()
        self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def running(self):
        """True while serving."""
        return self._server is not None

    @property
    def url(self):
        """http://127.0.0.1:PORT"""
        if self._server is None:
            raise RuntimeError("emulator is not started")
        return f"http://127.0.0.1:{self._server.server_port}"

    # ----------------------------------------------------------------- state & config
    def load(self, seed, account_id=None, region=None):
        """Replace a partition's state (default: the main one) with a seed dict (the reset() baseline stays the constructor's seed)."""
        self.partition(account_id, region).load(copy.deepcopy(seed))

    def state_dump(self, account_id=None, region=None):
        """A partition's current state (default: the main one) in seed form, statuses settled."""
        return self.partition(account_id, region).dump()

    # ----------------------------------------------------------------- partitions
    def partition(self, account_id=None, region=None):
        """The store of one account-region (default: the emulator's own account and region), made empty when first named."""
        key = (account_id or self.account_id, region or self.region)
        if key == (self.account_id, self.region) or not self.fleet:
            if key != (self.account_id, self.region):
                raise KeyError(f"no partition {key[0]}/{key[1]}: this emulator serves one account and region ({self.account_id}/{self.region})")
            return self.store
        if not ACCOUNT_RE.fullmatch(key[0]) or not REGION_RE.fullmatch(key[1]):
            raise ValueError(f"not an account ID and region: {key[0]!r}/{key[1]!r}")
        with self.lock:
            store = self.stores.get(key)
            if store is None:
                store = self.stores[key] = self._new_store(*key)
            return store

    def partitions(self):
        """Every account-region that has a store: [{"account_id", "region"}], sorted."""
        with self.lock:
            return [{"account_id": a, "region": r} for a, r in sorted(self.stores)]

    def _new_store(self, account_id, region):
        base = self.store
        return Store(self.model, self.lock, account_id=account_id, region=region, transition_delay=base.transition_delay, page_size=base.page_size,
                     vocabulary=base.vocab, omit_instance_identity_provider=base.omit_instance_identity_provider, rules=copy.deepcopy(base.rules))

    def _load_partitions(self):
        for (account_id, region), seed in self._start_partitions.items():
            if (account_id, region) == (self.account_id, self.region):
                continue
            store = self.stores[(account_id, region)] = self._new_store(account_id, region)
            try:
                store.load(copy.deepcopy(seed))
            except SeedError as exc:
                raise SeedError(f"partition {account_id}/{region}: {exc}") from exc

    def _all_stores(self):
        with self.lock:
            return list(self.stores.values())

    def reset(self):
        """Back to the start seed and config; log and faults cleared."""
        with self.lock:
            self.store.transition_delay = self._start_config["transition_delay"]
            self.store.page_size = self._start_config["page_size"]
            self.store.vocab = self._start_config["vocabulary"]
            self.store.omit_instance_identity_provider = self._start_config["omit_instance_identity_provider"]
            self.store.rules = copy.deepcopy(self._start_config["rules"])
            self.store.load(copy.deepcopy(self._start_seed))
            self.stores = {(self.account_id, self.region): self.store}
            self._load_partitions()
            self.sts.clear()
            self.fault_injector.configure({})
            self._log = []

    def set_status(self, instance_id, username, status, domain=None, stuck=None, account_id=None, region=None):
        """Force an association's status (creating it on a known instance); returns its InstanceUserSummary."""
        return self.partition(account_id, region).set_status(instance_id, username, status, domain=domain, stuck=stuck)

    def set_subscription_status(self, username, product, directory_id, status, domain=None, stuck=None, account_id=None, region=None):
        """Force an existing product subscription's status (a transitional word settles unless stuck); returns its ProductUserSummary."""
        return self.partition(account_id, region).set_subscription_status(username, product, directory_id, status, domain=domain, stuck=stuck)

    @property
    def transition_delay(self):
        """Seconds a transitional status lasts."""
        return self.store.transition_delay

    @transition_delay.setter
    def transition_delay(self, value):
        for store in self._all_stores():
            store.transition_delay = float(value)

    @property
    def page_size(self):
        """Default page size when MaxResults is absent."""
        return self.store.page_size

    @page_size.setter
    def page_size(self, value):
        for store in self._all_stores():
            store.page_size = int(value)

    @property
    def vocabulary(self):
        """The status words in use: {"name": ..., role: word, ...} (see vocabulary.py)."""
        return self.store.vocab.as_dict()

    def config(self):
        """{"transition_delay", "page_size", "vocabulary", "omit_instance_identity_provider", "rules"}."""
        return {"transition_delay": self.transition_delay, "page_size": self.page_size, "vocabulary": self.vocabulary,
                "omit_instance_identity_provider": self.store.omit_instance_identity_provider, "rules": copy.deepcopy(self.store.rules)}

    def set_config(self, transition_delay=None, page_size=None, vocabulary=None, omit_instance_identity_provider=None, rules=None):
        """Change any of the config() keys; None leaves a key as it is.

        vocabulary: a profile name or a dict (vocabulary.py); rules: a partial {rule: bool or error code} merged into the current rules.
        """
        if vocabulary is not None:
            Vocabulary(vocabulary)  # validate before changing anything
        new_rules = merge_rules(self.store.rules, rules)
        if omit_instance_identity_provider is not None and not isinstance(omit_instance_identity_provider, bool):
            raise ValueError("omit_instance_identity_provider must be true or false")
        if transition_delay is not None:
            if float(transition_delay) < 0:
                raise ValueError("transition_delay must be >= 0")
            self.transition_delay = transition_delay
        if page_size is not None:
            if not 1 <= int(page_size) <= 100:
                raise ValueError("page_size must be between 1 and 100")
            self.page_size = page_size
        for store in self._all_stores():
            if vocabulary is not None:
                store.set_vocabulary(vocabulary)
            if omit_instance_identity_provider is not None:
                store.omit_instance_identity_provider = omit_instance_identity_provider
            store.rules = copy.deepcopy(new_rules)
        return self.config()

    @property
    def faults(self):
        """Current faults dict (fail_next with remaining counts)."""
        return self.fault_injector.config()

    def set_faults(self, faults):
        """Replace the faults configuration ({} or None clears it)."""
        self.fault_injector.configure(faults)

    def add_hook(self, hook):
        """Python only: call hook(operation, params) after validation, before each API call is handled; returns a remover."""
        self._hooks.append(hook)
        return lambda: self._hooks.remove(hook) if hook in self._hooks else None

    # ----------------------------------------------------------------- log
    @property
    def log(self):
        """Copy of the request log, in arrival order."""
        with self.lock:
            return sorted(copy.deepcopy(self._log), key=lambda e: e["seq"])

    def clear_log(self):
        """Empty the request log; returns how many entries were removed."""
        with self.lock:
            count = len(self._log)
            self._log = []
            return count

    def calls(self, operation=None, write=None, error=ANY, account_id=None, region=None):
        """Log entries filtered by operation (name or list), write (bool), error (code; None = successes only) and partition."""
        return filter_calls(self.log, operation, write, error, account_id, region)

    # ----------------------------------------------------------------- client helpers
    def env(self):
        """Environment variables pointing boto3 / amazon.aws at this emulator with dummy credentials."""
        no_proxy = ",".join(filter(None, [os.environ.get("NO_PROXY") or os.environ.get("no_proxy"), "127.0.0.1,localhost"]))
        return {ENDPOINT_ENV: self.url, STS_ENDPOINT_ENV: self.url, "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "dummy",
                "AWS_REGION": self.region, "AWS_DEFAULT_REGION": self.region, "AWS_EC2_METADATA_DISABLED": "true",
                "NO_PROXY": no_proxy, "no_proxy": no_proxy}

    def client(self, **config):
        """A boto3 client for this emulator; keyword arguments go to botocore Config."""
        import boto3  # pylint: disable=import-outside-toplevel
        from botocore.config import Config  # pylint: disable=import-outside-toplevel
        return boto3.client("license-manager-user-subscriptions", endpoint_url=self.url, region_name=self.region,
                            aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="dummy", config=Config(**config) if config else None)

    # ----------------------------------------------------------------- request pipeline
    def _sleep(self, seconds):
        """Sleep unless stopping; False when interrupted by stop()."""
        if seconds > 0:
            return not self._stopping.wait(seconds)
        return True

    def process(self, method, path, authorized, body, security_token=False, caller=None):
        """Handle one API request (transport-independent); returns a Reply.

        ``security_token``: whether the request carried an ``X-Amz-Security-Token`` header (logged as a boolean, never the value).
        ``caller``: ``(access key ID, region, token digest)`` from the SigV4 credential scope and the token header (see
        server.py), which choose the account-region; None (or Nones) means the emulator's own account and region.
        """
        access_key, scope_region, digest = caller or (None, None, None)
        sts = method.upper() == "POST" and path.split("?", 1)[0] == "/"
        operation = None if sts else self.model.route(method, path)
        with self.lock:
            self._seq += 1
            entry = {"seq": self._seq, "time": time.time(), "operation": operation, "params": None, "status": None, "error": None,
                     "write": operation in WRITE_OPERATIONS, "fault": None, "method": method, "path": path.split("?", 1)[0],
                     "duration": None, "request_id": None, "security_token": bool(security_token),
                     "service": "sts" if sts else SERVICE_NAME, "account_id": None, "region": scope_region or self.region, "principal": None}
        started = time.monotonic()
        try:
            if sts:
                reply = self._process_sts(authorized, access_key, digest, body, entry)
            else:
                reply = self._process(operation, method, path, authorized, body, entry, access_key, digest)
        except ApiError as exc:
            reply = Reply(exc.status, {"message": exc.message}, exc.code)
        except Exception as exc:  # pylint: disable=broad-except
            reply = Reply(500, {"message": f"emulator error: {exc.__class__.__name__}: {exc}"}, "InternalServerException")
        entry["status"] = None if reply.drop else reply.status
        entry["error"] = DROP if reply.drop else reply.error
        entry["request_id"] = None if reply.drop else reply.request_id
        entry["duration"] = round(time.monotonic() - started, 6)
        with self.lock:
            self._log.append(entry)
        return reply

    def _identify(self, access_key, digest, entry):
        """The caller's Identity (its account chosen from the access key); None and the error kind for a bad or expired session."""
        identity, problem = self.sts.identify(access_key, digest)
        if identity is not None:
            entry["account_id"] = identity.account_id
            entry["principal"] = identity.session.arn if identity.session is not None else None
        return identity, problem

    def _process_sts(self, authorized, access_key, digest, body, entry):
        """STS (query protocol, XML answers): AssumeRole and GetCallerIdentity."""
        request_id = str(uuid.uuid4())
        try:
            if not authorized:
                raise StsError("MissingAuthenticationToken", "Request is missing Authentication Token")
            identity, problem = self._identify(access_key, digest, entry)
            if problem is not None:
                raise StsError("ExpiredToken" if problem[0] == "expired" else "InvalidClientTokenId", problem[1])
            action, params = self.sts.model.parse(body)
            entry["operation"] = action
            entry["params"] = dict(params)
            if action == "AssumeRole":
                denied = self.fault_injector.assume_role_denied_accounts()
                account_id = params["RoleArn"].split(":")[4] if params["RoleArn"].count(":") >= 5 else None
                if account_id in denied:
                    entry["fault"] = "assume_role_denied/AccessDenied"
                inner = self.sts.assume_role(identity, params, denied)
            else:
                inner = self.sts.caller_identity(identity)
            return XmlReply(200, result_xml(action, inner, request_id), request_id)
        except StsError as exc:
            reply = XmlReply(exc.status, error_xml(exc, request_id), request_id)
            reply.error = exc.code
            return reply

    def _process(self, operation, method, path, authorized, body, entry, access_key=None, digest=None):
        if operation is None:
            raise ApiError("UnknownOperationException", f"No operation matches {method} {path.split('?', 1)[0]}")
        if not authorized:
            raise ApiError("MissingAuthenticationTokenException", "Missing Authentication Token")
        identity, problem = self._identify(access_key, digest, entry)
        if problem is not None:
            if problem[0] == "expired":
                raise ApiError("ExpiredTokenException", problem[1])
            raise ApiError("UnrecognizedClientException", problem[1])
        fault = self.fault_injector.region_error(entry["region"])
        if fault is not None:
            entry["fault"] = f"{fault.source}/{fault.code or fault.kind}"
            if fault.kind == DROP:
                return Reply(drop=True)
            raise ApiError(fault.code, fault.message)
        try:
            store = self.partition(identity.account_id, entry["region"]) if self.fleet else self.store
        except ValueError as exc:
            raise ApiError("UnrecognizedClientException", f"no such region: {exc}") from exc
        params = parse_body(body)
        entry["params"] = copy.deepcopy(params)
        if not self._sleep(self.fault_injector.latency(operation)):
            return Reply(drop=True)
        if operation not in IMPLEMENTED_OPERATIONS:
            raise ApiError("InternalServerException", f"{operation} is not implemented by emulator", NOT_IMPLEMENTED_STATUS)
        fault = self.fault_injector.before(operation, params, operation in WRITE_OPERATIONS)
        drop_after = False
        if fault is not None:
            entry["fault"] = f"{fault.source}/{fault.code or fault.kind}"
            drop_after = fault.kind == DROP_AFTER
            if fault.kind == DROP:
                return Reply(drop=True)
            if fault.kind == TIMEOUT:
                if not self._sleep(self.fault_injector.timeout_seconds):
                    return Reply(drop=True)
            elif not drop_after:
                raise ApiError(fault.code, fault.message)
        self.model.validate_input(operation, params)
        instance_ids = [params.get("InstanceId")]
        if operation == "DisassociateUser" and params.get("InstanceUserArn"):
            instance_ids.append(store.instance_of_association_arn(params["InstanceUserArn"]))
        fault = self.fault_injector.access_denied(instance_ids)
        if fault is not None:
            entry["fault"] = f"{fault.source}/{fault.code}"
            raise ApiError(fault.code, fault.message)
        repeat_token = self.fault_injector.repeat_token(operation)
        if repeat_token and entry["fault"] is None:
            entry["fault"] = f"repeat_token/{repeat_token}"
        for hook in list(self._hooks):
            hook(operation, copy.deepcopy(params))
        result = store.handle(operation, params, repeat_token=repeat_token)
        if self.check_responses:
            problems = self.model.validate_output(operation, result)
            if problems:
                raise ApiError("InternalServerException", f"emulator produced an invalid {operation} response: {'; '.join(problems)}")
        if drop_after:
            return Reply(drop=True)  # done, but the answer is lost
        return Reply(200, result)


def parse_body(body):
    """Request body bytes -> dict; ValidationException when not a JSON object."""
    if not body or not body.strip():
        return {}
    try:
        params = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise validation_error("Could not parse request body into json: " + str(exc)) from exc
    if not isinstance(params, dict):
        raise validation_error("Request body must be a JSON object")
    return params


def normalise_partitions(partitions, main, main_seed):
    """{(account ID, region): seed} from a list of {"account_id", "region", "seed"} (a seed dict or a seed file's path)."""
    out = {}
    if partitions is None:
        return out
    if not isinstance(partitions, list):
        raise ValueError("partitions must be a list of {account_id, region, seed}")
    for index, entry in enumerate(partitions):
        where = f"partitions[{index}]"
        if not isinstance(entry, dict) or sorted(set(entry) - {"account_id", "region", "seed"}):
            raise ValueError(f"{where} must be a mapping with account_id, region and (optionally) seed")
        account_id, region = entry.get("account_id"), entry.get("region")
        if not isinstance(account_id, str) or not ACCOUNT_RE.fullmatch(account_id):
            raise ValueError(f"{where}.account_id must be 12 digits as a string, got {account_id!r}")
        if not isinstance(region, str) or not REGION_RE.fullmatch(region):
            raise ValueError(f"{where}.region is not a region name such as eu-west-1: {region!r}")
        if (account_id, region) in out:
            raise ValueError(f"{where}: {account_id}/{region} is given twice")
        seed = entry.get("seed") or {}
        if isinstance(seed, (str, os.PathLike)):
            seed = load_seed(seed)
        if (account_id, region) == main and main_seed and seed:
            raise ValueError(f"{where}: {account_id}/{region} is the emulator's own account and region, whose seed is given already")
        out[(account_id, region)] = seed
    return out
