"""Fill a migrated django-helpdesk database through its own models, for import tests.

Run by `make` beside it (DJANGO_SETTINGS_MODULE, PEER_DB and PEER_MEDIA set):

    python fill.py --tickets 30

Makes two queues, staff (one without an e-mail address), a customer with an account,
and N tickets: the first few are fixed cases the test checks one by one (a conversation
with a private note, an attachment and a copied address; closed, resolved, duplicate and
on-hold tickets; a ticket without a submitter address; one assigned to the staff member
without an address), the rest a varied mix. Prints one JSON line with what it made.
"""

import argparse
import datetime
import json
import random

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.files.base import ContentFile  # noqa: E402
from django.db import transaction  # noqa: E402
from helpdesk.models import FollowUp, FollowUpAttachment, Queue, Ticket, TicketCC  # noqa: E402

UTC = datetime.timezone.utc
START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

SUBJECTS = [
    "VPN drops every few minutes", "Invoice shows the wrong VAT number",
    "Outlook keeps asking for my password", "Second monitor stays black",
    "Refund for a cancelled order", "Wi-Fi drops in the meeting room",
]
REPLIES = [
    "Thanks, could you tell me which version you use?",
    "We rolled out a fix; please try again.",
    "I have reset the setting on your account.",
]
NOTES = ["Known issue, see the vendor case.", "Customer is on the legacy contract."]
ANSWERS = ["Still broken, same error.", "Thanks, that fixed it!", "I use version 4.2."]


def make_ticket(queue, title, submitter, assigned, status, priority, created, description):
    t = Ticket.objects.create(
        title=title, queue=queue, submitter_email=submitter, assigned_to=assigned,
        status=status, priority=priority, description=description,
    )
    return t, created


def followup(ticket, when, comment, public, user, title="Comment", new_status=None):
    return FollowUp.objects.create(
        ticket=ticket, date=when, comment=comment, public=public, user=user, title=title,
        new_status=new_status,
    )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tickets", type=int, default=30)
    args = ap.parse_args()
    rng = random.Random(18)
    User = get_user_model()
    stamps = {}
    with transaction.atomic():
        alex = User.objects.create_user("alex", "alex@desk.example", None, is_staff=True,
                                        first_name="Alex", last_name="Agent")
        sam = User.objects.create_user("sam", "Sam@Desk.example", None, is_staff=True,
                                       first_name="Sam", last_name="Support")
        ghost = User.objects.create_user("ghost", "", None, is_staff=True, first_name="Ghost")
        carol = User.objects.create_user("carol", "carol@customer.example", None,
                                         first_name="Carol", last_name="Customer")
        support = Queue.objects.create(title="Support", slug="support",
                                       email_address="support@desk.example")
        billing = Queue.objects.create(title="Billing", slug="billing",
                                       email_address="billing@desk.example")

        # 1: the conversation the test reads message by message.
        t, at = make_ticket(support, "Printer prints blank pages", "carol@customer.example",
                            alex, Ticket.OPEN_STATUS, 2, START,
                            "The printer on floor 3 only prints blank pages.")
        stamps[t.id] = (at, at + datetime.timedelta(hours=4))
        followup(t, at + datetime.timedelta(hours=1), "Which printer model is it?", True, alex)
        followup(t, at + datetime.timedelta(hours=2), "Toner order placed with the vendor.",
                 False, alex)
        f = followup(t, at + datetime.timedelta(hours=3), "It is the HP LaserJet on floor 3.",
                     True, None, title="E-Mail Received")
        FollowUpAttachment.objects.create(
            followup=f, file=ContentFile(b"blank page, again\n", name="scan.txt"),
            filename="scan.txt", mime_type="text/plain", size=18,
        )
        followup(t, at + datetime.timedelta(hours=4), "", True, alex, title="Status changed",
                 new_status=Ticket.OPEN_STATUS)
        TicketCC.objects.create(ticket=t, email="boss@customer.example", can_view=True)
        fixed = 1

        def simple(title, status, priority, submitter="dana@example.org", assigned=sam,
                   on_hold=False, queue=billing):
            nonlocal fixed
            at = START + datetime.timedelta(days=fixed)
            t, _ = make_ticket(queue, title, submitter, assigned, status, priority, at,
                               f"{title}. Please help.")
            followup(t, at + datetime.timedelta(hours=1), "Looking into it.", True, assigned)
            if on_hold:
                # After the follow-up: saving it saves the ticket object as it was.
                Ticket.objects.filter(id=t.id).update(on_hold=True)
            stamps[t.id] = (at, at + datetime.timedelta(hours=1))
            fixed += 1
            return t

        simple("Charged twice this month", Ticket.CLOSED_STATUS, 3)                      # 2
        simple("Licence expired after renewal", Ticket.RESOLVED_STATUS, 4)              # 3
        simple("Same as the other ticket", Ticket.DUPLICATE_STATUS, 5)                  # 4
        simple("Waiting for the vendor", Ticket.OPEN_STATUS, 1, on_hold=True)           # 5
        simple("No address on this one", Ticket.OPEN_STATUS, 3, submitter="")           # 6
        simple("Assigned to someone without mail", Ticket.OPEN_STATUS, 3, assigned=ghost)  # 7

        for i in range(fixed, args.tickets):
            at = START + datetime.timedelta(days=10, hours=7 * i)
            status = rng.choice([Ticket.OPEN_STATUS, Ticket.CLOSED_STATUS, Ticket.CLOSED_STATUS,
                                 Ticket.RESOLVED_STATUS, Ticket.REOPENED_STATUS])
            agent = rng.choice([alex, sam, None])
            submitter = rng.choice(["carol@customer.example", f"person{i % 7}@example.net"])
            t, _ = make_ticket(rng.choice([support, billing]), rng.choice(SUBJECTS), submitter,
                               agent, status, rng.randint(1, 5), at,
                               f"Hello, {rng.choice(SUBJECTS).lower()} since yesterday.")
            when = at
            for n in range(rng.randint(1, 4)):
                when += datetime.timedelta(minutes=rng.randint(10, 600))
                if n % 2 == 0:
                    staff = agent or alex
                    if rng.random() < 0.3:
                        followup(t, when, rng.choice(NOTES), False, staff)
                    followup(t, when, rng.choice(REPLIES), True, staff)
                else:
                    followup(t, when, rng.choice(ANSWERS), True, None, title="E-Mail Received")
            stamps[t.id] = (at, when)

        # FollowUp.save and the model's auto fields stamp "now": put the original times back.
        for tid, (created, modified) in stamps.items():
            Ticket.objects.filter(id=tid).update(created=created, modified=modified)

    print(json.dumps({
        "tickets": Ticket.objects.count(),
        "followups": FollowUp.objects.count(),
        "private": FollowUp.objects.filter(public=False).exclude(comment="").count(),
        "attachments": FollowUpAttachment.objects.count(),
        "first_ticket": Ticket.objects.order_by("id").first().id,
    }))


if __name__ == "__main__":
    main()
