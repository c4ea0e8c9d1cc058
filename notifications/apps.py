from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from agencies.staff import is_staff_member
        from masip.navigation import register_section

        register_section(
            key="notifications",
            title="Notifications",
            url_name="notifications:inbox",
            order=15,
            description="Your alerts: key events to tell a victim of, reviews due, and anything else sent to you.",
            applies=is_staff_member,
        )
