from django.apps import AppConfig


class StreamsConfig(AppConfig):
    name = "streams"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from kernel import jobs

        from .replay import event_log_prune

        jobs.register("event_log_prune", 60.0, event_log_prune)
