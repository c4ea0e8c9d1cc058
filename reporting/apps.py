from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "reporting"

    def ready(self) -> None:
        # Quarterly returns, dashboard, data quality and training (reporting/returns/).
        from reporting.returns.hooks import register as register_returns

        register_returns()

        # The evaluation tables (reporting/evaluation*).
        from reporting.programme_hooks import register as register_programme

        register_programme()
