from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from config.page_cache import cached_page
from organizations.errors import REFUSALS_SHOWN_IN_PLACE, form_add_refusal, refusal_message
from organizations.models import DimensionValue
from organizations.roles import CREATE_WORKSPACE, MANAGE_POLICIES
from organizations.scoping import organization_view
from organizations.selectors import naming_convention_for

from .. import services
from ..forms import (
    WorkspaceDetailsForm,
    WorkspaceGrantForm,
    WorkspaceOrganizeForm,
    WorkspaceSettingsForm,
    chosen_label_values,
)
from ..identifiers import suggest_workspace_id
from ..naming import available_suggestion
from ..policies import policy_from_values
from ..roles import CHANGE_WORKSPACE, MANAGE_WORKSPACE_LIFECYCLE, WORKSPACE_ROLES
from ..scoping import workspace_view
from ..selectors import organization_members_for_grants, workspace_checklist, workspace_id_check
from ..services.deletion import restore_days
from ..stepper import STEP_KEYS, STEPS, WorkspaceDraft, step_after, step_before

NEW_WORKSPACE_PERMISSION = f"organizations.{CREATE_WORKSPACE}"


def _naming_check(convention, draft: WorkspaceDraft, labels: dict[str, str] | None = None):
    """What the naming convention says of the draft's ID with its labels (or `labels`), or None when
    there is no convention or no ID yet."""
    if not draft.slug:
        return None
    labels = draft.labels if labels is None else labels
    chosen = {key: value for key, value in labels.items() if value}
    return convention.check(draft.slug, labels=chosen, name=draft.name)


def _naming_context(convention, draft: WorkspaceDraft, labels: dict[str, str] | None = None) -> dict:
    """The naming convention, its check of the draft and a free conforming ID to suggest, if any."""
    check = _naming_check(convention, draft, labels)
    suggestion = ""
    if check is not None and check.state != "conforms" and check.suggestion:
        chosen = {key: value for key, value in (draft.labels if labels is None else labels).items() if value}
        suggestion = available_suggestion(convention=convention, suggestion=check.suggestion, labels=chosen)
    return {"naming": convention, "naming_check": check, "naming_suggestion": suggestion}


