"""Fault injection: latency, write rate limit, random faults, deterministic fail_next queue, access denied instances, repeated tokens."""

import copy
import random
import re
import time

from .constants import ERROR_HTTP_STATUS, MODELED_ERRORS, READ_OPERATIONS

FAULT_KEYS = ("latency", "write_rate_limit", "throttle_rate", "error_rate", "drop_rate", "timeout_rate", "timeout_seconds",
              "random_seed", "fault_operations", "access_denied_instances", "fail_next", "repeat_token",
              "assume_role_denied_accounts", "region_errors")
# repeat_token modes: "same" answers the same NextToken forever, "cycle" alternates between two tokens.
REPEAT_TOKEN_MODES = ("same", "cycle")
RATE_KEYS = ("drop_rate", "timeout_rate", "throttle_rate", "error_rate")
# Pseudo error names that are not HTTP errors.
DROP = "drop"
TIMEOUT = "timeout"
# The call is handled (a write takes effect), then the connection is closed without an answer.
DROP_AFTER = "drop_after"
DEFAULT_TIMEOUT_SECONDS = 5.0
DEFAULT_MESSAGES = {
    "ThrottlingException": "Rate exceeded",
    "InternalServerException": "An internal error occurred (injected by emulator)",
    "AccessDeniedException": "User is not authorized to perform this action",
}


# What AWS answers in a region the account has not enabled (an opt-in region), and else a generic word.
REGION_MESSAGES = {"UnrecognizedClientException": "The security token included in the request is invalid."}


class Fault:
    """What to do to one call: kind is "drop", "timeout" or "error" (with code and message)."""

    def __init__(self, kind, source, code=None, message=None):
        self.kind = kind
        self.source = source
        self.code = code
        self.message = message or DEFAULT_MESSAGES.get(code, f"{code} (injected by emulator)")

    def __repr__(self):
        return f"Fault({self.kind!r}, {self.source!r}, {self.code!r})"


def _number(config, key, minimum=0.0, maximum=None):
    value = config.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < minimum or (maximum is not None and value > maximum):
        raise ValueError(f"faults.{key} must be a number in [{minimum}, {maximum if maximum is not None else 'inf'}], got {value!r}")
    return float(value)


def _error_name(value, where):
    if value in (DROP, TIMEOUT, DROP_AFTER) or value in ERROR_HTTP_STATUS or value in MODELED_ERRORS:
        return value
    raise ValueError(f"{where}: unknown error {value!r}; use one of {sorted(set(MODELED_ERRORS))} or {DROP!r} / {TIMEOUT!r} / {DROP_AFTER!r}")


def validate_faults(config):
    """Return a normalised copy of a faults dict; ValueError on unknown keys or bad values."""
    config = copy.deepcopy(config or {})
    if not isinstance(config, dict):
        raise ValueError("faults must be a mapping")
    unknown = sorted(set(config) - set(FAULT_KEYS))
    if unknown:
        raise ValueError(f"unknown fault keys {unknown}; allowed: {list(FAULT_KEYS)}")
    latency = config.get("latency")
    if isinstance(latency, dict):
        for op, value in latency.items():
            _number({op: value}, op)
    elif latency is not None:
        _number(config, "latency")
    _number(config, "write_rate_limit", minimum=0.001)
    for key in RATE_KEYS:
        _number(config, key, maximum=1.0)
    _number(config, "timeout_seconds")
    for key in ("fault_operations", "access_denied_instances"):
        if config.get(key) is not None and (not isinstance(config[key], list) or not all(isinstance(v, str) for v in config[key])):
            raise ValueError(f"faults.{key} must be a list of strings")
    denied = config.get("assume_role_denied_accounts")
    if denied is not None and (not isinstance(denied, list) or not all(isinstance(v, str) and re.fullmatch(r"\d{12}", v) for v in denied)):
        raise ValueError("faults.assume_role_denied_accounts must be a list of account IDs (12 digits, as strings)")
    regions = config.get("region_errors")
    if regions is not None:
        if not isinstance(regions, dict):
            raise ValueError('faults.region_errors must be a mapping of region to error, e.g. {"eu-south-2": "UnrecognizedClientException"}')
        for region, error in regions.items():
            if not isinstance(region, str) or not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d+", region):
                raise ValueError(f"faults.region_errors: {region!r} is not a region name such as eu-west-1")
            if _error_name(error, f"faults.region_errors[{region}]") in (TIMEOUT, DROP_AFTER):
                raise ValueError(f"faults.region_errors[{region}]: use an error code or {DROP!r}")
    queue = []
    for index, entry in enumerate(config.get("fail_next") or []):
        where = f"faults.fail_next[{index}]"
        if not isinstance(entry, dict) or "error" not in entry:
            raise ValueError(f"{where} must be a mapping with at least 'error'")
        extra = sorted(set(entry) - {"operation", "error", "count", "message", "match"})
        if extra:
            raise ValueError(f"{where} has unknown keys {extra}")
        count = entry.get("count", 1)
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ValueError(f"{where}.count must be a positive integer")
        if entry.get("match") is not None and not isinstance(entry["match"], dict):
            raise ValueError(f"{where}.match must be a mapping of request members to values")
        queue.append({"operation": entry.get("operation"), "error": _error_name(entry["error"], where), "count": count,
                      "message": entry.get("message"), "match": entry.get("match")})
    if queue:
        config["fail_next"] = queue
    if config.get("repeat_token") is not None:
        config["repeat_token"] = _repeat_token(config["repeat_token"])
    return config


