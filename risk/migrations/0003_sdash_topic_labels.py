"""The S-DASH topic labels name what the published questions ask.

Item 2 asks about previous harassment or stalking of this or other victims, not criminal
history in general; item 4 is turning up unannounced more than three times a week. Topic
labels only (no question wording). The shipped versions already loaded are brought into line
with risk/instruments/dash.json and s-dash.json; item keys, answers and scores are unchanged,
and a partnership's own versions are left as the partnership loaded them.
"""

from django.db import migrations

LABELS = {
    "sdash_criminal_history": (
        "Stalker's previous criminal history",
        "Previous harassment or stalking of this or other victims",
    ),
    "sdash_turning_up": ("Turning up unannounced", "Turning up unannounced more than three times a week"),
}


def relabel(apps, schema_editor, *, forwards: bool = True):
    Item = apps.get_model("risk", "Item")
    for key, (old, new) in LABELS.items():
        before, after = (old, new) if forwards else (new, old)
        Item.objects.filter(
            key=key, label=before, version__partnership__isnull=True, version__source__startswith="shipped:"
        ).update(label=after)


def backwards(apps, schema_editor):
    relabel(apps, schema_editor, forwards=False)


class Migration(migrations.Migration):
    dependencies = [("risk", "0002_shipped_instruments")]

    operations = [migrations.RunPython(relabel, backwards)]
