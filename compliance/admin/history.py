"""The history of configuration, with who changed what from which value to which (django-simple-history):
the surveillance rules, SLAs and tier limits (compliance.admin.rules) and accounts' credit lines and beneficial
owners. The account admin is the accounts app's; compliance owns the record of its changes, so it adds the
history view to that admin here rather than making accounts depend on the history library."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from accounts.models import Account

_account_admin = type(admin.site.get_model_admin(Account))
admin.site.unregister(Account)
admin.site.register(Account, type("AccountWithHistoryAdmin", (SimpleHistoryAdmin, _account_admin), {}))
