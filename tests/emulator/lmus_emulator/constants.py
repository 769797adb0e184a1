"""Names and numbers shared by the emulator: products, operations, error codes."""

SERVICE_NAME = "license-manager-user-subscriptions"
DEFAULT_ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"
DEFAULT_PAGE_SIZE = 50
MAX_RESULTS_MIN = 1
MAX_RESULTS_MAX = 100
ADMIN_PREFIX = "/_emulator/"
# Keys of Emulator.config() / set_config() and PUT /_emulator/config.
CONFIG_KEYS = ("transition_delay", "page_size", "vocabulary", "omit_instance_identity_provider", "rules")

# Status words (ASSOCIATED, SUBSCRIBED, REGISTERED, ...) live in vocabulary.py: they depend on the vocabulary in use.

# Products, as the botocore model documents them ("Valid values" of StartProductSubscription.Product; the model has no enum,
# so the API accepts any string and seeds may name any product).
VISUAL_STUDIO_ENTERPRISE = "VISUAL_STUDIO_ENTERPRISE"
VISUAL_STUDIO_PROFESSIONAL = "VISUAL_STUDIO_PROFESSIONAL"
OFFICE_PROFESSIONAL_PLUS = "OFFICE_PROFESSIONAL_PLUS"
OFFICE_STANDARD = "OFFICE_STANDARD"
REMOTE_DESKTOP_SERVICES = "REMOTE_DESKTOP_SERVICES"
PRODUCTS = (VISUAL_STUDIO_ENTERPRISE, VISUAL_STUDIO_PROFESSIONAL, OFFICE_PROFESSIONAL_PLUS, OFFICE_STANDARD, REMOTE_DESKTOP_SERVICES)
OFFICE_PRODUCTS = (OFFICE_PROFESSIONAL_PLUS, OFFICE_STANDARD)
VISUAL_STUDIO_PRODUCTS = (VISUAL_STUDIO_ENTERPRISE, VISUAL_STUDIO_PROFESSIONAL)
# ProductUserSummary.LicenseExpirationDate of a REMOTE_DESKTOP_SERVICES subscription: SubscriptionStartDate + this many days (a guess).
RDS_LICENSE_DAYS = 60

WRITE_OPERATIONS = frozenset(("AssociateUser", "DisassociateUser", "StartProductSubscription", "StopProductSubscription"))
READ_OPERATIONS = frozenset(("ListUserAssociations", "ListInstances", "ListIdentityProviders", "ListProductSubscriptions"))
IMPLEMENTED_OPERATIONS = WRITE_OPERATIONS | READ_OPERATIONS

# HTTP status per error code (AWS API reference); unknown codes get 400.
ERROR_HTTP_STATUS = {
    "ValidationException": 400,
    "AccessDeniedException": 400,
    "ThrottlingException": 400,
    "ServiceQuotaExceededException": 400,
    "ConflictException": 500,
    "InternalServerException": 500,
    "ResourceNotFoundException": 404,
    "MissingAuthenticationTokenException": 403,
    "UnknownOperationException": 404,
    # Not in this service's model: what AWS answers a request signed with an unknown or invalid key or token (also in a
    # region the account has not enabled), and with an expired token.
    "UnrecognizedClientException": 403,
    "ExpiredTokenException": 400,
}
MODELED_ERRORS = ("ValidationException", "AccessDeniedException", "ThrottlingException", "ServiceQuotaExceededException",
                  "ConflictException", "InternalServerException", "ResourceNotFoundException")
NOT_IMPLEMENTED_STATUS = 501
