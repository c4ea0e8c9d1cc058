from django.apps import AppConfig


class FollowupsConfig(AppConfig):
    name = "followups"
    verbose_name = "Monitoring and re-offending follow-ups"

    def ready(self) -> None:
        # Follow-ups plug into the case page, the caseload, intake and the lifecycle through
        # cases.extensions, like the other apps above cases.
        from followups.hooks import register

        register()
