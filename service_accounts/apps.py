from django.apps import AppConfig


class ServiceAccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "service_accounts"
