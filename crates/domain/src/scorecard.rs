//! The balanced scorecard: per day, week or month, the figures that reward respectful
//! service (satisfaction and the recovery of poor ratings, service levels met, promises
//! kept, first-contact resolution, reopens, transfers, "had to repeat", tone findings per
//! reply, review scores), computed from a ticket's event log and its survey and reviews.
//!
//! Speed alone is never a figure here: time is judged only against the service level the
//! customer was promised. Every figure keeps the tickets behind it, so a page can link a
//! number to the conversations that make it.

use std::collections::BTreeSet;

pub const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// How long one period of the scorecard is (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Granularity {
    Day,
    /// Monday to Sunday.
    Week,
    /// A calendar month.
    Month,
}

impl Granularity {
    pub fn parse(s: &str) -> Option<Granularity> {
        match s {
            "day" => Some(Granularity::Day),
            "week" => Some(Granularity::Week),
            "month" => Some(Granularity::Month),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Granularity::Day => "day",
            Granularity::Week => "week",
            Granularity::Month => "month",
        }
    }

    /// The start of the period that holds `at`.
    pub fn start_of(self, at: i64) -> i64 {
        let days = at.div_euclid(DAY_MS);
        match self {
            Granularity::Day => days * DAY_MS,
            // 1970-01-01 was a Thursday: Mondays are 4 days past a multiple of 7.
            Granularity::Week => (days - (days - 4).rem_euclid(7)) * DAY_MS,
            Granularity::Month => {
                let (y, m, _) = civil_from_days(days);
                days_from_civil(y, m, 1) * DAY_MS
            }
        }
    }

    /// The start of the period after the one starting at `start`.
    pub fn next(self, start: i64) -> i64 {
        match self {
            Granularity::Day => start + DAY_MS,
            Granularity::Week => start + 7 * DAY_MS,
            Granularity::Month => {
                let (y, m, _) = civil_from_days(start.div_euclid(DAY_MS));
                let (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
                days_from_civil(y, m, 1) * DAY_MS
            }
        }
    }
}

/// The periods `[start, end)` that cover `from..to`, oldest first, at most `max` (the
/// newest kept). `from` is rounded down to its period's start.
pub fn periods(g: Granularity, from: i64, to: i64, max: usize) -> Vec<(i64, i64)> {
    let mut out = Vec::new();
    let mut start = g.start_of(from);
    while start < to {
        let end = g.next(start);
        out.push((start, end));
        start = end;
    }
    let cut = out.len().saturating_sub(max);
    out.drain(..cut);
    out
}

/// Days since 1970-01-01 of a proleptic Gregorian date (month 1–12).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date (year, month 1–12, day) of a count of days since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// A service-level target the scorecard judges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    FirstResponse,
    Resolution,
    /// An explicit promise an agent made to the customer.
    Promise,
}

/// What happened on a ticket, as far as the scorecard cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Happening {
    /// A customer's message after the first.
    CustomerMessage,
    /// A public reply by staff member `by`, with how many tone findings it carried.
    StaffReply { by: Option<i64>, tone_findings: u32 },
    /// A status change; `closed` means resolved or closed.
    StatusChanged { from_closed: bool, to_closed: bool },
    /// Moved to another team or escalated.
    Transferred,
    /// The customer restated something they had already said.
    HadToRepeat,
    /// A service-level target or a promise was decided (met or missed).
    Decided { target: Target, met: bool },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Happened {
    pub at: i64,
    pub what: Happening,
}

/// One ticket's whole log, oldest first (the whole log, so a resolution inside a period
/// can be judged by what came after it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketHistory {
    pub ticket_id: i64,
    pub log: Vec<Happened>,
}

/// A customer's rating (1–5) and, for a poor one, whether its recovery was completed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rated {
    pub ticket_id: i64,
    pub at: i64,
    pub rating: u8,
    pub recovered: bool,
}

/// A quality review's overall score (0–100; none when nothing applied).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reviewed {
    pub ticket_id: i64,
    pub at: i64,
    pub score: Option<u8>,
}

/// A figure: `count` over `of`, and the tickets behind each side: `counted` are those in
/// `count` (met, satisfied, reopened…), `others` the rest of `of`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Figure {
    pub count: u64,
    pub of: u64,
    pub counted: BTreeSet<i64>,
    pub others: BTreeSet<i64>,
}

