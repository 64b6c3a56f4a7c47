//! What readers tell us: "did this help?" feedback, the steps of a self-service visit
//! (deflection), and the reports made of them: deflection and the knowledge gaps.

use super::{Contact, contact, session_key, text_field};
use crate::ErrorCode;
use crate::views::rfc3339;
use crate::{Actor, Result, ServiceError, Services};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FeedbackCounts {
    pub helpful: i64,
    pub not_helpful: i64,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewFeedback {
    pub helpful: bool,
    #[serde(default)]
    pub comment: String,
    pub session: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FeedbackView {
    pub id: i64,
    pub article_id: i64,
    pub helpful: bool,
    pub feedback: FeedbackCounts,
    /// Shown after "no": the way to a person.
    pub contact: Contact,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeflectionEvent {
    pub session: String,
    /// `shown`, `opened`, `abandoned` (left without writing a ticket) or `submitted`
    /// (wrote the ticket anyway; give `ticket_id`).
    pub event: String,
    pub article_id: Option<i64>,
    pub ticket_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeflectionArticle {
    pub article_id: i64,
    pub title: String,
    pub shown: i64,
    pub opened: i64,
    /// Opened, then the customer left without writing a ticket.
    pub deflected: i64,
    /// Opened, and the customer still needed help ("read it and still needed help").
    pub submitted_anyway: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeflectionReport {
    pub since: String,
    pub sessions: i64,
    pub deflected: i64,
    pub submitted: i64,
    /// deflected / (deflected + submitted), when any session ended.
    pub deflection_rate: Option<f64>,
    pub articles: Vec<DeflectionArticle>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GapQuery {
    /// The query as typed, lower-cased with spaces collapsed.
    pub query: String,
    pub searches: i64,
    pub no_results: i64,
    /// Searches after which the customer wrote a ticket anyway.
    pub led_to_ticket: i64,
    pub last_seen: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GapArticle {
    pub article_id: i64,
    pub title: String,
    pub not_helpful: i64,
    pub helpful: i64,
    pub comments: Vec<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GapReport {
    pub since: String,
    /// What customers looked for and did not find, most frequent first.
    pub queries: Vec<GapQuery>,
    /// Articles readers said did not help.
    pub unhelpful_articles: Vec<GapArticle>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// Look back this many days (default 30, at most 365).
    pub days: Option<i64>,
}

fn require_staff(actor: &Actor) -> Result<()> {
    if actor.is_staff() {
        Ok(())
    } else {
        Err(ServiceError::forbidden("reports are for staff"))
    }
}

fn since(days: Option<i64>, now: i64) -> Result<i64> {
    let days = days.unwrap_or(30);
    if !(1..=365).contains(&days) {
        return Err(ServiceError::invalid(
            "days",
            ErrorCode::InvalidDays,
            "days must be between 1 and 365",
        ));
    }
    Ok(now - days * 86_400_000)
}

impl Services {
    pub async fn article_feedback(
        &self,
        actor: Option<&Actor>,
        id_or_slug: &str,
        input: NewFeedback,
    ) -> Result<FeedbackView> {
        let a = self.readable_article(actor, id_or_slug).await?;
        let comment = text_field(&input.comment, "comment", 4000, false)?;
        let session = session_key(input.session.as_deref())?;
        let id = self
            .store
            .insert_feedback(
                a.id,
                input.helpful,
                &comment,
                actor.map(|a| a.user_id),
                session.as_deref(),
                self.now(),
            )
            .await?;
        let fb = self.store.feedback_summary(a.id).await?;
        Ok(FeedbackView {
            id,
            article_id: a.id,
            helpful: input.helpful,
            feedback: FeedbackCounts {
                helpful: fb.helpful,
                not_helpful: fb.not_helpful,
            },
            contact: contact(),
        })
    }

    /// Records a step of a self-service visit.
    pub async fn record_deflection(&self, actor: Option<&Actor>, e: DeflectionEvent) -> Result<()> {
        let session = session_key(Some(&e.session))?.ok_or_else(|| {
            ServiceError::invalid(
                "session",
                ErrorCode::MissingSession,
                "session must not be empty",
            )
        })?;
        let kind = match e.event.as_str() {
            k @ ("shown" | "opened" | "abandoned" | "submitted") => k,
            _ => {
                return Err(ServiceError::invalid(
                    "event",
                    ErrorCode::InvalidEvent,
                    "event is shown, opened, abandoned or submitted",
                ));
            }
        };
        if let Some(id) = e.article_id {
            self.readable_article(actor, &id.to_string())
                .await
                .map_err(|_| {
                    ServiceError::invalid(
                        "article_id",
                        ErrorCode::ArticleNotFound,
                        "no such article",
                    )
                })?;
        } else if matches!(kind, "shown" | "opened") {
            return Err(ServiceError::invalid(
                "article_id",
                ErrorCode::MissingArticle,
                "shown and opened name the article",
            ));
        }
        let ticket_id = match (kind, e.ticket_id) {
            ("submitted", Some(t)) => {
                let a = actor.ok_or(ServiceError::Unauthenticated)?;
                self.visible_ticket(a, t).await.map_err(|_| {
                    ServiceError::invalid("ticket_id", ErrorCode::TicketNotFound, "no such ticket")
                })?;
                Some(t)
            }
            ("submitted", None) => {
                return Err(ServiceError::invalid(
                    "ticket_id",
                    ErrorCode::MissingTicket,
                    "submitted names the ticket that was written",
                ));
            }
            (_, Some(_)) => {
                return Err(ServiceError::invalid(
                    "ticket_id",
                    ErrorCode::UnexpectedTicket,
                    "only submitted names a ticket",
                ));
            }
            (_, None) => None,
        };
        self.store
            .insert_deflection_event(
                &session,
                kind,
                e.article_id,
                ticket_id,
                actor.map(|a| a.user_id),
                self.now(),
            )
            .await?;
        Ok(())
    }

    /// Per session: which articles were shown and opened, and whether the visit ended with
    /// the customer leaving (deflected) or writing a ticket anyway.
    pub async fn deflection_report(
        &self,
        actor: &Actor,
        q: ReportQuery,
    ) -> Result<DeflectionReport> {
        require_staff(actor)?;
        let now = self.now();
        let from = since(q.days, now)?;
        let events = self.store.deflection_events(from).await?;
        #[derive(Default)]
        struct Visit {
            shown: BTreeSet<i64>,
            opened: BTreeSet<i64>,
            abandoned: bool,
            submitted: bool,
        }
        let mut visits: BTreeMap<String, Visit> = BTreeMap::new();
        for e in events {
            let v = visits.entry(e.session_key).or_default();
            match (e.kind.as_str(), e.article_id) {
                ("shown", Some(a)) => {
                    v.shown.insert(a);
                }
                ("opened", Some(a)) => {
                    v.opened.insert(a);
                }
                ("abandoned", _) => v.abandoned = true,
                ("submitted", _) => v.submitted = true,
                _ => {}
            }
        }
        let mut per: HashMap<i64, DeflectionArticle> = HashMap::new();
        let (mut deflected, mut submitted) = (0, 0);
        for v in visits.values() {
            let is_deflected = v.abandoned && !v.submitted && !v.opened.is_empty();
            if is_deflected {
                deflected += 1;
            }
            if v.submitted {
                submitted += 1;
            }
            let entry = |per: &mut HashMap<i64, DeflectionArticle>, id: i64| {
                per.entry(id)
                    .or_insert_with(|| DeflectionArticle {
                        article_id: id,
                        title: String::new(),
                        shown: 0,
                        opened: 0,
                        deflected: 0,
                        submitted_anyway: 0,
                    })
                    .article_id
            };
            for &a in &v.shown {
                entry(&mut per, a);
                per.get_mut(&a).unwrap().shown += 1;
            }
            for &a in &v.opened {
                entry(&mut per, a);
                let d = per.get_mut(&a).unwrap();
                d.opened += 1;
                if is_deflected {
                    d.deflected += 1;
                }
                if v.submitted {
                    d.submitted_anyway += 1;
                }
            }
        }
        let ids: Vec<i64> = per.keys().copied().collect();
        for a in self.store.articles_by_ids(&ids).await? {
            if let Some(d) = per.get_mut(&a.id) {
                d.title = a.title;
            }
        }
        let mut articles: Vec<DeflectionArticle> = per.into_values().collect();
        articles.sort_by(|a, b| {
            (
                b.deflected + b.submitted_anyway,
                b.opened,
                b.shown,
                a.article_id,
            )
                .cmp(&(
                    a.deflected + a.submitted_anyway,
                    a.opened,
                    a.shown,
                    b.article_id,
                ))
        });
        Ok(DeflectionReport {
            since: rfc3339(from),
            sessions: visits.len() as i64,
            deflected,
            submitted,
            deflection_rate: (deflected + submitted > 0)
                .then(|| deflected as f64 / (deflected + submitted) as f64),
            articles,
        })
    }

    /// What customers looked for and did not find, or found and still wrote a ticket; and
    /// the articles readers said did not help.
    pub async fn gap_report(&self, actor: &Actor, q: ReportQuery) -> Result<GapReport> {
        require_staff(actor)?;
        let now = self.now();
        let from = since(q.days, now)?;
        let mut groups: BTreeMap<String, GapQuery> = BTreeMap::new();
        let mut counted_sessions: BTreeSet<(String, String)> = BTreeSet::new();
        for row in self.store.gap_searches(from).await? {
            let key = row
                .query
                .to_lowercase()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            let g = groups.entry(key.clone()).or_insert_with(|| GapQuery {
                query: key.clone(),
                searches: 0,
                no_results: 0,
                led_to_ticket: 0,
                last_seen: String::new(),
            });
            g.searches += 1;
            if row.results == 0 {
                g.no_results += 1;
            }
            if let Some(s) = &row.session_key
                && counted_sessions.insert((key.clone(), s.clone()))
                && row.results > 0
            {
                g.led_to_ticket += 1;
            }
            g.last_seen = rfc3339(row.created_at);
        }
        let mut queries: Vec<GapQuery> = groups.into_values().collect();
        queries.sort_by(|a, b| b.searches.cmp(&a.searches).then(a.query.cmp(&b.query)));
        // Articles with "did not help" answers, worst first.
        let mut unhelpful = Vec::new();
        let mut after = None;
        loop {
            let rows = self
                .store
                .articles(&["public", "internal", "draft"], None, after, 500)
                .await?;
            let Some(last) = rows.last() else { break };
            after = Some(last.id);
            for a in rows {
                let fb = self.store.feedback_summary(a.id).await?;
                if fb.not_helpful > 0 {
                    let comments = self
                        .store
                        .feedback_of(a.id, 20)
                        .await?
                        .into_iter()
                        .filter(|f| !f.helpful && !f.comment.is_empty())
                        .map(|f| f.comment)
                        .collect();
                    unhelpful.push(GapArticle {
                        article_id: a.id,
                        title: a.title,
                        not_helpful: fb.not_helpful,
                        helpful: fb.helpful,
                        comments,
                    });
                }
            }
        }
        unhelpful.sort_by(|a, b| {
            (b.not_helpful - b.helpful)
                .cmp(&(a.not_helpful - a.helpful))
                .then(a.article_id.cmp(&b.article_id))
        });
        Ok(GapReport {
            since: rfc3339(from),
            queries,
            unhelpful_articles: unhelpful,
        })
    }
}
