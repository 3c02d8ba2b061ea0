import gc
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cantondex.settings")

from kernel.asgi import asgi_application

django_asgi_app = asgi_application()  # sets Django up before the consumers are imported

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from cantondex import daphne_hooks  # noqa: E402
from kernel import jobs  # noqa: E402
from streams.origins import BrowserOriginValidator  # noqa: E402
from streams.routing import websocket_urlpatterns  # noqa: E402
from streams.sessions import SessionUserMiddleware  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": BrowserOriginValidator(SessionUserMiddleware(URLRouter(websocket_urlpatterns))),
    }
)

jobs.start_in_process()
daphne_hooks.install()  # under daphne: SIGTERM drains, and the access log goes through logging

# Everything loaded so far (Django, the apps, Twisted) lives as long as the process: keep it out of
# the cycle collector's full passes, each of which pauses every socket (about 50 ms for this heap).
gc.freeze()
