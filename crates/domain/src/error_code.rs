//! The stable public error codes: every refusal that reaches a client (the JSON API's
//! `{"error": {"code", …}}`) names one of these. Part of the contract: a code, once
//! published, keeps its name and meaning. The table in `docs/errors.md` gives each one's
//! HTTP status and meaning, and the OpenAPI document lists them; a test keeps the three
//! in step.

macro_rules! error_codes {
    ($($variant:ident => $text:literal,)+) => {
        /// A stable, machine-readable reason, e.g. `ticket_not_found`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum ErrorCode { $($variant,)+ }

        impl ErrorCode {
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)+];

            pub fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$variant => $text,)+ }
            }
        }
    };
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// So a test can say `assert_eq!(err.code, "invalid_email")`.
impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl serde::Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

// Sorted by name; the meaning of each is in docs/errors.md.
error_codes! {
    AccountInactive => "account_inactive",
    AgentNotFound => "agent_not_found",
    AgentNotReplier => "agent_not_replier",
    AlreadyExists => "already_exists",
    AlreadyOnTicket => "already_on_ticket",
    AlreadyOwner => "already_owner",
    AlreadyReplied => "already_replied",
    ArticleNotFound => "article_not_found",
    AttachmentNotFound => "attachment_not_found",
    AttachmentTooLarge => "attachment_too_large",
    BodyTooLarge => "body_too_large",
    BodyTooLong => "body_too_long",
    CalendarNotFound => "calendar_not_found",
    CallNotFound => "call_not_found",
    CategoryExists => "category_exists",
    CategoryNotEmpty => "category_not_empty",
    CategoryNotFound => "category_not_found",
    ChatEnded => "chat_ended",
    ChatLimitReached => "chat_limit_reached",
    ChatNotActive => "chat_not_active",
    ChatNotForAgent => "chat_not_for_agent",
    ChatNotFound => "chat_not_found",
    ChatNotWaiting => "chat_not_waiting",
    ChatNotYours => "chat_not_yours",
    CollaboratorNotFound => "collaborator_not_found",
    CsrfTokenInvalid => "csrf_token_invalid",
    CustomerNotFound => "customer_not_found",
    DatabaseUnavailable => "database_unavailable",
    DifferentRequester => "different_requester",
    EditConflict => "edit_conflict",
    EmptyAttachment => "empty_attachment",
    EmptyReply => "empty_reply",
    Forbidden => "forbidden",
    HandoffNoteTooLong => "handoff_note_too_long",
    HandoffNoteTooThin => "handoff_note_too_thin",
    IdempotencyKeyReused => "idempotency_key_reused",
    Internal => "internal",
    InvalidAnchor => "invalid_anchor",
    InvalidAudience => "invalid_audience",
    InvalidBreakPolicy => "invalid_break_policy",
    InvalidCallDirection => "invalid_call_direction",
    InvalidCallOutcome => "invalid_call_outcome",
    InvalidCapacity => "invalid_capacity",
    InvalidCategory => "invalid_category",
    InvalidCategoryName => "invalid_category_name",
    InvalidChannel => "invalid_channel",
    InvalidChatHandle => "invalid_chat_handle",
    InvalidChatLimit => "invalid_chat_limit",
    InvalidChatState => "invalid_chat_state",
    InvalidComment => "invalid_comment",
    InvalidCountryCode => "invalid_country_code",
    InvalidCursor => "invalid_cursor",
    InvalidDays => "invalid_days",
    InvalidDomain => "invalid_domain",
    InvalidDueAt => "invalid_due_at",
    InvalidDuration => "invalid_duration",
    InvalidEmail => "invalid_email",
    InvalidEvent => "invalid_event",
    InvalidExclusion => "invalid_exclusion",
    InvalidFactKey => "invalid_fact_key",
    InvalidFactValue => "invalid_fact_value",
    InvalidField => "invalid_field",
    InvalidFileName => "invalid_file_name",
    InvalidForm => "invalid_form",
    InvalidHardStreakLimit => "invalid_hard_streak_limit",
    InvalidIcalendar => "invalid_icalendar",
    InvalidId => "invalid_id",
    InvalidIdempotencyKey => "invalid_idempotency_key",
    InvalidIdentityKind => "invalid_identity_kind",
    InvalidImapSettings => "invalid_imap_settings",
    InvalidImapUrl => "invalid_imap_url",
    InvalidLimit => "invalid_limit",
    InvalidLocale => "invalid_locale",
    InvalidMessageKind => "invalid_message_kind",
    InvalidName => "invalid_name",
    InvalidNumber => "invalid_number",
    InvalidOrder => "invalid_order",
    InvalidPassword => "invalid_password",
    InvalidPhone => "invalid_phone",
    InvalidPresence => "invalid_presence",
    InvalidPriority => "invalid_priority",
    InvalidProblemStatus => "invalid_problem_status",
    InvalidProblemTitle => "invalid_problem_title",
    InvalidQuery => "invalid_query",
    InvalidRating => "invalid_rating",
    InvalidRole => "invalid_role",
    InvalidRoutingMode => "invalid_routing_mode",
    InvalidRubric => "invalid_rubric",
    InvalidScore => "invalid_score",
    InvalidServiceLevels => "invalid_service_levels",
    InvalidSession => "invalid_session",
    InvalidSkill => "invalid_skill",
    InvalidSlug => "invalid_slug",
    InvalidStatus => "invalid_status",
    InvalidStuckAfterMinutes => "invalid_stuck_after_minutes",
    InvalidSubject => "invalid_subject",
    InvalidTag => "invalid_tag",
    InvalidTier => "invalid_tier",
    InvalidTimeZone => "invalid_time_zone",
    InvalidTransition => "invalid_transition",
    InvalidUpsetAt => "invalid_upset_at",
    InvalidVisibility => "invalid_visibility",
    InvalidWebhookEventType => "invalid_webhook_event_type",
    InvalidWebhookUrl => "invalid_webhook_url",
    MailNotConfigured => "mail_not_configured",
    MailNotFound => "mail_not_found",
    MailboxNotFound => "mailbox_not_found",
    MalformedJson => "malformed_json",
    MergeIntoItself => "merge_into_itself",
    MissingArticle => "missing_article",
    MissingBody => "missing_body",
    MissingField => "missing_field",
    MissingNote => "missing_note",
    MissingPassword => "missing_password",
    MissingQuery => "missing_query",
    MissingReason => "missing_reason",
    MissingRequester => "missing_requester",
    MissingScore => "missing_score",
    MissingSession => "missing_session",
    MissingSubject => "missing_subject",
    MissingTicket => "missing_ticket",
    NoRecoveryOpen => "no_recovery_open",
    NotAReviewer => "not_a_reviewer",
    NotEmpty => "not_empty",
    NotFlaggedAbusive => "not_flagged_abusive",
    NotResolved => "not_resolved",
    NoteTooLong => "note_too_long",
    NobodyAtTier => "nobody_at_tier",
    NowhereToEscalate => "nowhere_to_escalate",
    OneProblem => "one_problem",
    OneTicket => "one_ticket",
    OrganizationNotFound => "organization_not_found",
    PasswordLinkInvalid => "password_link_invalid",
    PolicyNotFound => "policy_not_found",
    PracticeCaseNotFound => "practice_case_not_found",
    PracticeFinished => "practice_finished",
    PracticeRunNotFound => "practice_run_not_found",
    ProblemNotFound => "problem_not_found",
    PromiseInPast => "promise_in_past",
    QuarantineNotFound => "quarantine_not_found",
    QuarantineNotReleasable => "quarantine_not_releasable",
    QueryTooLong => "query_too_long",
    ReviewNotFound => "review_not_found",
    RootCauseRequired => "root_cause_required",
    RootCauseTooLong => "root_cause_too_long",
    RootCauseTooThin => "root_cause_too_thin",
    RouteNotFound => "route_not_found",
    RubricChanged => "rubric_changed",
    SelfReview => "self_review",
    SignInLinkInvalid => "sign_in_link_invalid",
    SlugTaken => "slug_taken",
    SsoNotConfigured => "sso_not_configured",
    StorageUnavailable => "storage_unavailable",
    SubjectTooLong => "subject_too_long",
    TargetClosed => "target_closed",
    TeamNotFound => "team_not_found",
    TextTooLong => "text_too_long",
    TicketClosed => "ticket_closed",
    TicketNotFound => "ticket_not_found",
    TicketNotOpen => "ticket_not_open",
    TicketNotResolved => "ticket_not_resolved",
    TooLong => "too_long",
    TooManyAttempts => "too_many_attempts",
    TooManyTags => "too_many_tags",
    Unauthenticated => "unauthenticated",
    UnexpectedTicket => "unexpected_ticket",
    UnknownField => "unknown_field",
    UnknownReference => "unknown_reference",
    UnknownRubricItem => "unknown_rubric_item",
    UnsupportedMediaType => "unsupported_media_type",
    UserNotFound => "user_not_found",
    VersionNotFound => "version_not_found",
    WeakPassword => "weak_password",
    WebhookDeliveryNotFound => "webhook_delivery_not_found",
    WebhookNotFound => "webhook_not_found",
    WrongCredentials => "wrong_credentials",
    MacroNotFound => "macro_not_found",
    UnknownPlaceholder => "unknown_placeholder",
    ViewNotFound => "view_not_found",
    InvalidBulkAction => "invalid_bulk_action",
    TooManyTickets => "too_many_tickets",
}

#[cfg(test)]
mod tests {
    use super::ErrorCode;

    #[test]
    fn codes_are_unique_snake_case() {
        let mut seen = std::collections::BTreeSet::new();
        for code in ErrorCode::ALL {
            let s = code.as_str();
            assert!(seen.insert(s), "{s} twice");
            assert!(
                s.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{s} is not snake_case"
            );
        }
    }
}
