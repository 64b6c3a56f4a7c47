//! Saved views (named ticket lists): a personal one belongs to its owner, a shared one
//! (no owner) to the desk. Their tickets are listed by `Store::view_tickets`.

use crate::backend::{in_transaction, with_reader};
use crate::{Result, Store};
use sqlx::FromRow;

#[derive(Debug, Clone, FromRow)]
pub struct SavedViewRow {
    pub id: i64,
    pub name: String,
    /// JSON object of the filters.
    pub filters: String,
    /// JSON array of the columns shown.
    pub columns: String,
    pub owner_id: Option<i64>,
    pub created_by: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A view as saved; `owner_id` `None` makes it shared.
#[derive(Debug, Clone)]
pub struct SavedViewWrite {
    pub name: String,
    pub filters: String,
    pub columns: String,
    pub owner_id: Option<i64>,
}

const VIEW_COLUMNS: &str =
    "id, name, filters, columns, owner_id, created_by, created_at, updated_at";

impl Store {
    pub async fn create_view(&self, m: &SavedViewWrite, created_by: i64, now: i64) -> Result<i64> {
        Ok(in_transaction!(self, |tx| {
            sqlx::query_scalar::<_, i64>(
                "INSERT INTO saved_views (name, filters, columns, owner_id, created_by, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
            )
            .bind(&m.name)
            .bind(&m.filters)
            .bind(&m.columns)
            .bind(m.owner_id)
            .bind(created_by)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?
        }))
    }

    /// The shared views and `user_id`'s own, by name.
    pub async fn views_for(&self, user_id: i64) -> Result<Vec<SavedViewRow>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, SavedViewRow>(&format!(
                "SELECT {VIEW_COLUMNS} FROM saved_views WHERE owner_id IS NULL OR owner_id = $1
                 ORDER BY LOWER(name), id"
            ))
            .bind(user_id)
            .fetch_all(db)
            .await?
        }))
    }

    pub async fn view_row(&self, id: i64) -> Result<Option<SavedViewRow>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, SavedViewRow>(&format!(
                "SELECT {VIEW_COLUMNS} FROM saved_views WHERE id = $1"
            ))
            .bind(id)
            .fetch_optional(db)
            .await?
        }))
    }

    /// Replaces a view; false when there is no such view.
    pub async fn update_view(&self, id: i64, m: &SavedViewWrite, now: i64) -> Result<bool> {
        Ok(in_transaction!(self, |tx| {
            sqlx::query(
                "UPDATE saved_views SET name = $1, filters = $2, columns = $3, owner_id = $4, updated_at = $5
                 WHERE id = $6",
            )
            .bind(&m.name)
            .bind(&m.filters)
            .bind(&m.columns)
            .bind(m.owner_id)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1
        }))
    }

    pub async fn delete_view(&self, id: i64) -> Result<bool> {
        Ok(in_transaction!(self, |tx| {
            sqlx::query("DELETE FROM saved_views WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                == 1
        }))
    }
}
