use super::*;

fn tone(text: &str) -> ToneReview {
    review_tone(text, &ToneContext::default())
}

fn kinds(r: &ToneReview) -> Vec<FindingKind> {
    r.findings.iter().map(|f| f.kind).collect()
}

/// The first finding of `kind`, with its excerpt checked against the text.
fn finding(text: &str, kind: FindingKind) -> Finding {
    let r = tone(text);
    let f = r
        .findings
        .iter()
        .find(|f| f.kind == kind)
        .unwrap_or_else(|| panic!("no {kind:?} in {text:?}: {:?}", kinds(&r)))
        .clone();
    assert_eq!(&text[f.start..f.end], f.excerpt);
    assert!(!f.reason.is_empty() && !f.suggestion.is_empty());
    f
}

fn no_finding(text: &str, kind: FindingKind) {
    let r = tone(text);
    assert!(
        !kinds(&r).contains(&kind),
        "unexpected {kind:?} in {text:?}: {:?}",
        r.findings
    );
}

const GOOD_REPLY: &str = "Hi Dana, thanks for the details and the screenshot. I'm sorry the export \
keeps failing; I can see how frustrating that is with your deadline this week. I've asked our \
engineers to look into it and I'll write back by 3 pm tomorrow with what they find. In the \
meantime, you can export each month separately, which still works.";

#[test]
fn embedded_data_loads() {
    let lex = &*crate::lexicon::EN;
    assert!(lex.tone.rules.len() > 100);
    assert!(lex.frustration.rules.len() > 100);
    assert!(!lex.tone_model.is_empty() && !lex.frustration_model.is_empty());
    for s in [
        "shouting",
        "question_volley",
        "no_next_step",
        "no_time_frame",
        "jargon",
        "asks_known_fact",
    ] {
        assert!(lex.tone.signals.contains_key(s), "tone signal {s}");
    }
}

#[test]
fn a_good_reply_has_no_findings_and_a_full_checklist() {
    let r = tone(GOOD_REPLY);
    assert!(r.findings.is_empty(), "{:?}", r.findings);
    assert_eq!(
        r.checklist,
        Checklist {
            acknowledges: true,
            empathizes: true,
            apologizes: true,
            next_step: true,
            time_frame: true
        }
    );
    assert!(r.score >= 95, "score {}", r.score);
}

#[test]
fn polite_short_replies_have_no_findings() {
    for text in [
        "Thank you! Glad it works now.",
        "No problem at all, happy to help.",
        "It's not your fault; this setting is easy to miss. I'll change it for you today.",
        "You should have received a confirmation email; I'll resend it now.",
        "If you don't see the button, let me know and I'll send a screenshot within the hour.",
        "Just to confirm, I've refunded the charge today and you'll see it within 5 business days.",
    ] {
        let r = tone(text);
        let bad: Vec<&Finding> = r
            .findings
            .iter()
            .filter(|f| !matches!(f.kind, FindingKind::NoNextStep | FindingKind::NoTimeFrame))
            .collect();
        assert!(bad.is_empty(), "{text:?}: {bad:?}");
    }
}

#[test]
fn condescension() {
    let t = "Obviously the export needs a date range.";
    let f = finding(t, FindingKind::Condescension);
    assert_eq!((f.start, f.end, f.excerpt.as_str()), (0, 9, "Obviously"));
    finding(
        "As I already said, the export needs a date range.",
        FindingKind::Condescension,
    );
    finding("Just click the Export button.", FindingKind::Condescension);
    finding("You simply open Settings.", FindingKind::Condescension);
    finding(
        "It's really easy, anyone can do it.",
        FindingKind::Condescension,
    );
    finding(
        "Please calm down, we are looking at it.",
        FindingKind::Condescension,
    );
    // Negated or kind uses are not condescending.
    no_finding(
        "It's not obvious, so here is where to find it.",
        FindingKind::Condescension,
    );
    no_finding("I just checked your account.", FindingKind::Condescension);
    no_finding("This setting is easy to miss.", FindingKind::Condescension);
}

