"""The list order's indexes, in their own migration: on PostgreSQL an index cannot be created in the
transaction that has just updated the table's rows (0010 fills the copies) while its foreign-key
checks are still pending."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("applications", "0010_list_order"),
    ]

    operations = [
        migrations.AddIndex(
            model_name='application',
            index=models.Index(fields=['-round_year', 'org_path', 'number'], name='application_list_order'),
        ),
        migrations.AddIndex(
            model_name='application',
            index=models.Index(fields=['status', '-round_year', 'org_path', 'number'], name='application_status_order'),
        ),
    ]
