"""Fixtures of the organization API's tests: a token per person, and a client that calls the API
with it (JSON in, JSON out)."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone


@pytest.fixture
def make_token():
    from organization_api.services import personal_access_token_create

    def make(user, *, name="CI", days=30):
        return personal_access_token_create(
            name=name, expires_at=timezone.now() + timedelta(days=days), acting_user=user
        )

    return make


class ApiClient:
    """Calls /api/v1/… with a bearer token (or none), sending and reading JSON."""

    def __init__(self, token: str | None, client: Client | None = None):
        self.client = client or Client()
        self.token = token

    def _headers(self, headers):
        merged = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        merged.update(headers or {})
        return merged

    def request(self, method, path, body=None, *, headers=None, **query):
        url = path if path.startswith("/") else f"/api/v1/{path}"
        kwargs = {"headers": self._headers(headers)}
        if body is not None:
            kwargs.update(data=json.dumps(body), content_type="application/json")
        elif query:
            kwargs["data"] = query
        return getattr(self.client, method.lower())(url, **kwargs)

    def get(self, path, **query):
        return self.request("GET", path, **query)

    def post(self, path, body=None, **kwargs):
        return self.request("POST", path, body if body is not None else {}, **kwargs)

    def patch(self, path, body=None, **kwargs):
        return self.request("PATCH", path, body if body is not None else {}, **kwargs)


@pytest.fixture
def api_as(make_token):
    """`api_as(user)`: an ApiClient authenticating with a new token of `user` (None: no credentials)."""

    def as_user(user):
        return ApiClient(make_token(user)[1] if user is not None else None)

    return as_user