#[test]
fn judgment_and_blame() {
    finding(
        "You clearly don't understand how exports work.",
        FindingKind::Judgment,
    );
    finding("Did you even read the guide?", FindingKind::Judgment);
    finding("That's a silly question.", FindingKind::Judgment);
    finding("This is user error.", FindingKind::Blame);
    finding("You should have saved the file first.", FindingKind::Blame);
    finding("It's your own fault the data is gone.", FindingKind::Blame);
    no_finding("It's not your fault at all.", FindingKind::Blame);
    no_finding(
        "You should have received a reset link by now.",
        FindingKind::Blame,
    );
}

#[test]
fn impatience_and_sarcasm() {
    finding(
        "I've already explained this twice.",
        FindingKind::Impatience,
    );
    finding(
        "For the third time, the export needs a date range.",
        FindingKind::Impatience,
    );
    finding(
        "Per my last email, the export needs a date range.",
        FindingKind::Impatience,
    );
    finding("Good luck with that.", FindingKind::Sarcasm);
    finding("Thanks for nothing.", FindingKind::Sarcasm);
    no_finding("Thanks for the screenshot.", FindingKind::Sarcasm);
}

#[test]
fn dismissive_only_without_an_alternative() {
    finding("That's not our problem.", FindingKind::Dismissive);
    finding("There is nothing we can do.", FindingKind::Dismissive);
    no_finding(
        "That's not our problem to fix directly, but I've passed it to the billing team and they'll reply today.",
        FindingKind::Dismissive,
    );
    no_finding("Not a problem, happy to help.", FindingKind::Dismissive);
}

#[test]
fn jargon_only_for_a_non_technical_reader() {
    let text = "Please flush your DNS cache and check the SSL certificate.";
    let ctx = ToneContext {
        audience: Audience::NonTechnical,
        known_facts: vec![],
    };
    let r = review_tone(text, &ctx);
    let jargon: Vec<&str> = r
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::Jargon)
        .map(|f| f.excerpt.as_str())
        .collect();
    assert!(jargon.contains(&"DNS"), "{jargon:?}");
    assert!(jargon.iter().any(|j| j.contains("SSL")), "{jargon:?}");
    assert!(!kinds(&tone(text)).contains(&FindingKind::Jargon));
    // Explained on the spot: fine.
    let explained = "Your DNS (the internet's address book for your site) needs a new entry.";
    assert!(
        !kinds(&review_tone(explained, &ctx)).contains(&FindingKind::Jargon),
        "{:?}",
        review_tone(explained, &ctx).findings
    );
}

#[test]
fn question_volley() {
    let text = "What browser? Which version? When did it start? Did you change anything?";
    let f = finding(text, FindingKind::QuestionVolley);
    assert_eq!(f.start, 0);
    assert_eq!(f.end, text.len());
    no_finding(
        "So I can narrow this down, could you tell me which browser you use? And when did it start? Did anything change?",
        FindingKind::QuestionVolley,
    );
    no_finding(
        "Which browser do you use? I'll check it today.",
        FindingKind::QuestionVolley,
    );
}

#[test]
fn shouting() {
    let f = finding("Please DO NOT DELETE the folder.", FindingKind::Shouting);
    assert_eq!(f.excerpt, "DO NOT DELETE");
    finding("Read the guide!!!", FindingKind::Shouting);
    no_finding("Open the PDF from the FAQ page.", FindingKind::Shouting);
    no_finding("Hi [NAME], thanks!", FindingKind::Shouting);
}

#[test]
fn missing_next_step_and_time_frame() {
    let text = "The export failed because the file was too large for the server.";
    let r = tone(text);
    let nn = r
        .findings
        .iter()
        .find(|f| f.kind == FindingKind::NoNextStep)
        .expect("no_next_step");
    assert_eq!(
        (nn.start, nn.end, nn.excerpt.as_str()),
        (text.len(), text.len(), "")
    );
    assert!(kinds(&r).contains(&FindingKind::NoTimeFrame));
    assert!(!r.checklist.next_step && !r.checklist.time_frame);
    let r = tone("I'll split the export for you and send it within 2 hours.");
    assert!(
        r.checklist.next_step && r.checklist.time_frame,
        "{:?}",
        r.checklist
    );
    // Too short to need either.
    assert!(tone("Thanks, done!").findings.is_empty());
}

