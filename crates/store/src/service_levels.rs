//! The durable side of service levels: which tickets have a warning or breach due, firing
//! each exactly once (a unique key per ticket and alert, so restarts and several
//! processes cannot repeat one), and the notifications people act on.

use crate::backend::{in_transaction, with_reader};
use crate::tickets::NewEvent;
use crate::{Result, Store};
use sqlx::FromRow;

#[derive(Debug, Clone)]
pub struct NewNotification {
    /// A person, or everyone with `role` when `None`.
    pub user_id: Option<i64>,
    pub role: Option<String>,
    pub kind: String,
    pub message: String,
}

#[derive(Debug, Clone, FromRow)]
pub struct NotificationRow {
    pub id: i64,
    pub user_id: Option<i64>,
    pub role: Option<String>,
    /// `None` for a notification about no ticket (a break reminder).
    pub ticket_id: Option<i64>,
    pub kind: String,
    pub message: String,
    pub created_at: i64,
    pub read_at: Option<i64>,
}

impl Store {
    /// Tickets whose next warning or breach is due by `now`, the longest overdue first.
    pub async fn tickets_with_alerts_due(&self, now: i64, limit: i64) -> Result<Vec<i64>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_scalar::<_, i64>(
                "SELECT id FROM tickets WHERE next_alert_at IS NOT NULL AND next_alert_at <= $1
                 ORDER BY next_alert_at LIMIT $2",
            )
            .bind(now)
            .bind(limit)
            .fetch_all(db)
            .await?
        }))
    }

    /// Fires one alert: records its key, appends the event and the notification, all in
    /// one transaction. Returns false, writing nothing, when the key already fired.
    pub async fn fire_alert(
        &self,
        ticket_id: i64,
        key: &str,
        kind: &str,
        event: &NewEvent,
        notification: &NewNotification,
        now: i64,
    ) -> Result<bool> {
        Ok(in_transaction!(self, |tx| {
            let inserted = sqlx::query(
                "INSERT INTO sla_alerts (ticket_id, key, kind, fired_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (ticket_id, key) DO NOTHING",
            )
            .bind(ticket_id)
            .bind(key)
            .bind(kind)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if inserted {
                sqlx::query(
                    "INSERT INTO events (ticket_id, actor_id, kind, data, created_at) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(ticket_id)
                .bind(event.actor_id)
                .bind(&event.kind)
                .bind(event.data.to_string())
                .bind(now)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "INSERT INTO notifications (user_id, role, ticket_id, kind, message, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(notification.user_id)
                .bind(&notification.role)
                .bind(ticket_id)
                .bind(&notification.kind)
                .bind(&notification.message)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            inserted
        }))
    }

    /// Reschedules a ticket's next alert. Derived state, so it does not bump the version:
    /// every write recomputes it from the event log anyway.
    pub async fn set_next_alert(&self, ticket_id: i64, next_alert_at: Option<i64>) -> Result<()> {
        in_transaction!(self, |tx| {
            sqlx::query("UPDATE tickets SET next_alert_at = $1 WHERE id = $2")
                .bind(next_alert_at)
                .bind(ticket_id)
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }

    /// How many alerts of each key fired on a ticket (tests and reports).
    pub async fn fired_alerts(&self, ticket_id: i64) -> Result<Vec<String>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_scalar::<_, String>(
                "SELECT key FROM sla_alerts WHERE ticket_id = $1 ORDER BY key",
            )
            .bind(ticket_id)
            .fetch_all(db)
            .await?
        }))
    }

    /// A person's notifications and those for their role, newest first; `read_at` is when
    /// this person read it (a role's notification is read by each of its people apart).
    pub async fn notifications_for(
        &self,
        user_id: i64,
        role: &str,
        limit: i64,
    ) -> Result<Vec<NotificationRow>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, NotificationRow>(
                "SELECT n.id, n.user_id, n.role, n.ticket_id, n.kind, n.message, n.created_at,
                        COALESCE(r.read_at, n.read_at) AS read_at
                 FROM notifications n
                 LEFT JOIN notification_reads r ON r.notification_id = n.id AND r.user_id = $1
                 WHERE n.user_id = $1 OR n.role = $2 ORDER BY n.id DESC LIMIT $3",
            )
            .bind(user_id)
            .bind(role)
            .bind(limit)
            .fetch_all(db)
            .await?
        }))
    }
}

