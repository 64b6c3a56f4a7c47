//! `heard import django-helpdesk|csv|zendesk …`: another help desk's history brought in. Each
//! source has a thin reader here; the mapping and the writing are use cases in
//! `heard_services::import`. A progress line goes to standard error; at the end a
//! readable summary and, last on standard output, the report as one JSON line.

pub mod csv_file;
pub mod django_helpdesk;
pub mod zendesk_export;

use std::time::Instant;

/// The progress line on standard error: tickets looked at of all, and the rate.
pub struct Progress {
    pub total: u64,
    done: u64,
    started: Instant,
}

impl Default for Progress {
    fn default() -> Self {
        Progress::new()
    }
}

impl Progress {
    pub fn new() -> Progress {
        Progress {
            total: 0,
            done: 0,
            started: Instant::now(),
        }
    }

    pub fn advance(&mut self, n: u64) {
        self.done += n;
        let secs = self.started.elapsed().as_secs_f64().max(0.001);
        eprintln!(
            "import: {}/{} tickets, {:.0}/s, {:.1} s",
            self.done,
            self.total,
            self.done as f64 / secs,
            secs
        );
    }
}

/// Prints the report: the summary, then the JSON line.
pub fn print_report(report: &heard_services::import::ImportReport) -> anyhow::Result<()> {
    println!("{}", report.summary());
    println!("{}", serde_json::to_string(report)?);
    Ok(())
}
