from django.apps import AppConfig
from django.db.models.signals import post_migrate


class MasipConfig(AppConfig):
    name = "masip"
    verbose_name = "MASIP"

    def ready(self) -> None:
        # Load the Celery app in every Django process so shared tasks bind to it.
        # (Not in masip/__init__.py: the embedded-stack runner imports the package
        # before any settings exist.)
        from masip.celery import app  # noqa: F401
        from masip.navigation import _register_core_sections
        from masip.schedules import install_after_migrate

        _register_core_sections()
        # The beat schedule is written after every migrate (and every test flush).
        post_migrate.connect(install_after_migrate, dispatch_uid="masip.schedules")
