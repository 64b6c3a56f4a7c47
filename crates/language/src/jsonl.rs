//! The `--jsonl` line protocol: one JSON object in, one JSON object out, and a bad line is
//! answered on its own line instead of aborting the batch.
//!
//! Input: `{"id": <any JSON>, "text": "…"}` plus optional context fields —
//! tone: `"audience"`, `"known_facts"`; frustration: `"earlier_messages"`,
//! `"prior_contacts"`, `"waited_minutes"`. Output: `{"id": <same>, …result fields}`, or
//! `{"id": <same or null>, "error": {"code": "…", "message": "…"}}`.

use serde_json::{Map, Value};

use crate::{Audience, FrustrationContext, KnownFact, ToneContext, review_tone, score_frustration};

fn error_line(id: &Value, code: &str, message: &str) -> String {
    let v = serde_json::json!({"id": id, "error": {"code": code, "message": message}});
    v.to_string()
}

/// `{"id": …, <fields of result>}` with `id` first.
fn with_id(id: &Value, result: &impl serde::Serialize) -> String {
    let body = match serde_json::to_string(result) {
        Ok(b) => b,
        Err(e) => return error_line(id, "internal", &e.to_string()),
    };
    let id = id.to_string();
    // `result` is a struct, so `body` is "{…}" with at least one field.
    format!("{{\"id\":{id},{}", &body[1..])
}

/// Parses the line into its object, id and text, or the error line to print.
fn parse(line: &str) -> Result<(Map<String, Value>, Value, String), String> {
    let null = Value::Null;
    if line.trim().is_empty() {
        return Err(error_line(&null, "empty_line", "the line is empty"));
    }
    let v: Value = serde_json::from_str(line)
        .map_err(|e| error_line(&null, "invalid_json", &format!("the line is not JSON: {e}")))?;
    let Value::Object(obj) = v else {
        return Err(error_line(
            &null,
            "not_an_object",
            "each line must be a JSON object",
        ));
    };
    let id = obj.get("id").cloned().unwrap_or(Value::Null);
    let text = match obj.get("text") {
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(error_line(&id, "invalid_text", "\"text\" must be a string")),
        None => {
            return Err(error_line(
                &id,
                "missing_text",
                "the object has no \"text\"",
            ));
        }
    };
    Ok((obj, id, text))
}

fn field<T: serde::de::DeserializeOwned>(
    obj: &Map<String, Value>,
    id: &Value,
    name: &str,
    code: &str,
) -> Result<Option<T>, String> {
    match obj.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => serde_json::from_value(v.clone())
            .map(Some)
            .map_err(|e| error_line(id, code, &format!("\"{name}\" is invalid: {e}"))),
    }
}

/// One line of `heard analyze tone --jsonl`; `default_audience` applies when the line has
/// no `"audience"`. The result has no trailing newline.
pub fn tone_jsonl_line(line: &str, default_audience: Audience) -> String {
    let run = || -> Result<String, String> {
        let (obj, id, text) = parse(line)?;
        let audience: Option<Audience> = match obj.get("audience") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(
                s.parse()
                    .map_err(|e: String| error_line(&id, "invalid_audience", &e))?,
            ),
            Some(_) => {
                return Err(error_line(
                    &id,
                    "invalid_audience",
                    "\"audience\" must be a string",
                ));
            }
        };
        let known_facts: Vec<KnownFact> =
            field(&obj, &id, "known_facts", "invalid_known_facts")?.unwrap_or_default();
        let ctx = ToneContext {
            audience: audience.unwrap_or(default_audience),
            known_facts,
        };
        Ok(with_id(&id, &review_tone(&text, &ctx)))
    };
    run().unwrap_or_else(|e| e)
}

/// One line of `heard analyze frustration --jsonl`. The result has no trailing newline.
pub fn frustration_jsonl_line(line: &str) -> String {
    let run = || -> Result<String, String> {
        let (obj, id, text) = parse(line)?;
        let ctx = FrustrationContext {
            earlier_messages: field(&obj, &id, "earlier_messages", "invalid_earlier_messages")?
                .unwrap_or_default(),
            prior_contacts: field(&obj, &id, "prior_contacts", "invalid_prior_contacts")?
                .unwrap_or_default(),
            waited_minutes: field(&obj, &id, "waited_minutes", "invalid_waited_minutes")?,
        };
        Ok(with_id(&id, &score_frustration(&text, &ctx)))
    };
    run().unwrap_or_else(|e| e)
}
