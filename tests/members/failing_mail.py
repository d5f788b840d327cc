from django.core.mail.backends.base import BaseEmailBackend


class FailingBackend(BaseEmailBackend):
    """An email backend whose server refuses every connection."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("connection refused by the test backend")
