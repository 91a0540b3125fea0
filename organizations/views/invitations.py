"""Placeholder: the views of this area are being written."""

from django.http import Http404

from ..scoping import organization_view


@organization_view()
def invitation_list(request, **kwargs):
    raise Http404("Not built yet.")


@organization_view()
def invitation_bulk(request, **kwargs):
    raise Http404("Not built yet.")


@organization_view()
def invitation_resend(request, **kwargs):
    raise Http404("Not built yet.")


@organization_view()
def invitation_revoke(request, **kwargs):
    raise Http404("Not built yet.")


def invitation_accept(request, token):
    raise Http404("Not built yet.")
