"""The mixed-load run: locust users of four roles against gunicorn (``manage.py load_mixed``)."""
