//! Problems (the underlying faults that group tickets) and tickets' diagnoses.

use crate::backend::{in_transaction, with_reader};
use crate::rows::{DiagnosisRow, ProblemRow};
use crate::{Result, Store, StoreError};

const PROBLEM_SELECT: &str = "SELECT p.id, p.title, p.description, p.status, p.created_by,
        p.created_at, p.updated_at,
        (SELECT COUNT(*) FROM ticket_diagnoses d WHERE d.problem_id = p.id) AS tickets
     FROM problems p";

impl Store {
    pub async fn create_problem(
        &self,
        title: &str,
        description: &str,
        created_by: i64,
        now: i64,
    ) -> Result<i64> {
        Ok(in_transaction!(self, |tx| {
            sqlx::query_scalar::<_, i64>(
                "INSERT INTO problems (title, description, status, created_by, created_at, updated_at)
                 VALUES ($1, $2, 'open', $3, $4, $4) RETURNING id",
            )
            .bind(title)
            .bind(description)
            .bind(created_by)
            .bind(now)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| StoreError::classify(e, "problem"))?
        }))
    }

    /// Writes a problem's title, description and status whole.
    pub async fn update_problem(
        &self,
        id: i64,
        title: &str,
        description: &str,
        status: &str,
        now: i64,
    ) -> Result<bool> {
        Ok(in_transaction!(self, |tx| {
            sqlx::query(
                "UPDATE problems SET title = $1, description = $2, status = $3, updated_at = $4
                 WHERE id = $5",
            )
            .bind(title)
            .bind(description)
            .bind(status)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1
        }))
    }

    pub async fn problem(&self, id: i64) -> Result<Option<ProblemRow>> {
        let sql = format!("{PROBLEM_SELECT} WHERE p.id = $1");
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, ProblemRow>(&sql)
                .bind(id)
                .fetch_optional(db)
                .await?
        }))
    }

    /// Problems newest first, optionally of one status, paginated by id.
    pub async fn problems(
        &self,
        status: Option<&str>,
        before_id: Option<i64>,
        limit: i64,
    ) -> Result<Vec<ProblemRow>> {
        let sql = format!(
            "{PROBLEM_SELECT} WHERE ($1 IS NULL OR p.status = $1) AND ($2 IS NULL OR p.id < $2)
             ORDER BY p.id DESC LIMIT $3"
        );
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, ProblemRow>(&sql)
                .bind(status)
                .bind(before_id)
                .bind(limit)
                .fetch_all(db)
                .await?
        }))
    }

    pub async fn diagnosis(&self, ticket_id: i64) -> Result<Option<DiagnosisRow>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, DiagnosisRow>(
                "SELECT d.ticket_id, d.root_cause, d.resolution, d.problem_id,
                        p.title AS problem_title, p.status AS problem_status,
                        d.recorded_by, u.name AS recorded_by_name, d.recorded_at
                 FROM ticket_diagnoses d
                 JOIN users u ON u.id = d.recorded_by
                 LEFT JOIN problems p ON p.id = d.problem_id
                 WHERE d.ticket_id = $1",
            )
            .bind(ticket_id)
            .fetch_optional(db)
            .await?
        }))
    }
}
