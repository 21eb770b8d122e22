"""The re-review models move here from the registry app. State only: the tables stay as they are
(``registry_rereviewtask``, ``registry_rereviewevidence``, ``registry_rereviewcheck``, named
by ``Meta.db_table``), so every existing task, file record and finding carries over untouched.
The registry's 0003 removes the same models from its state."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('orgs', '0001_initial'),
        ('registry', '0003_rereview_moves_out'),
        ('rounds', '0002_alter_extension_stage_code_alter_stage_code'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    state_operations = [
        migrations.CreateModel(
            name='RereviewTask',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('status', models.CharField(choices=[('draft', '填报中'), ('submitted', '已提交市州'), ('forwarded', '市州已报送省厅'), ('passed', '复核通过'), ('failed', '复核不通过'), ('missed', '逾期未提交'), ('revoked', '已撤销认定')], default='draft', max_length=16, verbose_name='状态')),
                ('data', models.JSONField(blank=True, default=dict, verbose_name='复核申报表')),
                ('version', models.PositiveIntegerField(default=0)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(blank=True, null=True)),
                ('submitted_at', models.DateTimeField(blank=True, null=True, verbose_name='提交时间')),
                ('missed_at', models.DateTimeField(blank=True, null=True, verbose_name='逾期登记时间')),
                ('forwarded_at', models.DateTimeField(blank=True, null=True, verbose_name='市州报送时间')),
                ('city_comment', models.TextField(blank=True, verbose_name='市州审核意见')),
                ('decided_at', models.DateTimeField(blank=True, null=True, verbose_name='省厅复核时间')),
                ('decision_reason', models.TextField(blank=True, verbose_name='复核意见 / 不通过原因')),
                ('spot_check_note', models.TextField(blank=True, verbose_name='实地抽查情况')),
                ('criteria_report', models.JSONField(blank=True, null=True, verbose_name='认定标准核验结果')),
                ('extended_to', models.DateField(blank=True, null=True, verbose_name='有效期延至')),
                ('revocation_confirmed_at', models.DateTimeField(blank=True, null=True, verbose_name='确认撤销时间')),
                ('revocation_note', models.TextField(blank=True, verbose_name='撤销说明')),
                ('cluster', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='rereview_tasks', to='registry.cluster', verbose_name='集群')),
                ('decided_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('forwarded_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('org', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='orgs.org', verbose_name='复核申报单位')),
                ('revocation_confirmed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('round', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='rereview_tasks', to='rounds.round', verbose_name='批次')),
                ('submitted_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('updated_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': '复核任务',
                'verbose_name_plural': '复核任务',
                'db_table': 'registry_rereviewtask',
                'ordering': ['round', 'org__path', 'id'],
            },
        ),
        migrations.CreateModel(
            name='RereviewEvidence',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('item_code', models.CharField(max_length=32, verbose_name='清单项')),
                ('original_name', models.CharField(max_length=255, verbose_name='文件名')),
                ('stored_name', models.CharField(max_length=255, unique=True)),
                ('kind', models.CharField(max_length=8, verbose_name='类型')),
                ('size', models.BigIntegerField(verbose_name='大小（字节）')),
                ('sha256', models.CharField(max_length=64, verbose_name='SHA-256')),
                ('uploaded_at', models.DateTimeField(auto_now_add=True)),
                ('removed_at', models.DateTimeField(blank=True, null=True)),
                ('uploaded_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('task', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='evidence', to='rereview.rereviewtask')),
            ],
            options={
                'verbose_name': '复核佐证材料',
                'verbose_name_plural': '复核佐证材料',
                'db_table': 'registry_rereviewevidence',
                'ordering': ['item_code', 'uploaded_at', 'id'],
            },
        ),
        migrations.CreateModel(
            name='RereviewCheck',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('set_code', models.CharField(max_length=64, verbose_name='认定标准')),
                ('rule_code', models.CharField(max_length=64, verbose_name='规则')),
                ('engine_status', models.CharField(blank=True, max_length=16, verbose_name='系统核验结果')),
                ('decision', models.CharField(choices=[('pass', '符合'), ('fail', '不符合')], max_length=8, verbose_name='核查结论')),
                ('note', models.TextField(blank=True, verbose_name='说明')),
                ('decided_at', models.DateTimeField(auto_now=True)),
                ('decided_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('task', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='checks', to='rereview.rereviewtask')),
            ],
            options={
                'verbose_name': '复核逐条核查',
                'verbose_name_plural': '复核逐条核查',
                'db_table': 'registry_rereviewcheck',
                'ordering': ['task', 'id'],
            },
        ),
        migrations.AddConstraint(
            model_name='rereviewtask',
            constraint=models.UniqueConstraint(fields=('round', 'cluster'), name='rereview_task_unique'),
        ),
        migrations.AddConstraint(
            model_name='rereviewcheck',
            constraint=models.UniqueConstraint(fields=('task', 'rule_code'), name='rereview_check_unique'),
        ),
    ]

    operations = [migrations.SeparateDatabaseAndState(state_operations=state_operations)]