class Stepper:
    """The New Workspace stepper for one request: the draft, the organization's choices, the forms."""

    def __init__(self, request):
        self.request = request
        self.organization = request.organization
        self.draft = WorkspaceDraft.load(request.session, self.organization)
        self.dimensions = list(self.organization.dimensions.prefetch_related("values"))
        self.members = list(
            organization_members_for_grants(organization=self.organization, exclude_user=request.user)
        )
        self.teams = list(self.organization.teams.all())
        self.custom_roles = {f"custom:{role.pk}": role for role in self.organization.workspace_roles.all()}
        self.convention = naming_convention_for(organization=self.organization, dimensions=self.dimensions)

    def url(self, step: str) -> str:
        return reverse("workspaces:new", args=[self.organization.slug]) + f"?step={step}"

    def save(self) -> None:
        self.draft.save(self.request.session, self.organization)

    def details_form(self, bound=True) -> WorkspaceDetailsForm:
        return WorkspaceDetailsForm(
            self.draft.details_data() if bound else None, initial=self.draft.details_data()
        )

    def organize_form(self) -> WorkspaceOrganizeForm:
        """Bound once the Organize step was submitted (so its errors show), blank before: then an ID
        that fits the naming convention preselects the labels it names."""
        data = self.draft.organize_data() if self.draft.labels_taken else None
        initial = self.draft.organize_data()
        if not self.draft.labels:
            check = self.naming_check()
            if check is not None and check.state == "fits":
                initial = {f"label_{key}": value for key, value in check.inferred.items()}
        return WorkspaceOrganizeForm(data, initial=initial, dimensions=self.dimensions)

    def naming_check(self, labels: dict[str, str] | None = None):
        return _naming_check(self.convention, self.draft, labels)

    def naming_context(self, labels: dict[str, str] | None = None) -> dict:
        return _naming_context(self.convention, self.draft, labels)

    def use_suggestion(self, *, typed: bool = True) -> None:
        """Take the suggested conforming ID: as if the person had typed it (`typed`), or as the ID
        suggested for them, which the name no longer replaces either way once the labels are chosen."""
        suggestion = self.naming_context()["naming_suggestion"]
        if suggestion:
            self.draft.slug, self.draft.slug_edited = suggestion, True
            self.draft.slug_from_convention = not typed
            self.save()

    def organize_valid(self) -> bool:
        return WorkspaceOrganizeForm(self.draft.organize_data(), dimensions=self.dimensions).is_valid()

    def allowed(self, step: str) -> str:
        """`step`, or the earlier step that must be put right first: valid details before anything
        else, a value for every required dimension before Access and Review."""
        index = STEP_KEYS.index(step)
        if index > STEP_KEYS.index("details") and not self.details_valid():
            return "details"
        if index > STEP_KEYS.index("organize") and not self.organize_valid():
            return "organize"
        return step

    def grantable_roles(self) -> frozenset[str] | None:
        """The role keys the labels chosen at Organize let be granted (None: every role), as
        `workspace_create` will check them."""
        return policy_from_values(self.label_values()).grantable_roles

    def role_limits(self) -> dict | None:
        """Why some roles are not offered: the roles left out and the labels that leave them out."""
        allowed = self.grantable_roles()
        if allowed is None:
            return None
        left_out = [role.label for role in WORKSPACE_ROLES.values() if role.key not in allowed]
        limiting = [f"{v.dimension.name}: {v.label}" for v in self.label_values() if v.grantable_roles]
        return {"left_out": left_out, "labels": limiting} if left_out else None

    def grant_form(self, data=None) -> WorkspaceGrantForm:
        granted = {g.get("principal") for g in self.draft.grants}
        return WorkspaceGrantForm(
            data,
            members=[m for m in self.members if f"user:{m.user_id}" not in granted],
            teams=[t for t in self.teams if f"team:{t.pk}" not in granted],
            custom_roles=list(self.custom_roles.values()),
            grantable=self.grantable_roles(),
        )

    def details_valid(self) -> bool:
        return self.details_form().is_valid()

    def grants(self) -> list[dict]:
        """The draft's grants resolved to people and teams that (still) belong to the organization."""
        principals = {f"user:{m.user_id}": m.user for m in self.members}
        principals |= {f"team:{t.pk}": t for t in self.teams}
        resolved = []
        allowed = self.grantable_roles()
        for grant in self.draft.grants:
            principal = principals.get(grant.get("principal"))
            role = WORKSPACE_ROLES.get(grant.get("role")) or self.custom_roles.get(grant.get("role"))
            if principal is None or role is None:
                continue
            is_team = grant["principal"].startswith("team:")
            resolved.append(
                {
                    "key": grant["principal"],
                    "name": f"Team {principal.name}" if is_team else principal.get_full_name(),
                    "email": "" if is_team else principal.email,
                    "user": None if is_team else principal,
                    "team": principal if is_team else None,
                    "role": role,
                    # chosen before the labels changed: workspace_create would refuse it
                    "forbidden": allowed is not None
                    and (getattr(role, "base_role", None) or role.key) not in allowed,
                }
            )
        return resolved

    def label_values(self) -> list[DimensionValue]:
        values = chosen_label_values(self.dimensions, self.draft.labels)
        dimensions = {d.pk: d for d in self.dimensions}
        for value in values:
            value.dimension = dimensions[value.dimension_id]  # loaded already: no query for its name
        return values

    def label_summary(self) -> list[tuple[str, str]]:
        chosen = {value.dimension_id: value.label for value in self.label_values()}
        return [(dimension.name, chosen.get(dimension.pk, "")) for dimension in self.dimensions]

    def render(self, step: str, forms: dict | None = None, status: int = 200):
        forms = forms or {}
        if step == "details" and "details" not in forms:
            forms["details"] = self.details_form(bound=bool(self.draft.slug or self.draft.name))
        if step == "organize":
            forms.setdefault("organize", self.organize_form())
        if step == "access":
            forms.setdefault("grant", self.grant_form())
        context = {
            "organization": self.organization,
            "nav": "workspaces",
            "steps": STEPS,
            "step": step,
            "step_index": STEP_KEYS.index(step),
            "draft": self.draft,
            "forms": forms,
            "grants": self.grants(),
            "label_summary": self.label_summary(),
            "id_check": workspace_id_check(self.draft.slug) if self.draft.slug else None,
            "roles": WORKSPACE_ROLES.values(),
            "role_limits": self.role_limits() if step == "access" else None,
            **self.naming_context(),
        }
        template = "workspaces/new.html#stepper" if self.request.htmx else "workspaces/new.html"
        response = render(self.request, template, context, status=status)
        if self.request.htmx:
            response["HX-Push-Url"] = self.url(step)
        return response

    def go(self, step: str):
        """Show `step` (or the earlier one to put right first): in place for htmx, through a redirect
        (so reload and back work) otherwise."""
        step = self.allowed(step)
        if self.request.htmx:
            return self.render(step)
        return redirect(self.url(step))


