//! Looking after the person: every inbound customer message is scored for frustration
//! (with the ticket's context), checked for restating an earlier one ("had to repeat") and
//! for abuse aimed at the agent; every reply an agent sends gets a tone review. The
//! analysis advises and records; it never blocks a message.

use crate::ErrorCode;
use crate::{Actor, Result, ServiceError, Services};
use heard_language::{
    Audience, Frustration, FrustrationContext, KnownFact, ToneContext, ToneReview,
    detect_restatement, review_tone, score_frustration,
};
use heard_store::{MessageRow, NewEvent};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

/// What a customer's new message tells us, ready to be written with it.
pub(crate) struct InboundCare {
    pub frustration: Frustration,
    /// The index (among the customer's earlier messages) of the one this restates.
    pub restates: Option<(i64, f32)>,
    pub events: Vec<NewEvent>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ToneRequest {
    /// The draft reply.
    pub text: String,
    /// `technical` or `non-technical` (jargon is flagged for non-technical readers).
    pub audience: Option<String>,
    /// Checks the draft against the verified facts of this ticket's customer.
    pub ticket_id: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FrustrationRequest {
    /// The customer's message.
    pub text: String,
    /// Scores in the context of this ticket: earlier messages, contacts, waiting time.
    pub ticket_id: Option<i64>,
}

fn audience(raw: Option<&str>) -> Result<Audience> {
    match raw {
        None => Ok(Audience::NonTechnical),
        Some(a) => a.parse::<Audience>().map_err(|_| {
            ServiceError::invalid(
                "audience",
                ErrorCode::InvalidAudience,
                "audience is technical or non-technical",
            )
        }),
    }
}

fn text(raw: &str) -> Result<&str> {
    if raw.len() > 200_000 {
        return Err(ServiceError::invalid(
            "text",
            ErrorCode::TextTooLong,
            "analysis takes at most 200,000 bytes",
        ));
    }
    Ok(raw)
}

/// The customer's own messages, oldest first (the context for frustration and repeats).
fn customer_messages(messages: &[MessageRow], requester_id: i64) -> Vec<&MessageRow> {
    messages
        .iter()
        .filter(|m| m.kind == "public" && m.author_id == requester_id)
        .collect()
}

/// Minutes the customer has been waiting: since their first message after our last reply.
fn waited_minutes(messages: &[MessageRow], requester_id: i64, now: i64) -> Option<u64> {
    let last_reply = messages
        .iter()
        .filter(|m| m.kind == "public" && m.author_id != requester_id)
        .map(|m| m.created_at)
        .max()
        .unwrap_or(i64::MIN);
    messages
        .iter()
        .filter(|m| m.kind == "public" && m.author_id == requester_id && m.created_at > last_reply)
        .map(|m| m.created_at)
        .min()
        .map(|since| ((now - since).max(0) / 60_000) as u64)
}

impl Services {
    async fn known_facts(&self, customer_id: i64) -> Result<Vec<KnownFact>> {
        Ok(self
            .store
            .facts_of(customer_id)
            .await?
            .into_iter()
            .map(|f| KnownFact {
                key: f.key,
                value: f.value,
            })
            .collect())
    }

    /// Scores a customer's new message against what they already wrote on the ticket.
    pub(crate) async fn inbound_care(
        &self,
        actor: &Actor,
        ticket_id: Option<i64>,
        requester_id: i64,
        body: &str,
    ) -> Result<InboundCare> {
        let earlier = match ticket_id {
            Some(id) => self.store.messages(id, false).await?,
            None => Vec::new(),
        };
        let mine = customer_messages(&earlier, requester_id);
        let context = FrustrationContext {
            earlier_messages: mine.iter().map(|m| m.body_text.clone()).collect(),
            prior_contacts: mine.len() as u32,
            waited_minutes: waited_minutes(&earlier, requester_id, self.now()),
        };
        let frustration = score_frustration(body, &context);
        let texts: Vec<&str> = mine.iter().map(|m| m.body_text.as_str()).collect();
        let restates =
            detect_restatement(&texts, body).map(|r| (mine[r.earlier_index].id, r.similarity));
        let mut events = Vec::new();
        if let Some((earlier_id, similarity)) = restates {
            events.push(NewEvent {
                actor_id: Some(actor.user_id),
                kind: "had_to_repeat".into(),
                data: json!({"restates_message_id": earlier_id, "similarity": similarity}),
            });
        }
        if frustration.abusive {
            events.push(NewEvent {
                actor_id: Some(actor.user_id),
                kind: "abuse_flagged".into(),
                data: json!({"score": frustration.score}),
            });
        }
        Ok(InboundCare {
            frustration,
            restates,
            events,
        })
    }

    /// The tone review of a reply about to be sent to this customer.
    pub(crate) async fn reply_tone(&self, requester_id: i64, body: &str) -> Result<ToneReview> {
        let ctx = ToneContext {
            audience: Audience::NonTechnical,
            known_facts: self.known_facts(requester_id).await?,
        };
        Ok(review_tone(body, &ctx))
    }

    /// The tone coach on a draft (staff): findings with spans, reasons and better wording.
    pub async fn analyze_tone(&self, actor: &Actor, req: ToneRequest) -> Result<ToneReview> {
        if !actor.is_staff() {
            return Err(ServiceError::forbidden(
                "the tone coach is for agents' replies",
            ));
        }
        let audience = audience(req.audience.as_deref())?;
        let known_facts = match req.ticket_id {
            Some(id) => {
                let t = self.visible_ticket(actor, id).await?;
                self.known_facts(t.requester_id).await?
            }
            None => Vec::new(),
        };
        Ok(review_tone(
            text(&req.text)?,
            &ToneContext {
                audience,
                known_facts,
            },
        ))
    }

    /// The frustration score of a customer's message (staff), in a ticket's context if named.
    pub async fn analyze_frustration(
        &self,
        actor: &Actor,
        req: FrustrationRequest,
    ) -> Result<Frustration> {
        if !actor.is_staff() {
            return Err(ServiceError::forbidden(
                "frustration scores are for the help desk's staff",
            ));
        }
        let body = text(&req.text)?;
        match req.ticket_id {
            Some(id) => {
                let t = self.visible_ticket(actor, id).await?;
                Ok(self
                    .inbound_care(actor, Some(id), t.requester_id, body)
                    .await?
                    .frustration)
            }
            None => Ok(score_frustration(body, &FrustrationContext::default())),
        }
    }
}

/// The level's name as the JSON says it (calm, concerned, frustrated, angry).
pub(crate) fn level_name(level: heard_language::Level) -> String {
    serde_json::to_value(level)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}
