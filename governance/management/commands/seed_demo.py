"""`manage.py seed_demo`: the "Acme ML" demo organization with its people, teams and workspaces.

Safe to run again: everything is looked up by its natural key first and only what is missing is
created, through the same services the pages use (so audit events and guardian rows are right).
`--workspaces N` then grows the organization to N workspaces with `workspace_create_bulk`, and
`--members N` to N members, for benchmarks (`manage.py bench`).
"""

import logging
import random
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings
from django.urls import reverse
from django.utils import timezone

from config.site import FALLBACK_BASE_URL, site_base_url, site_url
from governance.services import team_member_add
from organizations.models import Dimension, DimensionValue, Membership, Organization, Team
from organizations.roles import OrganizationRoleKey
from organizations.services import (
    dimension_create,
    dimension_value_create,
    membership_add,
    organization_create,
    team_create,
)
from workspaces.models import RetiredWorkspaceId, Workspace, WorkspaceStatus
from workspaces.policies import review_schedule_refresh
from workspaces.provisioners import Provisioner, ProvisioningError
from workspaces.roles import WorkspaceRoleKey
from workspaces.selectors import workspace_id_check
from workspaces.services import (
    RoleGrant,
    WorkspaceSpec,
    lifecycle,
    workspace_create,
    workspace_create_bulk,
    workspace_provision,
    workspace_update,
)

DEMO_PASSWORD = "atrium-demo-2026"
ORGANIZATION_NAME = "Acme ML"
ORGANIZATION_SLUG = "acme-ml"
BENCH_PREFIX = "bench-"
BENCH_MEMBER_DOMAIN = "bench.example"


@dataclass(frozen=True)
class DemoUser:
    key: str
    email: str
    display_name: str
    role: str


@dataclass(frozen=True)
class DemoTeam:
    name: str
    description: str
    members: tuple[str, ...]


@dataclass(frozen=True)
class DemoWorkspace:
    slug: str
    name: str
    description: str
    labels: dict[str, str]
    created_by: str = "owner"
    users: tuple[tuple[str, str], ...] = ()  # (user key, workspace role)
    teams: tuple[tuple[str, str], ...] = ()  # (team name, workspace role)
    readme: str = ""
    fails: bool = False


# The owner comes first: the login table is printed in this order.
DEMO_USERS = [
    DemoUser("owner", "owner@acme.example", "Olivia Okafor", OrganizationRoleKey.OWNER),
    DemoUser("admin", "admin@acme.example", "Arjun Mehta", OrganizationRoleKey.ADMIN),
    DemoUser("manager", "manager@acme.example", "Maya Lindqvist", OrganizationRoleKey.MANAGER),
    DemoUser("viewer", "viewer@acme.example", "Victor Chen", OrganizationRoleKey.VIEWER),
    DemoUser("member", "member@acme.example", "Mina Haddad", OrganizationRoleKey.MEMBER),
]

# Added to the default dimensions (organizations/dimensions.py), which only hold placeholders. The team
# dimension's values are the teams themselves (DEMO_TEAMS).
DEMO_DIMENSION_VALUES = {
    "project": [
        ("fraud-detection", "Fraud detection", "red"),
        ("recommendations", "Recommendations", "violet"),
        ("forecasting", "Forecasting", "teal"),
    ],
}

DEMO_TEAMS = [
    DemoTeam(
        "Data Science",
        "Owns the fraud, recommendation and forecasting models end to end.",
        ("manager", "member"),
    ),
    DemoTeam(
        "Platform Engineering",
        "Runs the shared stacks, feature store and monitoring.",
        ("admin", "manager"),
    ),
    DemoTeam(
        "ML Research",
        "Explores new model families before they reach a product team.",
        ("member",),
    ),
]

