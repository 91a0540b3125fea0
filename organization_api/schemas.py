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


class PageQuery(Schema):
    offset: int = Field(0, ge=0)
    limit: int = Field(50, ge=1, le=100)


class UserOut(Schema):
    id: int
    email: str
    name: str


class MemberOut(Schema):
    id: int = Field(description="The membership's id.")
    user: UserOut
    role: str
    created_at: datetime
    active: bool = Field(
        description="False when an identity provider deactivated the member (SCIM): no access."
    )
    provisioned_by_scim: bool = Field(description="Added or managed by the identity provider through SCIM.")


class MemberPage(Schema):
    items: list[MemberOut]
    count: int
    next: str | None


class MemberPatchIn(_Input):
    role: str


class InvitationOut(Schema):
    id: int
    email: str
    role: str
    status: str
    invited_by: str | None
    created_at: datetime
    expires_at: datetime


class InvitationPage(Schema):
    items: list[InvitationOut]
    count: int
    next: str | None


class InvitationCreateIn(_Input):
    email: str
    role: str = "member"


class TeamOut(Schema):
    id: int
    name: str
    description: str
    role: str = Field(description="The organization role every member gets through the team, or empty.")
    member_count: int
    created_at: datetime


class TeamPage(Schema):
    items: list[TeamOut]
    count: int
    next: str | None


class TeamDetailOut(TeamOut):
    members: list[UserOut]


class TeamCreateIn(_Input):
    name: str
    description: str = ""
    role: str = ""


class TeamPatchIn(_Input):
    name: str | None = None
    description: str | None = None
    role: str | None = None


class RoleOut(Schema):
    id: str = Field(description="A predefined role's key, or custom:<id> for a custom role.")
    name: str
    custom: bool
    base_role: str
    description: str
    permissions: list[str]


class RoleCreateIn(_Input):
    name: str
    base_role: str
    description: str = ""


class RoleAssignmentOut(Schema):
    id: int
    workspace: str
    user: UserOut | None
    team: int | None
    team_name: str | None
    role: str = Field(description="A predefined role's key, or custom:<id>.")
    created_at: datetime


class RoleAssignmentPage(Schema):
    items: list[RoleAssignmentOut]
    count: int
    next: str | None


class RoleAssignmentCreateIn(_Input):
    workspace: str = Field(description="The workspace ID.")
    user: str | None = Field(None, description="A member's e-mail address (or give `team`).")
    team: int | None = None
    role: str = Field(description="A predefined role's key, or custom:<id>.")


class AuditEventOut(Schema):
    id: int
    created_at: datetime
    action: str
    actor_type: str
    actor: UserOut | None
    actor_email: str
    credential: str | None = Field(description="The token the actor used, if any.")
    target_type: str
    target_id: str
    target_label: str
    principal_type: str
    principal_id: str
    principal_label: str
    before: dict
    after: dict
    ip_address: str | None


class AuditEventPage(Schema):
    items: list[AuditEventOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next (older) page; null on the last."
    )


class TokenPolicyOut(Schema):
    max_token_lifetime_days: int | None = Field(
        description="The longest a personal access token may live (creation to expiry) to act here; null: no maximum."
    )


class TokenPolicyIn(_Input):
    max_token_lifetime_days: int | None


class DimensionValueOut(Schema):
    value: str = Field(description="The key labels and filters use (`label=<dimension>:<value>`).")
    label: str
    color: str


class DimensionValuePolicyOut(DimensionValueOut):
    protected: bool = Field(description="Workspaces holding it are protected.")
    review_cadence_days: int | None = Field(
        description="Workspaces holding it are reviewed at least this often (days); null: no cadence of its own."
    )
    grantable_roles: list[str] = Field(
        description="The workspace roles that may be granted where it is held; empty: every role."
    )


class DimensionValuePolicyIn(_Input):
    protected: bool | None = None
    review_cadence_days: int | None = Field(
        None, description="Days (1–3650); null removes the value's cadence. Absent: unchanged."
    )
    grantable_roles: list[str] | None = Field(
        None,
        description="Predefined workspace role keys; an empty list allows every role. Absent: unchanged.",
    )


