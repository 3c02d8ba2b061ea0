import gc
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cantondex.settings")

from kernel.asgi import asgi_application

django_asgi_app = asgi_application()  # sets Django up before the consumers are imported

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from cantondex import autobahn_debug, daphne_hooks  # noqa: E402
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
autobahn_debug.arguments_made_lazy()  # daphne's per-frame debug arguments cost a third of a burst

# Everything loaded so far (Django, the apps, Twisted) lives as long as the process: keep it out of
# the cycle collector's full passes, each of which pauses every socket (about 50 ms for this heap).
gc.freeze()
# A connection's objects live as long as its socket, so with the default first threshold (700) a
# storm of 1,000 connections ran ~340 collections, two of them full (over every socket's objects,
# 100 to 250 ms each), and the steady fan-out a full one every ~10 s. At 20,000 the storm runs ~11
# young collections and no full one, and the steady phase none for minutes (bench: "GC" rows).
GC_YOUNG_THRESHOLD = 20_000
gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])
