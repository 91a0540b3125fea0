"""Placeholder: the views of this area are being written."""

from django.http import Http404

from ..scoping import workspace_view


@workspace_view()
def member_list(request, **kwargs):
    raise Http404("Not built yet.")


@workspace_view()
def member_teams(request, **kwargs):
    raise Http404("Not built yet.")


@workspace_view()
def member_assign(request, **kwargs):
    raise Http404("Not built yet.")


@workspace_view()
def member_change(request, **kwargs):
    raise Http404("Not built yet.")


@workspace_view()
def member_remove(request, **kwargs):
    raise Http404("Not built yet.")
