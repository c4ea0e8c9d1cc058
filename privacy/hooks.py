from __future__ import annotations


def register() -> None:
    from masip.navigation import register_section
    from privacy.permissions import can_manage_data_protection

    register_section(
        key="retention",
        title="Retention",
        url_name="privacy:schedules",
        description="How long each kind of record is kept, what falls due, and legal holds.",
        order=96,
        applies=can_manage_data_protection,
    )
    register_section(
        key="subject_access",
        title="Subject access requests",
        url_name="privacy:requests",
        description="Requests from people for what the service holds about them, and their due dates.",
        order=97,
        applies=can_manage_data_protection,
    )
