"""EmulatorAdmin: drive a (possibly out-of-process) emulator through its admin HTTP API."""

import json
import time
import urllib.error
import urllib.parse
import urllib.request

from .emulator import ANY, filter_calls


class AdminRequestError(RuntimeError):
    """An admin call answered with an error status."""

    def __init__(self, status, message):
        super().__init__(f"HTTP {status}: {message}")
        self.status = status
        self.message = message


class EmulatorAdmin:
    """Same verbs as Emulator, over HTTP (urllib, proxies bypassed)."""

    def __init__(self, url, timeout=10.0):
        self.url = url.rstrip("/")
        self.timeout = timeout
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def _call(self, method, name, data=None, account_id=None, region=None):
        body = None if data is None else json.dumps(data).encode("utf-8")
        where = {k: v for k, v in (("account_id", account_id), ("region", region)) if v is not None}
        query = f"?{urllib.parse.urlencode(where)}" if where else ""
        request = urllib.request.Request(f"{self.url}/_emulator/{name}{query}", data=body, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            try:
                message = json.loads(exc.read()).get("message")
            except ValueError:
                message = exc.reason
            raise AdminRequestError(exc.code, message) from exc

    def health(self):
        """{"status": "ok", "url": ...}"""
        return self._call("GET", "health")

    def wait_ready(self, timeout=10.0):
        """Poll health until the emulator answers; returns self."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.health()
                return self
            except (OSError, AdminRequestError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    @property
    def log(self):
        """Request log entries."""
        return self._call("GET", "log")

    def calls(self, operation=None, write=None, error=ANY, account_id=None, region=None):
        """Filtered log entries, as Emulator.calls."""
        return filter_calls(self.log, operation, write, error, account_id, region)

    def clear_log(self):
        """Empty the log; returns the number of entries removed."""
        return self._call("DELETE", "log")["cleared"]

    def state_dump(self, account_id=None, region=None):
        """A partition's current state in seed form (default: the emulator's own account and region)."""
        return self._call("GET", "state", account_id=account_id, region=region)

    def load(self, seed, account_id=None, region=None):
        """Replace a partition's state with a seed; returns the new state dump."""
        return self._call("PUT", "state", seed, account_id=account_id, region=region)

    def partitions(self):
        """Every account-region that has a store: [{"account_id", "region"}]."""
        return self._call("GET", "partitions")

    def reset(self):
        """Back to the start seed; log and faults cleared."""
        return self._call("POST", "reset")

    @property
    def faults(self):
        """Current faults dict."""
        return self._call("GET", "faults")

    def set_faults(self, faults):
        """Replace the faults dict; returns it normalised."""
        return self._call("PUT", "faults", faults or {})

    def config(self):
        """The emulator's configuration, as Emulator.config()."""
        return self._call("GET", "config")

    def set_config(self, **changes):
        """Change configuration keys (as Emulator.set_config; None values are left out)."""
        return self._call("PUT", "config", {k: v for k, v in changes.items() if v is not None})

    def set_status(self, instance_id, username, status, domain=None, stuck=None, account_id=None, region=None):
        """Force an association's status; returns its InstanceUserSummary."""
        data = {"instance_id": instance_id, "username": username, "status": status}
        if domain is not None:
            data["domain"] = domain
        if stuck is not None:
            data["stuck"] = stuck
        return self._call("POST", "associations/status", data, account_id=account_id, region=region)

    def set_subscription_status(self, username, product, directory_id, status, domain=None, stuck=None, account_id=None, region=None):
        """Force a product subscription's status; returns its ProductUserSummary."""
        data = {"username": username, "product": product, "directory_id": directory_id, "status": status}
        if domain is not None:
            data["domain"] = domain
        if stuck is not None:
            data["stuck"] = stuck
        return self._call("POST", "subscriptions/status", data, account_id=account_id, region=region)
