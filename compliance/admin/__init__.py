"""The triage console: officers work alerts here. Every change goes through compliance.services.

One module per concern; importing them registers their admins (the admin's autodiscovery imports this package).
"""

from . import alerts, approvals, cases, history, kyc, rules, sars  # noqa: F401
