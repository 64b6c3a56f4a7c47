//! What every write decides from, kept in memory: the policy book (calendars and targets),
//! the routing settings, the teams, where new requests land and whether anyone takes new
//! work. It is rebuilt only when the database's config version moves; triggers bump that
//! counter in the same transaction as any change to those rows, so every process on one
//! database decides from current settings at the cost of one small read per use case.

use crate::routing::RoutingBook;
use crate::{Result, Services};
use heard_sla::PolicyBook;
use heard_store::TeamRow;
use std::sync::{Arc, RwLock};

/// The facts a decision reads that are not the ticket's own, as of one config version.
pub(crate) struct Snapshot {
    pub version: i64,
    pub policies: Arc<PolicyBook>,
    pub routing: RoutingBook,
    /// By id.
    pub teams: Vec<TeamRow>,
    /// Where new requests land when nobody names a team.
    pub default_team: Option<i64>,
    /// Whether any agent takes new work now.
    pub anyone_available: bool,
}

impl Snapshot {
    pub fn team(&self, id: i64) -> Option<&TeamRow> {
        self.teams
            .binary_search_by_key(&id, |t| t.id)
            .ok()
            .map(|i| &self.teams[i])
    }
}

/// This process's latest snapshot.
#[derive(Clone, Default)]
pub struct SnapshotCache(Arc<RwLock<Option<Arc<Snapshot>>>>);

impl Services {
    /// The snapshot at the database's current config version.
    pub(crate) async fn snapshot(&self) -> Result<Arc<Snapshot>> {
        let version = self.store.config_version().await?;
        if let Some(s) = self.snapshot.0.read().expect("snapshot").as_ref()
            && s.version == version
        {
            return Ok(s.clone());
        }
        // Read after the version: what is read is at least as new, and a change committed
        // meanwhile moves the version again, so the next call reloads.
        let raw_book = self.store.setting(crate::service_levels::BOOK_KEY).await?;
        let policies = crate::service_levels::parse_book(raw_book.as_deref())?;
        let routing = self.load_routing_book().await?;
        let mut teams = self.store.teams().await?;
        teams.sort_by_key(|t| t.id);
        // The `default_team_id` setting, else the first team.
        let default_team = self
            .store
            .setting("default_team_id")
            .await?
            .and_then(|v| v.parse().ok())
            .or_else(|| teams.first().map(|t| t.id));
        let anyone_available = self.store.agents_available().await? > 0;
        let snapshot = Arc::new(Snapshot {
            version,
            policies,
            routing,
            teams,
            default_team,
            anyone_available,
        });
        let mut slot = self.snapshot.0.write().expect("snapshot");
        // A concurrent request may have stored a newer one meanwhile: keep the newest.
        if slot.as_ref().is_none_or(|s| s.version <= version) {
            *slot = Some(snapshot.clone());
        }
        Ok(snapshot)
    }
}
