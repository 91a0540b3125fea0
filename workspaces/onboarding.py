"""The onboarding checklist of PRODUCT.md §9.

Items are ticked by the server when the real event happens (`services.onboarding_step_complete`),
never by a click. Items are independent: one not done yet is simply to do, whatever else is done.
"""

from dataclasses import dataclass

from .models import ZENML_VERSION

# A whole first pipeline: write run.py (two steps), then run it. Copied as it is into a terminal.
FIRST_PIPELINE_COMMAND = """cat > run.py <<'EOF'
from zenml import pipeline, step


@step
def load() -> list[int]:
    return [1, 2, 3]


@step
def total(numbers: list[int]) -> int:
    return sum(numbers)


@pipeline
def first_pipeline():
    total(load())


if __name__ == "__main__":
    first_pipeline()
EOF
python run.py"""

CLI_LOGIN = "cli_login"
FIRST_PIPELINE = "first_pipeline"
REGISTER_STACK = "register_stack"
INVITE_TEAMMATE = "invite_teammate"
DOCUMENT_WORKSPACE = "document_workspace"
# Ticked by what happens on the workspace's server (the control plane reports it), not on a page.
TICKED_BY_SERVER = frozenset({CLI_LOGIN, FIRST_PIPELINE, REGISTER_STACK})


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    title: str
    why: str
    command: str = ""  # a shell command, with {login_command} filled in


CHECKLIST = [
    ChecklistItem(
        CLI_LOGIN,
        "Log in from the command line",
        "Connect your terminal to this workspace.",
        f'pip install "zenml=={ZENML_VERSION}"\n{{login_command}}',
    ),
    ChecklistItem(
        FIRST_PIPELINE,
        "Run a first pipeline",
        "See a run appear in this workspace.",
        FIRST_PIPELINE_COMMAND,
    ),
    ChecklistItem(
        REGISTER_STACK,
        "Register a stack",
        "Tell the workspace where pipelines run and where artifacts live.",
        "zenml stack register my-stack -o default -a default --set",
    ),
    ChecklistItem(
        INVITE_TEAMMATE,
        "Invite a teammate",
        "Give a colleague or a team a role in this workspace.",
    ),
    ChecklistItem(
        DOCUMENT_WORKSPACE,
        "Document the workspace",
        "Write a README so newcomers know what this workspace is for.",
    ),
]


@dataclass(frozen=True)
class ChecklistEntry:
    item: ChecklistItem
    state: str  # "done" or "pending" (to do)
    command: str

    @property
    def done(self) -> bool:
        return self.state == "done"


@dataclass(frozen=True)
class Checklist:
    entries: list[ChecklistEntry]

    @property
    def done_count(self) -> int:
        return sum(entry.done for entry in self.entries)

    @property
    def total(self) -> int:
        return len(self.entries)

    @property
    def complete(self) -> bool:
        return self.done_count == self.total

    @property
    def waits_for_server(self) -> bool:
        """Is an item pending that the workspace's server ticks (so the overview keeps asking)?"""
        return any(not entry.done and entry.item.key in TICKED_BY_SERVER for entry in self.entries)

    @property
    def percent(self) -> int:
        return round(100 * self.done_count / self.total)


def checklist_for(workspace, completed_keys: set[str]) -> Checklist:
    entries = []
    for item in CHECKLIST:
        state = "done" if item.key in completed_keys else "pending"
        entries.append(
            ChecklistEntry(item, state, item.command.format(login_command=workspace.login_command))
        )
    return Checklist(entries)
