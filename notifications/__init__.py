"""In-app notifications for staff, with an e-mail copy: the project's general alert facility.

Any app above this floor may use it::

    from notifications.services import notify

    notify(user, "Risk review due on case MASIP-000012", "The review is due on 3 June.", "/risk/cases/12/")

- ``notify(user, subject, body, link="", *, key="", email=True, refresh=False) -> Notification | None``
  puts the alert in the user's inbox (the "Notifications" page) and, with ``email``,
  queues an e-mail copy once the transaction commits. ``key`` makes it idempotent:
  a second call with the same recipient and key returns None and sends nothing,
  which is what a Celery job that may run twice needs. Inactive users get nothing.
  With ``refresh=True`` the later call rewrites the alert with that key (subject, body,
  link) and marks it unread again instead: one alert per event however many things
  trigger it (no second e-mail).
- The subject and body must not name a person or give personal details: the e-mail
  leaves the system. Name the case by its reference; the link leads to a page that
  checks access itself.
- E-mails go out through ``notifications.tasks.send_notification_email`` (idempotent: a
  notification is e-mailed once); ``notifications.tasks.send_pending_notification_emails``
  (a beat job) sends any whose task was lost.

The app knows staff (agencies) and nothing of cases: it sits below them, so every app that
alerts someone imports it downward.
"""
