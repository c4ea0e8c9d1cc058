"""Re-offending monitoring: monitoring periods, follow-up reviews at checkpoints, automatic
detection of re-offending from new referrals, and the Celery jobs that keep them.

Layers as everywhere: models, permissions (predicates), services (every write), selectors
(every read a person sees), tasks (thin Celery jobs), views and apis (thin). ``hooks.register``
plugs it into the case page, the caseload's next-due date, intake and the lifecycle
(cases.extensions), called from ``followups.apps.FollowupsConfig.ready``. It sits above
cases and interventions, and imports them downward.
"""
