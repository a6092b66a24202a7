"""ASGI entry point: `uvicorn tracker.asgi:application`."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.config.settings")

application = get_asgi_application()
