"""SRP: violence as two judgements, domains that may be left not rated, a secondary stalker type.

A version never changes once loaded, so this loads a new shipped SRP version
(risk/instruments/srp-v2.json) and makes it the one new assessments use. Its general
violence item keeps the key of the old single violence rating (``risk_of_violence``), so
every assessment made before is read, unchanged, as a rating of general violence (the
bundle's ``srp_violence``, the risk_change table, the risk history); imminent serious
violence was not asked then and counts as not rated for them. No existing answer, result
or history row is rewritten. A partnership's own SRP versions are left as it loaded them.
"""

from django.db import migrations, models

V2_FILE = "srp-v2.json"


def _models(apps):
    from risk.loader import ModelSet

    return ModelSet(
        Instrument=apps.get_model("risk", "Instrument"),
        InstrumentVersion=apps.get_model("risk", "InstrumentVersion"),
        ItemGroup=apps.get_model("risk", "ItemGroup"),
        Item=apps.get_model("risk", "Item"),
    )


def load(apps, schema_editor):
    from risk.loader import SHIPPED_DIR, parse_definition, read_file, write_definition

    definition = parse_definition(read_file(SHIPPED_DIR / V2_FILE))
    InstrumentVersion = apps.get_model("risk", "InstrumentVersion")
    if InstrumentVersion.objects.filter(
        instrument__key=definition.instrument_key, partnership__isnull=True, version=definition.version
    ).exists():
        return
    write_definition(
        definition, models=_models(apps), partnership_id=None, source=f"shipped: risk/instruments/{V2_FILE}"
    )


def unload(apps, schema_editor):
    InstrumentVersion = apps.get_model("risk", "InstrumentVersion")
    v2 = InstrumentVersion.objects.filter(
        instrument__key="srp", partnership__isnull=True, source=f"shipped: risk/instruments/{V2_FILE}"
    )
    if any(version.assessments.exists() for version in v2):
        raise RuntimeError("Assessments were made with the two-violence SRP version: it cannot be unloaded")
    was_current = v2.filter(is_current=True).exists()
    for version in v2:
        version.items.update(condition_item=None)
    v2.delete()
    if was_current:
        InstrumentVersion.objects.filter(
            instrument__key="srp", partnership__isnull=True, source="shipped: risk/instruments/srp.json"
        ).update(is_current=True)


class Migration(migrations.Migration):
    dependencies = [("risk", "0003_sdash_topic_labels")]

    operations = [
        migrations.AddField(
            model_name="item",
            name="allows_not_rated",
            field=models.BooleanField(db_default=False, default=False),
        ),
        migrations.RunPython(load, unload),
    ]
