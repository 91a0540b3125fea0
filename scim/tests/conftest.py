"""Fixtures of the SCIM tests: an organization SCIM token, and an identity provider that calls
/scim/v2/ with it (SCIM JSON in, SCIM JSON out)."""

import json

import pytest
from django.test import Client


class IdentityProvider:
    """Plays Okta or Entra ID: calls /scim/v2/… with a bearer token (or none)."""

    def __init__(self, token: str | None):
        self.client = Client()
        self.token = token

    def request(self, method, path, body=None, **query):
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        kwargs = {"headers": headers}
        if body is not None:
            kwargs.update(data=json.dumps(body), content_type="application/scim+json")
        elif query:
            kwargs["data"] = query
        return getattr(self.client, method.lower())(f"/scim/v2/{path}", **kwargs)

    def get(self, path, **query):
        return self.request("GET", path, **query)

    def post(self, path, body):
        return self.request("POST", path, body)

    def put(self, path, body):
        return self.request("PUT", path, body)

    def patch(self, path, *operations):
        return self.request(
            "PATCH",
            path,
            {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": list(operations)},
        )

    def delete(self, path):
        return self.request("DELETE", path)


@pytest.fixture
def scim_token(organization, owner):
    """The organization's SCIM token (row, secret), made by its Owner."""
    from scim.services import scim_token_create

    return scim_token_create(organization=organization, name="Okta", acting_user=owner)


@pytest.fixture
def idp(scim_token):
    return IdentityProvider(scim_token[1])
