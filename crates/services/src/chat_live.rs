//! Live delivery of chats: a signal says "chat N has something new" (a line, a change of
//! state, someone typing). Lines are in the database before their signal goes out, so a
//! signal only wakes a reader, who reads after its cursor; a lost signal delays, never
//! loses. On PostgreSQL signals travel through NOTIFY, so every `heard serve` process on
//! the database wakes its own readers; on SQLite the one process delivers in memory.

use crate::{Result, Services};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tokio::sync::{OnceCell, broadcast};

/// Something new in a chat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatSignal {
    pub chat_id: i64,
    /// `message`, `state` (accepted, handed over, ended, a new chat waiting) or `typing`.
    pub kind: String,
    /// Who is typing: `customer` or `staff`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
}

/// This process's fan-out of chat signals to its open connections.
#[derive(Clone)]
pub struct ChatHub(Arc<HubInner>);

struct HubInner {
    signals: broadcast::Sender<ChatSignal>,
    /// Set once this process listens to the database (PostgreSQL).
    listening: OnceCell<()>,
}

impl Default for ChatHub {
    fn default() -> Self {
        ChatHub(Arc::new(HubInner {
            // A reader that falls this far behind re-reads from its cursor (see `Lagged`).
            signals: broadcast::channel(4096).0,
            listening: OnceCell::new(),
        }))
    }
}

impl Services {
    /// Sends a signal to every reader of the chat, in every process.
    pub(crate) async fn chat_signal(&self, chat_id: i64, kind: &str, by: Option<&str>) {
        let signal = ChatSignal {
            chat_id,
            kind: kind.into(),
            by: by.map(str::to_string),
        };
        if self.store.backend_name() == "postgres" {
            let payload = serde_json::to_string(&signal).unwrap_or_default();
            if let Err(e) = self.store.notify_chat(&payload).await {
                // The line is stored: readers still find it on their next poll.
                tracing::warn!(error = %e, "chat signal not sent");
            }
        } else {
            let _ = self.chat_hub.0.signals.send(signal);
        }
    }

    /// A receiver of every chat signal this process learns of. On PostgreSQL the first
    /// call starts the listener that turns other processes' NOTIFYs into signals here.
    pub async fn chat_signals(&self) -> Result<broadcast::Receiver<ChatSignal>> {
        let hub = self.chat_hub.0.clone();
        let receiver = hub.signals.subscribe();
        hub.listening
            .get_or_try_init(|| async {
                if let Some(mut listener) = self.store.chat_listener().await? {
                    let hub = hub.clone();
                    tokio::spawn(async move {
                        loop {
                            match listener.recv().await {
                                Ok(n) => {
                                    if let Ok(s) = serde_json::from_str::<ChatSignal>(n.payload()) {
                                        let _ = hub.signals.send(s);
                                    }
                                }
                                // The listener reconnects on the next call; readers poll
                                // meanwhile, so nothing is lost, only late.
                                Err(e) => {
                                    tracing::warn!(error = %e, "chat listener lost its connection");
                                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                                }
                            }
                        }
                    });
                }
                Ok::<(), crate::ServiceError>(())
            })
            .await?;
        Ok(receiver)
    }
}
