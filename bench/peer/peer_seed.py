"""Fill a freshly migrated django-helpdesk database with a realistic help desk, quickly.

Run inside the peer's virtual environment with DJANGO_SETTINGS_MODULE=peer_site.settings:

    python peer_seed.py --tickets 2000 --out creds.json

It makes one queue, five staff agents (the first one, `bench`, is the one the load client
acts as), N tickets spread over the last half year in several statuses with two to seven
follow-ups each (the status mix and conversation length of `heard seed`), a DRF token
and a signed-in session for `bench`, and writes what the load client needs (token,
session cookie, ids) to --out as JSON.

Everything is written with bulk_create in a few transactions, so 2,000 tickets take a
second or two rather than the minutes that 2,000 API calls would.
"""

import argparse
import datetime
import json
import os
import random
import sys
import time

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.sites.models import Site  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402
from helpdesk.models import FollowUp, Queue, Ticket  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

# What customers write about. The topics and words overlap heard's own seed and the search
# words both load drivers use (printer, invoice, password, refund, VPN, Wi-Fi, …), so a
# search matches a comparable share of either desk.
TOPICS = {
    "printing": (
        ["Printer on floor 3 prints blank pages", "Paper jam warning but no paper stuck",
         "Cannot add the office printer after the update"],
        ["Since this morning the printer next to the kitchen only gives blank pages.",
         "The printer says paper jam, yet every tray is empty and nothing is stuck.",
         "My laptop stopped finding the office printer after last night's update."],
    ),
    "vpn": (
        ["VPN drops every few minutes", "VPN will not connect from home",
         "VPN client asks for my password again and again"],
        ["When I work from home the VPN connection falls over every five minutes or so.",
         "The VPN client hangs at 'authenticating' and then gives up.",
         "The VPN keeps asking for my password although I type it correctly."],
    ),
    "accounts": (
        ["Account locked after the password change", "Password reset e-mail never arrives",
         "Two-factor codes are rejected at login"],
        ["After changing my password yesterday my account is locked.",
         "I asked for a password reset three times and no e-mail came, not even in spam.",
         "The codes from my authenticator app are rejected every time I log in."],
    ),
    "email": (
        ["Outlook keeps asking for my password", "Mailbox full although I deleted a lot",
         "Mails to one customer bounce back"],
        ["Outlook asks for my password every ten minutes and then cannot send.",
         "I get a mailbox-full warning although I deleted hundreds of messages.",
         "Everything I send to one of our customers comes back as undeliverable."],
    ),
    "wifi": (
        ["Wi-Fi drops in the big meeting room", "Very slow network on the second floor",
         "Guest Wi-Fi password does not work"],
        ["The wifi keeps dropping in the large meeting room during calls.",
         "The network on the second floor has crawled for two days now.",
         "The guest wifi password on the welcome sheet is refused."],
    ),
    "billing": (
        ["Invoice shows the wrong VAT number", "Charged twice this month",
         "Refund for a cancelled order not received"],
        ["Our latest invoice still carries our old VAT number.",
         "We were charged twice for this month's subscription, see the invoice attached.",
         "We cancelled an order three weeks ago and the refund never reached our card."],
    ),
    "software": (
        ["Export to CSV fails with an error", "The reporting app crashes on start",
         "Licence expired message after renewal"],
        ["Exporting the monthly report to CSV stops halfway with an error.",
         "The reporting app closes itself right after the splash screen.",
         "The app says my licence expired, but we renewed it last week."],
    ),
    "hardware": (
        ["Laptop battery drains overnight", "Second monitor stays black",
         "Shared drive is read-only for me"],
        ["My laptop battery is empty every morning although the lid was shut.",
         "The second monitor on my docking station stays black.",
         "I can open files on the shared drive but the permission to save is gone."],
    ),
}
DETAILS = [
    "I already restarted everything, with no change.",
    "Colleagues next to me have the same problem.",
    "We have a client meeting this afternoon, so it is urgent for us.",
    "It worked fine last week and nothing changed on our side.",
    "I can send screenshots if that helps.",
    "Our account number is {account}.",
    "The error message says 'something went wrong, please try again later'.",
    "This is the second time I write about this.",
]
OPENERS = ["Hello,", "Hi team,", "Good morning,", "Hi,", "Dear support,"]
CLOSERS = ["Thanks,", "Thank you!", "Best regards,", "Kind regards,", "Cheers,"]
NAMES = [
    "Ana", "Ben", "Chloe", "Dmitri", "Esra", "Femi", "Grace", "Hiro", "Ines", "Jonas",
    "Kavya", "Liam", "Maya", "Noor", "Oscar", "Priya", "Quentin", "Rosa", "Sven", "Tariq",
]
DOMAINS = ["example.com", "example.org", "example.net", "acme.test", "globex.test"]
AGENT_REPLIES = [
    "Thanks for the details, {name}. I can reproduce this and have passed it to second line.",
    "Could you tell me which device and which version you are using?",
    "We rolled out a fix an hour ago; could you try again and let me know?",
    "I have reset the setting on your account. It should work now.",
    "This is a known problem; we expect a fix this week and will update you here.",
    "Sorry for the wait. I checked the logs and found the cause; it is fixed now.",
]
CUSTOMER_REPLIES = [
    "Thanks, that fixed it!",
    "It still happens, unfortunately. Same error as before.",
    "I am on Windows 11 with the latest updates.",
    "Any news on this? It is getting urgent.",
    "Here is the screenshot you asked for.",
]
# The status mix of heard's seed, in django-helpdesk's statuses: of the older 90% of
# tickets most are done (heard: closed 72, resolved 14, open 6, waiting 8); the newest
# tenth is all still being worked on. About 23% end up in the open queue on both desks.
STATUSES_OLD = [
    (Ticket.CLOSED_STATUS, 70),
    (Ticket.RESOLVED_STATUS, 14),
    (Ticket.OPEN_STATUS, 11),
    (Ticket.REOPENED_STATUS, 3),
    (Ticket.DUPLICATE_STATUS, 2),
]
STATUSES_RECENT = [(Ticket.OPEN_STATUS, 90), (Ticket.REOPENED_STATUS, 10)]


