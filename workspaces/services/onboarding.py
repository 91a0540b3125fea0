"""Ticking the onboarding checklist: only real events do, never a click."""

from .. import onboarding
from ..models import OnboardingStep, Workspace


def onboarding_step_complete(*, workspace: Workspace, key: str) -> bool:
    """Tick one checklist item because its real event happened. Returns True the first time.

    Called by other services (and later by the control plane), never by a person directly, so it
    checks no permission.
    """
    if key not in {item.key for item in onboarding.CHECKLIST}:
        raise ValueError(f"Unknown onboarding step {key!r}")
    _, created = OnboardingStep.objects.get_or_create(workspace=workspace, key=key)
    return created
