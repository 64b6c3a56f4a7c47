//! Reading a Zendesk export folder for `heard import zendesk DIR` (layout in
//! docs/import.md): the records as the REST API answers them, each ticket's comments in
//! `comments/<id>.json`, attachment files in `attachments/<id>/<file name>`. The mapping
//! is `heard_services::import::zendesk`, the writing `Services::import_batch`.

use super::Progress;
use anyhow::Context;
use heard_services::Services;
use heard_services::import::map::{ImportPerson, Source};
use heard_services::import::zendesk::{
    self, ZendeskComments, ZendeskGroups, ZendeskOrganizations, ZendeskTickets, ZendeskUsers,
};
use heard_services::import::{BATCH_TICKETS, ImportBatch, ImportReport};
use serde::de::DeserializeOwned;
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// `name` in `dir`, parsed; an absent optional file is empty.
fn read<T: DeserializeOwned + Default>(
    dir: &Path,
    name: &str,
    required: bool,
) -> anyhow::Result<T> {
    let path = dir.join(name);
    if !path.is_file() && !required {
        return Ok(T::default());
    }
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text)
        .with_context(|| format!("{} is not a Zendesk export file", path.display()))
}

pub async fn import(
    services: &Services,
    dir: &Path,
    progress: &mut Progress,
) -> anyhow::Result<ImportReport> {
    if !dir.is_dir() {
        anyhow::bail!("{} is not a folder", dir.display());
    }
    let tickets: ZendeskTickets = read(dir, "tickets.json", true)?;
    let users: ZendeskUsers = read(dir, "users.json", true)?;
    let organizations: ZendeskOrganizations = read(dir, "organizations.json", false)?;
    let groups: ZendeskGroups = read(dir, "groups.json", false)?;
    progress.total = tickets.tickets.len() as u64;
    let mut run = services
        .begin_import(Source::Zendesk, &dir.display().to_string())
        .await?;

    let mut first_skips = Vec::new();
    let mut people: HashMap<i64, ImportPerson> = HashMap::new();
    for u in &users.users {
        match zendesk::zendesk_person(u) {
            Ok(p) => {
                people.insert(u.id, p);
            }
            Err(s) => first_skips.push(s),
        }
    }
    let orgs: HashMap<String, _> = organizations
        .organizations
        .iter()
        .map(|o| {
            let o = zendesk::zendesk_organization(o);
            (o.external_id.clone(), o)
        })
        .collect();
    let teams: HashMap<String, _> = groups
        .groups
        .iter()
        .map(|g| {
            let g = zendesk::zendesk_team(g);
            (g.external_id.clone(), g)
        })
        .collect();

    for chunk in tickets.tickets.chunks(BATCH_TICKETS) {
        let mut batch = ImportBatch {
            skipped: std::mem::take(&mut first_skips),
            ..Default::default()
        };
        let mut wanted: HashSet<String> = HashSet::new();
        for t in chunk {
            let comments: ZendeskComments = read(dir, &format!("comments/{}.json", t.id), false)?;
            match zendesk::zendesk_ticket(t, &comments.comments, &people) {
                Ok((ticket, skipped)) => {
                    batch.skipped.extend(skipped);
                    wanted.insert(ticket.requester.clone());
                    wanted.extend(ticket.assignee.clone());
                    wanted.extend(ticket.messages.iter().map(|m| m.author.clone()));
                    if let Some(team) = ticket.team.as_ref().and_then(|g| teams.get(g))
                        && !batch.teams.contains(team)
                    {
                        batch.teams.push(team.clone());
                    }
                    for m in &ticket.messages {
                        for a in &m.attachments {
                            if let Ok(bytes) = std::fs::read(dir.join(&a.location)) {
                                batch.files.insert(a.location.clone(), bytes);
                            }
                        }
                    }
                    batch.tickets.push(ticket);
                }
                Err(s) => batch.skipped.push(s),
            }
        }
        for p in people.values().filter(|p| wanted.contains(&p.external_id)) {
            if let Some(o) = p.organization.as_ref().and_then(|o| orgs.get(o))
                && !batch.organizations.contains(o)
            {
                batch.organizations.push(o.clone());
            }
            batch.people.push(p.clone());
        }
        services.import_batch(&mut run, batch).await?;
        progress.advance(chunk.len() as u64);
    }
    if !first_skips.is_empty() {
        services
            .import_batch(
                &mut run,
                ImportBatch {
                    skipped: first_skips,
                    ..Default::default()
                },
            )
            .await?;
    }
    Ok(services.finish_import(run).await?)
}
