//! What an attached file may be called.

use crate::{ErrorCode, Invalid};

/// Characters that reorder the text around them. In a file name they make
/// `invoice_fdp.exe` look like `invoice_exe.pdf`, so they are dropped.
fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

/// The name to keep for an uploaded file: its last path segment, without bidirectional
/// controls, 1 to 255 characters with no other control characters.
pub fn attachment_name(raw: &str) -> Result<String, Invalid> {
    let name: String = raw
        .trim()
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or("")
        .chars()
        .filter(|c| !is_bidi_control(*c))
        .collect();
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 255 || name.chars().any(char::is_control) {
        return Err(Invalid::new(
            "file_name",
            ErrorCode::InvalidFileName,
            "name the file in 1 to 255 characters",
        ));
    }
    Ok(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bidi_controls_are_dropped() {
        assert_eq!(
            attachment_name("invoice_\u{202E}fdp.exe").unwrap(),
            "invoice_fdp.exe"
        );
        assert_eq!(
            attachment_name("\u{2067}a\u{2069}\u{200F}.txt").unwrap(),
            "a.txt"
        );
    }

    #[test]
    fn only_the_last_path_segment_counts() {
        assert_eq!(attachment_name(" C:\\tmp\\log.txt ").unwrap(), "log.txt");
        assert_eq!(attachment_name("../../etc/passwd").unwrap(), "passwd");
    }

    #[test]
    fn empty_or_control_names_are_refused() {
        for bad in ["", "dir/", "\u{202E}", "a\nb", &"x".repeat(256)] {
            assert_eq!(attachment_name(bad).unwrap_err().code, "invalid_file_name");
        }
    }
}
