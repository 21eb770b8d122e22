"""The core app's one table: the data generation that ends cached pages (core.pagecache)."""

from django.db import models


class PageGeneration(models.Model):
    """One row (id 1). Raised after every committed write; part of every cached page's key."""

    id = models.PositiveSmallIntegerField(primary_key=True)
    value = models.BigIntegerField()

    class Meta:
        verbose_name = "页面缓存代次"
