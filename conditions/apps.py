from django.apps import AppConfig


class ConditionsConfig(AppConfig):
    name = "conditions"
    verbose_name = "Articles and symptoms"
    default_auto_field = "django.db.models.BigAutoField"
