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
use tokio::sync::{mpsc, oneshot};

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
}

/// The queue in front of the writer's task.
#[derive(Clone, Debug)]
pub struct GroupCommit {
    queue: mpsc::UnboundedSender<Job>,
}

impl GroupCommit {
    /// Starts the task that writes groups through `writer` (the one writing connection).
    pub(crate) fn start(writer: SqlitePool) -> Self {
        let (queue, jobs) = mpsc::unbounded_channel();
        tokio::spawn(run(writer, jobs));
        GroupCommit { queue }
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
        self.queue
            .send(Job { plan, now, reply })
            .map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }
}

async fn run(writer: SqlitePool, mut jobs: mpsc::UnboundedReceiver<Job>) {
    let mut group = Vec::with_capacity(MAX_GROUP);
    while jobs.recv_many(&mut group, MAX_GROUP).await > 0 {
        match commit_group(&writer, &group).await {
            Ok(done) => {
                for (job, c) in group.drain(..).zip(done) {
                    // The requester may have gone (a dropped connection): its ticket stays.
                    let _ = job.reply.send(Ok(c));
                }
            }
            Err(_) => {
                for job in group.drain(..) {
                    let answer = commit_group(&writer, std::slice::from_ref(&job))
                        .await
                        .map(|mut c| c.remove(0));
                    let _ = job.reply.send(answer);
                }
            }
        }
    }
}

/// Writes every plan of `group` in one transaction, or nothing.
async fn commit_group(writer: &SqlitePool, group: &[Job]) -> Result<Vec<Done>> {
    let mut tx = writer.begin_with("BEGIN IMMEDIATE").await?;
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
