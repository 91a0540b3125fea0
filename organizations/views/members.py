"""Placeholder: the views of this area are being written."""

from django.http import Http404

from ..scoping import organization_view


@organization_view()
def member_list(request, **kwargs):
    raise Http404("Not built yet.")


@organization_view()
def member_change_role(request, **kwargs):
    raise Http404("Not built yet.")


@organization_view()
def member_remove(request, **kwargs):
    raise Http404("Not built yet.")


@organization_view()
def ownership_transfer(request, **kwargs):
    raise Http404("Not built yet.")
