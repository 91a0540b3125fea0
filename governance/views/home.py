"""The organization home, /orgs/<org>/: the organization's workspaces the user may see."""

from django.core.paginator import Paginator
from django.shortcuts import render

from organizations.scoping import organization_view
from workspaces.selectors import workspace_list_for_user

WORKSPACES_PER_PAGE = 24


@organization_view()
def organization_home(request):
    organization, access = request.organization, request.access
    if request.session.get("last_organization") != organization.slug:
        request.session["last_organization"] = organization.slug
    search = request.GET.get("q", "").strip()[:100]
    workspaces = workspace_list_for_user(organization=organization, access=access, search=search)
    page = Paginator(workspaces, WORKSPACES_PER_PAGE).get_page(request.GET.get("page"))
    context = {"page": page, "search": search, "organization": organization, "nav": "workspaces"}
    template = "organizations/home.html"
    if request.htmx and request.htmx.target == "workspace-list":
        template += "#workspace-list"
    return render(request, template, context)