impl Store {
    /// How many of a person's notifications (theirs and their role's) they have not read.
    pub async fn unread_notifications(&self, user_id: i64, role: &str) -> Result<i64> {
        Ok(with_reader!(self, |db| {
            sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM notifications n
                 WHERE (n.user_id = $1 OR n.role = $2) AND n.read_at IS NULL
                   AND NOT EXISTS (SELECT 1 FROM notification_reads r
                                   WHERE r.user_id = $1 AND r.notification_id = n.id)",
            )
            .bind(user_id)
            .bind(role)
            .fetch_one(db)
            .await?
        }))
    }

    /// Marks as read, for this person only, one of their notifications (`only`) or all of
    /// them; a notification not addressed to them is left alone. Answers how many changed.
    pub async fn mark_notifications_read(
        &self,
        user_id: i64,
        role: &str,
        only: Option<i64>,
        now: i64,
    ) -> Result<u64> {
        Ok(in_transaction!(self, |tx| {
            sqlx::query(
                "INSERT INTO notification_reads (user_id, notification_id, read_at)
                 SELECT $1, n.id, $3 FROM notifications n
                 WHERE (n.user_id = $1 OR n.role = $2) AND n.read_at IS NULL
                   AND ($4 IS NULL OR n.id = $4)
                   AND NOT EXISTS (SELECT 1 FROM notification_reads r
                                   WHERE r.user_id = $1 AND r.notification_id = n.id)
                 ON CONFLICT DO NOTHING",
            )
            .bind(user_id)
            .bind(role)
            .bind(now)
            .bind(only)
            .execute(&mut *tx)
            .await?
            .rows_affected()
        }))
    }
}

impl Store {
    /// The event logs of the `limit` tickets most recently changed since `since`, ordered
    /// by ticket then event, in one query (for compliance reports).
    pub async fn recent_event_logs(&self, since: i64, limit: i64) -> Result<Vec<crate::EventRow>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, crate::EventRow>(
                "SELECT id, ticket_id, actor_id, kind, data, created_at FROM events
                 WHERE ticket_id IN (SELECT id FROM tickets WHERE updated_at >= $1 ORDER BY updated_at DESC LIMIT $2)
                 ORDER BY ticket_id, id",
            )
            .bind(since)
            .bind(limit)
            .fetch_all(db)
            .await?
        }))
    }
}

/// An event as the supervisor's trends read it.
#[derive(Debug, Clone, FromRow)]
pub struct TrendEventRow {
    pub kind: String,
    pub data: String,
    pub created_at: i64,
}

impl Store {
    /// Events of one `kind` written since `since`, oldest first, at most `limit` (the
    /// `events(kind, created_at)` index answers it without reading other events).
    pub async fn events_of_kind_since(
        &self,
        kind: &str,
        since: i64,
        limit: i64,
    ) -> Result<Vec<TrendEventRow>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, TrendEventRow>(
                "SELECT kind, data, created_at FROM events
                 WHERE kind = $1 AND created_at >= $2 ORDER BY created_at LIMIT $3",
            )
            .bind(kind)
            .bind(since)
            .bind(limit)
            .fetch_all(db)
            .await?
        }))
    }

    /// The event logs of the tickets whose service levels may have been decided since
    /// `since`: those changed since then (at most `limit`, the most recent) and those that
    /// breached since then without a change (at most `limit` more), by ticket then event.
    pub async fn event_logs_decided_since(
        &self,
        since: i64,
        limit: i64,
    ) -> Result<Vec<crate::EventRow>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, crate::EventRow>(
                "SELECT id, ticket_id, actor_id, kind, data, created_at FROM events
                 WHERE ticket_id IN (
                     SELECT id FROM (SELECT id FROM tickets WHERE updated_at >= $1
                                     ORDER BY updated_at DESC LIMIT $2) changed
                     UNION
                     SELECT ticket_id FROM (SELECT ticket_id FROM events
                                            WHERE kind = 'sla_breached' AND created_at >= $1
                                            ORDER BY created_at DESC LIMIT $2) breached)
                 ORDER BY ticket_id, id",
            )
            .bind(since)
            .bind(limit)
            .fetch_all(db)
            .await?
        }))
    }
}
