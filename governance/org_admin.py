"""The admin panel of organization Owners, /org-admin/: Django's admin, scoped to what they own.

Who may enter: any active user who holds the Owner permission `organizations.transfer_ownership`
through their membership in at least one organization, staff or not (the login form says so to
others). What they see: every list, form, filter and choice is limited to the organizations they
own. What they change goes through the services, like on the product's own pages, so the rules
(the last Owner, who may grant what), the audit trail and the guardian rows stay right; a refusal
is shown on the form with what was typed.
"""

import csv

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import RelatedOnlyFieldListFilter
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpResponse, HttpResponseRedirect
from django.utils import timezone

from organizations import services as organization_services
from organizations.errors import ServiceError, form_add_refusal, refusal_message
from organizations.models import AuditEvent, Invitation, InvitationStatus, Membership, Organization, Team
from organizations.roles import ORGANIZATION_ROLES, TRANSFER_OWNERSHIP
from workspaces import services as workspace_services
from workspaces.models import Workspace, WorkspaceCustomRole, WorkspaceRoleAssignment, WorkspaceStatus

from . import services

# The organization roles that make someone an Owner, read from the registry, never spelled here.
OWNER_ROLE_KEYS = frozenset(
    key for key, role in ORGANIZATION_ROLES.items() if TRANSFER_OWNERSHIP in role.permissions
)


def owned_organization_ids(user) -> frozenset:
    """The organizations `user` owns (none for anonymous or inactive users)."""
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    owned = Membership.objects.active().filter(user=user, role__in=OWNER_ROLE_KEYS)
    return frozenset(owned.values_list("organization_id", flat=True))


def _owned(request) -> frozenset:
    # Asked many times per page (every model, every check): one query per request.
    if not hasattr(request, "_org_admin_owned"):
        request._org_admin_owned = owned_organization_ids(request.user)
    return request._org_admin_owned


def _scoped_choices(model, owned):
    """What a form may offer of `model`: only objects of the owned organizations; nothing unknown."""
    user_model = get_user_model()
    if model is Organization:
        return Organization.objects.filter(pk__in=owned)
    if model is user_model:
        return user_model.objects.filter(memberships__organization__in=owned).distinct().order_by("email")
    if model is Team:
        return Team.objects.filter(organization__in=owned).select_related("organization")
    if model is Workspace:
        return Workspace.objects.live().filter(organization__in=owned).order_by("slug")
    if model is WorkspaceCustomRole:
        return WorkspaceCustomRole.objects.filter(organization__in=owned)
    return model._default_manager.none()


def _csv_cell(value) -> str:
    # A spreadsheet would run a cell starting like a formula; a leading quote keeps it text.
    value = str(value)
    return f"'{value}" if value[:1] in {"=", "+", "-", "@", "\t", "\r"} else value


class OrgAdminAuthenticationForm(AuthenticationForm):
    """The panel's login: any active Owner, staff or not (Django's admin form insists on staff)."""

    required_css_class = "required"
    error_messages = {
        **AuthenticationForm.error_messages,
        "not_owner": "This panel is for organization Owners. Log in with the account of an Owner.",
    }

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if not owned_organization_ids(user):
            raise ValidationError(self.error_messages["not_owner"], code="not_owner")


class OrganizationAdminSite(admin.AdminSite):
    site_header = "Atrium · Organization admin"
    site_title = "Atrium organization admin"
    index_title = "Your organizations"
    login_form = OrgAdminAuthenticationForm

    def has_permission(self, request):
        return bool(_owned(request))


org_admin_site = OrganizationAdminSite(name="org_admin")
# Bulk deletion would skip the services; each admin offers its own safe actions instead.
org_admin_site.disable_action("delete_selected")


# --- Scoping and service-backed writes ------------------------------------------------------------


