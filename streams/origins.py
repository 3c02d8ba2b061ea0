from channels.security.websocket import OriginValidator
from django.conf import settings


class BrowserOriginValidator(OriginValidator):
    """Checks the Origin of browser connections against ALLOWED_HOSTS.

    Browsers always send Origin, so a missing one means a bot or SDK client, which cross-site
    attacks cannot use; Channels' own validator would refuse those.
    """

    def __init__(self, application):
        super().__init__(application, settings.ALLOWED_HOSTS)

    def valid_origin(self, parsed_origin):
        return parsed_origin is None or super().valid_origin(parsed_origin)
