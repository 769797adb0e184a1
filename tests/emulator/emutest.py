"""Shared test data and helpers for the emulator's tests."""

import http.client
import json
import os
from urllib.parse import urlsplit

import boto3
from botocore.config import Config

from lmus_emulator.emulator import shared_model

HERE_PATH = os.path.dirname(os.path.abspath(__file__))
DIR1 = "d-1234567890"
DIR2 = "d-abcdef0123"
INST1 = "i-0123456789abcdef0"
INST2 = "i-0fedcba9876543210"
INST3 = "i-1a2b3c4d"
DOMAIN = "corp.example.com"
CREDENTIAL_TEXT = ("AKIDEXAMPLE", "dummy-secret-value", "Signature=", "Credential=", "AWS4-HMAC-SHA256", "Authorization", "X-Amz-Date")

SEED = {
    "identity_providers": [
        {"directory_id": DIR1, "product": "OFFICE_PROFESSIONAL_PLUS"},
        {"identity_provider": {"ActiveDirectoryIdentityProvider": {"DirectoryId": DIR2, "ActiveDirectoryType": "AWS_MANAGED"}},
         "product": "VISUAL_STUDIO_ENTERPRISE"},
    ],
    "instances": [
        {"instance_id": INST1, "directory_id": DIR1, "products": ["OFFICE_PROFESSIONAL_PLUS"]},
        {"instance_id": INST2, "directory_id": DIR2, "products": ["VISUAL_STUDIO_ENTERPRISE"]},
        {"instance_id": INST3, "directory_id": DIR1, "products": ["OFFICE_PROFESSIONAL_PLUS", "REMOTE_DESKTOP_SERVICES"], "status": "IN_MAINTENANCE"},
    ],
    "associations": [
        {"instance_id": INST1, "username": "alice", "domain": DOMAIN},
        {"instance_id": INST1, "username": "bob", "domain": DOMAIN},
        {"instance_id": INST1, "username": "carol", "domain": DOMAIN, "status": "DISASSOCIATED"},
        {"instance_id": INST1, "username": "dave", "domain": DOMAIN, "status": "ASSOCIATED", "stuck": True},
        {"instance_id": INST1, "username": "erin"},
        {"instance_id": INST2, "username": "alice", "domain": DOMAIN},
        {"instance_id": INST3, "username": "frank", "domain": DOMAIN, "status": "ASSOCIATING", "stuck": True},
    ],
    "product_subscriptions": [
        {"username": "alice", "product": "OFFICE_PROFESSIONAL_PLUS", "directory_id": DIR1, "domain": DOMAIN},
        {"username": "bob", "product": "OFFICE_PROFESSIONAL_PLUS", "directory_id": DIR1, "domain": DOMAIN, "status": "UNSUBSCRIBED"},
        {"username": "carol", "product": "OFFICE_PROFESSIONAL_PLUS", "directory_id": DIR1, "domain": DOMAIN},
        {"username": "alice", "product": "VISUAL_STUDIO_ENTERPRISE", "directory_id": DIR2, "domain": DOMAIN},
    ],
}


def idp(directory_id=DIR1):
    """API-form IdentityProvider."""
    return {"ActiveDirectoryIdentityProvider": {"DirectoryId": directory_id}}


class OutputChecker:
    """botocore after-call hook: every successful response must fit its operation's output shape."""

    def __init__(self):
        self.checked = 0

    def __call__(self, http_response, parsed, model, **_kwargs):
        if http_response.status_code >= 300:
            return
        data = {k: v for k, v in parsed.items() if k != "ResponseMetadata"}
        assert_valid_output(model.name, data)
        self.checked += 1


def assert_valid_output(operation, data):
    """Fail unless data validates against the operation's output shape (ParamValidator + patterns)."""
    problems = shared_model().validate_output(operation, data)
    assert not problems, f"{operation} response does not fit its output shape: {problems}"


def make_client(emu, validate=True, parameter_validation=True, **config):
    """boto3 client for an emulator: no retries unless asked, output checked on every call."""
    config.setdefault("retries", {"total_max_attempts": 1})
    boto_config = Config(parameter_validation=parameter_validation, **config)
    client = boto3.client("license-manager-user-subscriptions", endpoint_url=emu.url, region_name="us-east-1",
                          aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="dummy-secret-value", config=boto_config)
    client.output_checker = OutputChecker()
    if validate:
        client.meta.events.register("after-call.license-manager-user-subscriptions", client.output_checker)
    return client


def raw_request(url, method, path, body=b"", headers=None):
    """Plain HTTP request; returns (status, headers dict with lower-case names, parsed JSON body or None)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        data = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, json.loads(data) if data else None
    finally:
        connection.close()
