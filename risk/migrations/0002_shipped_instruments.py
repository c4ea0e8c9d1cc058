"""Seed the shipped instruments: DASH, S-DASH, SASH and SRP with item keys and topic labels.

The definitions are the files in risk/instruments/, written with the same loader a
partnership uses for its own versions (docs/risk-instruments.md).
"""

from django.db import migrations


def load(apps, schema_editor):
    from risk.loader import FIRST_SHIPPED_FILES, ModelSet, load_shipped

    load_shipped(
        ModelSet(
            Instrument=apps.get_model("risk", "Instrument"),
            InstrumentVersion=apps.get_model("risk", "InstrumentVersion"),
            ItemGroup=apps.get_model("risk", "ItemGroup"),
            Item=apps.get_model("risk", "Item"),
        ),
        FIRST_SHIPPED_FILES,
    )


def unload(apps, schema_editor):
    InstrumentVersion = apps.get_model("risk", "InstrumentVersion")
    Instrument = apps.get_model("risk", "Instrument")
    shipped = InstrumentVersion.objects.filter(partnership__isnull=True, source__startswith="shipped:")
    for version in shipped:
        version.items.update(condition_item=None)
    shipped.delete()
    Instrument.objects.filter(versions__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("risk", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
