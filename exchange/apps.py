from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "exchange"
    verbose_name = "Data exchange"

    def ready(self) -> None:
        from exchange.hooks import register

        register()
