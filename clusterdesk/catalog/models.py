"""Reference catalogues an administrator can correct: GB/T 4754-2017 industries and the
priority sub-clusters (吉政发〔2023〕13号 names 56 of them; the list is imported, not shipped)."""

from django.db import models


class Industry(models.Model):
    """A GB/T 4754-2017 class: section letter + division number (``C27``) or finer levels."""

    code = models.CharField("行业代码", max_length=8, unique=True)
    name = models.CharField("行业名称", max_length=100)
    section = models.CharField("门类", max_length=1)
    section_name = models.CharField("门类名称", max_length=60)

    class Meta:
        verbose_name = "国民经济行业"
        verbose_name_plural = "国民经济行业"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class SubCluster(models.Model):
    """A priority sub-cluster of the province (the 56 子集群 in Jilin)."""

    code = models.CharField("编号", max_length=16, unique=True)
    name = models.CharField("子集群名称", max_length=100)
    chain = models.CharField("所属产业/集群", max_length=100, blank=True)
    note = models.CharField("备注", max_length=255, blank=True)

    class Meta:
        verbose_name = "重点子集群"
        verbose_name_plural = "重点子集群"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"
