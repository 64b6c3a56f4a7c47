//! Who may see and change what. The same rules are applied to single tickets here and,
//! as SQL filters, to lists in the store; the tests of both run from this definition.

use crate::{MessageKind, Role};

/// The person making a request, as resolved from their token or session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: i64,
    pub role: Role,
    /// Teams the user belongs to (agents work their teams' tickets).
    pub team_ids: Vec<i64>,
    pub organization_id: Option<i64>,
    /// Whether the customer's organization shares tickets among its members.
    pub organization_shares: bool,
}

/// What the access rules need to know about a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketFacts {
    pub requester_id: i64,
    pub organization_id: Option<i64>,
    pub team_id: Option<i64>,
    pub assignee_id: Option<i64>,
    /// Colleagues invited to join the ticket: they see and work it like its owner.
    pub collaborator_ids: Vec<i64>,
}

/// How far an actor's view of tickets reaches; the store turns this into a SQL filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TicketScope {
    /// Supervisors and admins see every ticket.
    All,
    /// Agents see their teams' tickets, the ones assigned to them and the ones they were
    /// invited to join.
    Agent { user_id: i64, team_ids: Vec<i64> },
    /// Customers see their own tickets, and their organization's when it shares.
    Customer {
        user_id: i64,
        shared_organization_id: Option<i64>,
    },
}

impl Actor {
    pub fn is_staff(&self) -> bool {
        self.role.is_staff()
    }

    pub fn ticket_scope(&self) -> TicketScope {
        match self.role {
            Role::Supervisor | Role::Admin => TicketScope::All,
            Role::Agent => TicketScope::Agent {
                user_id: self.user_id,
                team_ids: self.team_ids.clone(),
            },
            Role::Customer => TicketScope::Customer {
                user_id: self.user_id,
                shared_organization_id: self.organization_id.filter(|_| self.organization_shares),
            },
        }
    }

    pub fn can_see_ticket(&self, t: &TicketFacts) -> bool {
        self.ticket_scope().admits(t)
    }

    /// Internal notes are for staff only.
    pub fn can_see_message(&self, kind: MessageKind) -> bool {
        self.is_staff() || kind == MessageKind::Public
    }

    /// Changing status, priority, owner, team or tags is staff work; a customer may
    /// only mark their own request solved.
    pub fn may_manage_tickets(&self) -> bool {
        self.is_staff()
    }

    /// Customers, agents and teams are configured by admins; agents and supervisors
    /// may look up and update customers they serve.
    pub fn may_manage_customers(&self) -> bool {
        self.is_staff()
    }

    /// Who belongs to an organization and whether it shares tickets decide what its
    /// customers see of each other's tickets, so only supervisors and admins change them;
    /// an agent's customer management never widens anyone's view.
    pub fn may_manage_organizations(&self) -> bool {
        matches!(self.role, Role::Supervisor | Role::Admin)
    }

    pub fn may_configure(&self) -> bool {
        self.role == Role::Admin
    }

    /// Supervisors may read the agent roster (to coach and balance load).
    pub fn may_view_agents(&self) -> bool {
        matches!(self.role, Role::Supervisor | Role::Admin)
    }
}

impl TicketScope {
    pub fn admits(&self, t: &TicketFacts) -> bool {
        match self {
            TicketScope::All => true,
            TicketScope::Agent { user_id, team_ids } => {
                t.assignee_id == Some(*user_id)
                    || t.collaborator_ids.contains(user_id)
                    || t.team_id.is_some_and(|team| team_ids.contains(&team))
            }
            TicketScope::Customer {
                user_id,
                shared_organization_id,
            } => {
                t.requester_id == *user_id
                    || (shared_organization_id.is_some()
                        && t.organization_id == *shared_organization_id)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role) -> Actor {
        Actor {
            user_id: 10,
            role,
            team_ids: vec![1],
            organization_id: Some(5),
            organization_shares: false,
        }
    }

    fn ticket(requester: i64, org: Option<i64>, team: Option<i64>) -> TicketFacts {
        TicketFacts {
            requester_id: requester,
            organization_id: org,
            team_id: team,
            assignee_id: None,
            collaborator_ids: Vec::new(),
        }
    }

    #[test]
    fn customers_see_their_own_and_shared_organization_tickets() {
        let mut c = actor(Role::Customer);
        assert!(c.can_see_ticket(&ticket(10, Some(5), Some(2))));
        assert!(!c.can_see_ticket(&ticket(11, Some(5), Some(1))));
        c.organization_shares = true;
        assert!(c.can_see_ticket(&ticket(11, Some(5), Some(1))));
        assert!(!c.can_see_ticket(&ticket(11, Some(6), Some(1))));
        assert!(!c.can_see_ticket(&ticket(11, None, Some(1))));
        assert!(!c.can_see_message(MessageKind::Internal));
    }

    #[test]
    fn agents_see_their_teams_and_their_own_assignments() {
        let a = actor(Role::Agent);
        assert!(a.can_see_ticket(&ticket(99, None, Some(1))));
        assert!(!a.can_see_ticket(&ticket(99, None, Some(2))));
        assert!(!a.can_see_ticket(&ticket(99, None, None)));
        let mut assigned = ticket(99, None, Some(2));
        assigned.assignee_id = Some(10);
        assert!(a.can_see_ticket(&assigned));
        let mut invited = ticket(99, None, Some(2));
        invited.collaborator_ids = vec![7, 10];
        assert!(a.can_see_ticket(&invited));
        assert!(!actor(Role::Customer).can_see_ticket(&invited));
        assert!(a.can_see_message(MessageKind::Internal));
    }

    #[test]
    fn supervisors_and_admins_see_everything() {
        for role in [Role::Supervisor, Role::Admin] {
            assert!(actor(role).can_see_ticket(&ticket(99, None, None)));
        }
        assert!(actor(Role::Admin).may_configure());
        assert!(!actor(Role::Supervisor).may_configure());
    }
}
