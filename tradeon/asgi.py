"""ASGI entry point: HTTP through Django, websockets through Channels."""

import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tradeon.settings.local")

# Build the Django app first: it sets up the app registry, which the websocket routing
# (consumers import models) needs.
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from realtime.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)

# A server process holds every open websocket's consumer for hours, and the garbage collector's
# full collections walk all of them: with 1,000 sockets per process they stalled every socket
# for 50-375 ms at a time (docs/benchmarks.md, Realtime). What exists once the project is loaded
# never becomes garbage, so it is taken out of the collector's view, and the young generation is
# collected after 10,000 net allocations instead of 700, which makes full collections rarer.
gc.freeze()
gc.set_threshold(10_000, 10, 10)