@organization_view(permission=NEW_WORKSPACE_PERMISSION)
def workspace_new(request):
    stepper = Stepper(request)
    step = request.POST.get("step") or request.GET.get("step") or "details"
    if step not in STEP_KEYS:
        step = "details"
    if request.method != "POST":
        if "label" in request.GET:  # labels preset by a link (a matrix cell): kept, then a clean URL
            stepper.draft.preset_labels(request.GET.getlist("label"), stepper.dimensions)
            stepper.save()
            return redirect(stepper.url(step))
        if stepper.allowed(step) != step:
            return stepper.go(step)
        return stepper.render(step)

    # Keep what was typed first, whatever happens next.
    if step == "details":
        stepper.draft.take_details(request.POST)
        if not stepper.draft.slug.strip() and stepper.draft.name.strip():
            stepper.draft.slug = suggest_workspace_id(stepper.draft.name)
    elif step == "organize":
        stepper.draft.take_labels(request.POST, stepper.dimensions)
        if request.POST.get("action", "next") == "next" and not stepper.draft.slug_edited:
            # An ID the person never typed (it came from the name) becomes the conforming one.
            stepper.use_suggestion(typed=False)
    stepper.save()

    action = request.POST.get("action", "next")
    if action == "save":  # the autosave while typing: the draft is stored, nothing else changes
        return HttpResponse(status=204)
    if action == "back":
        return stepper.go(step_before(step))
    if action == "use-suggestion":
        stepper.use_suggestion()
        return stepper.render(step) if request.htmx else redirect(stepper.url(step))
    if action.startswith("goto:") and action[5:] in STEP_KEYS:
        return stepper.go(action[5:])
    if step == "access" and action == "add":
        form = stepper.grant_form(request.POST)
        if not form.is_valid():
            return stepper.render("access", {"grant": form})
        stepper.draft.grant_add(form.cleaned_data["member"], form.cleaned_data["role"])
        stepper.save()
        return stepper.go("access")
    if step == "access" and action.startswith("remove:"):
        stepper.draft.grant_remove(action.split(":", 1)[1])
        stepper.save()
        return stepper.go("access")
    if step == "details":
        form = stepper.details_form()
        if not form.is_valid():
            return stepper.render("details", {"details": form})
    if step == "organize":
        form = WorkspaceOrganizeForm(stepper.draft.organize_data(), dimensions=stepper.dimensions)
        if not form.is_valid():
            return stepper.render("organize", {"organize": form})
    if step == "review" and action == "create":
        return _workspace_create_from_draft(request, stepper)
    return stepper.go(step_after(step))


