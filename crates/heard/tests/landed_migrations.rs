//! A landed migration is never edited: databases out there already ran it, and sqlx
//! refuses to start on one whose recorded checksum differs (or, with a copy of the old
//! text elsewhere, two databases would end up with different schemas under one version).
//! `crates/store/migrations/landed.txt` holds the checksum of every landed migration; this
//! test fails when one was changed or removed, and when a migration is not listed yet
//! (printing the line to add once it lands).

use sqlx::migrate::Migrator;
use std::collections::BTreeMap;

static SQLITE: Migrator = sqlx::migrate!("../store/migrations/sqlite");
static POSTGRES: Migrator = sqlx::migrate!("../store/migrations/postgres");

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// (backend, version) → (file name without `.sql`, checksum) from `landed.txt`.
fn landed() -> BTreeMap<(String, i64), (String, String)> {
    let text = include_str!("../../store/migrations/landed.txt");
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            assert_eq!(
                f.len(),
                3,
                "landed.txt: {l:?} is not `backend file checksum`"
            );
            let version: i64 = f[1]
                .split('_')
                .next()
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("landed.txt: no version in {l:?}"));
            ((f[0].into(), version), (f[1].into(), f[2].into()))
        })
        .collect()
}

#[test]
fn landed_migrations_are_unchanged_and_every_migration_is_listed() {
    let landed = landed();
    let mut problems = Vec::new();
    let mut seen = Vec::new();
    for (backend, migrator) in [("sqlite", &SQLITE), ("postgres", &POSTGRES)] {
        for m in migrator.iter() {
            let key = (backend.to_string(), m.version);
            let sum = hex(&m.checksum);
            let file = format!("{:04}_{}", m.version, m.description.replace(' ', "_"));
            match landed.get(&key) {
                Some((_, expected)) if *expected == sum => {}
                Some((name, _)) => problems.push(format!(
                    "{backend}/{name}.sql was edited after it landed: put the change in a new migration"
                )),
                None => problems.push(format!(
                    "{backend}/{file}.sql is not in migrations/landed.txt; once it lands, add:\n{backend} {file} {sum}"
                )),
            }
            seen.push(key);
        }
    }
    for (key, (name, _)) in &landed {
        if !seen.contains(key) {
            problems.push(format!("{}/{name}.sql landed and was removed", key.0));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn both_backends_have_the_same_migrations() {
    let versions = |m: &Migrator| m.iter().map(|m| m.version).collect::<Vec<_>>();
    assert_eq!(versions(&SQLITE), versions(&POSTGRES));
}
