from django.apps import AppConfig


class MasipConfig(AppConfig):
    name = "masip"
    verbose_name = "MASIP"

    def ready(self) -> None:
        # Load the Celery app in every Django process so shared tasks bind to it.
        # (Not in masip/__init__.py: the embedded-stack runner imports the package
        # before any settings exist.)
        from masip.celery import app  # noqa: F401
        from masip.navigation import _register_core_sections

        _register_core_sections()
