"""Build the template of a workspace server's store: run by `make zenml` with ZenML's own Python
(`.venv-zenml/bin/python -P workspaces/provisioners/zenml_store_template.py <path>`; -P: this
directory holds a `zenml.py` that must not shadow ZenML), never by the site.

A new ZenML server spends seconds creating its SQLite store's tables. The `zenml` provisioner copies
this template (tables created, schema stamped at the installed ZenML version) into a new server's
directory instead and sets the one row that names the server (`server_settings.id`, the workspace's
UUID in ZenML's cloud mode), so a new workspace is usable seconds sooner. The server fills in the rest
(its default stack, its activation) itself at start, as it would in an empty store.
"""

import os
import shutil
import sys
from pathlib import Path

# ZenML's cloud mode wants its Pro settings even to create tables; nothing here calls them.
PLACEHOLDER_ENVIRONMENT = {
    "ZENML_ANALYTICS_OPT_IN": "false",
    "ZENML_SERVER_DEPLOYMENT_TYPE": "cloud",
    "ZENML_SERVER_JWT_SECRET_KEY": "template",
    "ZENML_SERVER_PRO_API_URL": "http://127.0.0.1:9/zenml-api",
    "ZENML_SERVER_PRO_DASHBOARD_URL": "http://127.0.0.1:9",
    "ZENML_SERVER_PRO_OAUTH2_CLIENT_SECRET": "template",
    "ZENML_SERVER_PRO_OAUTH2_AUDIENCE": "template",
    "ZENML_SERVER_PRO_ORGANIZATION_ID": "00000000-0000-4000-8000-000000000000",
    "ZENML_SERVER_PRO_ORGANIZATION_NAME": "template",
    "ZENML_SERVER_PRO_WORKSPACE_ID": "00000000-0000-4000-8000-000000000001",
    "ZENML_SERVER_PRO_WORKSPACE_NAME": "template",
}


def main(target: Path) -> None:
    work = target.with_suffix(".building")
    os.environ.update(PLACEHOLDER_ENVIRONMENT)
    os.environ["HOME"] = str(target.parent)
    os.environ["ZENML_CONFIG_PATH"] = str(target.parent / "store-template-config")
    work.unlink(missing_ok=True)

    from zenml.zen_stores.sql_zen_store import SqlZenStore, SqlZenStoreConfiguration

    SqlZenStore(config=SqlZenStoreConfiguration(url=f"sqlite:///{work}"), skip_default_registrations=True)
    work.replace(target)  # whole or not at all: a half-built template is never copied
    shutil.rmtree(target.parent / "store-template-config", ignore_errors=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]).resolve())