#[test]
fn checklist_items() {
    let r = tone("I understand the export fails. I'm sorry about that, it must be frustrating.");
    assert!(
        r.checklist.acknowledges && r.checklist.apologizes && r.checklist.empathizes,
        "{:?}",
        r.checklist
    );
    let r = tone("I'm not sorry. The export works.");
    assert!(!r.checklist.apologizes);
}

#[test]
fn asks_known_fact() {
    let ctx = ToneContext {
        audience: Audience::Technical,
        known_facts: vec![
            KnownFact {
                key: "os_version".into(),
                value: "Windows 11".into(),
            },
            KnownFact {
                key: "account number".into(),
                value: "4411".into(),
            },
        ],
    };
    for text in [
        "Which version of Windows are you running?",
        "Could you tell me your account number?",
        "What operating system do you use?",
    ] {
        let r = review_tone(text, &ctx);
        let f = r
            .findings
            .iter()
            .find(|f| f.kind == FindingKind::AsksKnownFact)
            .unwrap_or_else(|| panic!("{text:?}: {:?}", r.findings));
        assert_eq!(&text[f.start..f.end], f.excerpt);
    }
    let r = review_tone(
        "I see you're on Windows 11, so I'll send the Windows steps today.",
        &ctx,
    );
    assert!(
        !kinds(&r).contains(&FindingKind::AsksKnownFact),
        "{:?}",
        r.findings
    );
    let r = review_tone(
        "Which version of Windows are you running?",
        &ToneContext::default(),
    );
    assert!(!kinds(&r).contains(&FindingKind::AsksKnownFact));
}

#[test]
fn model_finding_names_its_words() {
    let r = tone("Why did you revert my edit? What is wrong with you?");
    assert!(r.score < TONE_FLAG_BELOW, "score {}", r.score);
    for f in &r.findings {
        assert_eq!(
            &"Why did you revert my edit? What is wrong with you?"[f.start..f.end],
            f.excerpt
        );
    }
}

#[test]
fn quoted_customer_text_is_not_the_agent_s_tone() {
    let text = "> This is obviously user error on your side, idiots.\n\nThanks for writing. I'll check the logs today.";
    let r = tone(text);
    assert!(
        r.findings
            .iter()
            .all(|f| f.start > text.find('\n').unwrap_or(0)),
        "{:?}",
        r.findings
    );
}

#[test]
fn tone_json_shape() {
    let r = tone("Obviously you should restart.");
    let v: serde_json::Value = serde_json::to_value(&r).unwrap_or_default();
    let keys: Vec<&str> = v
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    assert_eq!(keys, ["checklist", "findings", "score"]);
    assert_eq!(v["findings"][0]["kind"], "condescension");
    let f = v["findings"][0].as_object().map(|o| o.len());
    assert_eq!(f, Some(6));
    let back: ToneReview = serde_json::from_value(v).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(back, r);
    assert_eq!(
        serde_json::to_string(&Audience::NonTechnical)
            .ok()
            .as_deref(),
        Some("\"non-technical\"")
    );
}

// ---- frustration

fn frus(text: &str) -> Frustration {
    score_frustration(text, &FrustrationContext::default())
}

fn has_signal(f: &Frustration, kind: SignalKind) -> bool {
    f.evidence.iter().any(|e| e.kind == kind)
}

fn check_evidence(text: &str, f: &Frustration) {
    let sum: u32 = f.evidence.iter().map(|e| e.weight as u32).sum();
    assert_eq!(sum, f.score as u32, "weights add up to the score: {f:?}");
    for e in &f.evidence {
        if e.start == e.end {
            assert_eq!(e.start, 0);
            assert!(!e.excerpt.is_empty());
        } else {
            assert_eq!(&text[e.start..e.end], e.excerpt);
        }
    }
}

