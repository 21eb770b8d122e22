"""The re-review models leave the registry app for ``clusterdesk.rereview`` (its 0001 takes them
over). State only: no table is dropped, renamed or altered."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('registry', '0002_rereview'),
    ]

    state_operations = [
        migrations.RemoveField(
            model_name='rereviewevidence',
            name='task',
        ),
        migrations.RemoveField(
            model_name='rereviewevidence',
            name='uploaded_by',
        ),
        migrations.RemoveField(
            model_name='rereviewtask',
            name='cluster',
        ),
        migrations.RemoveField(
            model_name='rereviewtask',
            name='decided_by',
        ),
        migrations.RemoveField(
            model_name='rereviewtask',
            name='forwarded_by',
        ),
        migrations.RemoveField(
            model_name='rereviewtask',
            name='org',
        ),
        migrations.RemoveField(
            model_name='rereviewtask',
            name='revocation_confirmed_by',
        ),
        migrations.RemoveField(
            model_name='rereviewtask',
            name='round',
        ),
        migrations.RemoveField(
            model_name='rereviewtask',
            name='submitted_by',
        ),
        migrations.RemoveField(
            model_name='rereviewtask',
            name='updated_by',
        ),
        migrations.DeleteModel(
            name='RereviewCheck',
        ),
        migrations.DeleteModel(
            name='RereviewEvidence',
        ),
        migrations.DeleteModel(
            name='RereviewTask',
        ),
    ]

    operations = [migrations.SeparateDatabaseAndState(state_operations=state_operations)]
