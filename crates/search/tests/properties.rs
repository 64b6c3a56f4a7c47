//! Property tests: the text functions never panic on arbitrary input and keep their promises.

use heard_search::import::{parse_gnome_jsonl, parse_markdown, parse_rst, slugify};
use heard_search::text::markdown_to_plain;
use heard_search::{ArticleDoc, ArticleFilter, SearchIndex, Visibility, escape_html};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn slugs_are_url_safe(text in "\\PC{0,120}") {
        let s = slugify(&text);
        prop_assert!(!s.is_empty() && s.len() <= 80);
        prop_assert!(s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'));
        prop_assert!(!s.starts_with('-') && !s.ends_with('-') && !s.contains("--"));
    }

    #[test]
    fn escaping_leaves_no_markup(text in "\\PC{0,200}") {
        let e = escape_html(&text);
        prop_assert!(!e.contains('<') && !e.contains('>') && !e.contains('"'));
    }

    #[test]
    fn converters_never_panic(text in "(\\PC|[`*_\\[\\]()<>:#=\\-.\n ]){0,400}") {
        let _ = markdown_to_plain(&text);
        let _ = parse_markdown("x.md", &text);
        let _ = parse_rst("x.rst", &text);
        let _ = parse_gnome_jsonl("x.jsonl", &text);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(60))]

    /// Whatever an article says and whatever is searched, the snippet is escaped text
    /// with only <mark> added.
    #[test]
    fn snippets_are_always_safe(
        body in "(\\PC|[<>&\"' ]|router){1,300}",
        query in "(\\PC|router| ){1,40}",
    ) {
        let idx = SearchIndex::in_ram();
        idx.upsert_article(&ArticleDoc {
            id: 1,
            version: 1,
            slug: "a".into(),
            title: "router".into(),
            summary: String::new(),
            body,
            tags: vec![],
            category: String::new(),
            locale: "en".into(),
            visibility: Visibility::Public,
        }).unwrap();
        idx.commit().unwrap();
        for hit in idx.search_articles(&query, &ArticleFilter::public(None), 3).unwrap().hits
            .into_iter()
            .chain(idx.suggest_articles(&query, &ArticleFilter::public(None), 3).unwrap().hits)
        {
            let bare = hit.snippet_html.replace("<mark>", "").replace("</mark>", "");
            prop_assert!(!bare.contains('<') && !bare.contains('>'), "{}", hit.snippet_html);
        }
    }
}