class OwnedOrganizationAdmin(admin.ModelAdmin):
    """Lists, forms and choices limited to the owned organizations; read-only unless enabled."""

    organization_path = "organization"  # from the model to its Organization
    can_add = can_change = can_delete = False
    list_per_page = 50

    def get_queryset(self, request):
        return super().get_queryset(request).filter(**{f"{self.organization_path}__in": _owned(request)})

    def _owns(self, request, obj) -> bool:
        if obj is None:
            return True
        for name in self.organization_path.split("__"):
            obj = getattr(obj, name, None)
        return obj is not None and obj.pk in _owned(request)

    def has_module_permission(self, request):
        return self.admin_site.has_permission(request)

    def has_view_permission(self, request, obj=None):
        return self.admin_site.has_permission(request) and self._owns(request, obj)

    def has_add_permission(self, request):
        return self.can_add and self.admin_site.has_permission(request)

    def has_change_permission(self, request, obj=None):
        return self.can_change and self.has_view_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self.can_delete and self.has_view_permission(request, obj)

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        owned = _owned(request)
        if self.organization_path == "organization" and len(owned) == 1:
            initial.setdefault("organization", next(iter(owned)))  # the only choice, chosen already
        return initial

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        kwargs["queryset"] = _scoped_choices(db_field.related_model, _owned(request))
        return _label_people(super().formfield_for_foreignkey(db_field, request, **kwargs))

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        kwargs["queryset"] = _scoped_choices(db_field.related_model, _owned(request))
        return _label_people(super().formfield_for_manytomany(db_field, request, **kwargs))


def _label_people(field):
    """People are told apart by e-mail in choices (display names repeat)."""
    if field is not None and field.queryset.model is get_user_model():
        field.label_from_instance = lambda user: (
            f"{user.display_name} ({user.email})" if user.display_name else user.email
        )
    return field


def _add_refusal(form, refusal: ValidationError) -> None:
    if hasattr(refusal, "error_dict"):
        for field, errors in refusal.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form_add_refusal(form, refusal)


class ServiceBackedAdmin(OwnedOrganizationAdmin):
    """Saves and deletes call services (`save_model`, `delete_model`). When a service refuses with a
    ValidationError, the attempt is rolled back (the admin wraps it in a transaction) and the form is
    shown again with the reason and what was typed."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except (ServiceError, ValidationError) as refusal:
            request._org_admin_refusal = refusal
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        refusal = getattr(request, "_org_admin_refusal", None)
        if refusal is None:
            return form_class

        class RefusedForm(form_class):
            def clean(self):
                cleaned = super().clean()
                _add_refusal(self, refusal)
                return cleaned

        return RefusedForm

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except (ServiceError, ValidationError) as refusal:
            self.message_user(request, refusal_message(refusal), messages.ERROR)
            return HttpResponseRedirect(request.path.rsplit("delete/", 1)[0] + "change/")

    def save_related(self, request, form, formsets, change):
        """Relations are written by the services in save_model, never directly by the form."""


def _adopt(obj, saved) -> None:
    """Make the admin's unsaved form instance stand for the object the service saved."""
    obj.__dict__.update(saved.__dict__)


# --- Organizations ---------------------------------------------------------------------------------


