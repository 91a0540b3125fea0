"""The organization API: one NinjaAPI, its versioned routes under /api/v1/, its docs at /api/docs.

Every endpoint is a door to the services and selectors the pages use: it authenticates the caller
(`auth`), resolves what the path names (404 for outsiders) and translates refusals into the one
error shape (`errors`); what anyone may do is decided by the services alone.
"""

from ninja import NinjaAPI
from ninja.openapi.docs import Swagger

from .auth import BrowserSessionAuth, PersonalAccessTokenAuth
from .endpoints import access_reviews, organization_resources, organizations, service_accounts, workspaces
from .errors import install_error_handlers
from .throttling import CredentialRateThrottle

API_VERSION = "v1"

api = NinjaAPI(
    title="Atrium organization API",
    version="1",
    description=(
        "Organizations and their workspaces, as the pages show them, for scripts and CI jobs. "
        "Authenticate with a personal access token (`Authorization: Bearer atr_pat_…`, created at "
        "/accounts/tokens/) or, from a browser, the session (writes need the X-CSRFToken header). "
        'Every error answers `{"error": {"code", "message", "field"}}`.'
    ),
    urls_namespace="organization_api",
    auth=[PersonalAccessTokenAuth(), BrowserSessionAuth()],
    throttle=[CredentialRateThrottle()],
    docs=Swagger(settings={"persistAuthorization": False, "tryItOutEnabled": False}),
    docs_url="/docs",
    openapi_url=f"/{API_VERSION}/openapi.json",
)
install_error_handlers(api)
api.add_router(f"/{API_VERSION}/", organizations.router)
api.add_router(f"/{API_VERSION}/", organization_resources.router)
api.add_router(f"/{API_VERSION}/", workspaces.router)
api.add_router(f"/{API_VERSION}/", access_reviews.router)
api.add_router(f"/{API_VERSION}/", service_accounts.router)
