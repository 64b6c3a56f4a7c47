use heard_domain::{ErrorCode, Invalid};
use heard_store::StoreError;
use thiserror::Error;

/// What a caller is told when the storage is unavailable ([`ServiceError::Unavailable`]).
pub const UNAVAILABLE_MESSAGE: &str = "the database or the disk cannot take this right now (unreachable, full or read-only); nothing was changed: try again in a moment";
/// The `Retry-After` that goes with it, in seconds.
pub const UNAVAILABLE_RETRY_SECS: u64 = 5;

/// Everything a use case can refuse, each with its stable [`ErrorCode`]. The adapters
/// answer with [`ServiceError::status`]; the CLI prints the message.
#[derive(Debug, Error)]
pub enum ServiceError {
    /// Also what a caller gets for something they may not see: a stranger's ticket and a
    /// ticket that does not exist answer the same.
    #[error("{what} not found")]
    NotFound { what: &'static str, code: ErrorCode },
    #[error("{0}")]
    Invalid(#[from] Invalid),
    #[error("{message}")]
    Forbidden { message: String },
    #[error("{message}")]
    Conflict { code: ErrorCode, message: String },
    #[error("sign-in required")]
    Unauthenticated,
    /// Too many attempts (sign-in, sign-up, sign-in links) lately: try again after the wait.
    #[error("too many attempts; try again in {retry_after_secs} s")]
    Throttled { retry_after_secs: u64 },
    /// A failure on our side. Its cause is kept for the log and never shown to a caller.
    #[error("internal error: {0}")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The database or the disk cannot take the request now (unreachable, full,
    /// read-only) and nothing was written; it passes by itself. Its cause is for the log.
    #[error("storage unavailable: {0}")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl ServiceError {
    pub fn not_found(what: &'static str, code: ErrorCode) -> Self {
        ServiceError::NotFound { what, code }
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        ServiceError::Forbidden {
            message: message.into(),
        }
    }

    pub fn conflict(code: ErrorCode, message: impl Into<String>) -> Self {
        ServiceError::Conflict {
            code,
            message: message.into(),
        }
    }

    pub(crate) fn invalid(
        field: &'static str,
        code: ErrorCode,
        message: impl Into<String>,
    ) -> Self {
        ServiceError::Invalid(Invalid::new(field, code, message))
    }

    /// A failure on our side, keeping `cause` (an error, or a sentence) for the log.
    pub fn internal(cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        ServiceError::Internal(cause.into())
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            ServiceError::NotFound { code, .. } | ServiceError::Conflict { code, .. } => *code,
            ServiceError::Invalid(i) => i.code,
            ServiceError::Forbidden { .. } => ErrorCode::Forbidden,
            ServiceError::Unauthenticated => ErrorCode::Unauthenticated,
            ServiceError::Throttled { .. } => ErrorCode::TooManyAttempts,
            ServiceError::Internal(_) => ErrorCode::Internal,
            ServiceError::Unavailable(_) => ErrorCode::StorageUnavailable,
        }
    }

    /// The HTTP status to answer with: a refused input is 422 whatever its code (a team
    /// named in a body that does not exist), anything else its code's status.
    pub fn status(&self) -> u16 {
        match self {
            ServiceError::Invalid(_) => 422,
            other => status_of(other.code()),
        }
    }
}

/// The HTTP status each code answers with: the one place it is decided, for the JSON API
/// and the pages alike ([`ServiceError::status`] adds that a refused input is 422). No
/// catch-all, so a new code cannot be added without choosing its status.
pub fn status_of(code: ErrorCode) -> u16 {
    use ErrorCode::*;
    match code {
        InvalidId | InvalidIdempotencyKey | InvalidQuery | MalformedJson => 400,
        Unauthenticated => 401,
        CsrfTokenInvalid | Forbidden | NotAReviewer | SelfReview => 403,
        AgentNotFound
        | ArticleNotFound
        | AttachmentNotFound
        | CalendarNotFound
        | CallNotFound
        | CategoryNotFound
        | CollaboratorNotFound
        | CustomerNotFound
        | MailNotConfigured
        | SsoNotConfigured
        | OrganizationNotFound
        | PolicyNotFound
        | ProblemNotFound
        | RouteNotFound
        | QuarantineNotFound
        | MailboxNotFound
        | MailNotFound
        | ReviewNotFound
        | TeamNotFound
        | TicketNotFound
        | UserNotFound
        | VersionNotFound
        | WebhookNotFound
        | WebhookDeliveryNotFound
        | ChatNotFound
        | PracticeCaseNotFound
        | PracticeRunNotFound => 404,
        AlreadyExists
        | PracticeFinished
        | AlreadyReplied
        | RubricChanged
        | AlreadyOnTicket
        | AlreadyOwner
        | CategoryNotEmpty
        | EditConflict
        | IdempotencyKeyReused
        | NoRecoveryOpen
        | NotEmpty
        | NotFlaggedAbusive
        | NotResolved
        | RootCauseRequired
        | SlugTaken
        | TargetClosed
        | TicketClosed
        | TicketNotOpen
        | QuarantineNotReleasable
        | TicketNotResolved
        | ChatEnded
        | ChatLimitReached
        | ChatNotActive
        | ChatNotForAgent
        | ChatNotWaiting
        | ChatNotYours => 409,
        AttachmentTooLarge | BodyTooLarge => 413,
        UnsupportedMediaType => 415,
        BodyTooLong
        | AgentNotReplier
        | InvalidAnchor
        | InvalidComment
        | InvalidRubric
        | InvalidScore
        | MissingScore
        | UnknownRubricItem
        | CategoryExists
        | DifferentRequester
        | EmptyAttachment
        | EmptyReply
        | HandoffNoteTooLong
        | HandoffNoteTooThin
        | InvalidAudience
        | InvalidBreakPolicy
        | InvalidCapacity
        | InvalidCategory
        | InvalidCategoryName
        | InvalidChannel
        | InvalidChatHandle
        | InvalidChatLimit
        | InvalidChatState
        | InvalidCursor
        | InvalidDays
        | InvalidCallDirection
        | InvalidCallOutcome
        | InvalidCountryCode
        | InvalidDomain
        | InvalidDuration
        | InvalidDueAt
        | InvalidEmail
        | InvalidEvent
        | InvalidExclusion
        | InvalidFactKey
        | InvalidFactValue
        | InvalidField
        | InvalidFileName
        | InvalidForm
        | InvalidHardStreakLimit
        | InvalidIcalendar
        | InvalidImapSettings
        | InvalidImapUrl
        | InvalidIdentityKind
        | InvalidLimit
        | InvalidLocale
        | InvalidMessageKind
        | InvalidName
        | InvalidNumber
        | InvalidOrder
        | InvalidPassword
        | InvalidPhone
        | InvalidPresence
        | InvalidPriority
        | InvalidProblemStatus
        | InvalidProblemTitle
        | InvalidRating
        | InvalidRole
        | InvalidRoutingMode
        | InvalidServiceLevels
        | InvalidSession
        | InvalidSkill
        | InvalidSlug
        | InvalidStatus
        | InvalidStuckAfterMinutes
        | InvalidSubject
        | InvalidTag
        | InvalidTier
        | InvalidTimeZone
        | InvalidTransition
        | InvalidUpsetAt
        | InvalidVisibility
        | InvalidWebhookEventType
        | InvalidWebhookUrl
        | MergeIntoItself
        | MissingArticle
        | MissingBody
        | MissingField
        | MissingNote
        | MissingQuery
        | MissingReason
        | MissingRequester
        | MissingSession
        | MissingSubject
        | MissingTicket
        | NoteTooLong
        | NowhereToEscalate
        | NobodyAtTier
        | OneProblem
        | OneTicket
        | PromiseInPast
        | QueryTooLong
        | RootCauseTooLong
        | RootCauseTooThin
        | SignInLinkInvalid
        | PasswordLinkInvalid
        | MissingPassword
        | AccountInactive
        | SubjectTooLong
        | TextTooLong
        | TooLong
        | TooManyTags
        | UnexpectedTicket
        | UnknownField
        | UnknownReference
        | WeakPassword
        | WrongCredentials => 422,
        MacroNotFound | ViewNotFound => 404,
        UnknownPlaceholder | InvalidBulkAction | TooManyTickets => 422,
        TooManyAttempts => 429,
        Internal => 500,
        DatabaseUnavailable => 503,
        StorageUnavailable => 503,
    }
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Duplicate(what) => {
                ServiceError::conflict(ErrorCode::AlreadyExists, format!("{what} already exists"))
            }
            StoreError::MissingReference => ServiceError::Invalid(Invalid::whole(
                ErrorCode::UnknownReference,
                "a referenced record (team, user or organization) does not exist",
            )),
            StoreError::Stale => ServiceError::conflict(
                ErrorCode::EditConflict,
                "the record changed while it was being updated; try again",
            ),
            other if other.is_unavailable() => {
                tracing::warn!(error = %other, "storage unavailable");
                ServiceError::Unavailable(Box::new(other))
            }
            other => {
                tracing::error!(error = %other, "store failure");
                ServiceError::Internal(Box::new(other))
            }
        }
    }
}
