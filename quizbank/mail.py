"""The mail backend when no mail server is configured (DJANGO_EMAIL_HOST unset).

Nothing in QuizBank sends mail without one (password reset is not offered), so a message that
gets here is a mistake to see in the log, not to deliver: it is logged as an error, without its
content, and dropped."""

import logging

from django.core.mail.backends.base import BaseEmailBackend

logger = logging.getLogger(__name__)


class UnconfiguredBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        for message in email_messages:
            logger.error(
                "email not sent (no mail server: set DJANGO_EMAIL_HOST): subject %r to %d recipient(s)",
                message.subject,
                len(message.recipients()),
            )
        return 0
