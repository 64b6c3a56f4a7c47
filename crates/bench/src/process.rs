//! The server's CPU time and resident memory, read from `/proc` (Linux).

use std::path::PathBuf;

/// CPU time (user + system) in clock ticks, from the text of `/proc/PID/stat`.
///
/// The command name (field 2) is in parentheses and may itself contain spaces or
/// parentheses, so fields are counted from the last `)`: utime and stime are fields 14
/// and 15 of the line.
pub fn cpu_ticks_from_stat(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    // `rest` starts at field 3 (the state).
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// A memory figure in kB from its line of `/proc/PID/status` (`VmRSS`, `RssAnon`…).
pub fn status_kb(status: &str, key: &str) -> Option<u64> {
    let line = status
        .lines()
        .find(|l| l.strip_prefix(key).is_some_and(|r| r.starts_with(':')))?;
    line[key.len() + 1..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Resident memory, in MB: all of it, and the private (anonymous) part — heap, stacks,
/// caches. The rest is file pages mapped in (the binary, the search index), which the
/// kernel can drop and read back at will.
#[derive(Debug, Clone, Copy)]
pub struct Memory {
    pub rss_mb: f64,
    pub anon_mb: f64,
}

/// A process watched over a run.
pub struct Watched {
    pid: u32,
    ticks_per_s: f64,
}

impl Watched {
    pub fn new(pid: u32) -> Watched {
        Watched {
            pid,
            ticks_per_s: clock_ticks_per_second(),
        }
    }

    fn file(&self, name: &str) -> PathBuf {
        PathBuf::from(format!("/proc/{}/{name}", self.pid))
    }

    /// CPU time used so far, in milliseconds.
    pub fn cpu_ms(&self) -> anyhow::Result<f64> {
        let path = self.file("stat");
        let text = std::fs::read_to_string(&path)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
        let ticks = cpu_ticks_from_stat(&text)
            .ok_or_else(|| anyhow::anyhow!("unexpected contents of {}", path.display()))?;
        Ok(ticks as f64 * 1000.0 / self.ticks_per_s)
    }

    /// Resident memory now.
    pub fn memory(&self) -> anyhow::Result<Memory> {
        let path = self.file("status");
        let text = std::fs::read_to_string(&path)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
        let mb = |key| {
            status_kb(&text, key)
                .map(|kb| kb as f64 / 1024.0)
                .ok_or_else(|| anyhow::anyhow!("no {key} in {}", path.display()))
        };
        Ok(Memory {
            rss_mb: mb("VmRSS")?,
            anon_mb: mb("RssAnon")?,
        })
    }
}

fn clock_ticks_per_second() -> f64 {
    // SAFETY: sysconf only reads a configuration value; it has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 { ticks as f64 } else { 100.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_ticks_are_utime_plus_stime() {
        let stat = "4242 (heard) S 1 4242 4242 0 -1 4194560 1234 0 0 0 731 129 0 0 20 0 9 0 \
                    5555 123456789 4567 18446744073709551615 1 1 0 0 0 0 0 4096 17663 0 0 0 17 1 0 0 0 0 0";
        assert_eq!(cpu_ticks_from_stat(stat), Some(731 + 129));
    }

    #[test]
    fn a_command_name_with_spaces_and_parentheses_does_not_shift_fields() {
        let stat = "7 (tokio (rt) worker) R 1 7 7 0 -1 0 0 0 0 0 50 25 0 0 20 0 1 0 1 1 1";
        assert_eq!(cpu_ticks_from_stat(stat), Some(75));
    }

    #[test]
    fn truncated_stat_is_refused() {
        assert_eq!(cpu_ticks_from_stat("7 (x) R 1 2"), None);
        assert_eq!(cpu_ticks_from_stat("garbage"), None);
    }

    #[test]
    fn memory_figures_are_read_from_their_lines() {
        let status = "Name:\theard\nVmPeak:\t  900000 kB\nVmRSS:\t   51200 kB\n\
                      RssAnon:\t   20480 kB\nRssFile:\t   30720 kB\nThreads:\t9\n";
        assert_eq!(status_kb(status, "VmRSS"), Some(51200));
        assert_eq!(status_kb(status, "RssAnon"), Some(20480));
        assert_eq!(status_kb(status, "Rss"), None);
        assert_eq!(status_kb("Name:\tkthreadd\n", "VmRSS"), None);
    }

    #[test]
    fn this_process_can_be_watched() {
        let me = Watched::new(std::process::id());
        assert!(me.cpu_ms().unwrap() >= 0.0);
        let m = me.memory().unwrap();
        assert!(m.rss_mb > 0.0 && m.anon_mb > 0.0 && m.anon_mb <= m.rss_mb);
        assert!(me.ticks_per_s > 0.0);
    }
}
