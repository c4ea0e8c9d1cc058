from django.apps import AppConfig


class CostsConfig(AppConfig):
    name = "costs"

    def ready(self) -> None:
        from costs.hooks import register

        register()