class DimensionOut(Schema):
    key: str
    name: str
    required: bool = Field(description="Every new workspace needs a value of it.")
    follows_teams: bool = Field(description="Its values are the organization's teams.")
    values: list[DimensionValuePolicyOut]


# --- Access reviews ---------------------------------------------------------------------------------


class AccessReviewSummaryOut(Schema):
    id: int
    reviewer: str = Field(description="The reviewer's e-mail address.")
    completed_at: datetime
    was_due_at: datetime | None
    next_due_at: datetime | None
    cadence_days: int
    kept: int
    removed: int


class AccessReviewDueOut(Schema):
    workspace: str = Field(description="The workspace ID.")
    name: str
    due_at: datetime | None = Field(description="When its next access review is due.")
    overdue: bool
    last_reviewed_at: datetime | None


class AccessReviewDuePage(Schema):
    items: list[AccessReviewDueOut]
    count: int
    next: str | None


class AccessReviewRowOut(Schema):
    assignment: int | None = Field(
        description="The role assignment's id, to decide on in `decisions`; null for an organization role."
    )
    principal_type: str = Field(description="user or team")
    name: str
    email: str
    role: str
    source: str = Field(description="direct, team or organization role")
    until: str = Field(description="The day the role ends (ISO date), or empty.")
    granted_by: str
    granted_at: datetime | None
    last_activity: datetime | None
    decidable: bool = Field(description="False for the reviewer's own access and organization roles.")
    allowed_by_policy: bool = Field(
        description="False when the workspace's labels no longer allow this role."
    )


class AccessReviewOut(Schema):
    workspace: str
    due_at: datetime | None
    cadence_days: int
    rows: list[AccessReviewRowOut]
    reviews: list[AccessReviewSummaryOut] = Field(description="The last 20 completed reviews, newest first.")


class AccessReviewDecisionIn(_Input):
    assignment: int = Field(description="A role assignment's id, from `rows`.")
    decision: str = Field(description="keep or remove")
    reason: str = ""


class AccessReviewCompleteIn(_Input):
    decisions: list[AccessReviewDecisionIn] = Field(
        description="One decision for every decidable row, none for the others."
    )


# --- Service accounts ---------------------------------------------------------------------------------


class ServiceAccountKeyOut(Schema):
    id: int
    name: str
    hint: str = Field(description="The key's first characters, to recognise it.")
    status: str = Field(description="active, rotating (in its grace period), expired or revoked")
    created_at: datetime
    expires_at: datetime | None = Field(description="The end of its grace period, once rotated.")
    rotated_to: int | None = Field(description="The id of its successor, once rotated.")
    last_used_at: datetime | None
    last_used_ip: str | None
    revoked_at: datetime | None


class ServiceAccountKeyCreatedOut(ServiceAccountKeyOut):
    key: str = Field(description="The key itself (ZENPROKEY_…): shown only in this answer, never again.")


class ServiceAccountKeyPage(Schema):
    items: list[ServiceAccountKeyOut]
    count: int
    next: str | None


class ServiceAccountOut(Schema):
    id: int
    name: str
    description: str
    active: bool
    role: str | None = Field(description="Its organization role.")
    user: UserOut = Field(description="The user it acts as (for role assignments and teams).")
    created_by: str | None
    created_at: datetime
    keys_usable: int = Field(description="How many of its keys still authenticate.")


class ServiceAccountPage(Schema):
    items: list[ServiceAccountOut]
    count: int
    next: str | None


class ServiceAccountCreateIn(_Input):
    name: str
    description: str = ""
    role: str = Field("member", description="An organization role other than owner.")


class ServiceAccountPatchIn(_Input):
    active: bool | None = Field(
        None, description="false deactivates it (its keys stop), true reactivates it."
    )


class ServiceAccountKeyCreateIn(_Input):
    name: str = Field(description="Where the key is kept, e.g. “GitHub Actions”.")


class ServiceAccountKeyRotateIn(_Input):
    grace_hours: int = Field(
        24, ge=0, le=168, description="How long the old key keeps working (hours, 0–168)."
    )
