"""Placeholder: the views of this area are being written."""

from django.http import Http404

from ..scoping import organization_view


@organization_view()
def audit_log(request, **kwargs):
    raise Http404("Not built yet.")