#[test]
fn calm_messages_are_calm() {
    for text in [
        "Hi, how do I export my invoices as PDF? Thanks!",
        "Thanks so much, that fixed it. Have a great day!",
        "I'm not angry, just curious why the report changed.",
        "",
    ] {
        let f = frus(text);
        check_evidence(text, &f);
        assert_eq!(f.level, Level::Calm, "{text:?}: {f:?}");
        assert!(!f.abusive);
    }
}

/// The commonest message a help desk gets says only what broke. It must not set off the
/// upset-customer playbook (which, among other things, holds the ticket open until diagnosed).
#[test]
fn plain_fault_reports_are_not_frustrated() {
    for text in [
        "It stopped working this morning.",
        "My printer no longer connects to the wifi.",
        "The invoice shows the wrong address, can you correct it?",
        "I can't log in since the update yesterday.",
        "The app crashes when I open the settings page.",
    ] {
        let f = frus(text);
        check_evidence(text, &f);
        assert!(f.score < crate::FRUSTRATED_AT, "{text:?}: {f:?}");
    }
}

#[test]
fn angry_message_with_many_signals() {
    let text = "This is the THIRD TIME I'm writing about this!!! Your product is useless and \
I'm furious. Fix it today or I cancel my subscription and leave a bad review.";
    let f = frus(text);
    check_evidence(text, &f);
    assert_eq!(f.level, Level::Angry, "{f:?}");
    assert!(!f.abusive, "anger at a product is not abuse");
    for k in [
        SignalKind::Repetition,
        SignalKind::Shouting,
        SignalKind::Insult,
        SignalKind::Anger,
        SignalKind::ThreatToLeave,
        SignalKind::PublicComplaint,
    ] {
        assert!(has_signal(&f, k), "{k:?} in {f:?}");
    }
}

#[test]
fn single_signals() {
    let cases: [(&str, SignalKind); 9] = [
        ("I am fed up with this export.", SignalKind::Anger),
        ("This is ridiculous.", SignalKind::Exasperation),
        ("The export is still broken again.", SignalKind::Repetition),
        ("I will switch to a competitor.", SignalKind::ThreatToLeave),
        ("I will contact my lawyer.", SignalKind::PublicComplaint),
        ("This is urgent, we have a deadline.", SignalKind::Urgency),
        ("Nobody has replied to my emails.", SignalKind::Complaint),
        ("What the hell is going on", SignalKind::Exasperation),
        ("WHY IS THIS NOT WORKING", SignalKind::Shouting),
    ];
    for (text, kind) in cases {
        let f = frus(text);
        check_evidence(text, &f);
        assert!(has_signal(&f, kind), "{kind:?} in {text:?}: {f:?}");
        assert!(f.score > 0);
    }
}

#[test]
fn negation_cancels_emotion_words() {
    assert!(!has_signal(
        &frus("I'm not angry at all."),
        SignalKind::Anger
    ));
    assert!(has_signal(&frus("I'm angry."), SignalKind::Anger));
}

#[test]
fn abuse_is_aimed_at_a_person() {
    for text in [
        "You are a useless idiot.",
        "Shut up and fix it.",
        "fuck you",
        "you people are morons",
    ] {
        let f = frus(text);
        assert!(f.abusive, "{text:?}: {f:?}");
        assert!(f.level >= Level::Frustrated, "{text:?}: {f:?}");
    }
    for text in ["This app is useless.", "Your billing system is a joke."] {
        assert!(!frus(text).abusive, "{text:?}");
    }
}

