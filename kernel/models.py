from django.db import models


class Lease(models.Model):
    """Who runs a cluster-wide singleton (the background jobs) until when; renewed while alive."""

    name = models.CharField(primary_key=True, max_length=50)
    holder = models.CharField(max_length=64)
    expires_at = models.DateTimeField()

    class Meta:
        # The table kept its name when the model moved here from the project package.
        db_table = "cantondex_lease"

    def __str__(self) -> str:
        return f"{self.name} held by {self.holder} until {self.expires_at:%Y-%m-%d %H:%M:%S}"
