//! Text the driver sends: customers' requests (calm and upset), agents' replies and
//! drafts (some condescending), search queries and half-typed suggestions. Varied by a
//! small seeded generator, so a run is repeatable and requests are not all alike.

/// A small deterministic generator (SplitMix64); statistical quality is beside the point.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    /// True with probability `percent` / 100.
    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

const PROBLEMS: &[(&str, &str)] = &[
    (
        "Printer on the second floor will not print",
        "The printer on the second floor shows 'paper jam' but there is no paper stuck. I have switched it off and on and opened every tray.",
    ),
    (
        "Invoice total looks wrong",
        "My invoice for last month is higher than my plan. I was charged twice for the same licence, as far as I can tell.",
    ),
    (
        "Cannot reset my password",
        "The password reset e-mail never arrives. I have checked the spam folder and tried twice this morning.",
    ),
    (
        "Refund for cancelled order",
        "I cancelled my order within the trial period and was told a refund would follow, but nothing has come back to my card.",
    ),
    (
        "Login fails after the update",
        "Since the update yesterday the login page says my account is locked. I can still sign in on my phone.",
    ),
    (
        "Wifi drops every few minutes",
        "The office wifi drops every few minutes on my laptop. Colleagues next to me stay connected. I tried forgetting the network.",
    ),
    (
        "VPN will not connect from home",
        "The VPN client hangs at 'authenticating' when I work from home. It worked last week on the same network.",
    ),
    (
        "Outlook keeps asking for my password",
        "Outlook asks for my password every ten minutes and then fails to send. Webmail works fine.",
    ),
    (
        "Laptop battery drains overnight",
        "My laptop is at zero every morning even though I shut the lid. It is only a few months old.",
    ),
    (
        "Shared drive is read-only",
        "I can open files on the shared drive but cannot save anything. The error says I do not have permission.",
    ),
    (
        "Two-factor codes are rejected",
        "The codes from my authenticator app are always rejected. The clock on my phone is set automatically.",
    ),
    (
        "Export to CSV is empty",
        "When I export the monthly report to CSV the file only has the header row, although the report shows data.",
    ),
];

const CALM_OPENINGS: &[&str] = &[
    "Hello, I hope you can help.",
    "Hi team,",
    "Good morning,",
    "Hello there, a quick question.",
];

const UPSET_OPENINGS: &[&str] = &[
    "This is the third time I am writing about this and nobody has answered!",
    "I am really frustrated. I already explained this on the phone last week.",
    "This is completely unacceptable. I have lost a whole day of work.",
    "Again the same problem!!! Why does nobody fix this?",
];

const CALM_CLOSINGS: &[&str] = &[
    "Thanks in advance.",
    "Let me know if you need anything else from me.",
    "No rush, but it would be great to have it working by Friday.",
    "Thank you!",
];

const UPSET_CLOSINGS: &[&str] = &[
    "I expect an answer today.",
    "If this is not fixed by tomorrow I will cancel my subscription.",
    "Please do not send me another automated reply.",
    "I need someone who actually knows what they are doing.",
];

/// A customer's new request: a subject and its body, about a third of them upset.
pub fn ticket(rng: &mut Rng) -> (String, String) {
    let (subject, account) = PROBLEMS[rng.below(PROBLEMS.len())];
    let upset = rng.chance(35);
    let (opening, closing) = if upset {
        (rng.pick(UPSET_OPENINGS), rng.pick(UPSET_CLOSINGS))
    } else {
        (rng.pick(CALM_OPENINGS), rng.pick(CALM_CLOSINGS))
    };
    let reference = rng.below(90_000) + 10_000;
    let subject = if upset && rng.chance(50) {
        format!("{subject} - still not fixed")
    } else {
        subject.to_string()
    };
    let body = format!("{opening}\n\n{account} My reference is {reference}.\n\n{closing}");
    (subject, body)
}

const REPLIES: &[&str] = &[
    "Thank you for the details, and I am sorry this has cost you time. I have reproduced the problem and passed it to our second-line team; I will update you by 3 pm today.",
    "Thanks for your patience. Could you send a screenshot of the error message? Once I have it I will check the logs and get back to you within the hour.",
    "I understand how frustrating this is, especially after writing before. I have applied a fix to your account; please try again and tell me whether it works.",
    "Thank you for reporting this. The refund was issued this morning and should reach your card within three to five working days. I will check on it on Monday.",
    "Sorry for the trouble. I have reset the setting on our side. If it happens again, reply here and I will call you so we can look at it together.",
];

/// An agent's public reply.
pub fn reply(rng: &mut Rng) -> String {
    let n = rng.below(1000);
    format!("{} (ref {n})", rng.pick(REPLIES))
}

const SEARCHES: &[&str] = &[
    "printer",
    "invoice",
    "password",
    "refund",
    "login",
    "wifi",
    "vpn",
    "outlook password",
    "paper jam",
    "charged twice",
    "account locked",
    "battery",
    "shared drive permission",
    "two-factor",
    "export csv",
    "reset e-mail",
];

