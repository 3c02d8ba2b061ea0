"""The triage console: officers work alerts here. Every change goes through compliance.services.

One module per concern; importing them registers their admins (the admin's autodiscovery imports this package).
"""

from . import alerts, kyc, rules  # noqa: F401
