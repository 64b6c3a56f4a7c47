//! CSV export of ticket lists (`?format=csv`). An export follows the list's keyset pages
//! one at a time, so a large export is written as it is read and never held whole; each
//! page is read through the same use case as the list, with the caller's access rules.
//! Cells are quoted per RFC 4180, and a cell that a spreadsheet would take for a formula
//! (`=`, `+`, `-`, `@`, tab, carriage return first) is prefixed with `'`, so an exported
//! subject such as `=HYPERLINK(…)` is shown as text, never run.

use crate::tickets::TicketQuery;
use crate::views::TicketView;
use crate::{Result, Services};
use heard_domain::Actor;

/// Tickets read per page while exporting (the list's largest page).
pub const EXPORT_PAGE: i64 = 200;

/// The most search hits an export of the search page holds (the search's largest page).
pub const SEARCH_EXPORT_LIMIT: usize = 50;

/// Writes one cell: neutralised against formulas, quoted when it must be.
pub fn push_cell(out: &mut String, cell: &str) {
    let formula = cell
        .chars()
        .next()
        .is_some_and(|c| matches!(c, '=' | '+' | '-' | '@' | '\t' | '\r'));
    let quote = formula || cell.contains([',', '"', '\n', '\r']);
    if quote {
        out.push('"');
    }
    if formula {
        out.push('\'');
    }
    for c in cell.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    if quote {
        out.push('"');
    }
}

/// Writes one record (cells separated by commas, ended by CRLF).
pub fn push_record<S: AsRef<str>>(out: &mut String, cells: &[S]) {
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_cell(out, cell.as_ref());
    }
    out.push_str("\r\n");
}

const COMMON: [&str; 12] = [
    "id",
    "subject",
    "status",
    "priority",
    "channel",
    "requester_name",
    "requester_email",
    "organization_id",
    "assignee",
    "team",
    "tags",
    "next_update_due",
];
const STAFF: [&str; 7] = [
    "tier",
    "transfers",
    "due_at",
    "frustration_score",
    "frustration_level",
    "had_to_repeat",
    "policy",
];
const TIMES: [&str; 2] = ["created_at", "updated_at"];

/// The column names: staff get the help desk's own columns too, as in the JSON list.
pub fn ticket_header(staff: bool) -> Vec<&'static str> {
    let mut cols = COMMON.to_vec();
    if staff {
        cols.extend(STAFF);
    }
    cols.extend(TIMES);
    cols
}

/// One ticket as the cells of [`ticket_header`].
pub fn ticket_cells(t: &TicketView, staff: bool) -> Vec<String> {
    let opt = |v: Option<i64>| v.map(|n| n.to_string()).unwrap_or_default();
    let mut cells = vec![
        t.id.to_string(),
        t.subject.clone(),
        t.status.clone(),
        t.priority.clone(),
        t.channel.clone(),
        t.requester.name.clone(),
        t.requester.email.clone(),
        opt(t.organization_id),
        t.assignee
            .as_ref()
            .map(|p| p.name.clone())
            .unwrap_or_default(),
        t.team.as_ref().map(|p| p.name.clone()).unwrap_or_default(),
        t.tags.join(" "),
        t.next_update_due.clone().unwrap_or_default(),
    ];
    if staff {
        cells.extend([
            t.tier.to_string(),
            t.transfers.to_string(),
            t.due_at.clone().unwrap_or_default(),
            opt(t.frustration.as_ref().map(|f| f.score)),
            t.frustration
                .as_ref()
                .map(|f| f.level.clone())
                .unwrap_or_default(),
            opt(t.had_to_repeat),
            t.policy.clone().unwrap_or_default(),
        ]);
    }
    cells.extend([t.created_at.clone(), t.updated_at.clone()]);
    cells
}

