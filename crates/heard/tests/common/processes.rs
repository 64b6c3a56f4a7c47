//! `heard serve` as a separate process on a test's database, as an operator runs it: for
//! tests that kill it with SIGKILL, restart it, or run several behind a load balancer.

use super::TestApp;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// A running `heard serve`; killed (SIGKILL) when dropped, so a failing test leaves none.
pub struct HeardProcess {
    child: Child,
    /// `http://127.0.0.1:PORT`, from the line the process prints once it listens.
    pub base: String,
    /// What it printed before that line (e.g. where its SMTP listener is).
    pub printed: Vec<String>,
}

impl HeardProcess {
    /// Starts `heard serve` on `database_url` with `data_dir` as its data folder (its own
    /// search index), listening on `listen` (`127.0.0.1:0` for any port), with `env` added
    /// (e.g. outgoing mail).
    pub fn start(database_url: &str, data_dir: &Path, listen: &str, env: &[(&str, &str)]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_heard"))
            .args(["serve", "--listen", listen])
            .env("HEARD_DATABASE_URL", database_url)
            .env("HEARD_DATA_DIR", data_dir)
            .env("RUST_LOG", "warn")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut printed = Vec::new();
        let base = lines.by_ref().map_while(Result::ok).find_map(|line| {
            let base = line
                .strip_prefix("heard listening on ")
                .map(|b| b.trim().to_string());
            if base.is_none() {
                printed.push(line);
            }
            base
        });
        // Keep reading what it prints, so a full pipe never blocks it.
        std::thread::spawn(move || lines.for_each(drop));
        match base {
            Some(base) => HeardProcess {
                child,
                base,
                printed,
            },
            None => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("heard serve printed no listening line");
            }
        }
    }

    /// On the test's own data folder, on any free port.
    pub fn on(app: &TestApp) -> Self {
        HeardProcess::start(&app.database_url, app.data_dir.path(), "127.0.0.1:0", &[])
    }

    /// SIGKILL: no shutdown, no flushing; waits until it is gone.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn id(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for HeardProcess {
    fn drop(&mut self) {
        self.kill();
    }
}
