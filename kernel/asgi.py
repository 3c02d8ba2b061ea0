"""Django's ASGI handler with the middleware chain run in one thread, in one go.

Under ASGI Django builds its middleware chain async wherever a middleware allows it, and adapts at each
middleware that is sync only (WhiteNoise, two-factor): every such boundary, every MiddlewareMixin's
process_request/process_response in async mode, and finally the sync view each hop between the event
loop and a thread (six hops per REST request here, each a few event-loop passes and thread handoffs).
Every view of the project is sync, so the chain is built sync instead: one hop per request, into the
request's own thread (as before: Django's per-request thread-sensitive context), where the middleware
and the view run as plain calls. What runs and in which order is unchanged.
"""

import django
from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler


class SyncChainASGIHandler(ASGIHandler):
    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)
        chain = self._middleware_chain  # type: ignore[has-type]  # set by load_middleware
        self._middleware_chain = sync_to_async(chain, thread_sensitive=True)


def asgi_application() -> SyncChainASGIHandler:
    """As django.core.asgi.get_asgi_application, with the chain above."""
    django.setup(set_prefix=False)
    return SyncChainASGIHandler()