def _workspace_create_from_draft(request, stepper: Stepper):
    form = stepper.details_form()
    if not form.is_valid():
        return stepper.render("details", {"details": form})
    organize = WorkspaceOrganizeForm(stepper.draft.organize_data(), dimensions=stepper.dimensions)
    if not organize.is_valid():  # a dimension became required meanwhile, or a value was removed
        return stepper.render("organize", {"organize": organize})
    grants = [
        services.RoleGrant(
            role=getattr(g["role"], "key", ""),
            custom_role=None if hasattr(g["role"], "key") else g["role"],
            user=g["user"],
            team=g["team"],
        )
        for g in stepper.grants()
    ]
    try:
        workspace = services.workspace_create(
            organization=stepper.organization,
            slug=form.cleaned_data["slug"],
            display_name=form.cleaned_data["name"],
            description=form.cleaned_data["description"],
            label_values=stepper.label_values(),
            grants=grants,
            acting_user=request.user,
        )
    except REFUSALS_SHOWN_IN_PLACE as error:
        if getattr(error, "field", "") and error.field.startswith("label_"):
            form_add_refusal(organize, error)
            return stepper.render("organize", {"organize": organize})
        form_add_refusal(form, error)  # a {"slug": …} error lands on the Workspace ID field
        return stepper.render("details", {"details": form})
    WorkspaceDraft.discard(request.session, stepper.organization)
    messages.success(request, f"Workspace “{workspace.display_name}” created. It is being provisioned.")
    url = reverse("workspaces:overview", args=[workspace.slug])
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


@require_GET
@cached_page
@organization_view(permission=NEW_WORKSPACE_PERMISSION)
def workspace_id_check_view(request):
    """The live check under the Workspace ID field: a small fragment, never the whole page.

    With a naming convention, the naming check comes along (swapped out of band), against the labels
    of the draft, or those of the Organize step's form while it is being filled in (`label_<key>`).
    `part=naming` answers the naming check alone (the Organize step's live line).
    """
    organization = request.organization
    draft = WorkspaceDraft.load(request.session, organization)
    convention = naming_convention_for(organization=organization)
    slug = request.GET.get("slug", "").strip()
    if "slug" in request.GET:
        draft.slug = slug
    labels = None
    if any(key.startswith("label_") for key in request.GET):
        labels = {key: request.GET.get(f"label_{key}", "")[:100] for key in convention.dimensions}
    context = {"organization": organization, "draft": draft, **_naming_context(convention, draft, labels)}
    if request.GET.get("part") == "naming":
        return render(request, "workspaces/new.html#naming-check", {**context, "step": "organize"})
    context["step"] = "details"
    context["id_check"] = workspace_id_check(slug) if slug else None
    response = render(request, "workspaces/new.html#id-check", context)
    if convention.active:
        context["naming_oob"] = True
        response.content += render(request, "workspaces/new.html#naming-check", context).content
    return response


@organization_view(permission=NEW_WORKSPACE_PERMISSION)
def workspace_new_discard(request):
    if request.method == "POST":
        WorkspaceDraft.discard(request.session, request.organization)
    return redirect("organizations:home", org_slug=request.organization.slug)


def _overview_context(request):
    workspace = request.workspace
    checklist = workspace_checklist(workspace)
    # "All set" is said once, the first time the complete checklist is seen; then it stays folded.
    celebrated = request.session.get("onboarding_celebrated", [])
    onboarding_celebrated = str(workspace.pk) in celebrated
    if checklist.complete and not onboarding_celebrated and not request.htmx:
        request.session["onboarding_celebrated"] = [*celebrated, str(workspace.pk)][-200:]
    return {
        "workspace": workspace,
        "organization": workspace.organization,
        "labels": list(workspace.labels.select_related("dimension", "value")),
        "checklist": checklist,
        "onboarding_celebrated": onboarding_celebrated,
        "may_manage_lifecycle": request.access.can(f"workspaces.{MANAGE_WORKSPACE_LIFECYCLE}", workspace),
        "tab": "overview",
    }


@cached_page
@workspace_view()
def workspace_overview(request):
    return render(request, "workspaces/overview.html", _overview_context(request))


@require_GET
@workspace_view()
def workspace_status(request):
    """Polled by the overview while the workspace provisions; the fragment stops the polling itself."""
    if not request.htmx:
        return redirect("workspaces:overview", workspace_slug=request.workspace.slug)
    return render(request, "workspaces/overview.html#status-panel", _overview_context(request))