def _repeat_token(entry):
    """Normalised repeat_token: {"operation": name, list of names or "*", "mode": "same" | "cycle"}."""
    where = "faults.repeat_token"
    if not isinstance(entry, dict):
        raise ValueError(f"{where} must be a mapping like {{\"operation\": \"ListUserAssociations\", \"mode\": \"same\"}}")
    extra = sorted(set(entry) - {"operation", "mode"})
    if extra:
        raise ValueError(f"{where} has unknown keys {extra}")
    operation = entry.get("operation", "*")
    names = [operation] if isinstance(operation, str) else operation
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise ValueError(f"{where}.operation must be an operation name, a list of them or \"*\"")
    bad = sorted(n for n in names if n != "*" and n not in READ_OPERATIONS)
    if bad:
        raise ValueError(f"{where}.operation: {bad} are not paginated operations; use {sorted(READ_OPERATIONS)} or \"*\"")
    mode = entry.get("mode", "same")
    if mode not in REPEAT_TOKEN_MODES:
        raise ValueError(f"{where}.mode must be one of {list(REPEAT_TOKEN_MODES)}, got {mode!r}")
    return {"operation": operation, "mode": mode}


class FaultInjector:
    """Decides, per call, which fault (if any) applies; state guarded by the emulator's lock."""

    def __init__(self, lock, config=None, clock=time.monotonic):
        self.lock = lock
        self.clock = clock
        self.configure(config)

    def configure(self, config):
        """Replace the fault configuration (validated)."""
        config = validate_faults(config)
        with self.lock:
            self._config = config
            self._rng = random.Random(config.get("random_seed"))
            rate = config.get("write_rate_limit")
            self._bucket_capacity = max(1.0, float(rate)) if rate else None
            self._tokens = self._bucket_capacity
            self._bucket_time = self.clock()

    def config(self):
        """Current configuration (fail_next shows the remaining counts)."""
        with self.lock:
            return copy.deepcopy(self._config)

    def latency(self, operation):
        """Seconds to sleep before answering this operation."""
        latency = self._config.get("latency")
        if isinstance(latency, dict):
            return float(latency.get(operation, latency.get("*", 0.0)) or 0.0)
        return float(latency or 0.0)

    @property
    def timeout_seconds(self):
        """Sleep used by timeout faults."""
        value = self._config.get("timeout_seconds")
        return DEFAULT_TIMEOUT_SECONDS if value is None else float(value)

    def before(self, operation, params, write):
        """Fault for this call from fail_next, random rates or the write rate limit, or None."""
        with self.lock:
            fault = self._fail_next(operation, params)
            if fault is None:
                fault = self._random(operation)
            if fault is None and write:
                fault = self._rate_limit()
            return fault

    def _fail_next(self, operation, params):
        queue = self._config.get("fail_next") or []
        for entry in queue:
            if entry["operation"] not in (None, "*", operation):
                continue
            if entry["match"] and any((params or {}).get(k) != v for k, v in entry["match"].items()):
                continue
            entry["count"] -= 1
            if entry["count"] <= 0:
                queue.remove(entry)
            if entry["error"] in (DROP, TIMEOUT, DROP_AFTER):
                return Fault(entry["error"], "fail_next")
            return Fault("error", "fail_next", entry["error"], entry["message"])
        return None

    def _random(self, operation):
        rates = [(key, self._config.get(key) or 0.0) for key in RATE_KEYS]
        if not any(rate for _key, rate in rates):
            return None
        allowed = self._config.get("fault_operations")
        if allowed and operation not in allowed:
            return None
        draw = self._rng.random()
        edge = 0.0
        for key, rate in rates:
            edge += rate
            if draw < edge:
                if key == "drop_rate":
                    return Fault(DROP, "random")
                if key == "timeout_rate":
                    return Fault(TIMEOUT, "random")
                return Fault("error", "random", "ThrottlingException" if key == "throttle_rate" else "InternalServerException")
        return None

    def _rate_limit(self):
        rate = self._config.get("write_rate_limit")
        if not rate:
            return None
        now = self.clock()
        self._tokens = min(self._bucket_capacity, self._tokens + (now - self._bucket_time) * rate)
        self._bucket_time = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return None
        return Fault("error", "write_rate_limit", "ThrottlingException", "Rate exceeded")

    def repeat_token(self, operation):
        """The repeat_token mode ("same" / "cycle") for this operation, or None."""
        entry = self._config.get("repeat_token")
        if not entry:
            return None
        names = [entry["operation"]] if isinstance(entry["operation"], str) else entry["operation"]
        if "*" in names or operation in names:
            return entry["mode"] if operation in READ_OPERATIONS else None
        return None

    def assume_role_denied_accounts(self):
        """The accounts whose roles no one may assume (AssumeRole answers AccessDenied)."""
        return tuple(self._config.get("assume_role_denied_accounts") or ())

    def region_error(self, region):
        """Fault for every call of this service in this region, or None."""
        error = (self._config.get("region_errors") or {}).get(region)
        if error is None:
            return None
        if error == DROP:
            return Fault(DROP, "region_error")
        message = REGION_MESSAGES.get(error, f"{error}: the service answers this error in {region} (injected by emulator)")
        return Fault("error", "region_error", error, message)

    def access_denied(self, instance_ids):
        """Fault when any of these instance ids is in access_denied_instances."""
        denied = set(self._config.get("access_denied_instances") or [])
        for instance_id in instance_ids:
            if instance_id and instance_id in denied:
                return Fault("error", "access_denied", "AccessDeniedException",
                             f"User is not authorized to perform this action on instance {instance_id}")
        return None
