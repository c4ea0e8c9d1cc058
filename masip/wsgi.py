"""WSGI entry point (gunicorn masip.wsgi:application)."""

import os

from django.core.wsgi import get_wsgi_application

from masip.startup import exit_on_config_error

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "masip.settings.production")
application = exit_on_config_error(get_wsgi_application)
