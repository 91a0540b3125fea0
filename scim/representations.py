"""SCIM's JSON: members as Users, teams as Groups, list responses, errors, and the discovery
documents (ServiceProviderConfig, ResourceTypes, Schemas) of RFC 7643/7644.

A User's `id` is the Atrium user's id and a Group's the team's: stable while the membership or team
lives. A person has one name in Atrium (`display_name`); SCIM's `name.givenName` / `familyName` are
read from its first word and the rest.
"""

from organizations.models import Membership, Team

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SERVICE_PROVIDER_CONFIG_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
RESOURCE_TYPE_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
SCHEMA_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"
MAX_RESULTS = 200
DOCUMENTATION_URL = "/docs/scim.md"


def _time(value) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def user_name_parts(display_name: str) -> dict:
    given, _, family = (display_name or "").strip().partition(" ")
    return {"formatted": display_name, "givenName": given, "familyName": family}


def user_display_name(data: dict) -> str:
    """The one name Atrium keeps, from what an identity provider sent (displayName, else the name)."""
    name = data.get("name") if isinstance(data.get("name"), dict) else {}
    if data.get("displayName"):
        return str(data["displayName"])
    if name.get("formatted"):
        return str(name["formatted"])
    return " ".join(str(part) for part in (name.get("givenName"), name.get("familyName")) if part)


def user_resource(membership: Membership, *, base_url: str, teams: list[Team]) -> dict:
    user = membership.user
    location = f"{base_url}/Users/{user.pk}"
    return {
        "schemas": [USER_SCHEMA],
        "id": str(user.pk),
        "externalId": membership.scim_external_id or None,
        "userName": user.email,
        "name": user_name_parts(user.display_name),
        "displayName": user.display_name or user.email,
        "active": membership.deactivated_at is None,
        "emails": [{"value": user.email, "type": "work", "primary": True}],
        "groups": [
            {"value": str(team.pk), "display": team.name, "$ref": f"{base_url}/Groups/{team.pk}"}
            for team in teams
        ],
        "meta": {
            "resourceType": "User",
            "created": _time(membership.created_at),
            "lastModified": _time(membership.deactivated_at or membership.created_at),
            "location": location,
        },
    }


def group_resource(team: Team, *, base_url: str) -> dict:
    return {
        "schemas": [GROUP_SCHEMA],
        "id": str(team.pk),
        "displayName": team.name,
        "members": [
            {"value": str(user.pk), "display": user.email, "$ref": f"{base_url}/Users/{user.pk}"}
            for user in team.members.all()
            if not user.is_service_account  # not a User of SCIM's (see scim.selectors)
        ],
        "meta": {
            "resourceType": "Group",
            "created": _time(team.created_at),
            "lastModified": _time(team.created_at),
            "location": f"{base_url}/Groups/{team.pk}",
        },
    }


def list_response(resources: list[dict], *, total: int, start_index: int) -> dict:
    return {
        "schemas": [LIST_SCHEMA],
        "totalResults": total,
        "startIndex": start_index,
        "itemsPerPage": len(resources),
        "Resources": resources,
    }


def error_body(status: int, detail: str, scim_type: str | None = None) -> dict:
    body = {"schemas": [ERROR_SCHEMA], "status": str(status), "detail": detail}
    if scim_type:
        body["scimType"] = scim_type
    return body


def service_provider_config(*, base_url: str) -> dict:
    return {
        "schemas": [SERVICE_PROVIDER_CONFIG_SCHEMA],
        "documentationUri": DOCUMENTATION_URL,
        "patch": {"supported": True},
        "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": True, "maxResults": MAX_RESULTS},
        "changePassword": {"supported": False},
        "sort": {"supported": False},
        "etag": {"supported": False},
        "authenticationSchemes": [
            {
                "type": "oauthbearertoken",
                "name": "SCIM token",
                "description": "Authorization: Bearer atr_scim_…, from the organization's SCIM settings.",
                "documentationUri": DOCUMENTATION_URL,
                "primary": True,
            }
        ],
        "meta": {"resourceType": "ServiceProviderConfig", "location": f"{base_url}/ServiceProviderConfig"},
    }


def resource_types(*, base_url: str) -> list[dict]:
    return [
        {
            "schemas": [RESOURCE_TYPE_SCHEMA],
            "id": name,
            "name": name,
            "endpoint": f"/{name}s",
            "description": description,
            "schema": schema,
            "meta": {"resourceType": "ResourceType", "location": f"{base_url}/ResourceTypes/{name}"},
        }
        for name, schema, description in [
            ("User", USER_SCHEMA, "A member of the organization"),
            ("Group", GROUP_SCHEMA, "A team of the organization"),
        ]
    ]


def _attribute(name: str, type_: str = "string", *, required=False, multi=False, mutability="readWrite",
               uniqueness="none", sub=None) -> dict:  # fmt: skip
    attribute = {
        "name": name,
        "type": type_,
        "multiValued": multi,
        "required": required,
        "caseExact": False,
        "mutability": mutability,
        "returned": "default",
        "uniqueness": uniqueness,
    }
    if sub:
        attribute["subAttributes"] = sub
    return attribute


def schemas(*, base_url: str) -> list[dict]:
    member = [_attribute("value", mutability="immutable"), _attribute("display", mutability="readOnly"),
              _attribute("$ref", "reference", mutability="immutable")]  # fmt: skip
    user = {
        "schemas": [SCHEMA_SCHEMA],
        "id": USER_SCHEMA,
        "name": "User",
        "description": "A member of the organization",
        "attributes": [
            _attribute("userName", required=True, uniqueness="server"),
            _attribute(
                "name",
                "complex",
                sub=[_attribute("formatted"), _attribute("givenName"), _attribute("familyName")],
            ),  # fmt: skip
            _attribute("displayName"),
            _attribute("active", "boolean"),
            _attribute("externalId"),
            _attribute(
                "emails",
                "complex",
                multi=True,
                sub=[_attribute("value"), _attribute("type"), _attribute("primary", "boolean")],
            ),  # fmt: skip
            _attribute("groups", "complex", multi=True, mutability="readOnly", sub=member),
        ],
        "meta": {"resourceType": "Schema", "location": f"{base_url}/Schemas/{USER_SCHEMA}"},
    }
    group = {
        "schemas": [SCHEMA_SCHEMA],
        "id": GROUP_SCHEMA,
        "name": "Group",
        "description": "A team of the organization",
        "attributes": [
            _attribute("displayName", required=True, uniqueness="server"),
            _attribute("members", "complex", multi=True, sub=member),
        ],
        "meta": {"resourceType": "Schema", "location": f"{base_url}/Schemas/{GROUP_SCHEMA}"},
    }
    return [user, group]
