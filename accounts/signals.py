from django.contrib.auth import get_user_model
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from streams.publishing import connections_close

from .services import refresh_tokens_revoke

User = get_user_model()


@receiver(pre_save, sender=User, dispatch_uid="accounts.user_remember_active")
def user_remember_active(sender, instance, **kwargs):
    """What the handlers below compare with: activity and password hash before this save."""
    instance._was_active, instance._old_password = (
        User.objects.filter(pk=instance.pk).values_list("is_active", "password").first() if instance.pk else None
    ) or (None, None)


@receiver(post_save, sender=User, dispatch_uid="accounts.user_disabled_disconnect")
def user_disabled_disconnect(sender, instance, created, **kwargs):
    """However a user is disabled (admin, service, shell), their open sockets close after commit."""
    if not created and getattr(instance, "_was_active", None) and not instance.is_active:
        connections_close(user_id=instance.pk, reason="user_disabled")


@receiver(post_save, sender=User, dispatch_uid="accounts.password_changed_revoke_refresh_tokens")
def password_changed_revoke_refresh_tokens(sender, instance, created, **kwargs):
    """However the password changes (admin, `changepassword`, set_password in a shell), every refresh
    token issued before stops working; sessions end by themselves (Django checks the password's hash)."""
    if not created and getattr(instance, "_old_password", None) not in (None, instance.password):
        refresh_tokens_revoke(user=instance)
