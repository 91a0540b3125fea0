"""Placeholder: the views of this area are being written."""

from django.http import Http404

from organizations.scoping import organization_view


@organization_view()
def role_list(request, **kwargs):
    raise Http404("Not built yet.")


@organization_view()
def role_detail(request, **kwargs):
    raise Http404("Not built yet.")


@organization_view()
def role_cell(request, **kwargs):
    raise Http404("Not built yet.")


@organization_view()
def role_delete(request, **kwargs):
    raise Http404("Not built yet.")
