from django.apps import AppConfig


class StreamsConfig(AppConfig):
    name = "streams"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from kernel import jobs

        from .replay import event_log_prune

        jobs.register("event_log_prune", event_log_prune, interval_setting="CDX_EVENT_LOG_PRUNE_INTERVAL_S")
