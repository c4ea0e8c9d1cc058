"""The access log is not in the Django admin.

It is read on the access-log page (``agencies.views.access_log``): one partnership at a
time, by its partnership admins, and each page shown is itself logged. The admin would
show every partnership's log to a superuser, outside both rules.
"""