/// An export being written: call [`TicketCsv::next_chunk`] until it answers `None`.
pub struct TicketCsv {
    services: Services,
    actor: Actor,
    staff: bool,
    /// Tickets read and not yet written.
    pending: Vec<TicketView>,
    /// The query of the list's next page; `None` once there is none (or for a short
    /// list read whole, such as search hits).
    next: Option<TicketQuery>,
    header_written: bool,
    /// A saved view's list: its pages are read from the view (by `next`'s `after`).
    view_id: Option<i64>,
}

impl TicketCsv {
    /// The next piece of the file: the header with the first page, then a page at a time.
    pub async fn next_chunk(&mut self) -> Result<Option<String>> {
        if self.pending.is_empty() && self.header_written {
            let Some(q) = self.next.take() else {
                return Ok(None);
            };
            let page = match self.view_id {
                Some(view) => {
                    let page = crate::saved_views::ViewPageQuery {
                        after: q.after,
                        limit: q.limit,
                    };
                    self.services
                        .saved_view_tickets(&self.actor, view, page)
                        .await?
                }
                None => self.services.list_tickets(&self.actor, q.clone()).await?,
            };
            self.next = following(q, page.next_after, page.next_cursor);
            if page.items.is_empty() {
                return Ok(None);
            }
            self.pending = page.items;
        }
        let mut out = String::with_capacity(256 * (self.pending.len() + 1));
        if !self.header_written {
            push_record(&mut out, &ticket_header(self.staff));
            self.header_written = true;
        }
        for t in self.pending.drain(..) {
            push_record(&mut out, &ticket_cells(&t, self.staff));
        }
        Ok(Some(out))
    }
}

impl TicketCsv {
    /// The `text/csv` media type an export is served with.
    pub const CONTENT_TYPE: &'static str = "text/csv; charset=utf-8";

    /// A `Content-Disposition` that saves the export as `<what>-<date>.csv` (`what` is
    /// a fixed ASCII word such as `tickets`).
    pub fn disposition(services: &Services, what: &str) -> String {
        let today: String = crate::views::rfc3339(services.now())
            .chars()
            .take(10)
            .collect();
        format!("attachment; filename=\"{what}-{today}.csv\"")
    }

    /// The export as a stream of pieces for a response body; an error after the first
    /// piece ends the stream with it (the client sees a cut download, never a short
    /// file presented as whole).
    pub fn into_stream(
        self,
    ) -> impl futures_util::Stream<Item = std::result::Result<String, crate::ServiceError>>
    + Send
    + 'static {
        futures_util::stream::unfold(Some(self), |state| async move {
            let mut csv = state?;
            match csv.next_chunk().await {
                Ok(Some(chunk)) => Some((Ok(chunk), Some(csv))),
                Ok(None) => None,
                Err(e) => {
                    tracing::warn!(error = %e, "a CSV export stopped halfway");
                    Some((Err(e), None))
                }
            }
        })
    }
}

/// The query of the page after the one just read, if there is one.
fn following(
    mut q: TicketQuery,
    next_after: Option<i64>,
    next_cursor: Option<String>,
) -> Option<TicketQuery> {
    match (next_after, next_cursor) {
        (Some(after), _) => q.after = Some(after),
        (None, Some(cursor)) => q.cursor = Some(cursor),
        (None, None) => return None,
    }
    Some(q)
}

impl Services {
    /// The whole ticket list `q` describes (from its `after`/`cursor` on), as CSV, with
    /// the list's rules: a customer's export holds only what they may see, an agent's
    /// only their teams' tickets. The first page is read here, so a bad filter is an
    /// error before anything is written; `limit` is the export's page size, not a cap.
    pub async fn export_tickets(&self, actor: &Actor, mut q: TicketQuery) -> Result<TicketCsv> {
        q.limit = Some(EXPORT_PAGE);
        let first = self.list_tickets(actor, q.clone()).await?;
        let next = following(q, first.next_after, first.next_cursor);
        Ok(TicketCsv {
            services: self.clone(),
            actor: actor.clone(),
            staff: actor.is_staff(),
            pending: first.items,
            next,
            header_written: false,
            view_id: None,
        })
    }