@require_GET
@workspace_view()
def workspace_onboarding(request):
    """Polled by the overview while the server has checklist items to tick. Unchanged: 204, so htmx
    leaves the panel alone (an open "Show command" stays open); changed: the new panel."""
    if not request.htmx:
        return redirect("workspaces:overview", workspace_slug=request.workspace.slug)
    context = _overview_context(request)
    if request.GET.get("done") == str(context["checklist"].done_count):
        return HttpResponse(status=204)
    return render(request, "workspaces/overview.html#onboarding-panel", context)


@require_POST
@workspace_view()
def workspace_retry(request):
    try:
        services.workspace_retry_provisioning(workspace=request.workspace, acting_user=request.user)
        messages.success(request, "Provisioning restarted.")
    except REFUSALS_SHOWN_IN_PLACE as error:
        messages.error(request, refusal_message(error))
    url = reverse("workspaces:overview", args=[request.workspace.slug])
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def _lifecycle_change(request, change, done: str):
    try:
        change(workspace=request.workspace, acting_user=request.user)
        messages.success(request, done)
    except REFUSALS_SHOWN_IN_PLACE as error:
        messages.error(request, refusal_message(error))
    return redirect("workspaces:overview", workspace_slug=request.workspace.slug)


@require_POST
@workspace_view()
def workspace_deactivate(request):
    return _lifecycle_change(
        request, services.workspace_deactivate, "Workspace deactivated. Its server is stopped."
    )


@require_POST
@workspace_view()
def workspace_reactivate(request):
    return _lifecycle_change(
        request, services.workspace_reactivate, "Workspace reactivated. It is starting again."
    )


@workspace_view(permission=f"workspaces.{CHANGE_WORKSPACE}")
def workspace_settings(request):
    """General settings and the workspace's labels: two forms on one page, told apart by `form`."""
    workspace = request.workspace
    dimensions = list(workspace.organization.dimensions.prefetch_related("values"))
    initial = {
        "display_name": workspace.display_name,
        "description": workspace.description,
        "readme": workspace.readme,
    }
    current_labels = {
        f"label_{label.dimension.key}": label.value.value
        for label in workspace.labels.select_related("dimension", "value")
    }
    posted = request.POST.get("form", "general") if request.method == "POST" else None
    form = WorkspaceSettingsForm(request.POST if posted == "general" else None, initial=initial)
    labels_form = WorkspaceOrganizeForm(
        request.POST if posted == "labels" else None,
        initial=current_labels,
        dimensions=dimensions,
    )
    if posted == "general" and form.is_valid():
        try:
            services.workspace_update(workspace=workspace, acting_user=request.user, **form.cleaned_data)
        except REFUSALS_SHOWN_IN_PLACE as refusal:
            form_add_refusal(form, refusal)
            workspace.refresh_from_db()  # the page shows what is saved, the form what was typed
        else:
            messages.success(request, "Workspace settings saved.")
            return redirect("workspaces:settings", workspace_slug=workspace.slug)
    if posted == "labels" and labels_form.is_valid():
        try:
            services.workspace_labels_update(
                workspace=workspace,
                label_values=chosen_label_values(dimensions, labels_form.labels()),
                acting_user=request.user,
            )
        except REFUSALS_SHOWN_IN_PLACE as refusal:
            form_add_refusal(labels_form, refusal)
        else:
            messages.success(request, "Labels saved.")
            return redirect(reverse("workspaces:settings", args=[workspace.slug]) + "#labels-heading")
    return render(
        request,
        "workspaces/settings_general.html",
        {
            "workspace": workspace,
            "organization": workspace.organization,
            "labels": list(workspace.labels.select_related("dimension", "value")),
            "form": form,
            "labels_form": labels_form,
            "may_manage_dimensions": request.access.can(f"organizations.{MANAGE_POLICIES}"),
            "restore_days": restore_days(),
            "tab": "settings",
        },
    )
