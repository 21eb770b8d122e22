"""Accounts with e-mail addresses, and a mail backend that always fails."""

import pytest
from django.core.mail.backends.base import BaseEmailBackend

BROKEN_BACKEND = "tests.notifications.conftest.BrokenBackend"


class BrokenBackend(BaseEmailBackend):
    """An SMTP server that refuses every message."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("SMTP 服务器拒绝连接（测试）")


@pytest.fixture
def with_email(accounts):
    """Give the accounts an e-mail address (as an administrator would register it)."""
    from clusterdesk.orgs.models import User

    for key, user in accounts.items():
        User.objects.filter(pk=user.pk).update(email=f"{user.username}@example.gov.cn")
        user.email = f"{user.username}@example.gov.cn"
    return accounts


def inbox(user):
    """The titles of the user's in-app messages, oldest first."""
    from clusterdesk.notifications.models import Message

    return list(Message.objects.filter(recipient=user).order_by("created_at", "id").values_list("title", flat=True))
