//! A request's history as its customer may follow it: each event's kind and time with
//! only the facts written for the customer. No reason, internal note or hand-off text is
//! in it, so a page cannot show one by mistake.

use crate::views::rfc3339;
use crate::{Result, Services};
use heard_domain::Actor;

#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry {
    /// The event's kind: created, assigned, escalated, replied, status_changed, …
    pub kind: String,
    /// RFC 3339.
    pub at: String,
    /// Who owns the ticket after an assignment, hand-over or take-over.
    pub owner_id: Option<i64>,
    /// A reply came from staff (rather than from the customer).
    pub by_staff: bool,
    /// A promise's due time (RFC 3339) and the note written for the customer with it.
    pub promised_by: Option<String>,
    pub promise_note: Option<String>,
    /// A status change: from and to.
    pub status_from: Option<String>,
    pub status_to: Option<String>,
}

impl HistoryEntry {
    fn new(kind: String, data: &str, created_at: i64) -> Self {
        let data: serde_json::Value = serde_json::from_str(data).unwrap_or_default();
        let text = |k: &str| data.get(k).and_then(|v| v.as_str()).map(str::to_string);
        let owner_key = match kind.as_str() {
            "handed_over" | "taken_over" => "to_assignee_id",
            _ => "to",
        };
        let is = |k: &str| kind == k;
        HistoryEntry {
            owner_id: data.get(owner_key).and_then(|v| v.as_i64()),
            by_staff: is("replied") && text("by").as_deref() == Some("staff"),
            promised_by: text("due_at").filter(|_| is("promised")),
            promise_note: text("note").filter(|_| is("promised")),
            status_from: text("from").filter(|_| is("status_changed")),
            status_to: text("to").filter(|_| is("status_changed")),
            at: rfc3339(created_at),
            kind,
        }
    }
}

impl Services {
    /// The history of a ticket `actor` may see, oldest first.
    pub async fn request_history(&self, actor: &Actor, id: i64) -> Result<Vec<HistoryEntry>> {
        self.visible_ticket(actor, id).await?;
        Ok(self
            .store
            .events(id)
            .await?
            .into_iter()
            .map(|e| HistoryEntry::new(e.kind, &e.data, e.created_at))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::HistoryEntry;

    #[test]
    fn only_the_customers_facts_are_kept() {
        let e = HistoryEntry::new(
            "escalated".into(),
            r#"{"reason":"customer is rude","handoff_note":"secret","to":7}"#,
            0,
        );
        assert_eq!(e.owner_id, Some(7));
        assert_eq!((e.promise_note, e.status_to), (None, None));
        let p = HistoryEntry::new(
            "promised".into(),
            r#"{"due_at":"2026-01-01T10:00:00Z","note":"after the vendor calls"}"#,
            0,
        );
        assert_eq!(p.promised_by.as_deref(), Some("2026-01-01T10:00:00Z"));
        assert_eq!(p.promise_note.as_deref(), Some("after the vendor calls"));
        let s = HistoryEntry::new("status_changed".into(), r#"{"from":"new","to":"open"}"#, 0);
        assert_eq!(
            (s.status_from.as_deref(), s.status_to.as_deref(), s.owner_id),
            (Some("new"), Some("open"), None)
        );
        let r = HistoryEntry::new("replied".into(), r#"{"by":"staff"}"#, 0);
        assert!(r.by_staff);
    }
}
