"""What a workspace's server reports about itself: usage events and its status."""

from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from workspaces import onboarding
from workspaces.models import Workspace
from workspaces.services import onboarding_step_complete

from ..models import UsageCount, UsageDay

# ZenML's `reportable_resources` in cloud mode; anything else is counted too, but ticks nothing.
FIRST_RUN_FEATURE = "pipeline_run"
# Features counted per day too (for "runs in the last 7 days"), and how long those days are kept.
DAILY_FEATURES = frozenset({FIRST_RUN_FEATURE})
USAGE_DAYS_KEPT = timedelta(days=30)


@transaction.atomic
def usage_event_record(*, workspace: Workspace, feature: str, delta: int) -> UsageCount:
    """Count one created (+1) or deleted (-1) resource of `feature` in the workspace (never below
    zero); a created pipeline run is also counted on today's `UsageDay` (and days older than
    `USAGE_DAYS_KEPT` are purged, once a day per workspace); the first pipeline run ticks "Run a first
    pipeline"."""
    count, _ = UsageCount.objects.get_or_create(workspace=workspace, feature=feature[:40])
    UsageCount.objects.filter(pk=count.pk).update(total=Greatest(F("total") + delta, 0))
    count.refresh_from_db(fields=["total"])
    if feature in DAILY_FEATURES and delta > 0:
        _usage_day_add(workspace=workspace, feature=feature, delta=delta)
    if feature == FIRST_RUN_FEATURE and delta > 0:
        onboarding_step_complete(workspace=workspace, key=onboarding.FIRST_PIPELINE)
    return count


def _usage_day_add(*, workspace: Workspace, feature: str, delta: int) -> None:
    today = timezone.localdate()
    day, created = UsageDay.objects.get_or_create(workspace=workspace, feature=feature, day=today)
    UsageDay.objects.filter(pk=day.pk).update(total=F("total") + delta)
    if created:  # the first event of a day, not every event, sweeps the old days of every workspace
        UsageDay.objects.filter(day__lt=today - USAGE_DAYS_KEPT).delete()
