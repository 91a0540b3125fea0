"""What the organization API reads and writes, as JSON."""

from datetime import datetime
from uuid import UUID

from ninja import Field, Schema
from pydantic import ConfigDict


class _Input(Schema):
    # A field the API does not know is refused by name rather than silently ignored.
    model_config = ConfigDict(extra="forbid")


class OrganizationOut(Schema):
    id: UUID
    slug: str = Field(description="The URL key, as in /orgs/<slug>/ and /api/v1/organizations/<slug>.")
    name: str
    description: str
    created_at: datetime
    role: str | None = Field(None, description="The caller's organization role.")


class OrganizationCreateIn(_Input):
    name: str
    description: str = ""


class OrganizationPatchIn(_Input):
    name: str | None = None
    description: str | None = None


class WorkspaceOut(Schema):
    id: str = Field(description="The workspace ID: permanent, unique across Atrium.")
    uuid: UUID
    organization: str = Field(description="The organization's slug.")
    name: str
    description: str
    status: str
    status_reason: str
    desired_state: str
    server_url: str
    server_version: str
    labels: dict[str, str] = Field(description="One value key per dimension key.")
    created_at: datetime
    updated_at: datetime


class WorkspaceDetailOut(WorkspaceOut):
    readme: str


class WorkspaceCreateIn(_Input):
    organization: str = Field(description="The organization's slug.")
    id: str = Field(description="The workspace ID (3–50 lowercase letters, digits, single hyphens).")
    name: str
    description: str = ""
    labels: dict[str, str] = Field(default_factory=dict, description="dimension key → value key")


class WorkspacePatchIn(_Input):
    id: str | None = Field(None, description="Read-only: sending another value is refused.")
    name: str | None = None
    description: str | None = None
    readme: str | None = None
    labels: dict[str, str | None] | None = Field(
        None, description="dimension key → value key; null removes that dimension's value."
    )