#[test]
fn context_signals_have_empty_spans() {
    let ctx = FrustrationContext {
        earlier_messages: vec!["The invoice export fails with an error when I pick March.".into()],
        prior_contacts: 3,
        waited_minutes: Some(26 * 60),
    };
    let text = "Again: the invoice export fails with an error when I pick March.";
    let f = score_frustration(text, &ctx);
    check_evidence(text, &f);
    for k in [
        SignalKind::RepeatedContact,
        SignalKind::Waiting,
        SignalKind::Restatement,
    ] {
        assert!(has_signal(&f, k), "{k:?} in {f:?}");
    }
    let contact = f
        .evidence
        .iter()
        .find(|e| e.kind == SignalKind::RepeatedContact);
    assert_eq!(contact.map(|e| (e.start, e.end)), Some((0, 0)));
    assert!(contact.is_some_and(|e| e.excerpt.contains('3')));
    assert!(f.score > frus(text).score);
}

#[test]
fn frustration_json_shape() {
    let f = frus("This is ridiculous!!!");
    let v: serde_json::Value = serde_json::to_value(&f).unwrap_or_default();
    let keys: Vec<&str> = v
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    assert_eq!(keys, ["abusive", "evidence", "level", "score"]);
    let e = v["evidence"][0].as_object().map(|o| {
        let mut k: Vec<&str> = o.keys().map(String::as_str).collect();
        k.sort();
        k
    });
    assert_eq!(e, Some(vec!["end", "excerpt", "kind", "start", "weight"]));
    let back: Frustration = serde_json::from_value(v).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(back, f);
}

#[test]
fn levels_follow_the_score() {
    assert_eq!(Level::from_score(0), Level::Calm);
    assert_eq!(Level::from_score(25), Level::Concerned);
    assert_eq!(Level::from_score(50), Level::Frustrated);
    assert_eq!(Level::from_score(75), Level::Angry);
    assert_eq!(Level::from_score(100), Level::Angry);
}

// ---- restatement

#[test]
fn restatement_detected_and_located() {
    let earlier = [
        "Hello, quick question about billing.",
        "When I export invoices for March the app crashes with error 500.",
    ];
    let new = "As I said, exporting the March invoices crashes the app with error 500.";
    let r = detect_restatement(&earlier, new).unwrap_or_else(|| panic!("no restatement"));
    assert_eq!(r.earlier_index, 1);
    assert!(r.similarity >= 0.5, "{r:?}");
    assert!(r.shared_terms.iter().any(|t| t == "crash"), "{r:?}");
    assert!(new.is_char_boundary(r.start) && r.end <= new.len() && r.start < r.end);
}

#[test]
fn different_messages_are_not_restatements() {
    let earlier = ["When I export invoices for March the app crashes with error 500."];
    assert!(detect_restatement(&earlier, "Thanks, the new version fixed it!").is_none());
    assert!(
        detect_restatement(&earlier, "Also, how do I add a second user to my account?").is_none()
    );
    assert!(detect_restatement(&[], "anything").is_none());
    assert!(detect_restatement(&[""], "").is_none());
}

// ---- jsonl

#[test]
fn jsonl_tone_line() {
    let out = tone_jsonl_line(
        r#"{"id": 7, "text": "Obviously, restart it."}"#,
        Audience::Technical,
    );
    assert!(out.starts_with("{\"id\":7,"), "{out}");
    assert!(!out.ends_with('\n'));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_default();
    assert_eq!(v["findings"][0]["kind"], "condescension");
    let out = tone_jsonl_line(
        r#"{"id": "a", "text": "Flush the DNS.", "audience": "non-technical"}"#,
        Audience::Technical,
    );
    assert!(out.contains("\"jargon\""), "{out}");
    let out = tone_jsonl_line(
        r#"{"id": "b", "text": "What OS are you on?", "known_facts": [{"key": "os", "value": "macOS 14"}]}"#,
        Audience::Technical,
    );
    assert!(out.contains("asks_known_fact"), "{out}");
}

