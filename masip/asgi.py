"""ASGI entry point."""

import os

from django.core.asgi import get_asgi_application

from masip.startup import exit_on_config_error

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "masip.settings.production")
application = exit_on_config_error(get_asgi_application)
