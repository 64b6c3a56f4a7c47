//! Shared helpers for tests that read the sample data beside the repository.

use std::path::PathBuf;

use heard_search::import::{ImportReport, import_dir};

/// The shared sample data folder (`shared/data` beside the repository root). Fails loudly
/// when it is missing: these tests must never pass by testing nothing.
pub fn data_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    assert!(
        dir.join("kb").is_dir(),
        "sample data not found at {} (expected the shared/ folder beside the repository)",
        dir.display()
    );
    dir
}

/// Imports one of the sample knowledge bases (`django`, `jitsi`, `gnome`).
pub fn import_sample(name: &str) -> ImportReport {
    let dir = data_dir().join("kb").join(name);
    import_dir(&dir).unwrap_or_else(|e| panic!("importing {}: {e}", dir.display()))
}
