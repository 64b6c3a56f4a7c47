//! Canned replies (macros): a personal one belongs to its owner, a shared one (no owner)
//! to the desk.

use crate::backend::{in_transaction, with_reader};
use crate::{Result, Store};
use sqlx::FromRow;

#[derive(Debug, Clone, FromRow)]
pub struct MacroRow {
    pub id: i64,
    pub title: String,
    pub body: String,
    pub status: Option<String>,
    /// JSON array of tags to add.
    pub tags: String,
    pub owner_id: Option<i64>,
    pub created_by: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A macro as written; `owner_id` `None` makes it shared.
#[derive(Debug, Clone)]
pub struct MacroWrite {
    pub title: String,
    pub body: String,
    pub status: Option<String>,
    pub tags: String,
    pub owner_id: Option<i64>,
}

const MACRO_COLUMNS: &str =
    "id, title, body, status, tags, owner_id, created_by, created_at, updated_at";

impl Store {
    pub async fn create_macro(&self, m: &MacroWrite, created_by: i64, now: i64) -> Result<i64> {
        Ok(in_transaction!(self, |tx| {
            sqlx::query_scalar::<_, i64>(
                "INSERT INTO macros (title, body, status, tags, owner_id, created_by, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
            )
            .bind(&m.title)
            .bind(&m.body)
            .bind(&m.status)
            .bind(&m.tags)
            .bind(m.owner_id)
            .bind(created_by)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?
        }))
    }

    /// The shared macros and `user_id`'s own, by title.
    pub async fn macros_for(&self, user_id: i64) -> Result<Vec<MacroRow>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, MacroRow>(&format!(
                "SELECT {MACRO_COLUMNS} FROM macros WHERE owner_id IS NULL OR owner_id = $1
                 ORDER BY LOWER(title), id"
            ))
            .bind(user_id)
            .fetch_all(db)
            .await?
        }))
    }

    pub async fn macro_row(&self, id: i64) -> Result<Option<MacroRow>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, MacroRow>(&format!(
                "SELECT {MACRO_COLUMNS} FROM macros WHERE id = $1"
            ))
            .bind(id)
            .fetch_optional(db)
            .await?
        }))
    }

    /// Replaces a macro's content; false when there is no such macro.
    pub async fn update_macro(&self, id: i64, m: &MacroWrite, now: i64) -> Result<bool> {
        Ok(in_transaction!(self, |tx| {
            sqlx::query(
                "UPDATE macros SET title = $1, body = $2, status = $3, tags = $4, owner_id = $5, updated_at = $6
                 WHERE id = $7",
            )
            .bind(&m.title)
            .bind(&m.body)
            .bind(&m.status)
            .bind(&m.tags)
            .bind(m.owner_id)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1
        }))
    }

    pub async fn delete_macro(&self, id: i64) -> Result<bool> {
        Ok(in_transaction!(self, |tx| {
            sqlx::query("DELETE FROM macros WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                == 1
        }))
    }
}
