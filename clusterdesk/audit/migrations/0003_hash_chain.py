"""The audit log's hash chain (audit/chain.py): two columns, the chain head and its trigger, and
the existing events hashed in id order.

On SQLite, adding the columns rebuilds the table, which drops the UPDATE trigger of migration
0002: it is created again here. On PostgreSQL the UPDATE trigger is disabled while the existing
events are hashed, then enabled again.
"""

import django.utils.timezone
from django.db import migrations, models

SQLITE_NO_UPDATE = """
CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_auditevent
BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
"""
SQLITE_HEAD = """
CREATE TRIGGER audit_event_chain_head AFTER INSERT ON audit_auditevent
BEGIN INSERT OR REPLACE INTO audit_auditchainhead (id, hash, event_id) VALUES (1, NEW.hash, NEW.id); END;
"""
PG_HEAD = """
CREATE OR REPLACE FUNCTION audit_event_move_head() RETURNS trigger AS $$
BEGIN
    INSERT INTO audit_auditchainhead (id, hash, event_id) VALUES (1, NEW.hash, NEW.id)
    ON CONFLICT (id) DO UPDATE SET hash = EXCLUDED.hash, event_id = EXCLUDED.event_id;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_event_chain_head AFTER INSERT ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_event_move_head();
"""


def hash_existing(apps, schema_editor):
    from clusterdesk.audit.chain import digest

    AuditEvent = apps.get_model("audit", "AuditEvent")
    AuditChainHead = apps.get_model("audit", "AuditChainHead")
    connection = schema_editor.connection
    vendor = connection.vendor
    if vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
    elif vendor == "postgresql":
        schema_editor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_no_update")
    prev, last_id = "", None
    with connection.cursor() as cursor:
        for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
            value = digest(event, prev)
            cursor.execute("UPDATE audit_auditevent SET prev_hash = %s, hash = %s WHERE id = %s", [prev, value, event.pk])
            prev, last_id = value, event.pk
    AuditChainHead.objects.update_or_create(pk=1, defaults={"hash": prev, "event_id": last_id})
    if vendor == "sqlite":
        schema_editor.execute(SQLITE_NO_UPDATE)
        schema_editor.execute(SQLITE_HEAD)
    elif vendor == "postgresql":
        schema_editor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_event_no_update")
        schema_editor.execute(PG_HEAD)


def unhash(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS audit_event_chain_head")
    elif vendor == "postgresql":
        schema_editor.execute("DROP TRIGGER IF EXISTS audit_event_chain_head ON audit_auditevent")
        schema_editor.execute("DROP FUNCTION IF EXISTS audit_event_move_head()")


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0002_append_only_triggers'),
    ]

    operations = [
        migrations.CreateModel(
            name='AuditChainHead',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('hash', models.CharField(blank=True, default='', max_length=64)),
                ('event_id', models.BigIntegerField(null=True)),
            ],
            options={
                'verbose_name': '审计链头',
                'verbose_name_plural': '审计链头',
            },
        ),
        migrations.AddField(
            model_name='auditevent',
            name='hash',
            field=models.CharField(blank=True, default='', max_length=64, verbose_name='哈希'),
        ),
        migrations.AddField(
            model_name='auditevent',
            name='prev_hash',
            field=models.CharField(blank=True, default='', max_length=64, verbose_name='前一条哈希'),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='at',
            field=models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name='时间'),
        ),
        migrations.RunPython(hash_existing, unhash),
    ]
