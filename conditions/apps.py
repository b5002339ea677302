from django.apps import AppConfig


class ConditionsConfig(AppConfig):
    name = "conditions"
    verbose_name = "Articles and symptoms"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Connects the handlers that keep the search index and the page cache fresh.
        from conditions import caching, search  # noqa: F401
