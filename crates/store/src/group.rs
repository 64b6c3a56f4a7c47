//! Group commit on SQLite. Every durable commit waits for the disk, and SQLite lets one
//! writer in at a time, so ticket writes (openings and changes such as replies, status
//! changes and escalations) queue here and one task writes whatever has
//! gathered in one transaction: while a group waits for its commit, the next requests
//! gather for the following one. Each request is answered only after the commit that
//! holds its ticket returned.
//!
//! One plan that fails (a reused idempotency key, a customer deleted meanwhile) must not
//! fail the others of its group: the group is then rolled back and its plans are written
//! again one transaction each, so every request gets the answer its own plan deserves.
//! Failures are rare, so the common path carries no per-plan savepoint statements.

use crate::tickets::{create_in_sqlite, write_in_sqlite};
use crate::{Created, NewTicket, Result, StoreError, TicketWrite};
use sqlx::SqlitePool;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::{mpsc, oneshot};
use tracing::Instrument;

/// The most plans one transaction holds (a bound on how long a group keeps the writer).
const MAX_GROUP: usize = 64;

enum Plan {
    Open(NewTicket),
    Change(TicketWrite),
}

enum Done {
    Opened(Created),
    /// The id of the message written, if any.
    Changed(Option<i64>),
}

struct Job {
    plan: Plan,
    now: i64,
    reply: oneshot::Sender<Result<Done>>,
    /// The requester's span (with its request id): the commit is logged inside it.
    span: tracing::Span,
}

/// Upper bounds of the batch-size histogram's buckets (the last is [`MAX_GROUP`]).
pub const BATCH_BUCKETS: [u64; 7] = [1, 2, 4, 8, 16, 32, 64];

/// What the writer's task has done, for `/metrics`: plain counters, no locks.
#[derive(Debug, Default)]
pub struct GroupStats {
    /// Plans sent and not yet taken by the writer's task.
    queued: AtomicU64,
    /// Committed groups per batch-size bucket (not cumulative).
    buckets: [AtomicU64; BATCH_BUCKETS.len()],
    plans: AtomicU64,
}

/// A copy of [`GroupStats`] at one moment.
#[derive(Debug, Clone, Default)]
pub struct WriterStats {
    pub queue_depth: u64,
    /// Groups committed with at most `BATCH_BUCKETS[i]` plans, cumulative as Prometheus wants.
    pub batch_le: Vec<(u64, u64)>,
    pub batches: u64,
    pub plans: u64,
}

impl GroupStats {
    fn committed(&self, size: usize) {
        let i = BATCH_BUCKETS
            .iter()
            .position(|&b| size as u64 <= b)
            .unwrap_or(BATCH_BUCKETS.len() - 1);
        self.buckets[i].fetch_add(1, Ordering::Relaxed);
        self.plans.fetch_add(size as u64, Ordering::Relaxed);
    }

    pub(crate) fn read(&self) -> WriterStats {
        let mut total = 0;
        let batch_le = BATCH_BUCKETS
            .iter()
            .zip(&self.buckets)
            .map(|(le, n)| {
                total += n.load(Ordering::Relaxed);
                (*le, total)
            })
            .collect();
        WriterStats {
            queue_depth: self.queued.load(Ordering::Relaxed),
            batch_le,
            batches: total,
            plans: self.plans.load(Ordering::Relaxed),
        }
    }
}

/// The queue in front of the writer's task.
#[derive(Clone, Debug)]
pub struct GroupCommit {
    queue: mpsc::UnboundedSender<Job>,
    pub(crate) stats: Arc<GroupStats>,
}

impl GroupCommit {
    /// Starts the task that writes groups through `writer` (the one writing connection).
    pub(crate) fn start(writer: SqlitePool) -> Self {
        let (queue, jobs) = mpsc::unbounded_channel();
        let stats = Arc::new(GroupStats::default());
        tokio::spawn(run(writer, jobs, stats.clone()));
        GroupCommit { queue, stats }
    }

    pub(crate) async fn create_ticket(&self, ticket: NewTicket, now: i64) -> Result<Created> {
        match self.write(Plan::Open(ticket), now).await? {
            Done::Opened(created) => Ok(created),
            Done::Changed(_) => unreachable!("an opening is answered as one"),
        }
    }

    pub(crate) async fn write_ticket(&self, w: TicketWrite, now: i64) -> Result<Option<i64>> {
        match self.write(Plan::Change(w), now).await? {
            Done::Changed(message_id) => Ok(message_id),
            Done::Opened(_) => unreachable!("a change is answered as one"),
        }
    }

    async fn write(&self, plan: Plan, now: i64) -> Result<Done> {
        let (reply, answer) = oneshot::channel();
        let span = tracing::Span::current();
        self.stats.queued.fetch_add(1, Ordering::Relaxed);
        self.queue
            .send(Job {
                plan,
                now,
                reply,
                span,
            })
            .map_err(|_| {
                self.stats.queued.fetch_sub(1, Ordering::Relaxed);
                StoreError::Closed
            })?;
        answer.await.map_err(|_| StoreError::Closed)?
    }
}

async fn run(writer: SqlitePool, mut jobs: mpsc::UnboundedReceiver<Job>, stats: Arc<GroupStats>) {
    let mut group = Vec::with_capacity(MAX_GROUP);
    while jobs.recv_many(&mut group, MAX_GROUP).await > 0 {
        let size = group.len();
        stats.queued.fetch_sub(size as u64, Ordering::Relaxed);
        let span = tracing::debug_span!("store.group_commit", size);
        match commit_group(&writer, &group).instrument(span).await {
            Ok(done) => {
                stats.committed(size);
                for (job, c) in group.drain(..).zip(done) {
                    // Each request's own log carries the commit that held its write.
                    job.span
                        .in_scope(|| tracing::debug!(group_size = size, "committed"));
                    // The requester may have gone (a dropped connection): its ticket stays.
                    let _ = job.reply.send(Ok(c));
                }
            }
            Err(_) => {
                for job in group.drain(..) {
                    let answer = commit_group(&writer, std::slice::from_ref(&job))
                        .instrument(job.span.clone())
                        .await
                        .map(|mut c| c.remove(0));
                    if answer.is_ok() {
                        stats.committed(1);
                    }
                    let _ = job.reply.send(answer);
                }
            }
        }
    }
}

/// Writes every plan of `group` in one transaction, or nothing.
async fn commit_group(writer: &SqlitePool, group: &[Job]) -> Result<Vec<Done>> {
    let mut tx = crate::backend::begin_immediate(writer).await?;
    let mut done = Vec::with_capacity(group.len());
    for job in group {
        done.push(match &job.plan {
            Plan::Open(t) => Done::Opened(create_in_sqlite(&mut tx, t, job.now).await?),
            Plan::Change(w) => Done::Changed(write_in_sqlite(&mut tx, w, job.now).await?),
        });
    }
    tx.commit().await?;
    Ok(done)
}