@admin.register(Membership, site=org_admin_site)
class MembershipAdmin(ServiceBackedAdmin):
    can_change = can_delete = True
    list_display = ["email", "name", "organization", "role", "created_at"]
    list_filter = ["role", ("organization", RelatedOnlyFieldListFilter)]
    list_select_related = ["user", "organization"]
    search_fields = ["user__email", "user__display_name"]
    fields = ["organization", "user", "role", "created_at"]
    readonly_fields = ["organization", "user", "created_at"]
    actions = ["export_members_csv"]

    @admin.display(ordering="user__email", description="e-mail")
    def email(self, membership):
        return membership.user.email

    @admin.display(ordering="user__display_name", description="name")
    def name(self, membership):
        return membership.user.display_name

    def save_model(self, request, obj, form, change):
        organization_services.membership_change_role(membership=obj, role=obj.role, acting_user=request.user)

    def delete_model(self, request, obj):
        services.membership_remove(membership=obj, acting_user=request.user)

    @admin.action(description="Export members as CSV")
    def export_members_csv(self, request, queryset):
        response = HttpResponse(content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="members-{timezone.now():%Y%m%d-%H%M}.csv"'
        writer = csv.writer(response)
        writer.writerow(["email", "name", "organization", "role", "joined"])
        for membership in queryset.select_related("user", "organization").order_by(
            "organization__name", "user__email"
        ):
            writer.writerow(
                [
                    _csv_cell(membership.user.email),
                    _csv_cell(membership.user.display_name),
                    _csv_cell(membership.organization.name),
                    membership.get_role_display(),
                    membership.created_at.isoformat(),
                ]
            )
        return response


class TeamForm(forms.ModelForm):
    class Meta:
        model = Team
        fields = ["organization", "name", "description", "role", "members"]

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        organization = self.cleaned_data.get("organization") or getattr(self.instance, "organization", None)
        same = Team.objects.filter(organization=organization, name__iexact=name).exclude(pk=self.instance.pk)
        if organization is not None and same.exists():
            raise ValidationError("A team with this name already exists in this organization.")
        return name


@admin.register(Team, site=org_admin_site)
class TeamAdmin(ServiceBackedAdmin):
    can_add = can_change = can_delete = True
    form = TeamForm
    list_display = ["name", "organization", "role", "member_count", "created_at"]
    list_filter = [("organization", RelatedOnlyFieldListFilter), "role"]
    list_select_related = ["organization"]
    search_fields = ["name", "description"]
    fields = ["organization", "name", "description", "role", "members"]
    filter_horizontal = ["members"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_count=Count("members", distinct=True))

    @admin.display(ordering="member_count", description="members")
    def member_count(self, team):
        return team.member_count

    def get_readonly_fields(self, request, obj=None):
        return ["organization"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        fields = {"name": obj.name, "description": obj.description, "role": obj.role}
        if change:
            saved = organization_services.team_update(
                team=Team.objects.get(pk=obj.pk), acting_user=request.user, **fields
            )
        else:
            saved = organization_services.team_create(
                organization=obj.organization, acting_user=request.user, **fields
            )
        _adopt(obj, saved)

    def save_related(self, request, form, formsets, change):
        team = form.instance
        wanted = set(form.cleaned_data.get("members", []))
        current = set(team.members.all())
        for user in sorted(wanted - current, key=lambda u: u.email):
            services.team_member_add(team=team, user=user, acting_user=request.user)
        for user in sorted(current - wanted, key=lambda u: u.email):
            services.team_member_remove(team=team, user=user, acting_user=request.user)

    def delete_model(self, request, obj):
        services.team_delete(team=obj, acting_user=request.user)


@admin.register(Invitation, site=org_admin_site)
class InvitationAdmin(ServiceBackedAdmin):
    can_add = True
    list_display = ["email", "organization", "role", "status_now", "invited_by", "expires_at", "send_count"]
    list_filter = ["status", "role", ("organization", RelatedOnlyFieldListFilter)]
    list_select_related = ["organization", "invited_by"]
    search_fields = ["email"]
    actions = ["resend_invitations", "revoke_invitations"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["organization", "email", "role"]
        return ["organization", "email", "role", "status", "invited_by", "created_at", "expires_at",
                "last_sent_at", "send_count", "accepted_by", "accepted_at"]  # fmt: skip

    @admin.display(description="status")
    def status_now(self, invitation):
        return invitation.get_effective_status_display()

    def save_model(self, request, obj, form, change):
        saved = services.invitation_create(
            organization=obj.organization, email=obj.email, role=obj.role, acting_user=request.user
        )
        _adopt(obj, saved)

    def _each(self, request, queryset, service, done: str):
        count, skipped = 0, []
        for invitation in queryset.select_related("organization"):
            if invitation.status != InvitationStatus.PENDING:
                skipped.append(invitation.email)
                continue
            try:
                service(invitation=invitation, acting_user=request.user)
            except (ServiceError, ValidationError) as refusal:  # e.g. a resend over the hourly limit
                self.message_user(request, refusal_message(refusal), messages.ERROR)
                continue
            count += 1
        if count:
            self.message_user(
                request, f"{done} {count} invitation{'s' if count != 1 else ''}.", messages.SUCCESS
            )
        if skipped:
            self.message_user(
                request, f"Skipped, as they are no longer pending: {', '.join(skipped)}.", messages.WARNING
            )

    @admin.action(description="Resend invitations")
    def resend_invitations(self, request, queryset):
        self._each(request, queryset, organization_services.invitation_resend, "Resent")

    @admin.action(description="Revoke invitations")
    def revoke_invitations(self, request, queryset):
        self._each(request, queryset, organization_services.invitation_revoke, "Revoked")


@admin.register(AuditEvent, site=org_admin_site)
class AuditEventAdmin(OwnedOrganizationAdmin):
    """Read-only: the audit trail is append-only."""

    list_display = [
        "created_at",
        "organization",
        "actor_email",
        "action",
        "target_type",
        "target_label",
        "ip_address",
    ]
    list_filter = ["action", ("organization", RelatedOnlyFieldListFilter)]
    list_select_related = ["organization"]
    search_fields = ["actor_email", "target_label", "action"]
    fields = ["created_at", "organization", "actor_email", "action", "target_type", "target_id", "target_label",
              "before", "after", "ip_address"]  # fmt: skip


# --- Workspaces ------------------------------------------------------------------------------------


@admin.register(Workspace, site=org_admin_site)
class WorkspaceAdmin(ServiceBackedAdmin):
    can_change = True
    list_display = ["slug", "display_name", "organization", "status", "desired_state", "created_at"]
    list_filter = ["status", ("organization", RelatedOnlyFieldListFilter)]
    list_select_related = ["organization"]
    search_fields = ["slug", "display_name", "description"]
    fields = ["slug", "display_name", "description", "readme", "organization", "status", "desired_state",
              "status_reason", "server_address", "server_version", "created_by", "created_at"]  # fmt: skip
    # Only what a workspace says about itself is edited here; the ID never changes.
    readonly_fields = ["slug", "organization", "status", "desired_state", "status_reason", "server_address",
                       "server_version", "created_by", "created_at"]  # fmt: skip
    actions = ["deactivate_workspaces"]

    def save_model(self, request, obj, form, change):
        saved = workspace_services.workspace_update(
            workspace=Workspace.objects.select_related("organization").get(pk=obj.pk),
            display_name=obj.display_name,
            description=obj.description,
            readme=obj.readme,
            acting_user=request.user,
        )
        _adopt(obj, saved)

    @admin.action(description="Deactivate workspaces")
    def deactivate_workspaces(self, request, queryset):
        done, refused = [], []
        for workspace in queryset:
            if workspace.status == WorkspaceStatus.DEACTIVATED:
                continue
            try:
                workspace_services.workspace_deactivate(workspace=workspace, acting_user=request.user)
                done.append(workspace.slug)
            except (ServiceError, ValidationError) as error:
                refused.append(refusal_message(error))
        if done:
            self.message_user(request, f"Deactivated {', '.join(done)}.", messages.SUCCESS)
        elif not refused:
            self.message_user(request, "The selected workspaces were already deactivated.", messages.INFO)
        for reason in refused:
            self.message_user(request, reason, messages.ERROR)


class WorkspaceRoleAssignmentForm(forms.ModelForm):
    class Meta:
        model = WorkspaceRoleAssignment
        fields = ["workspace", "user", "team", "role", "custom_role"]
        labels = {"user": "Person"}
        help_texts = {
            "user": "A member of the workspace's organization, or leave empty and choose a team.",
            "custom_role": "Or one of the organization's custom roles instead of a predefined role.",
        }

    def clean(self):
        cleaned = super().clean()
        if "user" in self.fields:  # adding: who gets the role is chosen once
            user, team, workspace = cleaned.get("user"), cleaned.get("team"), cleaned.get("workspace")
            if bool(user) == bool(team):
                self.add_error("user", "Choose either a person or a team, not both.")
            elif workspace and workspace.role_assignments.filter(user=user, team=team).exists():
                self.add_error(
                    "user" if user else "team",
                    f"{user or team} already has a role on {workspace.slug}; change that assignment instead.",
                )
        if bool(cleaned.get("role")) == bool(cleaned.get("custom_role")):
            self.add_error("role", "Choose either a predefined role or a custom role, not both.")
        return cleaned


@admin.register(WorkspaceRoleAssignment, site=org_admin_site)
class WorkspaceRoleAssignmentAdmin(ServiceBackedAdmin):
    organization_path = "workspace__organization"
    can_add = can_change = can_delete = True
    form = WorkspaceRoleAssignmentForm
    list_display = ["workspace", "principal_name", "role_name", "created_at"]
    list_filter = ["role", ("custom_role", RelatedOnlyFieldListFilter),
                   ("workspace__organization", RelatedOnlyFieldListFilter)]  # fmt: skip
    list_select_related = ["workspace", "user", "team", "custom_role"]
    search_fields = ["workspace__slug", "workspace__display_name", "user__email", "team__name"]

    def get_readonly_fields(self, request, obj=None):
        return ["workspace", "user", "team"] if obj is not None else []

    @admin.display(description="person or team")
    def principal_name(self, assignment):
        return f"Team {assignment.team.name}" if assignment.team_id else assignment.user.email

    @admin.display(description="role")
    def role_name(self, assignment):
        return assignment.role_definition.label

    def save_model(self, request, obj, form, change):
        saved = workspace_services.workspace_role_assign(
            workspace=obj.workspace,
            user=obj.user,
            team=obj.team,
            role=obj.role,
            custom_role=obj.custom_role,
            acting_user=request.user,
        )
        _adopt(obj, saved)

    def delete_model(self, request, obj):
        workspace_services.workspace_role_remove(assignment=obj, acting_user=request.user)
