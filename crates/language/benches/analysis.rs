//! Speed targets (issue 3): a 2 KB reply reviewed in under 200 µs and a message scored in
//! under 100 µs on one core. `cargo bench -p heard-language`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use heard_language::{
    Audience, FrustrationContext, KnownFact, ToneContext, detect_restatement, review_tone,
    score_frustration,
};

/// A realistic 2 KB draft reply: greeting, acknowledgement, steps, a few findings.
fn reply_2kb() -> String {
    let paragraph = "Hi Alex, thanks for the details and the screenshot. I understand the invoice export \
keeps failing, and I'm sorry for the trouble. Obviously the export needs a date range, so just \
pick one in Settings. As I already said, clearing the browser cache often helps too. Which version \
of Windows are you using? Did you change anything? When did it start? I'll check the logs and get \
back to you by 3 pm tomorrow. ";
    let mut s = String::new();
    while s.len() < 2048 {
        s.push_str(paragraph);
    }
    s.truncate(2048);
    while !s.is_char_boundary(s.len()) {
        s.pop();
    }
    s
}

const MESSAGE: &str = "This is the THIRD TIME I'm writing about the invoice export!!! It still \
fails every single time and nobody has replied in two days. Your support is useless. Fix it today \
or I cancel my subscription and leave a review.";

fn benches(c: &mut Criterion) {
    let reply = reply_2kb();
    let ctx = ToneContext {
        audience: Audience::NonTechnical,
        known_facts: vec![KnownFact {
            key: "os_version".into(),
            value: "Windows 11".into(),
        }],
    };
    // Parse the embedded data once, outside the measurement.
    black_box(review_tone("warm up", &ctx));
    c.bench_function(
        "review_tone 2 KB reply (non-technical, 1 known fact)",
        |b| b.iter(|| review_tone(black_box(&reply), &ctx)),
    );
    let plain = FrustrationContext::default();
    c.bench_function("score_frustration one message", |b| {
        b.iter(|| score_frustration(black_box(MESSAGE), &plain))
    });
    let with_context = FrustrationContext {
        earlier_messages: vec![
            "The invoice export fails every time I pick March.".into(),
            "Still failing, please help.".into(),
        ],
        prior_contacts: 2,
        waited_minutes: Some(2880),
    };
    c.bench_function("score_frustration one message with ticket context", |b| {
        b.iter(|| score_frustration(black_box(MESSAGE), &with_context))
    });
    let earlier = [
        "The invoice export fails every time I pick March.",
        "Thanks for the update.",
    ];
    c.bench_function("detect_restatement two earlier messages", |b| {
        b.iter(|| detect_restatement(black_box(&earlier), black_box(MESSAGE)))
    });
}

criterion_group!(analysis, benches);
criterion_main!(analysis);
