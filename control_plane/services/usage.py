"""What a workspace's server reports about itself: usage events and its status."""

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Greatest

from workspaces import onboarding
from workspaces.models import Workspace
from workspaces.services import onboarding_step_complete

from ..models import UsageCount

# ZenML's `reportable_resources` in cloud mode; anything else is counted too, but ticks nothing.
FIRST_RUN_FEATURE = "pipeline_run"


@transaction.atomic
def usage_event_record(*, workspace: Workspace, feature: str, delta: int) -> UsageCount:
    """Count one created (+1) or deleted (-1) resource of `feature` in the workspace (never below
    zero); the first pipeline run ticks "Run a first pipeline"."""
    count, _ = UsageCount.objects.get_or_create(workspace=workspace, feature=feature[:40])
    UsageCount.objects.filter(pk=count.pk).update(total=Greatest(F("total") + delta, 0))
    count.refresh_from_db(fields=["total"])
    if feature == FIRST_RUN_FEATURE and delta > 0:
        onboarding_step_complete(workspace=workspace, key=onboarding.FIRST_PIPELINE)
    return count
