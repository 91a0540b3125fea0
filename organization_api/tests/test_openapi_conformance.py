"""Schemathesis against the API's own OpenAPI schema: every operation, with generated input (a
bounded number of examples each), as an Owner with a token, never answers a server error, and every
answer matches the schema (status code, content type, body)."""

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

MAX_EXAMPLES = 12


# Loaded at collection (the lazy `from_fixture` loader does not work with pytest 9.2): asking for the
# schema touches no database.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@pytest.fixture(autouse=True)
def _connection_kept_open():
    """Requests go through Django's WSGI handler, which closes the database connection after each
    one; the test's transaction lives on that connection, so keep it open (as Django's test client
    does)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def owner_token(make_token, owner, organization, make_workspace):
    make_workspace("conformance-ws")
    return make_token(owner)[1]


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_every_operation_conforms(case, owner_token, settings):
    settings.ATRIUM_API_RATE = "100000/h"
    case.call_and_validate(
        headers={"Authorization": f"Bearer {owner_token}"},
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
