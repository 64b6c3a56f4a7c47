//! The benchmark: one routing decision among 2,000 agents, in each mode, for a
//! calm and an upset ticket, and draining a queue of 100 tickets.
//!
//! `cargo bench -p heard-domain` (criterion reports the time per decision).

use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use heard_domain::Tier;
use heard_domain::routing::{
    Candidate, Presence, QueuedTicket, RoutingMode, RoutingPolicy, TicketNeeds, assign_queued,
    decide,
};

const AGENTS: usize = 2_000;
const SKILLS: [&str; 8] = [
    "billing", "mac", "windows", "vpn", "sso", "mobile", "printing", "email",
];

/// A small deterministic generator so every run measures the same desk.
fn next(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

fn desk() -> Vec<Candidate> {
    let mut seed = 0x9e37_79b9_7f4a_7c15;
    (0..AGENTS)
        .map(|i| {
            let r = next(&mut seed);
            let skills = SKILLS
                .iter()
                .enumerate()
                .filter(|(k, _)| r >> (k * 3) & 3 == 0)
                .map(|(_, s)| s.to_string())
                .collect();
            let presence = match r % 10 {
                0 => Presence::OnBreak,
                1 => Presence::AtLunch,
                2 => Presence::Away,
                3 => Presence::Offline,
                _ => Presence::Available,
            };
            let capacity = 3 + (r >> 30) as u32 % 6;
            Candidate {
                agent_id: i as i64 + 1,
                team_ids: vec![1 + (r >> 20) as i64 % 10],
                tier: Tier::new(1 + (r >> 24) as i64 % 3).unwrap(),
                skills,
                presence,
                open_tickets: (r >> 36) as u32 % (capacity + 1),
                capacity,
                hard_in_a_row: (r >> 40) as u32 % 5,
                hard_this_shift: (r >> 44) as u32 % 9,
                last_assigned_at: Some((r >> 48) as i64 % 3_600),
            }
        })
        .collect()
}

fn needs(frustration: u8) -> TicketNeeds {
    TicketNeeds {
        team_id: None,
        min_tier: Tier::new(2).unwrap(),
        skills: vec!["vpn".into(), "mac".into()],
        frustration,
        abusive: false,
    }
}

fn bench(c: &mut Criterion) {
    let agents = desk();
    for mode in RoutingMode::ALL {
        let policy = RoutingPolicy {
            mode: *mode,
            ..RoutingPolicy::default()
        };
        for (label, ticket) in [("calm", needs(10)), ("upset", needs(85))] {
            assert!(decide(&ticket, &agents, &policy).chosen.is_some());
            c.bench_function(&format!("decide among 2000 agents/{mode}/{label}"), |b| {
                b.iter(|| decide(black_box(&ticket), black_box(&agents), &policy))
            });
        }
    }
    let queue: Vec<QueuedTicket> = (0..100)
        .map(|i| QueuedTicket {
            ticket_id: i,
            due_at: Some(i % 17),
            needs: needs((i * 7 % 100) as u8),
        })
        .collect();
    c.bench_function("assign 100 queued tickets among 2000 agents", |b| {
        b.iter_batched_ref(
            || agents.clone(),
            |a| assign_queued(black_box(&queue), a, &RoutingPolicy::default(), 4_000),
            BatchSize::SmallInput,
        )
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
