"""The secrecy grounds a unit of the café and house journeys meets most, from the Public Access
to Information and Secrecy Act (offentlighets- och sekretesslagen, 2009:400). Administrators
add, retitle or withdraw grounds in the admin; this only seeds the list."""

from django.db import migrations

# (chapter, section, English title, Swedish title)
GROUNDS = [
    (
        18,
        8,
        "Security or protective measures (alarms, locks, surveillance)",
        "Säkerhets- eller bevakningsåtgärder (larm, lås, bevakning)",
    ),
    (21, 1, "Health or sexual life", "Hälsa eller sexualliv"),
    (
        21,
        3,
        "Where a person lives who may be threatened (protected address)",
        "Bostadsadress för den som kan utsättas för hot eller våld (skyddad adress)",
    ),
    (
        21,
        7,
        "Personal data that would be processed in breach of data protection law",
        "Personuppgifter som efter utlämnande skulle behandlas i strid med dataskyddsregleringen",
    ),
    (26, 1, "Social services: personal circumstances", "Socialtjänst: personliga förhållanden"),
    (
        27,
        1,
        "Taxation: personal or financial circumstances",
        "Skatt: personliga eller ekonomiska förhållanden",
    ),
    (
        30,
        23,
        "Business or operating circumstances, in permits and supervision",
        "Affärs- eller driftförhållanden, vid tillståndsgivning och tillsyn",
    ),
    (
        31,
        16,
        "Business circumstances of one in business relations with the authority",
        "Affärs- eller driftförhållanden hos den som trätt i affärsförbindelse med myndigheten",
    ),
]


def seed(apps, schema_editor):
    SecrecyGround = apps.get_model("journeys", "SecrecyGround")
    for chapter, section, title, title_sv in GROUNDS:
        SecrecyGround.objects.get_or_create(
            chapter=chapter,
            section=section,
            section_letter="",
            defaults={"title": title, "title_sv": title_sv},
        )


def unseed(apps, schema_editor):
    SecrecyGround = apps.get_model("journeys", "SecrecyGround")
    for chapter, section, _title, _title_sv in GROUNDS:
        SecrecyGround.objects.filter(
            chapter=chapter, section=section, section_letter="", markings__isnull=True
        ).delete()


class Migration(migrations.Migration):
    dependencies = [("journeys", "0026_secrecy_markings")]

    operations = [migrations.RunPython(seed, unseed)]
