from django.apps import AppConfig


class ConditionsConfig(AppConfig):
    name = "conditions"
    verbose_name = "Articles and symptoms"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # What a change to content sets off: the search index, FAQ grades, the page cache.
        from conditions import signals

        signals.connect()
