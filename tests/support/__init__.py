"""Helpers every test package shares: the WebSocket client (ws), the event log (event_log), what CI requires
(ci) and test accounts' KYC (kyc)."""
