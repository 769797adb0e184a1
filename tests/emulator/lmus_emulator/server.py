"""HTTP transport: the request handler, the admin API under /_emulator/ and the threading server."""

import json
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from .constants import ADMIN_PREFIX, CONFIG_KEYS
from .state import SeedError
from .sts import scope_of, token_digest


class AdminError(Exception):
    """An admin request error with an HTTP status."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


def _json_body(body):
    if not body:
        return {}
    try:
        return json.loads(body)
    except ValueError as exc:
        raise AdminError(400, f"invalid JSON body: {exc}") from exc


def _require_dict(data):
    if not isinstance(data, dict):
        raise AdminError(400, "body must be a JSON object")
    return data


def _set_status(emulator, data, where):
    data = _require_dict(data)
    missing = [k for k in ("instance_id", "username", "status") if not data.get(k)]
    if missing:
        raise AdminError(400, f"missing {missing}")
    return emulator.set_status(data["instance_id"], data["username"], data["status"], domain=data.get("domain"), stuck=data.get("stuck"), **where)


def _set_subscription_status(emulator, data, where):
    data = _require_dict(data)
    missing = [k for k in ("username", "product", "directory_id", "status") if not data.get(k)]
    if missing:
        raise AdminError(400, f"missing {missing}")
    return emulator.set_subscription_status(data["username"], data["product"], data["directory_id"], data["status"], domain=data.get("domain"),
                                            stuck=data.get("stuck"), **where)


def _reset(emulator):
    emulator.reset()
    return {"reset": True}


def _load_state(emulator, data, where):
    emulator.load(_require_dict(data), **where)
    return emulator.state_dump(**where)


def _put_faults(emulator, data):
    emulator.set_faults(data or {})
    return emulator.faults


def _put_config(emulator, data):
    data = _require_dict(data)
    unknown = sorted(set(data) - set(CONFIG_KEYS))
    if unknown:
        raise AdminError(400, f"unknown config keys {unknown}")
    return emulator.set_config(**data)


# Routes that take ?account_id=...&region=... (a partition; default the emulator's own account and region).
ADMIN_ROUTES = {
    ("GET", "health"): lambda emu, _data, _where: {"status": "ok", "url": emu.url},
    ("GET", "log"): lambda emu, _data, _where: emu.log,
    ("DELETE", "log"): lambda emu, _data, _where: {"cleared": emu.clear_log()},
    ("GET", "state"): lambda emu, _data, where: emu.state_dump(**where),
    ("PUT", "state"): _load_state,
    ("GET", "partitions"): lambda emu, _data, _where: emu.partitions(),
    ("POST", "reset"): lambda emu, _data, _where: _reset(emu),
    ("GET", "faults"): lambda emu, _data, _where: emu.faults,
    ("PUT", "faults"): lambda emu, data, _where: _put_faults(emu, data),
    ("GET", "config"): lambda emu, _data, _where: emu.config(),
    ("PUT", "config"): lambda emu, data, _where: _put_config(emu, data),
    ("POST", "associations/status"): _set_status,
    ("POST", "subscriptions/status"): _set_subscription_status,
}


def _partition_query(query):
    """{"account_id", "region"} from the query string (either may be absent)."""
    where = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        if key not in ("account_id", "region"):
            raise AdminError(400, f"unknown query parameter {key!r}; use account_id and region")
        where[key] = value
    return where


def handle_admin(emulator, method, path, body):
    """Run an admin request; returns (status, payload)."""
    parts = urlsplit(path)
    name = parts.path[len(ADMIN_PREFIX):].strip("/")
    route = ADMIN_ROUTES.get((method.upper(), name))
    if route is None:
        return 404, {"message": f"unknown admin endpoint {method} {ADMIN_PREFIX}{name}"}
    try:
        return 200, route(emulator, _json_body(body), _partition_query(parts.query))
    except AdminError as exc:
        return exc.status, {"message": str(exc)}
    except KeyError as exc:
        return 404, {"message": str(exc.args[0]) if exc.args else "not found"}
    except (SeedError, ValueError, TypeError) as exc:
        return 400, {"message": str(exc)}


class Handler(BaseHTTPRequestHandler):
    """One connection; HTTP/1.1 keep-alive. Headers are read for the Authorization's credential scope only and never logged."""

    protocol_version = "HTTP/1.1"
    server_version = "lmus-emulator"
    sys_version = ""
    timeout = 120
    disable_nagle_algorithm = True

    def setup(self):
        super().setup()
        self.server.track(self.connection)

    def finish(self):
        try:
            super().finish()
        finally:
            self.server.untrack(self.connection)

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        """Request lines only, and only when verbose."""
        if self.server.emulator.verbose:
            sys.stderr.write(f"lmus-emulator: {format % args}\n")

    def _read_body(self):
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        return self.rfile.read(length) if length > 0 else b""

    def _send(self, status, headers, body):
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self._headers_buffer.append(b"\r\n" + body)  # headers and body in one send
        self.flush_headers()

    def _drop(self):
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _dispatch(self):
        body = self._read_body()
        emulator = self.server.emulator
        if self.path.startswith(ADMIN_PREFIX):
            status, payload = handle_admin(emulator, self.command, self.path, body)
            self._send(status, {"Content-Type": "application/json"}, json.dumps(payload).encode("utf-8"))
            return
        # Only whether a session token came, and a digest to recognise one that AssumeRole handed out: never its value (nor any
        # other header) is kept. The SigV4 credential scope says which access key signed (its account) and for which region.
        authorization = self.headers.get("Authorization")
        token = self.headers.get("X-Amz-Security-Token")
        access_key, region, _service = scope_of(authorization)
        reply = emulator.process(self.command, self.path, bool(authorization), body, security_token=bool(token),
                                 caller=(access_key, region, token_digest(token)))
        if reply.drop:
            self._drop()
            return
        self._send(reply.status, reply.headers(), reply.body())

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _dispatch


class EmulatorHTTPServer(ThreadingHTTPServer):
    """Threading server bound to 127.0.0.1 that can close its open keep-alive connections."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, emulator, port=0):
        self.emulator = emulator
        self._connections = set()
        self._connections_lock = threading.Lock()
        super().__init__(("127.0.0.1", port), Handler)

    def track(self, connection):
        """Remember an open connection."""
        with self._connections_lock:
            self._connections.add(connection)

    def untrack(self, connection):
        """Forget a closed connection."""
        with self._connections_lock:
            self._connections.discard(connection)

    def close_all_connections(self):
        """Shut down every open connection (used by stop())."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