_FRAUD_README = """# Fraud detection: development

Where the card-fraud models are trained and evaluated before they reach staging.

## Getting started

```bash
pip install zenml
zenml login fraud-detection-dev
python pipelines/train.py --config configs/dev.yaml
```

## Conventions

* One pipeline per model family (`gbdt`, `graph`, `sequence`).
* Tag every run with the Jira ticket it belongs to.
* Data here is **confidential**: sampled and pseudonymised, never copied out.

| stage | owner | promotion |
|---|---|---|
| development | Data Science | on green evaluation |
| staging | Data Science | after shadow traffic |
| production | Platform Engineering | change request |
"""

_FRAUD_PROD_README = """# Fraud detection: production

**Protected workspace.** Only admins grant roles here; changes go through a change request.

## Runbook

1. Check the *model-drift* dashboard in Model Monitoring.
2. If recall drops below 0.92, roll back to the previous model version stage `production`.
3. Page the on-call Data Science engineer.
"""

_RECS_README = """# Recommendations: development

Candidate generation and ranking models for the storefront.

* `two-tower`: retrieval model, retrained nightly
* `ranker`: gradient-boosted ranker on top of the candidates

Ask in *#recs-ml* before changing a shared stack.
"""

_FORECASTING_README = """# Demand forecasting: development

Weekly demand forecasts per store and product family.

```bash
zenml login forecasting-dev
python pipelines/backtest.py --horizon 12w
```

Backtests must beat the seasonal-naive baseline before a model is promoted.
"""

_SANDBOX_README = """# Platform sandbox

Try new stack components and integrations here before they are rolled out.
Anything in this workspace may be deleted without notice.
"""

# A protected demo workspace whose last access review is older than its cadence: the demo shows it overdue.
OVERDUE_REVIEW_SLUGS = {"recommendations-prod"}
OVERDUE_REVIEW_DAYS = 45

DEMO_WORKSPACES = [
    DemoWorkspace(
        "fraud-detection-dev",
        "Fraud Detection (Dev)",
        "Training and evaluation of the card-fraud models.",
        {
            "environment": "development",
            "project": "fraud-detection",
            "team": "data-science",
            "data-sensitivity": "confidential",
        },
        users=(("member", WorkspaceRoleKey.DEVELOPER),),
        readme=_FRAUD_README,
    ),
    DemoWorkspace(
        "fraud-detection-staging",
        "Fraud Detection (Staging)",
        "Shadow scoring of candidate fraud models against live traffic.",
        {
            "environment": "staging",
            "project": "fraud-detection",
            "team": "data-science",
            "data-sensitivity": "confidential",
        },
        teams=(("Data Science", WorkspaceRoleKey.CONTRIBUTOR),),
    ),
    DemoWorkspace(
        "fraud-detection-prod",
        "Fraud Detection (Production)",
        "The fraud models that score every card transaction.",
        {
            "environment": "production",
            "project": "fraud-detection",
            "team": "data-science",
            "data-sensitivity": "highly-confidential",
        },
        readme=_FRAUD_PROD_README,
    ),
    DemoWorkspace(
        "recommendations-dev",
        "Recommendations (Dev)",
        "Experiments on retrieval and ranking models for the storefront.",
        {
            "environment": "development",
            "project": "recommendations",
            "team": "ml-research",
            "data-sensitivity": "internal",
        },
        users=(("member", WorkspaceRoleKey.DEVELOPER),),
        readme=_RECS_README,
    ),
    DemoWorkspace(
        "recommendations-staging",
        "Recommendations (Staging)",
        "A/B test candidates for the storefront recommender.",
        {
            "environment": "staging",
            "project": "recommendations",
            "team": "ml-research",
            "data-sensitivity": "internal",
        },
    ),
    DemoWorkspace(
        "recommendations-prod",
        "Recommendations (Production)",
        "The recommender serving the storefront and the weekly newsletter.",
        {
            "environment": "production",
            "project": "recommendations",
            "team": "ml-research",
            "data-sensitivity": "internal",
        },
        users=(("viewer", WorkspaceRoleKey.VIEWER),),
    ),
    DemoWorkspace(
        "forecasting-dev",
        "Demand Forecasting (Dev)",
        "Backtests of weekly demand forecasts per store and product family.",
        {
            "environment": "development",
            "project": "forecasting",
            "team": "data-science",
            "data-sensitivity": "internal",
        },
        created_by="manager",
        teams=(("Data Science", WorkspaceRoleKey.DEVELOPER),),
        readme=_FORECASTING_README,
    ),
    DemoWorkspace(
        "forecasting-prod",
        "Demand Forecasting (Production)",
        "The forecasts that feed replenishment every Monday morning.",
        {
            "environment": "production",
            "project": "forecasting",
            "team": "data-science",
            "data-sensitivity": "confidential",
        },
        created_by="manager",
    ),
    DemoWorkspace(
        "platform-sandbox",
        "Platform Sandbox",
        "A playground for new stack components and integrations.",
        {
            "environment": "development",
            "project": "default",
            "team": "platform-engineering",
            "data-sensitivity": "public",
        },
        created_by="admin",
        teams=(("Platform Engineering", WorkspaceRoleKey.STACK_ADMIN),),
        readme=_SANDBOX_README,
    ),
    DemoWorkspace(
        "feature-store-staging",
        "Feature Store (Staging)",
        "Feature pipelines and the online store, validated before release.",
        {
            "environment": "staging",
            "project": "default",
            "team": "platform-engineering",
            "data-sensitivity": "internal",
        },
        created_by="admin",
        teams=(("Platform Engineering", WorkspaceRoleKey.STACK_ADMIN),),
    ),
    DemoWorkspace(
        "model-monitoring-prod",
        "Model Monitoring",
        "Drift, latency and data-quality monitors for every production model.",
        {
            "environment": "production",
            "project": "default",
            "team": "platform-engineering",
            "data-sensitivity": "internal",
        },
        created_by="admin",
        teams=(("Platform Engineering", WorkspaceRoleKey.STACK_ADMIN),),
    ),
    # Left `failed` on purpose, so the demo shows a failure reason and the Retry button.
    DemoWorkspace(
        "llm-finetuning-dev",
        "LLM Fine-tuning Lab",
        "Fine-tuning small language models for product search.",
        {
            "environment": "development",
            "project": "recommendations",
            "team": "ml-research",
            "data-sensitivity": "confidential",
        },
        fails=True,
    ),
]

