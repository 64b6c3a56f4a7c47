//! The flag line on both sides: plain support questions and answers, and neutral help text
//! from the sample knowledge base beside the repository (`shared/data/kb/gnome`), are left
//! alone; condescending, hostile and angry sentences are still flagged. A model that learns
//! topic words ("version", "browser") or is calibrated to flag half of everything fails the
//! first tests; one that stops hearing rudeness fails the last.

use std::path::PathBuf;

use heard_language::{
    FRUSTRATED_AT, FindingKind, FrustrationContext, TONE_FLAG_BELOW, ToneContext, review_tone,
    score_frustration,
};

/// Findings about what a reply leaves out (a next step, a time frame) say nothing about its
/// tone; every other kind is a flag.
fn tone_flags(text: &str) -> Vec<FindingKind> {
    review_tone(text, &ToneContext::default())
        .findings
        .into_iter()
        .map(|f| f.kind)
        .filter(|k| !matches!(k, FindingKind::NoNextStep | FindingKind::NoTimeFrame))
        .collect()
}

/// Written for this test: what agents and customers ordinarily write.
const PLAIN: &[&str] = &[
    "Could you tell me which version you are using, please?",
    "Which browser are you using?",
    "What operating system is the laptop running?",
    "Can you send me a screenshot of the error message?",
    "When did this start happening?",
    "Is the printer connected over USB or over the network?",
    "Do you see the same problem in a private window?",
    "Which email address did you sign up with?",
    "I have reset your password; you can sign in again now.",
    "The export runs every night and the file appears in your downloads folder.",
    "Your refund was issued today and should reach your card within five business days.",
    "I checked your account and the invoice was paid on 3 March.",
    "The update to version 4.2 fixes the sync problem you reported.",
    "I'll forward this to the billing team and update you tomorrow morning.",
    "Open Settings, choose Accounts and select Add account.",
    "Restart the router and try again in a few minutes.",
    "Thanks for getting back to me so quickly.",
    "Hi, my order number is 48213 and I would like to change the delivery address.",
    "How do I export my contacts to a CSV file?",
    "The app crashes when I open the camera on my phone.",
    "Is there a way to add a second user to the same plan?",
    "I can't find the invoice for last month in my account.",
    "Please let me know if the new link works for you.",
    "Where can I download the desktop client?",
];

#[test]
fn plain_support_questions_and_answers_are_not_flagged() {
    let mut wrong = Vec::new();
    for text in PLAIN {
        let tone = review_tone(text, &ToneContext::default());
        let flags = tone_flags(text);
        let f = score_frustration(text, &FrustrationContext::default());
        if tone.score < TONE_FLAG_BELOW || !flags.is_empty() || f.score >= FRUSTRATED_AT {
            wrong.push(format!(
                "{text:?}: tone {} {flags:?}, frustration {}",
                tone.score, f.score
            ));
        }
        assert!(!f.abusive, "{text:?} is not abuse");
    }
    assert!(wrong.is_empty(), "flagged:\n{}", wrong.join("\n"));
}

/// The sentences of the sample help articles (neutral, instructive text) with 6 to 40 words.
fn help_sentences() -> Vec<String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/kb/gnome/gnome_help_C.jsonl");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "the sample help articles are missing ({e}): expected {} (shared/data beside the repository)",
            path.display()
        )
    });
    heard_language::training::help_sentences(&text)
}

#[test]
fn neutral_help_text_is_left_alone() {
    let sentences = help_sentences();
    assert!(sentences.len() > 1000, "{} sentences", sentences.len());
    let mut tone_flagged = Vec::new();
    let mut frustrated = Vec::new();
    for s in &sentences {
        let tone = review_tone(s, &ToneContext::default());
        if tone.score < TONE_FLAG_BELOW || !tone_flags(s).is_empty() {
            tone_flagged.push(format!("{s:?}: {} {:?}", tone.score, tone_flags(s)));
        }
        let f = score_frustration(s, &FrustrationContext::default());
        if f.score >= FRUSTRATED_AT {
            let words: Vec<&str> = f.evidence.iter().map(|e| e.excerpt.as_str()).collect();
            frustrated.push(format!("{s:?}: {} {words:?}", f.score));
        }
    }
    let n = sentences.len() as f64;
    let tone_share = tone_flagged.len() as f64 / n;
    let frustrated_share = frustrated.len() as f64 / n;
    eprintln!(
        "help text: {} sentences, tone flags {:.1}%, frustrated {:.1}%",
        sentences.len(),
        100.0 * tone_share,
        100.0 * frustrated_share
    );
    // A few instructions do read as curt ("Simply drag…" is a minimiser); most must not
    // (1.7% when written).
    assert!(
        tone_share <= 0.03,
        "tone flags {:.1}% of help text:\n{}",
        100.0 * tone_share,
        tone_flagged[..tone_flagged.len().min(30)].join("\n")
    );
    // Help articles speak of lost data, things that "still" fail and "useless" profiles: the
    // rules for customers' complaints fire on some. A floor against getting worse (3.3%
    // when written).
    assert!(
        frustrated_share <= 0.04,
        "{:.1}% of help text scored frustrated:\n{}",
        100.0 * frustrated_share,
        frustrated[..frustrated.len().min(30)].join("\n")
    );
}

/// Written for this test: talking down and hostility, as people write it online.
const RUDE: &[&str] = &[
    "Obviously you didn't read what I wrote.",
    "Did you even bother to read the docs before asking?",
    "You clearly have no idea what you're talking about.",
    "As I already said, the answer is in the manual.",
    "Wow, what a genius question.",
    "Just google it like everyone else.",
    "Are you seriously this clueless?",
    "Nobody cares about your excuses.",
    "This is the dumbest thing I have read all week.",
    "Learn to read, it's not that hard.",
    "Shut up and do your job.",
    "Why would you ever think that was a good idea?",
];

/// Written for this test: anger and complaints from customers.
const ANGRY: &[&str] = &[
    "This is ridiculous, I have been waiting three weeks and nobody answers!",
    "I am furious. Your service is useless and I want my money back.",
    "Worst support ever, I'm cancelling my subscription today.",
    "I'm so fed up with this garbage app crashing every single day.",
    "You people are a joke. Third time I'm asking for the refund.",
];

#[test]
fn condescending_hostile_and_angry_text_is_still_flagged() {
    let mut missed = Vec::new();
    for text in RUDE {
        let tone = review_tone(text, &ToneContext::default());
        if tone.score >= TONE_FLAG_BELOW || tone_flags(text).is_empty() {
            missed.push(format!("tone {text:?}: {}", tone.score));
        }
    }
    for text in ANGRY {
        let f = score_frustration(text, &FrustrationContext::default());
        if f.score < FRUSTRATED_AT || f.evidence.is_empty() {
            missed.push(format!("frustration {text:?}: {}", f.score));
        }
    }
    assert!(missed.is_empty(), "not flagged:\n{}", missed.join("\n"));
}
