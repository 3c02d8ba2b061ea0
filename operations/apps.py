from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "operations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from accounts.roles import ADMIN, extend_group_permissions
        from kernel import asgi, jobs

        from . import channels, probes, services  # noqa: F401  (channels registers system_health)
        from .monitoring import ENDPOINTS

        extend_group_permissions(
            ADMIN,
            [
                "operations.view_maintenancenotice",
                "operations.add_maintenancenotice",
                "operations.change_maintenancenotice",
                "operations.view_servicestatus",
                "operations.change_servicestatus",
            ],
        )

        asgi.unqueued_paths.update(ENDPOINTS)  # a busy process still answers its health checks and scrapes
        jobs.register(
            "maintenance_windows", services.maintenance_windows_advance, interval_setting="CDX_MAINTENANCE_WINDOWS_INTERVAL_S"
        )
        jobs.register("health_probes", probes.probes_run, interval_setting="CDX_PROBE_INTERVAL_S")