/// What an agent types into the ticket search.
pub fn search_query(rng: &mut Rng) -> &'static str {
    rng.pick(SEARCHES)
}

const DRAFTS: &[&str] = &[
    "my printer keeps saying paper jam but there is no paper stuck",
    "I was charged twice on my last invoice",
    "the password reset email never arrives",
    "how do I get a refund for a cancelled order",
    "cannot log in after the update, it says account locked",
    "wifi keeps disconnecting on my laptop",
    "vpn hangs at authenticating from home",
    "outlook asks for my password all the time",
    "how to export the report to csv",
    "two factor codes are not accepted",
];

/// A request as the customer is still typing it: a draft cut off part-way (at 40–90% of
/// its length, on a character boundary).
pub fn suggest_draft(rng: &mut Rng) -> String {
    let draft = rng.pick(DRAFTS);
    let mut cut = draft.len() * (40 + rng.below(51)) / 100;
    while !draft.is_char_boundary(cut) {
        cut -= 1;
    }
    draft[..cut].trim_end().to_string()
}

const KIND_SENTENCES: &[&str] = &[
    "Thank you for getting back to me so quickly, and I am sorry the printer has been giving you trouble all morning.",
    "I can see why this is frustrating, especially since you already reported it last week.",
    "I have checked your account and the second charge was a duplicate; I have reversed it today.",
    "Could you try signing out and back in? That refreshes the permissions on the shared drive.",
    "I will check again tomorrow morning and write to you by 10 am with an update either way.",
    "If it still fails, reply here and I will arrange a call at a time that suits you.",
];

const HARSH_SENTENCES: &[&str] = &[
    "Obviously you need to restart the router first, as anyone would know.",
    "As I already explained, this is simply how the product works.",
    "You should have read the documentation before opening a ticket.",
    "Just clear the DNS cache and flush the ARP table, it is not complicated.",
    "Why did you not try that? Did you even check the settings? What did you change?",
    "PLEASE READ MY PREVIOUS MESSAGE.",
];

/// A draft reply for the tone coach, a few hundred bytes; about a third contain
/// condescending, impatient or jargon-laden sentences.
pub fn tone_draft(rng: &mut Rng) -> String {
    let harsh = rng.chance(35);
    let mut sentences = vec!["Hi,"];
    let count = 3 + rng.below(3);
    for i in 0..count {
        if harsh && i % 2 == 1 {
            sentences.push(rng.pick(HARSH_SENTENCES));
        } else {
            sentences.push(rng.pick(KIND_SENTENCES));
        }
    }
    sentences.push("Best regards, Sam");
    sentences.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generator_is_repeatable_and_spread() {
        let a: Vec<u64> = (0..5)
            .map({
                let mut r = Rng::new(7);
                move |_| r.next_u64()
            })
            .collect();
        let mut r = Rng::new(7);
        let b: Vec<u64> = (0..5).map(|_| r.next_u64()).collect();
        assert_eq!(a, b);
        let mut r = Rng::new(1);
        let mut seen = [0usize; 4];
        for _ in 0..4000 {
            seen[r.below(4)] += 1;
        }
        assert!(seen.iter().all(|&n| n > 800), "{seen:?}");
    }

    #[test]
    fn tickets_vary_and_some_are_upset() {
        let mut r = Rng::new(3);
        let tickets: Vec<(String, String)> = (0..200).map(|_| ticket(&mut r)).collect();
        let subjects: std::collections::HashSet<&str> =
            tickets.iter().map(|(s, _)| s.as_str()).collect();
        assert!(subjects.len() >= 10);
        let upset = tickets
            .iter()
            .filter(|(_, b)| UPSET_OPENINGS.iter().any(|o| b.starts_with(o)))
            .count();
        assert!((30..=120).contains(&upset), "{upset} upset of 200");
        assert!(tickets.iter().all(|(s, b)| !s.is_empty() && b.len() > 80));
    }

    #[test]
    fn suggestions_are_prefixes_of_drafts() {
        let mut r = Rng::new(11);
        for _ in 0..200 {
            let s = suggest_draft(&mut r);
            let full = DRAFTS.iter().find(|d| d.starts_with(&s)).unwrap();
            assert!(s.len() < full.len());
            assert!(s.len() * 100 >= full.len() * 30, "{s:?} from {full:?}");
        }
    }

    #[test]
    fn tone_drafts_are_a_few_hundred_bytes_and_some_are_harsh() {
        let mut r = Rng::new(5);
        let drafts: Vec<String> = (0..200).map(|_| tone_draft(&mut r)).collect();
        assert!(drafts.iter().all(|d| (150..=700).contains(&d.len())));
        let harsh = drafts
            .iter()
            .filter(|d| HARSH_SENTENCES.iter().any(|h| d.contains(h)))
            .count();
        assert!((30..=120).contains(&harsh), "{harsh} harsh of 200");
    }

    #[test]
    fn replies_and_queries_are_not_empty() {
        let mut r = Rng::new(9);
        assert!(reply(&mut r).len() > 50);
        assert!(!search_query(&mut r).is_empty());
    }
}
