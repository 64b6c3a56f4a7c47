//! heard's storage. One set of SQL statements serves both backends: the embedded SQLite
//! database (the default, nothing to install) and PostgreSQL (several `heard serve`
//! processes sharing one database). Each statement is written once with `$N` parameters,
//! which both drivers accept, and the `with_reader!`/`in_transaction!` macros expand it once per backend
//! so each gets native types and no `Any` driver. Migrations live per backend.
//!
//! The store decides nothing: services load, decide with `heard-domain`, and hand the
//! store a complete write, which it applies in one transaction together with its events.

mod backend;
mod backup;
mod calls;
mod chats;
mod diagnosis;
mod error;
mod group;
mod history;
mod imap;
mod import;
mod inbound_mail;
mod kb;
mod macros;
mod mail;
mod outbound_mail;
mod people;
mod practice;
mod reviews;
mod routing;
mod rows;
mod saved_views;
mod scorecard;
mod seed;
mod service_levels;
mod sso;
mod surveys;
pub mod telemetry;
mod tickets;
mod trust;
mod viewers;
mod webhooks;

pub use backend::{Backend, Store};
pub use calls::{CallRow, ContactRow, ListCalls, NewCall};
pub use chats::{CHAT_CHANNEL, ChatRow, ChatTouch, ListChats};
pub use error::StoreError;
pub use imap::{ImapChange, ImapSettingsRow, MailboxImapRow};
pub use import::{
    DirectoryIds, ImportAttachmentRow, ImportDirectory, ImportMessageRow, ImportNamedRow,
    ImportPersonRow, ImportRef, ImportTicketRow, ImportedTicket, UnfinishedRun,
};
pub use inbound_mail::{
    BounceRow, MailClaim, MailOutcome, MailboxRow, MessageMailRow, NewInboundMail, NewQuarantine,
    QuarantineRow,
};
pub use kb::{
    ArticleContent, ArticleRow, ArticleVersionRow, CategoryCountRow, CategoryRow,
    DeflectionEventRow, FeedbackRow, FeedbackSummaryRow, HelpfulArticleRow, OutboxRow,
    SearchLogRow, TicketForIndex,
};
pub use macros::{MacroRow, MacroWrite};
pub use mail::{LinkPurpose, MailRow, NewMail, NewSigninLink};
pub use outbound_mail::{AddressFailureRow, NewTicketMail, NoticeDueRow, ReplyDueRow};
pub use people::{CustomerHitRow, NewUser, UserPatch};
pub use practice::{
    NewPracticeCase, PracticeCaseRow, PracticeMessageRow, PracticeReplyRow, PracticeRunRow,
};
pub use reviews::{
    CandidateRow, NewReview, NewReviewComment, ReviewCommentRow, ReviewFilter, ReviewRow,
    ReviewScoreRow, RubricRow, ScanEventRow, StaffFlagRow,
};
pub use routing::{
    AgentTouch, CollaboratorChange, CollaboratorRow, HardConversation, HardInteractionRow,
    PresenceHistoryRow, PresenceRow, PresenceWrite, RoutingPolicyRow, StaffRoutingRow, WaitingRow,
};
pub use rows::*;
pub use saved_views::{SavedViewRow, SavedViewWrite};
pub use scorecard::{ScorecardRatingRow, ScorecardReviewRow, ScorecardScope, ScorecardTicketRow};
pub use seed::{SeedCustomer, SeedDiagnosis, SeedEvent, SeedIds, SeedMessage, SeedTicket};
pub use service_levels::{NewNotification, NotificationRow, TrendEventRow};
pub use sso::SsoAttemptRow;
pub use tickets::ViewFilter;
pub use tickets::{
    Created, ListTickets, NewAttachment, NewDiagnosis, NewEvent, NewMessage, NewSurvey, NewTicket,
    TicketMerge, TicketState, TicketWrite,
};
pub use trust::{AttemptCount, AuditRow, NewAudit};
pub use viewers::ViewerRow;
pub use webhooks::{
    AttemptOutcome, DeliveryRow, DueDeliveryRow, NewDelivery, NewWebhook, WebhookAttemptRow,
    WebhookPatch, WebhookRow,
};

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
