//! The desk as a whole: whether its database answers, where requests land when nobody
//! names a team, and whether it is new (the demo fills only a new desk, and only once).

use crate::ErrorCode;
use crate::{Result, ServiceError, Services};
use heard_domain::Actor;

/// The setting `create_ticket` reads for requests that name no team.
const DEFAULT_TEAM: &str = "default_team_id";
const DEMO_FILLED: &str = "demo_filled";

/// What `serve --demo` finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeskState {
    /// Nobody has an account yet.
    New,
    /// The demo filled it.
    Demo,
    /// People use it: the demo must not mix its data in.
    InUse,
}

impl Services {
    /// Fails when the database does not answer.
    pub async fn ping(&self) -> Result<()> {
        Ok(self.store.ping().await?)
    }

    /// Sends requests that name no team to `team_id`. `actor` is `None` for the command
    /// line and the demo, which set a desk up; otherwise only an admin may.
    pub async fn set_default_team(&self, actor: Option<&Actor>, team_id: i64) -> Result<()> {
        if actor.is_some_and(|a| !a.may_configure()) {
            return Err(ServiceError::forbidden(
                "only an admin chooses the default team",
            ));
        }
        if self.store.team(team_id).await?.is_none() {
            return Err(ServiceError::invalid(
                "team_id",
                ErrorCode::TeamNotFound,
                format!("team {team_id} does not exist"),
            ));
        }
        Ok(self
            .store
            .set_setting(DEFAULT_TEAM, &team_id.to_string())
            .await?)
    }

    pub async fn desk_state(&self) -> Result<DeskState> {
        if self.store.setting(DEMO_FILLED).await?.is_some() {
            return Ok(DeskState::Demo);
        }
        let anyone = self
            .store
            .users(&["customer", "agent", "supervisor", "admin"], None, 1)
            .await?;
        Ok(if anyone.is_empty() {
            DeskState::New
        } else {
            DeskState::InUse
        })
    }

    /// Records that the demo filled this desk, so a restart with `--demo` keeps it as is.
    pub async fn mark_demo_filled(&self) -> Result<()> {
        Ok(self.store.set_setting(DEMO_FILLED, "1").await?)
    }
}
