import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def grant_delete_to_lifecycle_holders(apps, schema_editor):
    """Whoever may manage a workspace's lifecycle may now also delete it (the same role cell gives
    both); existing guardian rows get the new permission so nobody waits for `sync_permissions`."""
    Permission = apps.get_model("auth", "Permission")
    ContentType = apps.get_model("contenttypes", "ContentType")
    Row = apps.get_model("workspaces", "WorkspaceUserObjectPermission")
    holders = list(
        Row.objects.filter(permission__codename="manage_workspace_lifecycle").values_list(
            "user_id", "content_object_id"
        )
    )
    if not holders:
        return
    content_type, _ = ContentType.objects.get_or_create(app_label="workspaces", model="workspace")
    delete, _ = Permission.objects.get_or_create(
        content_type=content_type, codename="delete_workspace", defaults={"name": "Can delete workspace"}
    )
    have = set(Row.objects.filter(permission=delete).values_list("user_id", "content_object_id"))
    Row.objects.bulk_create(
        Row(user_id=user_id, content_object_id=workspace_id, permission=delete)
        for user_id, workspace_id in holders
        if (user_id, workspace_id) not in have
    )


class Migration(migrations.Migration):

    dependencies = [
        ('workspaces', '0005_workspace_server_state'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ('contenttypes', '0002_remove_content_type_name'),
        ('auth', '0012_alter_user_first_name_max_length'),
    ]

    operations = [
        migrations.AddField(
            model_name='workspace',
            name='deleted_at',
            field=models.DateTimeField(blank=True, help_text='When it was deleted; restorable until the grace period ends.', null=True),
        ),
        migrations.AddField(
            model_name='workspace',
            name='deleted_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.RunPython(grant_delete_to_lifecycle_holders, migrations.RunPython.noop),
    ]
