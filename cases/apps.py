from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "cases"

    def ready(self) -> None:
        from agencies.person_lookup import register_person_finder
        from cases.reads import people_named_for_access_log

        register_person_finder(people_named_for_access_log)
