//! Prints the tone review and frustration score of each argument, for trying texts by hand:
//! `cargo run -p heard-language --example analyze -- "text" ["text"…]`.
use heard_language::{Audience, FrustrationContext, ToneContext, review_tone, score_frustration};

fn main() {
    let ctx = ToneContext {
        audience: Audience::NonTechnical,
        known_facts: Vec::new(),
    };
    for text in std::env::args().skip(1) {
        println!("{text}");
        let tone = review_tone(&text, &ctx);
        println!(
            "  tone {}",
            serde_json::to_string_pretty(&tone).unwrap_or_default()
        );
        let f = score_frustration(&text, &FrustrationContext::default());
        println!(
            "  frustration {}",
            serde_json::to_string_pretty(&f).unwrap_or_default()
        );
    }
}
