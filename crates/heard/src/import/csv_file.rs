//! Reading a CSV file of tickets (one row per message; the columns are in docs/import.md)
//! for `heard import csv FILE`: rows are grouped by `ticket_id` in the order tickets first
//! appear, mapped by `heard_services::import::map::csv_ticket`, and written a batch at a
//! time by `Services::import_batch`.

use super::Progress;
use anyhow::Context;
use heard_services::Services;
use heard_services::import::map::{self, CsvRow, Source};
use heard_services::import::{BATCH_TICKETS, ImportBatch, ImportReport};
use std::collections::HashMap;
use std::path::Path;

/// Columns a file must have; the others are optional.
const REQUIRED: &[&str] = &[
    "ticket_id",
    "subject",
    "requester_email",
    "created_at",
    "message_body",
];

pub async fn import(
    services: &Services,
    file: &Path,
    progress: &mut Progress,
) -> anyhow::Result<ImportReport> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(file)
        .with_context(|| format!("reading {}", file.display()))?;
    let headers: Vec<String> = reader
        .headers()
        .with_context(|| format!("reading the header line of {}", file.display()))?
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_ascii_lowercase())
        .collect();
    let missing: Vec<&str> = REQUIRED
        .iter()
        .filter(|c| !headers.iter().any(|h| h == *c))
        .copied()
        .collect();
    if !missing.is_empty() {
        anyhow::bail!(
            "{}: the header line lacks {} (columns: {})",
            file.display(),
            missing.join(", "),
            map::CSV_COLUMNS.join(", ")
        );
    }
    // Tickets in the order they first appear, each with its rows (and their line numbers).
    let mut order: Vec<String> = Vec::new();
    let mut tickets: HashMap<String, Vec<(usize, CsvRow)>> = HashMap::new();
    for (n, record) in reader.records().enumerate() {
        let record = record.with_context(|| format!("{} line {}", file.display(), n + 2))?;
        let row: CsvRow = headers
            .iter()
            .cloned()
            .zip(record.iter().map(str::to_string))
            .collect();
        let id = row
            .get("ticket_id")
            .map(|s| s.trim().to_string())
            .unwrap_or_default();
        if !tickets.contains_key(&id) {
            order.push(id.clone());
        }
        tickets.entry(id).or_default().push((n + 2, row));
    }
    progress.total = order.len() as u64;
    let mut run = services
        .begin_import(Source::Csv, &file.display().to_string())
        .await?;
    for chunk in order.chunks(BATCH_TICKETS) {
        let mut batch = ImportBatch::default();
        for id in chunk {
            let rows = tickets.remove(id).unwrap_or_default();
            match map::csv_ticket(&rows) {
                Ok(t) => {
                    batch.people.extend(t.people);
                    batch.organizations.extend(t.organizations);
                    batch.teams.extend(t.teams);
                    batch.skipped.extend(t.skipped);
                    batch.tickets.push(t.ticket);
                }
                Err(s) => batch.skipped.push(s),
            }
        }
        services.import_batch(&mut run, batch).await?;
        progress.advance(chunk.len() as u64);
    }
    Ok(services.finish_import(run).await?)
}