impl Figure {
    fn add(&mut self, ticket_id: i64, counted: bool) {
        self.of += 1;
        if counted {
            self.count += 1;
            self.counted.insert(ticket_id);
        } else {
            self.others.insert(ticket_id);
        }
    }

    /// `count` as a share of `of`, in percent rounded to the nearest (none when `of` is 0).
    pub fn percent(&self) -> Option<u64> {
        (self.of > 0).then(|| (self.count * 100 + self.of / 2) / self.of)
    }

    /// `count` per one of `of`, to two decimals (none when `of` is 0).
    pub fn per(&self) -> Option<f64> {
        (self.of > 0).then(|| (self.count as f64 * 100.0 / self.of as f64).round() / 100.0)
    }
}

/// The figures of one period `[start, end)`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PeriodFigures {
    pub start: i64,
    pub end: i64,
    /// Ratings of 4 or 5 of all ratings given.
    pub satisfaction: Figure,
    /// Poor ratings (1–2) whose recovery was completed, of all poor ratings.
    pub recovery: Figure,
    /// First-response targets met of those decided.
    pub first_response: Figure,
    /// Resolution targets met of those decided.
    pub resolution: Figure,
    /// Promises kept of those decided.
    pub promises: Figure,
    /// Tickets first resolved in the period with at most one staff reply and never
    /// reopened, of the tickets first resolved in the period.
    pub first_contact: Figure,
    /// Tickets resolved in the period that were reopened afterwards, of those resolved.
    pub reopened: Figure,
    /// Transfers in the period, of the tickets worked in the period (anything happened).
    pub transfers: Figure,
    /// "Had to repeat" events in the period, of the tickets worked in the period.
    pub had_to_repeat: Figure,
    /// Tone findings in the replies sent, of the replies sent.
    pub tone: Figure,
    /// The sum of review scores, of the reviews scored (an average).
    pub review: Figure,
}

/// Adds `n` to a per-ticket figure: the ticket is among those counted when `n > 0`.
fn add_count(f: &mut Figure, ticket_id: i64, n: u64) {
    f.count += n;
    if n > 0 {
        f.counted.insert(ticket_id);
    }
}

