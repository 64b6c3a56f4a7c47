//! The `--jsonl` loop as the CLI runs it, for timing the protocol end to end:
//! `cargo run --release -p heard-language --example jsonl -- tone|frustration < in.jsonl > out.jsonl`
//! With `gen N` it writes N sample input lines instead.

use std::io::{BufRead, BufWriter, Write};

use heard_language::{Audience, frustration_jsonl_line, tone_jsonl_line};

const SAMPLES: [&str; 4] = [
    "Obviously you should have cleared the cache first. Just click Settings.",
    "This is the THIRD TIME I'm asking!!! Nobody has replied and I want a refund.",
    "Hi, thanks for the quick answer, the export works now. Have a nice day!",
    "I'm sorry the import failed; I've asked our engineers to look at it and I'll update you by 3 pm.",
];

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let out = std::io::stdout();
    let mut out = BufWriter::new(out.lock());
    match args.first().map(String::as_str) {
        Some("gen") => {
            let n: usize = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(10_000);
            for i in 0..n {
                let line = serde_json::json!({"id": i, "text": SAMPLES[i % SAMPLES.len()]});
                writeln!(out, "{line}")?;
            }
        }
        Some(mode @ ("tone" | "frustration")) => {
            for line in std::io::stdin().lock().lines() {
                let line = line?;
                let answer = if mode == "tone" {
                    tone_jsonl_line(&line, Audience::Technical)
                } else {
                    frustration_jsonl_line(&line)
                };
                writeln!(out, "{answer}")?;
            }
        }
        _ => eprintln!("usage: jsonl tone|frustration < in.jsonl, or jsonl gen N"),
    }
    out.flush()
}
