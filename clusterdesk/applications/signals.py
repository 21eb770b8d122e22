"""Keep the applications' copies of their round's year and their unit's path (the list order) true."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from clusterdesk.orgs.models import org_paths_changed
from clusterdesk.rounds.models import Round

from .models import Application


@receiver(post_save, sender=Round)
def round_year_changed(sender, instance, created, **kwargs):
    if not created:
        Application.objects.filter(round=instance).exclude(round_year=instance.year).update(round_year=instance.year)


@receiver(org_paths_changed)
def org_paths_moved(sender, orgs, **kwargs):
    for org in orgs:
        Application.objects.filter(org=org).exclude(org_path=org.path).update(org_path=org.path)
