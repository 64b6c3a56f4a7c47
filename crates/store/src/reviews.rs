//! Quality reviews: rubric versions, reviews with their per-item scores and anchored
//! comments, the reviewer flag on staff, and the review queue's candidates, which an
//! incremental scan of the event log keeps up to date.

use crate::backend::{in_transaction, with_reader};
use crate::{Result, Store, StoreError};
use sqlx::FromRow;

#[derive(Debug, Clone, FromRow)]
pub struct RubricRow {
    pub version: i64,
    /// JSON array of `{key, label, guide}`.
    pub items: String,
    pub created_at: i64,
}

#[derive(Debug, Clone)]
pub struct NewReview {
    pub ticket_id: i64,
    pub agent_id: i64,
    pub team_id: Option<i64>,
    pub reviewer_id: i64,
    pub rubric_version: i64,
    pub score: Option<i64>,
    pub summary: Option<String>,
    /// Every rubric item in order; `None` = not applicable.
    pub scores: Vec<(String, Option<i64>)>,
    pub comments: Vec<NewReviewComment>,
}

#[derive(Debug, Clone)]
pub struct NewReviewComment {
    pub item_key: Option<String>,
    pub message_id: i64,
    pub span: Option<(i64, i64)>,
    pub body: String,
}

#[derive(Debug, Clone, FromRow)]
pub struct ReviewRow {
    pub id: i64,
    pub ticket_id: i64,
    pub subject: String,
    pub agent_id: i64,
    pub agent_name: String,
    pub team_id: Option<i64>,
    pub reviewer_id: i64,
    pub reviewer_name: String,
    pub rubric_version: i64,
    pub score: Option<i64>,
    pub summary: Option<String>,
    pub reply: Option<String>,
    pub replied_at: Option<i64>,
    pub created_at: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct ReviewScoreRow {
    pub item_key: String,
    pub score: Option<i64>,
}

#[derive(Debug, Clone, FromRow)]
pub struct ReviewCommentRow {
    pub id: i64,
    pub item_key: Option<String>,
    pub message_id: i64,
    pub span_start: Option<i64>,
    pub span_end: Option<i64>,
    pub body: String,
}

#[derive(Debug, Clone, Default)]
pub struct ReviewFilter {
    pub agent_id: Option<i64>,
    pub reviewer_id: Option<i64>,
    pub ticket_id: Option<i64>,
    /// Not a supervisor or admin: only reviews this user wrote or received.
    pub involving: Option<i64>,
    pub after: Option<i64>,
    pub limit: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct StaffFlagRow {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub role: String,
    pub reviewer: bool,
}

/// An event as the queue scan reads it, with the ticket's transfers at scan time.
#[derive(Debug, Clone, FromRow)]
pub struct ScanEventRow {
    pub id: i64,
    pub ticket_id: i64,
    pub kind: String,
    pub data: String,
    pub transfers: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct CandidateRow {
    pub ticket_id: i64,
    pub reason: String,
    pub detail: String,
    pub noticed_at: i64,
    pub subject: String,
    pub status: String,
    pub team_id: Option<i64>,
    pub assignee_id: Option<i64>,
    pub assignee_name: Option<String>,
}

const REVIEW_SELECT: &str = "SELECT r.id, r.ticket_id, t.subject, r.agent_id, a.name AS agent_name,
        r.team_id, r.reviewer_id, v.name AS reviewer_name, r.rubric_version, r.score, r.summary,
        r.reply, r.replied_at, r.created_at
     FROM reviews r JOIN tickets t ON t.id = r.ticket_id
     JOIN users a ON a.id = r.agent_id JOIN users v ON v.id = r.reviewer_id";

impl Store {
    /// A rubric version, or the newest when `version` is `None`.
    pub async fn rubric(&self, version: Option<i64>) -> Result<Option<RubricRow>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, RubricRow>(
                "SELECT version, items, created_at FROM review_rubrics
                 WHERE ($1 IS NULL OR version = $1) ORDER BY version DESC LIMIT 1",
            )
            .bind(version)
            .fetch_optional(db)
            .await?
        }))
    }

    /// Adds a rubric version; `false` when that version number was taken meanwhile.
    pub async fn insert_rubric(
        &self,
        version: i64,
        items: &str,
        created_by: Option<i64>,
        now: i64,
    ) -> Result<bool> {
        Ok(in_transaction!(self, |tx| {
            sqlx::query(
                "INSERT INTO review_rubrics (version, items, created_by, created_at)
                 VALUES ($1, $2, $3, $4) ON CONFLICT (version) DO NOTHING",
            )
            .bind(version)
            .bind(items)
            .bind(created_by)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1
        }))
    }

    pub async fn is_reviewer(&self, user_id: i64) -> Result<bool> {
        Ok(with_reader!(self, |db| {
            sqlx::query_scalar::<_, bool>("SELECT reviewer FROM users WHERE id = $1")
                .bind(user_id)
                .fetch_optional(db)
                .await?
                .unwrap_or(false)
        }))
    }

    /// Names (or un-names) a staff member reviewer; `false` if no such staff member.
    pub async fn set_reviewer(&self, user_id: i64, reviewer: bool) -> Result<bool> {
        Ok(in_transaction!(self, |tx| {
            sqlx::query("UPDATE users SET reviewer = $1 WHERE id = $2 AND role <> 'customer'")
                .bind(reviewer)
                .bind(user_id)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                == 1
        }))
    }

    /// Active staff with their reviewer flag, by name.
    pub async fn staff_flags(&self) -> Result<Vec<StaffFlagRow>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, StaffFlagRow>(
                "SELECT id, name, email, role, reviewer FROM users
                 WHERE role <> 'customer' AND active = $1 ORDER BY name, id LIMIT 500",
            )
            .bind(true)
            .fetch_all(db)
            .await?
        }))
    }

    /// Writes a review with its scores and comments in one transaction.
    pub async fn insert_review(&self, r: &NewReview, now: i64) -> Result<i64> {
        Ok(in_transaction!(self, |tx| {
            let id = sqlx::query_scalar::<_, i64>(
                "INSERT INTO reviews (ticket_id, agent_id, team_id, reviewer_id, rubric_version,
                                      score, summary, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(r.ticket_id)
            .bind(r.agent_id)
            .bind(r.team_id)
            .bind(r.reviewer_id)
            .bind(r.rubric_version)
            .bind(r.score)
            .bind(&r.summary)
            .bind(now)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| StoreError::classify(e, "review"))?;
            for (key, score) in &r.scores {
                sqlx::query(
                    "INSERT INTO review_scores (review_id, item_key, score) VALUES ($1, $2, $3)",
                )
                .bind(id)
                .bind(key)
                .bind(score)
                .execute(&mut *tx)
                .await?;
            }
            for c in &r.comments {
                sqlx::query(
                    "INSERT INTO review_comments (review_id, item_key, message_id, span_start,
                                                  span_end, body, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(id)
                .bind(&c.item_key)
                .bind(c.message_id)
                .bind(c.span.map(|s| s.0))
                .bind(c.span.map(|s| s.1))
                .bind(&c.body)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            id
        }))
    }

    pub async fn review(&self, id: i64) -> Result<Option<ReviewRow>> {
        let sql = format!("{REVIEW_SELECT} WHERE r.id = $1");
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, ReviewRow>(&sql)
                .bind(id)
                .fetch_optional(db)
                .await?
        }))
    }

    pub async fn review_scores(&self, id: i64) -> Result<Vec<ReviewScoreRow>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, ReviewScoreRow>(
                "SELECT item_key, score FROM review_scores WHERE review_id = $1",
            )
            .bind(id)
            .fetch_all(db)
            .await?
        }))
    }

    pub async fn review_comments(&self, id: i64) -> Result<Vec<ReviewCommentRow>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, ReviewCommentRow>(
                "SELECT id, item_key, message_id, span_start, span_end, body
                 FROM review_comments WHERE review_id = $1 ORDER BY id",
            )
            .bind(id)
            .fetch_all(db)
            .await?
        }))
    }

    /// Reviews newest first, filtered, one keyset page.
    pub async fn list_reviews(&self, f: &ReviewFilter) -> Result<Vec<ReviewRow>> {
        let sql = format!(
            "{REVIEW_SELECT}
             WHERE ($1 IS NULL OR r.agent_id = $1) AND ($2 IS NULL OR r.reviewer_id = $2)
               AND ($3 IS NULL OR r.ticket_id = $3)
               AND ($4 IS NULL OR r.agent_id = $4 OR r.reviewer_id = $4)
               AND ($5 IS NULL OR r.id < $5)
             ORDER BY r.id DESC LIMIT $6"
        );
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, ReviewRow>(&sql)
                .bind(f.agent_id)
                .bind(f.reviewer_id)
                .bind(f.ticket_id)
                .bind(f.involving)
                .bind(f.after)
                .bind(f.limit)
                .fetch_all(db)
                .await?
        }))
    }

    /// The reviewed agent's one reply; `false` when they had replied already.
    pub async fn reply_to_review(&self, id: i64, text: &str, now: i64) -> Result<bool> {
        Ok(in_transaction!(self, |tx| {
            sqlx::query(
                "UPDATE reviews SET reply = $1, replied_at = $2 WHERE id = $3 AND reply IS NULL",
            )
            .bind(text)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1
        }))
    }

    /// An agent's overall scores since `since`, oldest first (their trend).
    pub async fn agent_review_scores(
        &self,
        agent_id: i64,
        since: i64,
    ) -> Result<Vec<(i64, Option<i64>)>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, (i64, Option<i64>)>(
                "SELECT created_at, score FROM reviews WHERE agent_id = $1 AND created_at >= $2
                 ORDER BY created_at LIMIT 2000",
            )
            .bind(agent_id)
            .bind(since)
            .fetch_all(db)
            .await?
        }))
    }

    /// How far the queue scan has read the event log.
    pub async fn review_scan_cursor(&self) -> Result<i64> {
        Ok(with_reader!(self, |db| {
            sqlx::query_scalar::<_, i64>("SELECT last_event_id FROM review_scan WHERE id = 1")
                .fetch_one(db)
                .await?
        }))
    }

    /// The next events after `after`, in order, with their ticket's transfers.
    pub async fn review_scan_events(&self, after: i64, limit: i64) -> Result<Vec<ScanEventRow>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, ScanEventRow>(
                "SELECT e.id, e.ticket_id, e.kind, e.data, t.transfers
                 FROM events e JOIN tickets t ON t.id = e.ticket_id
                 WHERE e.id > $1 ORDER BY e.id LIMIT $2",
            )
            .bind(after)
            .bind(limit)
            .fetch_all(db)
            .await?
        }))
    }

    /// Records the reasons found in a scanned batch and moves the cursor to `upto`. A
    /// reason already noted for a ticket keeps its first evidence, so scans in several
    /// processes at once are harmless.
    pub async fn record_candidates(
        &self,
        upto: i64,
        found: &[(i64, String, String)],
        now: i64,
    ) -> Result<()> {
        in_transaction!(self, |tx| {
            for (ticket_id, reason, detail) in found {
                sqlx::query(
                    "INSERT INTO review_candidates (ticket_id, reason, detail, noticed_at)
                     VALUES ($1, $2, $3, $4) ON CONFLICT (ticket_id, reason) DO NOTHING",
                )
                .bind(ticket_id)
                .bind(reason)
                .bind(detail)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            sqlx::query(
                "UPDATE review_scan SET last_event_id = $1 WHERE id = 1 AND last_event_id < $1",
            )
            .bind(upto)
            .execute(&mut *tx)
            .await?;
        });
        Ok(())
    }

    /// The queue: candidate tickets not reviewed yet, newest ticket first, one keyset page
    /// of at most `limit` tickets with all their reasons (a ticket has at most
    /// `max_reasons` rows, so `limit * max_reasons` rows always hold `limit` whole tickets).
    pub async fn review_queue(
        &self,
        after: Option<i64>,
        limit: i64,
        max_reasons: i64,
    ) -> Result<Vec<CandidateRow>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, CandidateRow>(
                "SELECT c.ticket_id, c.reason, c.detail, c.noticed_at, t.subject, t.status,
                        t.team_id, t.assignee_id, a.name AS assignee_name
                 FROM review_candidates c JOIN tickets t ON t.id = c.ticket_id
                 LEFT JOIN users a ON a.id = t.assignee_id
                 WHERE ($1 IS NULL OR c.ticket_id < $1)
                   AND NOT EXISTS (SELECT 1 FROM reviews r WHERE r.ticket_id = c.ticket_id)
                 ORDER BY c.ticket_id DESC, c.reason LIMIT $2",
            )
            .bind(after)
            .bind(limit * max_reasons)
            .fetch_all(db)
            .await?
        }))
    }
}