/// The scorecard over `periods`. With `agent`, replies count only when that agent sent
/// them (the rest of a ticket's figures belong to whoever owns it, as the caller chose
/// the tickets).
pub fn scorecard(
    periods: &[(i64, i64)],
    agent: Option<i64>,
    tickets: &[TicketHistory],
    ratings: &[Rated],
    reviews: &[Reviewed],
) -> Vec<PeriodFigures> {
    let mut out: Vec<PeriodFigures> = periods
        .iter()
        .map(|&(start, end)| PeriodFigures {
            start,
            end,
            ..Default::default()
        })
        .collect();
    let slot = |at: i64| periods.iter().position(|&(s, e)| at >= s && at < e);

    for t in tickets {
        let id = t.ticket_id;
        // Per period: worked, transfers, repeats.
        let mut worked: Vec<(u64, u64, bool)> = vec![(0, 0, false); periods.len()];
        let mut first_resolved = false;
        let mut staff_replies = 0u32;
        for (i, h) in t.log.iter().enumerate() {
            let p = slot(h.at);
            if let Some(p) = p {
                worked[p].2 = true;
            }
            match &h.what {
                Happening::StaffReply { by, tone_findings } => {
                    staff_replies += 1;
                    if let Some(p) = p
                        && (agent.is_none() || *by == agent)
                    {
                        let f = &mut out[p].tone;
                        f.of += 1;
                        add_count(f, id, u64::from(*tone_findings));
                        if *tone_findings == 0 {
                            f.others.insert(id);
                        }
                    }
                }
                Happening::StatusChanged {
                    from_closed: false,
                    to_closed: true,
                } => {
                    let reopened_later = t.log[i + 1..].iter().any(|h| {
                        matches!(
                            h.what,
                            Happening::StatusChanged {
                                from_closed: true,
                                to_closed: false
                            }
                        )
                    });
                    if let Some(p) = p {
                        out[p].reopened.add(id, reopened_later);
                        if !first_resolved {
                            out[p]
                                .first_contact
                                .add(id, staff_replies <= 1 && !reopened_later);
                        }
                    }
                    first_resolved = true;
                }
                Happening::Transferred => {
                    if let Some(p) = p {
                        worked[p].0 += 1;
                    }
                }
                Happening::HadToRepeat => {
                    if let Some(p) = p {
                        worked[p].1 += 1;
                    }
                }
                Happening::Decided { target, met } => {
                    if let Some(p) = p {
                        let f = match target {
                            Target::FirstResponse => &mut out[p].first_response,
                            Target::Resolution => &mut out[p].resolution,
                            Target::Promise => &mut out[p].promises,
                        };
                        f.add(id, *met);
                    }
                }
                Happening::CustomerMessage | Happening::StatusChanged { .. } => {}
            }
        }
        for (p, (transfers, repeats, was_worked)) in worked.into_iter().enumerate() {
            if !was_worked {
                continue;
            }
            let f = &mut out[p];
            f.transfers.of += 1;
            add_count(&mut f.transfers, id, transfers);
            if transfers == 0 {
                f.transfers.others.insert(id);
            }
            f.had_to_repeat.of += 1;
            add_count(&mut f.had_to_repeat, id, repeats);
            if repeats == 0 {
                f.had_to_repeat.others.insert(id);
            }
        }
    }

    for r in ratings {
        if let Some(p) = slot(r.at) {
            out[p].satisfaction.add(r.ticket_id, r.rating >= 4);
            if r.rating <= 2 {
                out[p].recovery.add(r.ticket_id, r.recovered);
            }
        }
    }
    for r in reviews {
        if let (Some(p), Some(score)) = (slot(r.at), r.score) {
            let f = &mut out[p].review;
            f.of += 1;
            f.count += u64::from(score);
            f.counted.insert(r.ticket_id);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_795_392_000_000; // Monday 2026-11-23 00:00 UTC

    fn at(day: i64, hour: i64) -> i64 {
        T0 + day * DAY_MS + hour * 3_600_000
    }

    fn h(at: i64, what: Happening) -> Happened {
        Happened { at, what }
    }

    fn reply(by: i64, findings: u32) -> Happening {
        Happening::StaffReply {
            by: Some(by),
            tone_findings: findings,
        }
    }

    const RESOLVE: Happening = Happening::StatusChanged {
        from_closed: false,
        to_closed: true,
    };
    const REOPEN: Happening = Happening::StatusChanged {
        from_closed: true,
        to_closed: false,
    };

    #[test]
    fn periods_cover_the_range_on_calendar_boundaries() {
        assert_eq!(civil_from_days(days_from_civil(2024, 2, 29)), (2024, 2, 29));
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        let mid_dec = at(17, 5); // 2026-12-10
        let months = periods(Granularity::Month, at(-30, 0), mid_dec, 10);
        let starts: Vec<(i64, u32, u32)> = months
            .iter()
            .map(|p| civil_from_days(p.0 / DAY_MS))
            .collect();
        assert_eq!(starts, vec![(2026, 10, 1), (2026, 11, 1), (2026, 12, 1)]);
        assert_eq!(civil_from_days(months[2].1 / DAY_MS), (2027, 1, 1));
        let weeks = periods(Granularity::Week, at(2, 7), at(9, 0), 10);
        assert_eq!(weeks, vec![(T0, at(7, 0)), (at(7, 0), at(14, 0))]);
        let days = periods(Granularity::Day, at(0, 3), at(30, 0), 7);
        assert_eq!(days.len(), 7, "only the newest `max` kept");
        assert_eq!(days[6], (at(29, 0), at(30, 0)));
        for g in [Granularity::Day, Granularity::Week, Granularity::Month] {
            assert_eq!(Granularity::parse(g.as_str()), Some(g));
        }
    }

    #[test]
    fn figures_from_a_known_history() {
        let weeks = [(T0, at(7, 0)), (at(7, 0), at(14, 0))];
        let tickets = vec![
            // 1: one reply, resolved in week 1, never reopened: first-contact resolution.
            TicketHistory {
                ticket_id: 1,
                log: vec![
                    h(at(0, 9), reply(10, 0)),
                    h(
                        at(0, 9),
                        Happening::Decided {
                            target: Target::FirstResponse,
                            met: true,
                        },
                    ),
                    h(at(0, 10), RESOLVE),
                    h(
                        at(0, 10),
                        Happening::Decided {
                            target: Target::Resolution,
                            met: true,
                        },
                    ),
                ],
            },
            // 2: two replies (one with 2 tone findings), transferred, resolved in week 1,
            // reopened in week 2 after the customer repeated themselves.
            TicketHistory {
                ticket_id: 2,
                log: vec![
                    h(at(1, 9), reply(10, 2)),
                    h(
                        at(1, 9),
                        Happening::Decided {
                            target: Target::FirstResponse,
                            met: false,
                        },
                    ),
                    h(at(1, 11), Happening::Transferred),
                    h(at(2, 9), reply(11, 0)),
                    h(at(2, 10), RESOLVE),
                    h(at(8, 9), Happening::CustomerMessage),
                    h(at(8, 9), Happening::HadToRepeat),
                    h(at(8, 9), REOPEN),
                    h(
                        at(8, 12),
                        Happening::Decided {
                            target: Target::Promise,
                            met: false,
                        },
                    ),
                ],
            },
        ];
        let ratings = vec![
            Rated {
                ticket_id: 1,
                at: at(1, 0),
                rating: 5,
                recovered: false,
            },
            Rated {
                ticket_id: 2,
                at: at(3, 0),
                rating: 1,
                recovered: true,
            },
        ];
        let reviews = vec![
            Reviewed {
                ticket_id: 2,
                at: at(9, 0),
                score: Some(60),
            },
            Reviewed {
                ticket_id: 1,
                at: at(9, 0),
                score: Some(90),
            },
            Reviewed {
                ticket_id: 1,
                at: at(10, 0),
                score: None,
            },
        ];
        let s = scorecard(&weeks, None, &tickets, &ratings, &reviews);
        let w1 = &s[0];
        assert_eq!((w1.satisfaction.count, w1.satisfaction.of), (1, 2));
        assert_eq!(w1.satisfaction.percent(), Some(50));
        assert_eq!((w1.recovery.count, w1.recovery.of), (1, 1));
        assert_eq!((w1.first_response.count, w1.first_response.of), (1, 2));
        assert_eq!(w1.first_response.others, BTreeSet::from([2]));
        assert_eq!((w1.resolution.count, w1.resolution.of), (1, 1));
        assert_eq!((w1.first_contact.count, w1.first_contact.of), (1, 2));
        assert_eq!(w1.first_contact.counted, BTreeSet::from([1]));
        assert_eq!((w1.reopened.count, w1.reopened.of), (1, 2));
        assert_eq!(w1.reopened.counted, BTreeSet::from([2]));
        assert_eq!((w1.transfers.count, w1.transfers.of), (1, 2));
        assert_eq!(w1.transfers.per(), Some(0.5));
        assert_eq!((w1.had_to_repeat.count, w1.had_to_repeat.of), (0, 2));
        assert_eq!((w1.tone.count, w1.tone.of), (2, 3));
        assert_eq!(w1.tone.per(), Some(0.67));
        assert_eq!(w1.review.of, 0);

        let w2 = &s[1];
        assert_eq!((w2.had_to_repeat.count, w2.had_to_repeat.of), (1, 1));
        assert_eq!((w2.promises.count, w2.promises.of), (0, 1));
        assert_eq!(w2.reopened.of, 0, "a reopen counts against its resolution");
        assert_eq!((w2.review.count, w2.review.of), (150, 2));
        assert_eq!(w2.review.per(), Some(75.0));

        // One agent's replies only.
        let mine = scorecard(&weeks, Some(11), &tickets, &ratings, &reviews);
        assert_eq!((mine[0].tone.count, mine[0].tone.of), (0, 1));
    }

    #[test]
    fn empty_figures_have_no_value() {
        let f = Figure::default();
        assert_eq!((f.percent(), f.per()), (None, None));
        let s = scorecard(&[(T0, at(1, 0))], None, &[], &[], &[]);
        assert_eq!(s[0].satisfaction, Figure::default());
    }
}
