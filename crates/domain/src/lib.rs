//! heard's pure domain rules: validated values (e-mail addresses, priorities, tiers…),
//! the ticket state machine, the access rules that decide who may see what, agent
//! presence and breaks, and the routing decision that picks the agent for a ticket.
//!
//! Nothing here does I/O or reads the clock, so every rule can be unit- and
//! property-tested and reused by every channel (HTTP, CLI, e-mail, jobs).

pub mod access;
pub mod attachment;
pub mod chat;
pub mod coverage;
pub mod diagnosis;
pub mod error_code;
pub mod handoff;
pub mod invalid;
pub mod macros;
pub mod people;
pub mod phone;
pub mod practice;
pub mod presence;
pub mod review;
pub mod routing;
pub mod scorecard;
pub mod scrub;
pub mod sso;
pub mod survey;
pub mod throttle;
pub mod ticket;
pub mod webhook;

pub use access::{Actor, TicketFacts};
pub use error_code::ErrorCode;
pub use invalid::Invalid;
pub use people::{EmailAddress, IdentityKind, Role, Tier};
pub use phone::{CallDirection, CallOutcome, CountryCode, PhoneNumber};
pub use ticket::{Channel, MessageKind, Priority, Status, Subject, Tag};
