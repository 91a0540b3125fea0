from django.apps import AppConfig


class OrganizationApiConfig(AppConfig):
    name = "organization_api"
    verbose_name = "Organization API"
