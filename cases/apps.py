from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "cases"

    def ready(self) -> None:
        # Monitoring and re-offending follow-ups plug into the case page, intake and the
        # lifecycle through cases.extensions, like the other apps.
        from cases.followups.hooks import register

        register()