DEMO_FAILURE_REASON = (
    "the GPU node pool had no free capacity (demo data: press Retry to provision the workspace again)"
)


class DemoFailureProvisioner(Provisioner):
    """Fails like a server that cannot start, for the one demo workspace that shows a retry."""

    def start(self, workspace, *, report):
        report("Starting the workspace")
        raise ProvisioningError(DEMO_FAILURE_REASON)

    def health(self, workspace):
        raise NotImplementedError

    def stop(self, workspace):
        return None


@contextmanager
def _silenced(logger_name: str):
    # workspace_provision logs every failure with a traceback; the demo's failure is intended.
    logger = logging.getLogger(logger_name)
    previous, logger.disabled = logger.disabled, True
    try:
        yield
    finally:
        logger.disabled = previous


class Command(BaseCommand):
    help = (
        f"Create the “{ORGANIZATION_NAME}” demo organization with users, teams and a dozen workspaces. "
        f"Safe to run again. Every demo user's password is {DEMO_PASSWORD}."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--workspaces",
            type=int,
            metavar="N",
            help=f"Grow the demo organization to N workspaces in total with bulk-created "
            f"{BENCH_PREFIX}NNNNN workspaces (for benchmarks).",
        )
        parser.add_argument(
            "--members",
            type=int,
            metavar="N",
            help=f"Grow the demo organization to N members in total with {BENCH_PREFIX}member-NNNNN@"
            f"{BENCH_MEMBER_DOMAIN} users who have no password (for benchmarks).",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Seed even with DEBUG off (the demo logins have a published password).",
        )
        parser.add_argument(
            "--base-url",
            metavar="URL",
            help="Where the site will be served (e.g. http://127.0.0.1:8302), for the sign-in links "
            f"printed at the end; ATRIUM_BASE_URL wins when set. Default: {FALLBACK_BASE_URL}.",
        )

    def handle(self, *args, workspaces=None, members=None, force=False, base_url=None, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "Refusing to create demo users with a published password while DEBUG is off. "
                "Use --force if this really is a demo installation."
            )
        if workspaces is not None and workspaces < 0:
            raise CommandError("--workspaces must be 0 or more.")
        if members is not None and members < 0:
            raise CommandError("--members must be 0 or more.")
        # One transaction: a failed run leaves nothing half-seeded, and the provisioning tasks that
        # workspace_create queues on commit only reach the worker once the workspaces are available.
        with transaction.atomic():
            users = self._ensure_users()
            organization = self._ensure_organization(users)
            teams = self._ensure_teams(organization, users)
            values = self._ensure_dimension_values(organization, users["owner"])
            self._ensure_workspaces(organization, users, teams, values)
            if workspaces is not None:
                self._grow(organization, users["owner"], workspaces)
            if members is not None:
                self._grow_members(organization, users["owner"], members)
        with site_base_url(base_url or FALLBACK_BASE_URL):
            self._print_logins(organization, users)

    # People and the organization

    def _ensure_users(self) -> dict:
        User = get_user_model()
        users, created, reset = {}, 0, 0
        for spec in DEMO_USERS:
            user = User.objects.filter(email__iexact=spec.email).first()
            if user is None:
                # Accounts have no service: signing up is this same validation and create_user.
                validate_password(DEMO_PASSWORD, User(email=spec.email, display_name=spec.display_name))
                user = User.objects.create_user(
                    email=spec.email, password=DEMO_PASSWORD, display_name=spec.display_name
                )
                created += 1
            elif not user.check_password(DEMO_PASSWORD):
                # The printed logins must work, so a changed demo password is put back.
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
                reset += 1
            users[spec.key] = user
        message = f"Users: {created} created, {len(users) - created} already there"
        if reset:
            message += f" ({reset} demo password{'s' if reset > 1 else ''} reset)"
        self.stdout.write(message)
        return users

    def _ensure_organization(self, users) -> Organization:
        owner = users["owner"]
        organization = Organization.objects.filter(slug=ORGANIZATION_SLUG).first()
        if organization is None:
            organization = organization_create(
                name=ORGANIZATION_NAME,
                acting_user=owner,
                description="A demo organization created by manage.py seed_demo.",
            )
            if organization.slug != ORGANIZATION_SLUG:  # only if another process took the slug meanwhile
                raise CommandError(f"The URL key “{ORGANIZATION_SLUG}” was taken meanwhile; run again.")
            self.stdout.write(f"Organization “{organization.name}” created")
        elif not Membership.objects.filter(organization=organization, user=owner).exists():
            # Never put users with a published password into somebody else's organization. (Any role
            # will do: a demo may well have tried transferring ownership.)
            raise CommandError(
                f"An organization with the URL key “{ORGANIZATION_SLUG}” exists but is not the demo's "
                f"({owner.email} is not a member). Nothing was changed."
            )
        else:
            self.stdout.write(f"Organization “{organization.name}” already there")
        present = set(Membership.objects.filter(organization=organization).values_list("user_id", flat=True))
        for spec in DEMO_USERS:
            if users[spec.key].pk not in present:
                membership_add(
                    organization=organization, user=users[spec.key], role=spec.role, acting_user=owner
                )
        return organization

    def _ensure_dimension_values(self, organization, owner) -> dict[tuple[str, str], DimensionValue]:
        for key, wanted in DEMO_DIMENSION_VALUES.items():
            dimension = Dimension.objects.filter(organization=organization, key=key).first()
            if dimension is None:
                dimension = dimension_create(
                    organization=organization,
                    name=key.replace("-", " ").capitalize(),
                    key=key,
                    acting_user=owner,
                )
            existing = set(dimension.values.values_list("value", flat=True))
            for value, label, color in wanted:
                if value not in existing:
                    dimension_value_create(
                        dimension=dimension, label=label, key=value, color=color, acting_user=owner
                    )
        values = DimensionValue.objects.filter(dimension__organization=organization).select_related(
            "dimension"
        )
        return {(value.dimension.key, value.value): value for value in values}

    def _ensure_teams(self, organization, users) -> dict[str, Team]:
        teams, created = {}, 0
        for spec in DEMO_TEAMS:
            team = Team.objects.filter(organization=organization, name__iexact=spec.name).first()
            if team is None:
                team = team_create(
                    organization=organization,
                    name=spec.name,
                    description=spec.description,
                    acting_user=users["owner"],
                )
                for key in spec.members:
                    team_member_add(team=team, user=users[key], acting_user=users["owner"])
                created += 1
            teams[spec.name] = team
        self.stdout.write(f"Teams: {created} created, {len(teams) - created} already there")
        return teams

    # Workspaces

    def _ensure_workspaces(self, organization, users, teams, values) -> None:
        created: list[tuple[Workspace, DemoWorkspace]] = []
        for spec in DEMO_WORKSPACES:
            existing = Workspace.objects.filter(slug__iexact=spec.slug).first()
            if existing is not None and existing.organization_id == organization.pk:
                continue
            check = workspace_id_check(spec.slug)
            if not check.ok:  # taken by another organization, or retired: IDs are never reused
                self.stderr.write(f"Skipped the demo workspace {spec.slug}: {check.message}")
                continue
            creator = users[spec.created_by]
            grants = [RoleGrant(role=role, user=users[key]) for key, role in spec.users]
            grants += [RoleGrant(role=role, team=teams[name]) for name, role in spec.teams]
            workspace = workspace_create(
                organization=organization,
                slug=spec.slug,
                display_name=spec.name,
                description=spec.description,
                label_values=[values[item] for item in spec.labels.items() if item in values],
                grants=grants,
                acting_user=creator,
            )
            if spec.readme:
                workspace_update(
                    workspace=workspace,
                    display_name=workspace.display_name,
                    description=workspace.description,
                    readme=spec.readme,
                    acting_user=creator,
                )
            created.append((workspace, spec))

        # Provisioned here rather than by the worker so the demo is ready when the command ends. The
        # embedded provisioner's pauses only exist to let a person watch the phases; nobody watches here.
        # Embedded even when real servers are configured: a dozen ZenML servers booting at once would
        # swamp a laptop; the supervisor gives each demo workspace a real server when it is first used.
        with override_settings(
            ATRIUM_EMBEDDED_PHASE_SECONDS=0, ATRIUM_PROVISIONER=settings.EMBEDDED_PROVISIONER
        ):
            for workspace, spec in created:
                if spec.fails:
                    failing = f"{__name__}.{DemoFailureProvisioner.__name__}"
                    with override_settings(ATRIUM_PROVISIONER=failing), _silenced(lifecycle.logger.name):
                        workspace_provision(workspace_pk=workspace.pk)
                else:
                    workspace_provision(workspace_pk=workspace.pk)
        self._backdate_reviews([workspace for workspace, _ in created])
        demo = Workspace.objects.filter(organization=organization, slug__in=[s.slug for s in DEMO_WORKSPACES])
        statuses = {status: demo.filter(status=status).count() for status in WorkspaceStatus.values}
        summary = ", ".join(f"{n} {status}" for status, n in statuses.items() if n)
        self.stdout.write(f"Demo workspaces: {len(created)} created; {summary}")

    @staticmethod
    def _backdate_reviews(created) -> None:
        """So that the demo shows an overdue access review: a protected workspace last reviewed longer
        ago than its 30-day cadence allows (only when it was just created, so a rerun changes nothing)."""
        late = [w for w in created if w.slug in OVERDUE_REVIEW_SLUGS]
        for workspace in late:
            Workspace.objects.filter(pk=workspace.pk).update(
                access_reviewed_at=timezone.now() - timedelta(days=OVERDUE_REVIEW_DAYS)
            )
        review_schedule_refresh(late)

    def _grow(self, organization, owner, total: int) -> None:
        """Bulk-create bench-NNNNN workspaces until the organization has `total` live ones."""
        current = Workspace.objects.live().filter(organization=organization).count()
        missing = total - current
        if missing <= 0:
            self.stdout.write(f"Benchmark: the organization already has {current} workspaces (≥ {total})")
            return
        started = time.monotonic()
        slugs = self._free_bench_slugs(missing)
        dimensions: dict[int, list[DimensionValue]] = {}
        for value in DimensionValue.objects.filter(dimension__organization=organization).order_by("position"):
            dimensions.setdefault(value.dimension_id, []).append(value)
        rng = random.Random(total)  # a fixed seed: the same N spreads labels the same way
        specs = [
            WorkspaceSpec(
                slug=slug,
                display_name=f"Benchmark {slug.removeprefix(BENCH_PREFIX)}",
                description="Created in bulk by manage.py seed_demo --workspaces, for benchmarks.",
                label_values=tuple(rng.choice(choices) for choices in dimensions.values()),
            )
            for slug in slugs
        ]
        workspace_create_bulk(organization=organization, specs=specs, acting_user=owner)
        self.stdout.write(
            f"Benchmark: {len(slugs)} workspaces created ({slugs[0]} … {slugs[-1]}) in "
            f"{time.monotonic() - started:.1f} s; the organization now has {total}"
        )

    def _grow_members(self, organization, owner, total: int) -> None:
        """Add bench-member-NNNNN users as Members until the organization has `total` members."""
        current = Membership.objects.filter(organization=organization).count()
        if total <= current:
            self.stdout.write(f"Benchmark: the organization already has {current} members (≥ {total})")
            return
        started = time.monotonic()
        User = get_user_model()
        taken = {
            email.lower()
            for email in User.objects.filter(email__iendswith=f"@{BENCH_MEMBER_DOMAIN}").values_list(
                "email", flat=True
            )
        }
        added, n = 0, 0
        while current + added < total:
            n += 1
            email = f"{BENCH_PREFIX}member-{n:05d}@{BENCH_MEMBER_DOMAIN}"
            if email in taken:
                continue  # already a member here, or of another organization: left alone
            # No password: nobody logs in as these (the benchmark signs its own sessions), and hashing
            # thousands of passwords would take minutes.
            user = User.objects.create_user(email=email, display_name=f"Benchmark member {n:05d}")
            membership_add(
                organization=organization, user=user, role=OrganizationRoleKey.MEMBER, acting_user=owner
            )
            added += 1
        self.stdout.write(
            f"Benchmark: {added} members added in {time.monotonic() - started:.1f} s; "
            f"the organization now has {total}"
        )

    @staticmethod
    def _free_bench_slugs(count: int) -> list[str]:
        # IDs are unique across the installation and never reused, so skip any taken or retired one.
        taken = {
            s.lower()
            for s in Workspace.objects.filter(slug__istartswith=BENCH_PREFIX).values_list("slug", flat=True)
        }
        taken |= set(
            RetiredWorkspaceId.objects.filter(slug__startswith=BENCH_PREFIX).values_list("slug", flat=True)
        )
        slugs, n = [], 0
        while len(slugs) < count:
            n += 1
            slug = f"{BENCH_PREFIX}{n:05d}"
            if slug not in taken:
                slugs.append(slug)
        return slugs

    # Output

    def _print_logins(self, organization, users) -> None:
        roles = dict(Membership.objects.filter(organization=organization).values_list("user_id", "role"))
        labels = dict(OrganizationRoleKey.choices)
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Demo logins (password for all: {DEMO_PASSWORD})"))
        for spec in DEMO_USERS:  # the owner first
            user = users[spec.key]
            self.stdout.write(f"{user.email}  {DEMO_PASSWORD}  {labels.get(roles.get(user.pk), '-')}")
        home = reverse("organizations:home", kwargs={"org_slug": organization.slug})
        self.stdout.write(f"Sign in at {site_url(reverse('login'))}, then open {site_url(home)}")
