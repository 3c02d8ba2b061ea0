from django.apps import AppConfig


class KernelConfig(AppConfig):
    """The shared kernel every app may import: exact JSON, public ids, REST errors, background jobs."""

    name = "kernel"
    verbose_name = "Kernel"