#[test]
fn jsonl_errors_name_the_problem() {
    let cases = [
        ("not json", "invalid_json", serde_json::Value::Null),
        ("[1,2]", "not_an_object", serde_json::Value::Null),
        (r#"{"id": 3}"#, "missing_text", serde_json::json!(3)),
        (
            r#"{"id": {"x": 1}, "text": 5}"#,
            "invalid_text",
            serde_json::json!({"x": 1}),
        ),
        ("", "empty_line", serde_json::Value::Null),
    ];
    for (line, code, id) in cases {
        for out in [
            tone_jsonl_line(line, Audience::Technical),
            frustration_jsonl_line(line),
        ] {
            let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_default();
            assert_eq!(v["error"]["code"], code, "{line:?} -> {out}");
            assert_eq!(v["id"], id);
            assert!(
                v["error"]["message"]
                    .as_str()
                    .is_some_and(|m| !m.is_empty())
            );
        }
    }
    let out = tone_jsonl_line(
        r#"{"id": 1, "text": "hi", "audience": "lawyers"}"#,
        Audience::Technical,
    );
    assert!(out.contains("invalid_audience"), "{out}");
    let out = frustration_jsonl_line(r#"{"id": 1, "text": "hi", "prior_contacts": -2}"#);
    assert!(out.contains("invalid_prior_contacts"), "{out}");
}

#[test]
fn jsonl_frustration_line_with_context() {
    let out = frustration_jsonl_line(
        r#"{"id": null, "text": "Still broken.", "prior_contacts": 2, "waited_minutes": 600}"#,
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_default();
    assert_eq!(v["id"], serde_json::Value::Null);
    let kinds: Vec<&str> = v["evidence"]
        .as_array()
        .map(|a| a.iter().filter_map(|e| e["kind"].as_str()).collect())
        .unwrap_or_default();
    assert!(
        kinds.contains(&"repeated_contact") && kinds.contains(&"waiting"),
        "{out}"
    );
}

#[test]
fn paraphrased_restatement_with_a_marker() {
    let earlier = ["My printer shows error E5 whenever I print double-sided pages."];
    let new = "I already told you: printing double sided pages gives error E5 on my printer.";
    let r = detect_restatement(&earlier, new).unwrap_or_else(|| panic!("no restatement"));
    assert_eq!(r.earlier_index, 0);
    assert!(r.shared_terms.len() >= 3, "{r:?}");
}

#[test]
fn time_frames_and_next_steps_in_many_forms() {
    for text in [
        "I'll confirm by email within the hour.",
        "You'll hear from us by Friday.",
        "Expect an update in 2 business days.",
        "We will call you tomorrow morning.",
    ] {
        let r = tone(text);
        assert!(
            r.checklist.time_frame && r.checklist.next_step,
            "{text:?}: {:?}",
            r.checklist
        );
    }
}

#[test]
fn unknown_abbreviations_are_jargon_for_a_non_technical_reader() {
    let ctx = ToneContext {
        audience: Audience::NonTechnical,
        known_facts: vec![],
    };
    let r = review_tone("Your HSTS policy blocks the page; I'll fix it today.", &ctx);
    assert!(
        r.findings
            .iter()
            .any(|f| f.kind == FindingKind::Jargon && f.excerpt == "HSTS"),
        "{:?}",
        r.findings
    );
    // Everyday abbreviations are fine.
    let r = review_tone("I'll send the PDF and the FAQ link today, OK?", &ctx);
    assert!(
        !kinds(&r).contains(&FindingKind::Jargon),
        "{:?}",
        r.findings
    );
}

#[test]
fn sarcasm_and_short_shouted_runs() {
    let text = "Sure, because clicking a button is SO HARD.";
    finding(text, FindingKind::Sarcasm);
    let f = finding(text, FindingKind::Shouting);
    assert_eq!(f.excerpt, "SO HARD");
}

#[test]
fn shipped_models_are_calibrated_and_use_every_kind_of_feature() {
    let lex = &*crate::lexicon::EN;
    for (name, m) in [
        ("tone", &lex.tone_model),
        ("frustration", &lex.frustration_model),
    ] {
        assert!(m.len() > 5_000, "{name}: {} features", m.len());
        assert!(m.reference.is_some() && m.per_logit.is_some_and(|k| k > 0.0));
        assert!(m.rules > 0.0, "{name}: rules carry weight");
        let text = m.to_tsv("");
        // Character n-grams: tone's, of abuse words only; frustration has none (they
        // carried topics and suffixes).
        let grams = if name == "tone" { Some("~") } else { None };
        for prefix in ["%", "@you ", "@minimizer ", "!", "^ "]
            .into_iter()
            .chain(grams)
        {
            assert!(
                text.lines().any(|l| l.starts_with(prefix)),
                "{name}: no {prefix:?} feature"
            );
        }
    }
    // Words that mean anger push the frustration model up; thanks pull it down.
    let f = &lex.frustration_model;
    assert!(f.weight("@emotion_neg").is_some_and(|w| w > 0.0));
    assert!(f.weight("thanks").is_some_and(|w| w < 0.0));
}

#[test]
fn a_model_file_round_trips() {
    let lex = &*crate::lexicon::EN;
    let text = lex.tone_model.to_tsv("header");
    let again = crate::model::LinearModel::parse(&text).expect("parses");
    assert_eq!(again.to_tsv("header"), text);
    assert_eq!(again.len(), lex.tone_model.len());
}

#[test]
fn features_see_scope_marks_casing_and_word_parts() {
    let text = "You obviously didn't read it!! WHY? Just reboot...";
    let a = crate::text::analyze(text, &crate::lexicon::EN);
    let f = crate::model::feature_set(text, &a.tokens);
    for want in [
        "@you obviously",
        "@you didn't",
        "!read",
        "%!!",
        "%CAPS",
        "%?",
        "%...",
        "@minimizer reboot",
        "@intensifier didn't",
        "^ just",
        "~<obv",
        "~usly>",
    ] {
        assert!(f.iter().any(|x| x == want), "{want:?} missing from {f:?}");
    }
    // A scope ends with its sentence.
    let text = "You did not! Why?";
    let a = crate::text::analyze(text, &crate::lexicon::EN);
    let f = crate::model::feature_set(text, &a.tokens);
    assert!(f.iter().any(|x| x == "@you did"), "{f:?}");
    assert!(!f.iter().any(|x| x == "@you why" || x == "!why"), "{f:?}");
}

#[test]
fn calibration_puts_the_flag_between_flagged_and_unflagged_texts() {
    let mut m = crate::model::LinearModel::parse("bias\t0\na\t1\n").expect("parses");
    // Flagged texts have logits 2–3, the others −1–1; no rule points.
    let dev: Vec<crate::model::Calibration> = (0..40)
        .map(|i| {
            let flagged = i % 2 == 0;
            let logit = if flagged { 2.0 } else { -1.0 } + (i % 10) as f32 / 10.0;
            (logit, 0.0, flagged)
        })
        .collect();
    crate::model::calibrate(&mut m, &dev, 50, 17.0, 0.5, crate::model::Threshold::BestF1);
    for &(logit, _, flagged) in &dev {
        let points = m.points(logit, 0.0, 1000.0);
        assert_eq!(points >= 17.0, flagged, "logit {logit}: {points} points");
    }
}

#[test]
fn kind_replies_stay_unflagged_by_the_models() {
    for text in [
        "Thanks so much for your patience, I'm glad it works now.",
        "Thank you for the details! Could you please send a screenshot when you have a moment?",
        "I'm sorry about the trouble. Which browser do you use? I'll check it today.",
    ] {
        let r = tone(text);
        assert!(
            !kinds(&r).contains(&FindingKind::Impolite) && r.score >= TONE_FLAG_BELOW,
            "{text:?}: {r:?}"
        );
        assert_eq!(frus(text).level, Level::Calm, "{text:?}");
    }
}

#[test]
fn words_a_rule_already_names_do_not_buy_the_finding_back() {
    let r = tone("Obviously you should have read the FAQ. As I already said, just reboot.");
    assert!(kinds(&r).contains(&FindingKind::Condescension), "{r:?}");
    assert!(r.score < 60, "score {}: {r:?}", r.score);
}
