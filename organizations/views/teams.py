"""Placeholder: the views of this area are being written."""

from django.http import Http404

from ..scoping import organization_view


@organization_view()
def team_list(request, **kwargs):
    raise Http404("Not built yet.")


@organization_view()
def team_detail(request, **kwargs):
    raise Http404("Not built yet.")


@organization_view()
def team_delete(request, **kwargs):
    raise Http404("Not built yet.")


@organization_view()
def team_member_add(request, **kwargs):
    raise Http404("Not built yet.")


@organization_view()
def team_member_remove(request, **kwargs):
    raise Http404("Not built yet.")
