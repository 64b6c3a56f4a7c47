//! Who else has a ticket open, so two agents do not answer one customer at once: each
//! open ticket page sends a heartbeat (`viewing`, or `replying` while a reply is being
//! written), and a heartbeat older than [`VIEWER_TTL_MS`] no longer counts.

use crate::views::rfc3339;
use crate::{Actor, Result, ServiceError, Services};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A viewer who sent nothing for this long has left.
pub const VIEWER_TTL_MS: i64 = 30 * 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Activity {
    #[default]
    Viewing,
    /// Writing a reply or note right now.
    Replying,
}

impl Activity {
    pub fn as_str(self) -> &'static str {
        match self {
            Activity::Viewing => "viewing",
            Activity::Replying => "replying",
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Heartbeat {
    /// `viewing` (the default) or `replying`.
    #[serde(default)]
    pub activity: Activity,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ViewerView {
    pub user_id: i64,
    pub name: String,
    pub role: String,
    /// `viewing` or `replying`.
    pub activity: String,
    /// Since when they have had the ticket open.
    pub since: String,
    pub seen_at: String,
    /// The caller themself.
    pub you: bool,
}

impl Services {
    /// Staff only, and only on tickets they may see (others answer as if missing).
    async fn viewable(&self, actor: &Actor, ticket_id: i64) -> Result<()> {
        self.visible_ticket(actor, ticket_id).await?;
        if !actor.is_staff() {
            return Err(ServiceError::forbidden(
                "who is viewing a ticket is shown to staff",
            ));
        }
        Ok(())
    }

    /// Records the caller's heartbeat on a ticket and returns everyone viewing it.
    pub async fn ticket_heartbeat(
        &self,
        actor: &Actor,
        ticket_id: i64,
        beat: Heartbeat,
    ) -> Result<Vec<ViewerView>> {
        self.viewable(actor, ticket_id).await?;
        let now = self.now();
        self.store
            .ticket_heartbeat(
                ticket_id,
                actor.user_id,
                beat.activity.as_str(),
                now,
                now - VIEWER_TTL_MS,
            )
            .await?;
        self.current_viewers(actor, ticket_id, now).await
    }

    /// Everyone with the ticket open now, longest there first.
    pub async fn ticket_viewers(&self, actor: &Actor, ticket_id: i64) -> Result<Vec<ViewerView>> {
        self.viewable(actor, ticket_id).await?;
        self.current_viewers(actor, ticket_id, self.now()).await
    }

    /// The caller closed the ticket: others stop seeing them at once.
    pub async fn ticket_left(&self, actor: &Actor, ticket_id: i64) -> Result<()> {
        self.viewable(actor, ticket_id).await?;
        Ok(self.store.ticket_left(ticket_id, actor.user_id).await?)
    }

    async fn current_viewers(
        &self,
        actor: &Actor,
        ticket_id: i64,
        now: i64,
    ) -> Result<Vec<ViewerView>> {
        Ok(self
            .store
            .ticket_viewers(ticket_id, now - VIEWER_TTL_MS)
            .await?
            .into_iter()
            .map(|v| ViewerView {
                you: v.user_id == actor.user_id,
                user_id: v.user_id,
                name: v.name,
                role: v.role,
                activity: v.activity,
                since: rfc3339(v.since),
                seen_at: rfc3339(v.seen_at),
            })
            .collect())
    }
}
