from django.apps import AppConfig


class KernelConfig(AppConfig):
    """The shared kernel every app may import: exact JSON, public ids, REST errors, background jobs."""

    name = "kernel"
    verbose_name = "Kernel"

    def ready(self) -> None:
        from django_structlog import signals

        from .logs import client_ip_bind

        signals.bind_extra_request_metadata.connect(client_ip_bind)
