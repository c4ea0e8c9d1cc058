"""Ship the catalogue of unit costs the evaluation used (costs/catalogues/), written with
the same loader a partnership uses for its own (docs/costs.md)."""

from django.db import migrations


def load(apps, schema_editor):
    from costs.catalogue import load_shipped

    load_shipped(apps.get_model("costs", "UnitCost"))


def unload(apps, schema_editor):
    apps.get_model("costs", "UnitCost").objects.filter(partnership__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("costs", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
