from django.tasks import task


@task()
def send_invitation_mail(invitation_mail_id: int) -> str:
    """Send one queued invitation e-mail. Its only argument is the queued mail's id: the link's token
    is made here, so it is never stored with the task."""
    from .services.invitation_mails import invitation_mail_deliver

    return invitation_mail_deliver(invitation_mail_id=invitation_mail_id)
