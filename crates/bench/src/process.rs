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

/// Resident memory in kB (`VmRSS`), from the text of `/proc/PID/status`.
pub fn rss_kb_from_status(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line["VmRSS:".len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()
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

    /// Resident memory now, in MB.
    pub fn rss_mb(&self) -> anyhow::Result<f64> {
        let path = self.file("status");
        let text = std::fs::read_to_string(&path)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
        let kb = rss_kb_from_status(&text)
            .ok_or_else(|| anyhow::anyhow!("no VmRSS in {}", path.display()))?;
        Ok(kb as f64 / 1024.0)
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
    fn rss_is_read_from_its_line() {
        let status = "Name:\theard\nVmPeak:\t  900000 kB\nVmRSS:\t   51200 kB\nThreads:\t9\n";
        assert_eq!(rss_kb_from_status(status), Some(51200));
        assert_eq!(rss_kb_from_status("Name:\tkthreadd\n"), None);
    }

    #[test]
    fn this_process_can_be_watched() {
        let me = Watched::new(std::process::id());
        assert!(me.cpu_ms().unwrap() >= 0.0);
        assert!(me.rss_mb().unwrap() > 0.0);
        assert!(me.ticks_per_s > 0.0);
    }
}
