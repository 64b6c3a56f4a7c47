//! Practice mode's sandbox: scrubbed copies of past conversations, agents' runs through
//! them and their replies. Nothing here touches tickets, messages, events, mail or
//! notifications, so a practice reply can never reach a customer, a queue or search.

use crate::backend::{in_transaction, with_reader};
use crate::error::StoreError;
use crate::{Result, Store};
use sqlx::FromRow;

pub struct NewPracticeCase {
    pub source_ticket_id: i64,
    pub subject: String,
    pub level: String,
    pub frustration: i64,
    /// The customer's messages in order, each with the original wait before it.
    pub messages: Vec<(String, i64)>,
}

#[derive(Debug, Clone, FromRow)]
pub struct PracticeCaseRow {
    pub id: i64,
    pub subject: String,
    pub level: String,
    pub frustration: i64,
    pub messages: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct PracticeMessageRow {
    pub seq: i64,
    pub body: String,
    pub wait_ms: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct PracticeRunRow {
    pub id: i64,
    pub case_id: i64,
    pub agent_id: i64,
    pub started_at: i64,
    pub finished_at: Option<i64>,
}

#[derive(Debug, Clone, FromRow)]
pub struct PracticeReplyRow {
    pub id: i64,
    pub body: String,
    pub tone: String,
    pub created_at: i64,
}

const CASE_SELECT: &str = "SELECT c.id, c.subject, c.level, c.frustration,
        (SELECT COUNT(*) FROM practice_case_messages m WHERE m.case_id = c.id) AS messages
     FROM practice_cases c";

impl Store {
    /// Copies one scrubbed conversation into the sandbox; `Duplicate` when that ticket
    /// was copied before.
    pub async fn insert_practice_case(&self, c: &NewPracticeCase, now: i64) -> Result<i64> {
        Ok(in_transaction!(self, |tx| {
            let id = sqlx::query_scalar::<_, i64>(
                "INSERT INTO practice_cases (source_ticket_id, subject, level, frustration, created_at)
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(c.source_ticket_id)
            .bind(&c.subject)
            .bind(&c.level)
            .bind(c.frustration)
            .bind(now)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| StoreError::classify(e, "practice case"))?;
            for (seq, (body, wait)) in c.messages.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO practice_case_messages (case_id, seq, body, wait_ms)
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(id)
                .bind(seq as i64)
                .bind(body)
                .bind(wait)
                .execute(&mut *tx)
                .await?;
            }
            id
        }))
    }

    /// Resolved or closed tickets not yet copied whose last frustration score lies in
    /// `lo..=hi` (or that were flagged abusive, with `abusive`), newest first.
    pub async fn practice_candidates(
        &self,
        lo: i64,
        hi: i64,
        abusive: bool,
        limit: i64,
    ) -> Result<Vec<i64>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_scalar::<_, i64>(
                "SELECT t.id FROM tickets t
                 WHERE t.status IN ('resolved', 'closed')
                   AND ((COALESCE(t.frustration_score, 0) BETWEEN $1 AND $2 AND t.abusive = $3)
                        OR ($3 AND t.abusive))
                   AND NOT EXISTS (SELECT 1 FROM practice_cases c WHERE c.source_ticket_id = t.id)
                 ORDER BY t.id DESC LIMIT $4",
            )
            .bind(lo)
            .bind(hi)
            .bind(abusive)
            .bind(limit)
            .fetch_all(db)
            .await?
        }))
    }

    pub async fn practice_cases(&self) -> Result<Vec<PracticeCaseRow>> {
        let sql = format!("{CASE_SELECT} ORDER BY c.frustration, c.id LIMIT 500");
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, PracticeCaseRow>(&sql)
                .fetch_all(db)
                .await?
        }))
    }

    pub async fn practice_case(&self, id: i64) -> Result<Option<PracticeCaseRow>> {
        let sql = format!("{CASE_SELECT} WHERE c.id = $1");
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, PracticeCaseRow>(&sql)
                .bind(id)
                .fetch_optional(db)
                .await?
        }))
    }

    pub async fn practice_messages(&self, case_id: i64) -> Result<Vec<PracticeMessageRow>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, PracticeMessageRow>(
                "SELECT seq, body, wait_ms FROM practice_case_messages WHERE case_id = $1 ORDER BY seq",
            )
            .bind(case_id)
            .fetch_all(db)
            .await?
        }))
    }

    pub async fn insert_practice_run(&self, case_id: i64, agent_id: i64, now: i64) -> Result<i64> {
        Ok(in_transaction!(self, |tx| {
            sqlx::query_scalar::<_, i64>(
                "INSERT INTO practice_runs (case_id, agent_id, started_at) VALUES ($1, $2, $3)
                 RETURNING id",
            )
            .bind(case_id)
            .bind(agent_id)
            .bind(now)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| StoreError::classify(e, "practice run"))?
        }))
    }

    pub async fn practice_run(&self, id: i64) -> Result<Option<PracticeRunRow>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, PracticeRunRow>(
                "SELECT id, case_id, agent_id, started_at, finished_at FROM practice_runs WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(db)
            .await?
        }))
    }

    /// An agent's runs, newest first.
    pub async fn practice_runs_of(&self, agent_id: i64, limit: i64) -> Result<Vec<PracticeRunRow>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, PracticeRunRow>(
                "SELECT id, case_id, agent_id, started_at, finished_at FROM practice_runs
                 WHERE agent_id = $1 ORDER BY id DESC LIMIT $2",
            )
            .bind(agent_id)
            .bind(limit)
            .fetch_all(db)
            .await?
        }))
    }

    pub async fn practice_replies(&self, run_id: i64) -> Result<Vec<PracticeReplyRow>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, PracticeReplyRow>(
                "SELECT id, body, tone, created_at FROM practice_replies WHERE run_id = $1 ORDER BY id",
            )
            .bind(run_id)
            .fetch_all(db)
            .await?
        }))
    }

    /// Adds a reply to an unfinished run (and finishes it when `finished`); `false` when
    /// the run had finished already.
    pub async fn insert_practice_reply(
        &self,
        run_id: i64,
        body: &str,
        tone: &str,
        finished: bool,
        now: i64,
    ) -> Result<bool> {
        Ok(in_transaction!(self, |tx| {
            let open = sqlx::query(
                "UPDATE practice_runs SET finished_at = $1 WHERE id = $2 AND finished_at IS NULL",
            )
            .bind(finished.then_some(now))
            .bind(run_id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if open {
                sqlx::query(
                    "INSERT INTO practice_replies (run_id, body, tone, created_at) VALUES ($1, $2, $3, $4)",
                )
                .bind(run_id)
                .bind(body)
                .bind(tone)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            open
        }))
    }
}
