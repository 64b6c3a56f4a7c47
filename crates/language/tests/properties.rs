//! Properties that hold for any input: spans are inside the text and on character
//! boundaries, excerpts are what the spans say, scores stay in range, and nothing panics —
//! on arbitrary Unicode, on empty input and on a megabyte.

use heard_language::{
    Audience, Frustration, FrustrationContext, KnownFact, ToneContext, ToneReview,
    detect_restatement, frustration_jsonl_line, review_tone, score_frustration, tone_jsonl_line,
};
use proptest::prelude::*;

fn check_tone(text: &str, r: &ToneReview) {
    assert!(r.score <= 100);
    for f in &r.findings {
        assert!(f.start <= f.end && f.end <= text.len(), "{f:?}");
        assert!(
            text.is_char_boundary(f.start) && text.is_char_boundary(f.end),
            "{f:?}"
        );
        assert_eq!(&text[f.start..f.end], f.excerpt);
    }
}

fn check_frustration(text: &str, f: &Frustration) {
    assert!(f.score <= 100);
    let sum: u32 = f.evidence.iter().map(|e| e.weight as u32).sum();
    assert_eq!(sum, f.score as u32);
    for e in &f.evidence {
        assert!(e.start <= e.end && e.end <= text.len(), "{e:?}");
        assert!(
            text.is_char_boundary(e.start) && text.is_char_boundary(e.end),
            "{e:?}"
        );
        if e.start < e.end {
            assert_eq!(&text[e.start..e.end], e.excerpt);
        }
    }
}

fn tone_ctx(audience: Audience) -> ToneContext {
    ToneContext {
        audience,
        known_facts: vec![
            KnownFact {
                key: "os_version".into(),
                value: "Windows 11".into(),
            },
            KnownFact {
                key: "".into(),
                value: "".into(),
            },
        ],
    }
}

fn frustration_ctx(earlier: Vec<String>) -> FrustrationContext {
    FrustrationContext {
        earlier_messages: earlier,
        prior_contacts: 4,
        waited_minutes: Some(3000),
    }
}

/// Text built from fragments that exercise the rules (capitals, quotes, `>` lines,
/// apostrophes, punctuation runs, multi-byte letters) as well as random characters.
fn texty() -> impl Strategy<Value = String> {
    let fragment = prop_oneof![
        Just("obviously ".to_string()),
        Just("YOU ARE USELESS!!! ".to_string()),
        Just("\n> quoted \"line\" ".to_string()),
        Just("don’t ".to_string()),
        Just("?!?".to_string()),
        Just("as I already said, ".to_string()),
        Just("DNS (".to_string()),
        Just("[NAME] ".to_string()),
        Just("Windows 11? ".to_string()),
        Just("\u{201C}quote\u{201D} ".to_string()),
        Just("é́ 日本語 🙂 ".to_string()),
        Just("3 pm ".to_string()),
        "\\PC{0,12}",
        any::<String>(),
    ];
    prop::collection::vec(fragment, 0..24).prop_map(|v| v.concat())
}

proptest! {
    #[test]
    fn tone_spans_are_sound(text in texty()) {
        for audience in [Audience::Technical, Audience::NonTechnical] {
            check_tone(&text, &review_tone(&text, &tone_ctx(audience)));
        }
    }

    #[test]
    fn tone_on_arbitrary_unicode(text in any::<String>()) {
        check_tone(&text, &review_tone(&text, &tone_ctx(Audience::NonTechnical)));
    }

    #[test]
    fn frustration_spans_are_sound(text in texty(), earlier in prop::collection::vec(texty(), 0..3)) {
        check_frustration(&text, &score_frustration(&text, &frustration_ctx(earlier)));
    }

    #[test]
    fn frustration_on_arbitrary_unicode(text in any::<String>()) {
        check_frustration(&text, &score_frustration(&text, &FrustrationContext::default()));
    }

    #[test]
    fn restatement_spans_are_sound(new in texty(), earlier in prop::collection::vec(texty(), 0..4)) {
        let refs: Vec<&str> = earlier.iter().map(String::as_str).collect();
        if let Some(r) = detect_restatement(&refs, &new) {
            prop_assert!(r.earlier_index < earlier.len());
            prop_assert!(r.start < r.end && r.end <= new.len());
            prop_assert!(new.is_char_boundary(r.start) && new.is_char_boundary(r.end));
            prop_assert!((0.0..=1.0).contains(&r.similarity));
        }
    }

    #[test]
    fn jsonl_lines_always_answer_with_one_json_object(line in any::<String>(), text in texty()) {
        let embedded = serde_json::json!({"id": 1, "text": text}).to_string();
        for l in [line.as_str(), embedded.as_str()] {
            for out in [tone_jsonl_line(l, Audience::Technical), frustration_jsonl_line(l)] {
                prop_assert!(!out.contains('\n'));
                let v: serde_json::Value = serde_json::from_str(&out).map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert!(v.get("id").is_some());
            }
        }
    }
}

proptest! {
    // A megabyte is slow in a debug build: two cases are enough to show it is handled.
    #![proptest_config(ProptestConfig::with_cases(2))]
    #[test]
    fn a_megabyte_of_text(seed in texty()) {
        let unit = if seed.is_empty() { "Obviously YOU should have read it!!! ".to_string() } else { seed };
        let mut text = String::with_capacity(1 << 20);
        while text.len() < 1 << 20 {
            text.push_str(&unit);
            text.push_str(" just click OK. Why? When? Where? ");
        }
        check_tone(&text, &review_tone(&text, &tone_ctx(Audience::NonTechnical)));
        check_frustration(&text, &score_frustration(&text, &frustration_ctx(vec![text.clone()])));
    }
}

#[test]
fn empty_input() {
    let r = review_tone("", &ToneContext::default());
    assert_eq!((r.score, r.findings.len()), (100, 0));
    let f = score_frustration("", &FrustrationContext::default());
    assert_eq!((f.score, f.evidence.len()), (0, 0));
    assert!(detect_restatement(&[""], "").is_none());
}
