"""The botocore service model: routing, input validation and output checking."""

import re

import botocore.session
from botocore.model import NoShapeFoundError
from botocore.validate import ParamValidator

from .constants import ERROR_HTTP_STATUS, SERVICE_NAME


class ApiError(Exception):
    """An error answered to the client as `x-amzn-ErrorType: code` with `{"message": ...}`."""

    def __init__(self, code, message, status=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status or ERROR_HTTP_STATUS.get(code, 400)


def validation_error(message):
    """Return a ValidationException."""
    return ApiError("ValidationException", message)


def _lower_camel(name):
    return name[:1].lower() + name[1:]


def _uri_regex(request_uri):
    path = request_uri.split("?", 1)[0]
    out = []
    for part in re.split(r"(\{[^}]+\})", path):
        if part.startswith("{") and part.endswith("}"):
            label = part[1:-1]
            greedy = label.endswith("+")
            label = label.rstrip("+")
            out.append(f"(?P<{label}>{'.+' if greedy else '[^/]+'})")
        else:
            out.append(re.escape(part))
    return re.compile("".join(out) + "$")


class ServiceModel:
    """Wraps botocore's model of license-manager-user-subscriptions."""

    def __init__(self):
        self.model = botocore.session.get_session().get_service_model(SERVICE_NAME)
        self._validator = ParamValidator()
        self._routes = []
        for name in self.model.operation_names:
            http = self.model.operation_model(name).http
            self._routes.append((http["method"].upper(), _uri_regex(http["requestUri"]), name))

    @property
    def operation_names(self):
        """All modelled operation names."""
        return list(self.model.operation_names)

    def route(self, method, path):
        """Return the operation name for method + path, or None."""
        path = path.split("?", 1)[0]
        for op_method, regex, name in self._routes:
            if op_method == method.upper() and regex.match(path):
                return name
        return None

    def request_uri(self, operation):
        """Return the modelled request URI of an operation."""
        return self.model.operation_model(operation).http["requestUri"]

    def validate_input(self, operation, params):
        """Raise ApiError(ValidationException) unless params fit the operation's input shape."""
        shape = self.model.operation_model(operation).input_shape
        problems = self.problems(params, shape, "")
        if problems:
            raise validation_error(problems[0] if len(problems) == 1 else f"{len(problems)} validation errors detected: " + "; ".join(problems))

    def validate_output(self, operation, data):
        """Return a list of problems of data against the operation's output shape (empty = valid)."""
        shape = self.model.operation_model(operation).output_shape
        return self.problems(data, shape, "")

    def problems(self, params, shape, path):
        """Check params with ParamValidator, then patterns, enums and maximum sizes."""
        if shape is None:
            return [] if not params else ["operation takes no input"]
        report = self._validator.validate(params, shape)
        if report.has_errors():
            return report.generate_report().splitlines()
        errors = []
        self._constraints(params, shape, path, errors)
        return errors

    def _constraints(self, value, shape, path, errors):
        kind = shape.type_name
        if kind == "structure":
            for key, item in value.items():
                if key in shape.members and item is not None:
                    self._constraints(item, shape.members[key], f"{path}.{_lower_camel(key)}" if path else _lower_camel(key), errors)
        elif kind == "list":
            self._check_max(len(value), shape, path, errors, "have length less than or equal to")
            for index, item in enumerate(value):
                self._constraints(item, shape.member, f"{path}.{index + 1}", errors)
        elif kind == "map":
            self._check_max(len(value), shape, path, errors, "have length less than or equal to")
            for key, item in value.items():
                self._constraints(key, shape.key, f"{path}.key", errors)
                self._constraints(item, shape.value, f"{path}.{key}", errors)
        elif kind == "string":
            self._check_string(value, shape, path, errors)
        elif kind in ("integer", "long"):
            self._check_max(value, shape, path, errors, "have value less than or equal to")

    @staticmethod
    def _check_max(value, shape, path, errors, text):
        maximum = shape.metadata.get("max")
        if maximum is not None and value > maximum:
            errors.append(f"Value at '{path}' failed to satisfy constraint: Member must {text} {maximum}")

    def _check_string(self, value, shape, path, errors):
        shown = "*** sensitive ***" if shape.metadata.get("sensitive") else value
        enum = shape.metadata.get("enum")
        if enum and value not in enum:
            errors.append(f"Value '{shown}' at '{path}' failed to satisfy constraint: Member must satisfy enum value set: [{', '.join(enum)}]")
        pattern = shape.metadata.get("pattern")
        if pattern and not re.fullmatch(pattern, value):
            errors.append(f"Value '{shown}' at '{path}' failed to satisfy constraint: Member must satisfy regular expression pattern: {pattern}")
        self._check_max(len(value), shape, path, errors, "have length less than or equal to")

    def error_status(self, code):
        """HTTP status for an error code: the AWS API reference table, then the model."""
        if code in ERROR_HTTP_STATUS:
            return ERROR_HTTP_STATUS[code]
        try:
            return self.model.shape_for(code).metadata.get("error", {}).get("httpStatusCode", 400)
        except NoShapeFoundError:
            return 400