def pick_weighted(rng, options):
    return rng.choices([o for o, _ in options], [w for _, w in options])[0]


def description(rng, opening, name):
    lines = [rng.choice(OPENERS), "", opening]
    for tmpl in rng.sample(DETAILS, rng.randint(1, 3)):
        lines.append(tmpl.format(account=rng.randint(10000, 99999)))
    lines += ["", rng.choice(CLOSERS), name]
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tickets", type=int, default=2000)
    ap.add_argument("--out", required=True, help="where to write the load client's credentials")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    started = time.monotonic()

    if Ticket.objects.exists():
        sys.exit("peer_seed: the database already has tickets; seed a fresh one")

    User = get_user_model()
    Site.objects.update_or_create(id=settings.SITE_ID, defaults={"domain": "127.0.0.1", "name": "peer"})
    bench = User.objects.create_user(
        "bench", "bench@example.com", "bench-password", is_staff=True, first_name="Bench"
    )
    agents = [bench] + [
        # No password (unusable): hashing one costs half a second each and nobody signs in.
        User.objects.create_user(n.lower(), f"{n.lower()}@example.com", None, is_staff=True, first_name=n)
        for n in ("Alex", "Sam", "Kim", "Robin")
    ]
    queue = Queue.objects.create(
        title="Support", slug="support", email_address="support@example.com",
        allow_public_submission=True,
    )
    token = Token.objects.create(user=bench)

    now = timezone.now()
    span = datetime.timedelta(days=180).total_seconds()
    topics = list(TOPICS.values())
    tickets = []
    for i in range(args.tickets):
        subjects, openings = rng.choice(topics)
        name = rng.choice(NAMES)
        age_share = 1 - (i + 0.5) / args.tickets
        created = now - datetime.timedelta(seconds=60 + span * age_share)
        status = pick_weighted(rng, STATUSES_RECENT if age_share < 0.1 else STATUSES_OLD)
        assigned = rng.choice(agents) if rng.random() < 0.85 else None
        tickets.append(
            Ticket(
                title=rng.choice(subjects),
                queue=queue,
                submitter_email=f"{name.lower()}.{rng.randint(1, 500)}@{rng.choice(DOMAINS)}",
                assigned_to=assigned,
                status=status,
                description=description(rng, rng.choice(openings), name),
                resolution=(
                    "Fixed on our side; the customer confirmed."
                    if status in (Ticket.RESOLVED_STATUS, Ticket.CLOSED_STATUS) else None
                ),
                priority=rng.choices([1, 2, 3, 4], [5, 20, 60, 15])[0],
                due_date=(created + datetime.timedelta(days=3)) if rng.random() < 0.3 else None,
            )
        )
        tickets[-1]._seed = (created, name)

    with transaction.atomic():
        Ticket.objects.bulk_create(tickets, batch_size=500)
    # bulk_create fills `created`/`modified` with "now" (auto_now/auto_now_add); spread
    # them out over the half year afterwards with one plain UPDATE per ticket (bulk_update
    # builds a huge CASE expression and is several times slower).
    followups = []
    for t in tickets:
        created, name = t._seed
        t.created = created
        when = created
        last = created
        # Two to seven follow-ups, agent and customer by turns: with the description, the
        # three to eight messages per ticket of heard's seed.
        for n in range(rng.randint(2, 7)):
            when = min(when + datetime.timedelta(minutes=rng.randint(10, 600)), now)
            agent_turn = n % 2 == 0
            followups.append(
                FollowUp(
                    ticket=t,
                    date=when,
                    title="Comment" if agent_turn else "E-Mail Received",
                    comment=(
                        rng.choice(AGENT_REPLIES).format(name=name)
                        if agent_turn else rng.choice(CUSTOMER_REPLIES)
                    ),
                    public=True,
                    user=(t.assigned_to or rng.choice(agents)) if agent_turn else None,
                )
            )
            last = when
        t.modified = last
    adapt = connection.ops.adapt_datetimefield_value
    with transaction.atomic():
        with connection.cursor() as cur:
            cur.executemany(
                f"UPDATE {Ticket._meta.db_table} SET created = %s, modified = %s WHERE id = %s",
                [(adapt(t.created), adapt(t.modified), t.id) for t in tickets],
            )
        FollowUp.objects.bulk_create(followups, batch_size=1000)
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
        cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    # A signed-in session for the staff pages, made the way Django's test client makes
    # one (the same rows a real sign-in through the login form writes).
    client = Client()
    client.force_login(bench)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value

    ids = list(Ticket.objects.order_by("id").values_list("id", flat=True))
    creds = {
        "token": token.key,
        "session_cookie": settings.SESSION_COOKIE_NAME,
        "session": session,
        "queue_id": queue.id,
        "agent_ids": [a.id for a in agents],
        "ticket_id_min": ids[0] if ids else None,
        "ticket_id_max": ids[-1] if ids else None,
        "tickets": len(ids),
        "followups": len(followups),
    }
    tmp = args.out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(creds, f, indent=2)
    os.replace(tmp, args.out)
    print(
        f"peer_seed: {len(ids)} tickets, {len(followups)} follow-ups "
        f"in {time.monotonic() - started:.1f} s",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
