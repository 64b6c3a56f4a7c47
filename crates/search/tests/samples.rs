//! Import conversion against the real sample knowledge bases in shared/data/kb.

mod common;

use common::import_sample;
use heard_search::Visibility;

#[test]
fn django_rst_pages_convert() {
    let r = import_sample("django");
    assert!(
        r.articles.len() >= 40,
        "{} django articles",
        r.articles.len()
    );
    let skipped: Vec<&str> = r.skipped.iter().map(|s| s.file.as_str()).collect();
    assert!(
        skipped.contains(&"docs/faq/index.txt"),
        "a table of contents only: {skipped:?}"
    );
    let w = r
        .articles
        .iter()
        .find(|a| a.source == "docs/howto/windows.txt")
        .unwrap();
    assert_eq!(w.title, "How to install Django on Windows");
    assert_eq!(w.slug, "how-to-install-django-on-windows");
    assert_eq!(w.category, "howto");
    assert!(w.summary.starts_with("This document will guide you"));
    assert!(w.body.contains("## Install Python"));
    assert!(
        w.body.contains("```doscon\n...\\> py --version\n```"),
        "{}",
        w.body
    );
    assert!(
        w.body.contains("[Python\ndocumentation]") || w.body.contains("[Python documentation]")
    );
    for a in &r.articles {
        assert!(!a.body.contains(":doc:`"), "role left in {}", a.source);
        assert!(
            !a.body.contains(".. code-block::"),
            "directive left in {}",
            a.source
        );
        assert!(!a.title.is_empty());
    }
}

#[test]
fn jitsi_markdown_pages_convert() {
    let r = import_sample("jitsi");
    assert!(
        r.articles.len() >= 50,
        "{} jitsi articles",
        r.articles.len()
    );
    let k = r
        .articles
        .iter()
        .find(|a| a.source == "docs/user-guide/keyboard-shortcuts.md")
        .unwrap();
    assert_eq!(k.title, "Keyboard shortcuts");
    assert_eq!(k.category, "user-guide");
    assert_eq!(k.visibility, Visibility::Public);
    for a in &r.articles {
        assert!(
            !a.body.contains("import Tabs"),
            "MDX import left in {}",
            a.source
        );
        assert!(
            !a.body.lines().any(|l| l.trim() == ":::"),
            "admonition fence left in {}",
            a.source
        );
        assert!(
            !a.body.starts_with("---"),
            "front matter left in {}",
            a.source
        );
    }
    // placeholder pages ("Check back soon!") are reported, not imported
    let basic = r
        .skipped
        .iter()
        .find(|s| s.file == "docs/user-guide/basic.md")
        .unwrap();
    assert!(basic.reason.contains("too little text"));
    assert!(r.skipped.iter().any(|s| s.file == "LICENSE"));
}

#[test]
fn gnome_json_lines_convert() {
    let r = import_sample("gnome");
    assert!(
        r.articles.len() >= 250,
        "{} gnome articles",
        r.articles.len()
    );
    let w = r
        .articles
        .iter()
        .find(|a| a.source == "gnome_help_C.jsonl#net-wireless-connect")
        .unwrap();
    assert_eq!(w.title, "Connect to a wireless network");
    assert_eq!(w.slug, "connect-to-a-wireless-network");
    assert_eq!(w.category, "net");
    assert!(!w.summary.is_empty());
    let guides = r
        .skipped
        .iter()
        .filter(|s| s.reason.contains("navigation page"))
        .count();
    assert!(
        guides >= 20,
        "guide pages without text are skipped with a reason"
    );
    // slugs are unique within an import
    let mut slugs: Vec<&str> = r.articles.iter().map(|a| a.slug.as_str()).collect();
    slugs.sort();
    let n = slugs.len();
    slugs.dedup();
    assert_eq!(n, slugs.len());
}