    /// The tickets a staff search for `text` finds (a ticket number first, then the
    /// index's best [`SEARCH_EXPORT_LIMIT`] hits), each as the database has it now and
    /// only if the caller may see it.
    pub async fn export_ticket_search(&self, actor: &Actor, text: &str) -> Result<TicketCsv> {
        let staff = actor.is_staff();
        let mut ids = Vec::new();
        if let Ok(number) = text.trim().trim_start_matches('#').parse::<i64>() {
            ids.push(number);
        }
        let found = self
            .search_tickets(
                actor,
                crate::kb::SearchQuery {
                    q: Some(text.to_string()),
                    limit: Some(SEARCH_EXPORT_LIMIT),
                    ..Default::default()
                },
            )
            .await?;
        ids.extend(found.hits.iter().map(|h| h.id));
        let mut rows = Vec::new();
        for id in ids {
            if rows.iter().any(|t: &heard_store::TicketRow| t.id == id) {
                continue;
            }
            // The index may lag a write by a moment; the database has the ticket's state.
            if let Ok(row) = self.visible_ticket(actor, id).await {
                rows.push(row);
            }
        }
        let pending = self.ticket_views(rows, staff).await?;
        Ok(TicketCsv {
            services: self.clone(),
            actor: actor.clone(),
            staff,
            pending,
            next: None,
            header_written: false,
            view_id: None,
        })
    }
}

impl Services {
    /// A saved view's whole list (the caller may open it), as CSV, page by page.
    pub(crate) async fn export_view_pages(
        &self,
        actor: &Actor,
        view: i64,
        mut q: TicketQuery,
    ) -> Result<TicketCsv> {
        q.limit = Some(EXPORT_PAGE);
        let page = crate::saved_views::ViewPageQuery {
            after: q.after,
            limit: q.limit,
        };
        let first = self.saved_view_tickets(actor, view, page).await?;
        let next = following(q, first.next_after, None);
        Ok(TicketCsv {
            services: self.clone(),
            actor: actor.clone(),
            staff: actor.is_staff(),
            pending: first.items,
            next,
            header_written: false,
            view_id: Some(view),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn cell(s: &str) -> String {
        let mut out = String::new();
        push_cell(&mut out, s);
        out
    }

    #[test]
    fn plain_cells_stay_as_they_are() {
        assert_eq!(cell("VPN down"), "VPN down");
        assert_eq!(cell(""), "");
    }

    #[test]
    fn commas_quotes_and_newlines_are_quoted() {
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("two\nlines"), "\"two\nlines\"");
    }

    #[test]
    fn formulas_are_neutralised() {
        assert_eq!(cell("=1+1"), "\"'=1+1\"");
        assert_eq!(cell("+44 20"), "\"'+44 20\"");
        assert_eq!(cell("-x"), "\"'-x\"");
        assert_eq!(cell("@SUM(A1)"), "\"'@SUM(A1)\"");
        assert_eq!(cell("a=b"), "a=b");
    }

    /// Reads one record back the way a CSV reader does.
    fn parse(line: &str) -> Vec<String> {
        let mut cells = vec![String::new()];
        let mut quoted = false;
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '"' if quoted && chars.peek() == Some(&'"') => {
                    chars.next();
                    cells.last_mut().unwrap().push('"');
                }
                '"' => quoted = !quoted,
                ',' if !quoted => cells.push(String::new()),
                c => cells.last_mut().unwrap().push(c),
            }
        }
        cells
    }

    proptest! {
        #[test]
        fn any_record_reads_back_as_written(cells in proptest::collection::vec(".*", 1..5)) {
            let mut out = String::new();
            push_record(&mut out, &cells);
            let line = out.strip_suffix("\r\n").unwrap();
            let back = parse(line);
            let expected: Vec<String> = cells
                .iter()
                .map(|c| {
                    let formula = c.chars().next().is_some_and(|f| "=+-@\t\r".contains(f));
                    if formula { format!("'{c}") } else { c.clone() }
                })
                .collect();
            prop_assert_eq!(back, expected);
        }
    }
}
