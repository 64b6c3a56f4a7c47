//! Behaviour of the index through its public API: access scoping, query understanding,
//! snippets, and the versioned upsert/delete contract the outbox feeder relies on.

use heard_search::{
    Applied, ArticleDoc, ArticleFilter, SearchIndex, TicketDoc, TicketScope, Visibility,
};

fn article(id: i64, title: &str, body: &str) -> ArticleDoc {
    ArticleDoc {
        id,
        version: 1,
        slug: format!("a{id}"),
        title: title.into(),
        summary: String::new(),
        body: body.into(),
        tags: vec![],
        category: String::new(),
        locale: "en".into(),
        visibility: Visibility::Public,
    }
}

fn kb() -> SearchIndex {
    let idx = SearchIndex::in_ram();
    let docs = [
        article(
            1,
            "Fix a blue screen error (BSOD)",
            "A stop error shows a BSOD and the computer restarts. Update your drivers.",
        ),
        article(
            2,
            "Connect to a wireless network",
            "Open the network menu and pick your wireless network. Enter the password.",
        ),
        article(
            3,
            "Computer has no power",
            "Check the cable and the power supply. Hold the power button for ten seconds.",
        ),
        article(
            4,
            "Reset your password",
            "If you cannot sign in, reset your password from the sign-in page.",
        ),
        article(
            5,
            "Printer troubleshooting",
            "When printing fails, check the print queue and the printer cable.",
        ),
        article(
            6,
            "Change the desktop background",
            "Pick a picture for your wallpaper in the appearance settings.",
        ),
        article(
            7,
            "Adjust screen brightness",
            "Use the slider to make the display brighter or dimmer.",
        ),
    ];
    for d in &docs {
        assert_eq!(idx.upsert_article(d).unwrap(), Applied::Written);
    }
    idx.commit().unwrap();
    idx
}

fn top(idx: &SearchIndex, q: &str) -> Vec<i64> {
    idx.search_articles(q, &ArticleFilter::public(None), 3)
        .unwrap()
        .hits
        .iter()
        .map(|h| h.id)
        .collect()
}

#[test]
fn thesaurus_finds_technical_articles_in_customer_words() {
    let idx = kb();
    assert_eq!(top(&idx, "my screen went all blue and it restarted")[0], 1);
    assert_eq!(top(&idx, "bsod")[0], 1);
    assert_eq!(top(&idx, "how do I get on the wifi")[0], 2);
    assert_eq!(top(&idx, "laptop won't turn on")[0], 3);
    assert_eq!(top(&idx, "I can't log in")[0], 4);
}

#[test]
fn stemming_matches_word_forms() {
    let idx = kb();
    assert_eq!(top(&idx, "printers printed")[0], 5);
    assert_eq!(top(&idx, "connecting")[0], 2);
}

#[test]
fn typos_are_tolerated() {
    let idx = kb();
    assert_eq!(top(&idx, "pasword")[0], 4);
    assert_eq!(top(&idx, "wallpapr")[0], 6);
    assert_eq!(top(&idx, "brightnes")[0], 7);
    // a word the index knows is not widened to its neighbours ("print" is not "paint")
    idx.upsert_article(&article(8, "Paint a picture", "brushes"))
        .unwrap();
    idx.commit().unwrap();
    assert!(!top(&idx, "print").contains(&8));
}

#[test]
fn title_outranks_body() {
    let idx = SearchIndex::in_ram();
    idx.upsert_article(&article(
        1,
        "Other topic",
        "mentions the printer once in passing among many other words here",
    ))
    .unwrap();
    idx.upsert_article(&article(2, "Printer setup", "how to add a device"))
        .unwrap();
    idx.commit().unwrap();
    assert_eq!(top(&idx, "printer")[0], 2);
}

#[test]
fn phrase_order_is_rewarded() {
    let idx = SearchIndex::in_ram();
    idx.upsert_article(&article(
        1,
        "Notes",
        "the account was locked after the password change by the team",
    ))
    .unwrap();
    idx.upsert_article(&article(
        2,
        "Notes",
        "to change password open settings, the account page is there",
    ))
    .unwrap();
    idx.commit().unwrap();
    assert_eq!(top(&idx, "change password")[0], 2);
}

#[test]
fn suggest_handles_sentences_and_unfinished_words() {
    let idx = kb();
    let f = ArticleFilter::public(None);
    let s = idx
        .suggest_articles("my screen went all blue and restarted", &f, 3)
        .unwrap();
    assert_eq!(s.hits[0].id, 1);
    let s = idx
        .suggest_articles("the printer is not pri", &f, 3)
        .unwrap();
    assert_eq!(s.hits[0].id, 5);
    let s = idx.suggest_articles("desktop backgr", &f, 3).unwrap();
    assert_eq!(s.hits[0].id, 6, "prefix of the last word");
    assert!(
        idx.suggest_articles("the and my", &f, 3)
            .unwrap()
            .hits
            .is_empty()
    );
}

#[test]
fn snippets_escape_html_and_only_add_mark() {
    let idx = SearchIndex::in_ram();
    let mut a = article(1, "<b>Router</b> & modem", "");
    a.body = "Never paste <script>alert('x')</script> into the router page. Use `<iframe>` & \"quotes\" carefully with the router.".into();
    idx.upsert_article(&a).unwrap();
    idx.commit().unwrap();
    let hit = &idx
        .search_articles("router", &ArticleFilter::public(None), 1)
        .unwrap()
        .hits[0];
    let html = &hit.snippet_html;
    assert!(html.contains("<mark>router</mark>"), "{html}");
    let without_marks = html.replace("<mark>", "").replace("</mark>", "");
    assert!(!without_marks.contains('<'), "raw markup leaked: {html}");
    assert!(html.contains("&lt;iframe&gt;"), "{html}");
    assert!(html.contains("&amp;"), "{html}");
    // titles are returned as plain text for the caller to escape
    assert_eq!(hit.title, "<b>Router</b> & modem");
}

#[test]
fn visibility_and_locale_filters() {
    let idx = SearchIndex::in_ram();
    let mut draft = article(1, "Printer draft", "printer");
    draft.visibility = Visibility::Draft;
    let mut internal = article(2, "Printer internal", "printer");
    internal.visibility = Visibility::Internal;
    let public = article(3, "Printer public", "printer");
    let mut german = article(4, "Drucker printer", "printer");
    german.locale = "de".into();
    for a in [&draft, &internal, &public, &german] {
        idx.upsert_article(a).unwrap();
    }
    idx.commit().unwrap();
    let customer = idx
        .search_articles("printer", &ArticleFilter::public(Some("en")), 10)
        .unwrap();
    assert_eq!(customer.total, 1);
    assert_eq!(customer.hits[0].id, 3);
    let staff = idx
        .search_articles("printer", &ArticleFilter::staff(None), 10)
        .unwrap();
    assert_eq!(staff.total, 4);
}

#[test]
fn upsert_is_idempotent_and_versioned() {
    let idx = SearchIndex::in_ram();
    let mut a = article(1, "Printer jam", "paper stuck");
    idx.upsert_article(&a).unwrap();
    idx.upsert_article(&a).unwrap(); // same version again in the same batch
    idx.commit().unwrap();
    assert_eq!(idx.upsert_article(&a).unwrap(), Applied::Stale); // replay after commit
    idx.commit().unwrap();
    assert_eq!(idx.article_count(), 1);

    a.version = 3;
    a.title = "Scanner jam".into();
    assert_eq!(idx.upsert_article(&a).unwrap(), Applied::Written);
    let mut older = a.clone();
    older.version = 2;
    older.title = "Old title".into();
    assert_eq!(
        idx.upsert_article(&older).unwrap(),
        Applied::Stale,
        "out-of-order delivery"
    );
    idx.commit().unwrap();
    assert_eq!(idx.article_count(), 1);
    assert!(top(&idx, "printer").is_empty());
    assert_eq!(top(&idx, "scanner"), [1]);
    assert_eq!(
        idx.article_versions()
            .unwrap()
            .into_iter()
            .collect::<Vec<_>>(),
        [(1, 3)]
    );
}

#[test]
fn delete_and_drift_listing() {
    let idx = kb();
    let v = idx.article_versions().unwrap();
    assert_eq!(v.len(), 7);
    assert!(v.values().all(|&x| x == 1));
    idx.delete_article(2).unwrap();
    idx.delete_article(99).unwrap(); // absent: fine
    // not visible before commit
    assert_eq!(idx.article_versions().unwrap().len(), 7);
    idx.commit().unwrap();
    let v = idx.article_versions().unwrap();
    assert_eq!(v.len(), 6);
    assert!(!v.contains_key(&2));
    assert!(top(&idx, "wireless").iter().all(|&id| id != 2));
}

#[test]
fn clear_then_rebuild_is_atomic_at_commit() {
    let idx = kb();
    idx.clear().unwrap();
    assert_eq!(
        idx.article_count(),
        7,
        "old contents stay searchable until commit"
    );
    // after clear, even an old version is written again (the rebuild source is the truth)
    assert_eq!(
        idx.upsert_article(&article(1, "Only one", "left")).unwrap(),
        Applied::Written
    );
    idx.commit().unwrap();
    assert_eq!(idx.article_count(), 1);
}

#[test]
fn reopen_from_disk_keeps_commits_only() {
    let dir = std::env::temp_dir().join(format!("heard-search-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    {
        let idx = SearchIndex::open(&dir).unwrap();
        assert!(idx.needs_rebuild());
        idx.upsert_article(&article(1, "Printer", "printer"))
            .unwrap();
        idx.commit().unwrap();
        idx.upsert_article(&article(2, "Never committed", "printer"))
            .unwrap();
        // dropped without commit: a crash before the index update
    }
    {
        let idx = SearchIndex::open(&dir).unwrap();
        assert!(!idx.needs_rebuild());
        assert_eq!(
            idx.article_versions()
                .unwrap()
                .into_iter()
                .collect::<Vec<_>>(),
            [(1, 1)]
        );
        // the feeder replays from its outbox: idempotent
        idx.upsert_article(&article(1, "Printer", "printer"))
            .unwrap();
        idx.upsert_article(&article(2, "Never committed", "printer"))
            .unwrap();
        idx.commit().unwrap();
        assert_eq!(idx.article_count(), 2);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

// ---------------------------------------------------------------- tickets

fn ticket(id: i64, requester: i64, org: Option<i64>, shared: bool, team: Option<i64>) -> TicketDoc {
    TicketDoc {
        id,
        version: 1,
        subject: format!("Printer problem {id}"),
        public_messages: vec![format!("The printer on floor {id} is jammed again.")],
        internal_notes: vec!["Customer is on the legacy toner contract.".into()],
        requester_id: requester,
        organization_id: org,
        org_shared: shared,
        team_id: team,
        assignee_id: None,
        status: "open".into(),
        references: vec![],
    }
}

fn desk() -> SearchIndex {
    let idx = SearchIndex::in_ram();
    // customer 10 and 11 in org 100 (shares tickets); 12 in org 200 (does not share); 13 alone
    idx.upsert_ticket(&ticket(1, 10, Some(100), true, Some(1)))
        .unwrap();
    idx.upsert_ticket(&ticket(2, 11, Some(100), true, Some(2)))
        .unwrap();
    idx.upsert_ticket(&ticket(3, 12, Some(200), false, Some(1)))
        .unwrap();
    idx.upsert_ticket(&ticket(4, 13, None, false, None))
        .unwrap();
    idx.upsert_ticket(&ticket(5, 12, Some(200), false, Some(2)))
        .unwrap();
    idx.commit().unwrap();
    idx
}

fn ids(idx: &SearchIndex, q: &str, scope: &TicketScope) -> (usize, Vec<i64>) {
    let r = idx.search_tickets(q, scope, 10).unwrap();
    let mut ids: Vec<i64> = r.hits.iter().map(|h| h.id).collect();
    ids.sort();
    (r.total, ids)
}

#[test]
fn customers_see_only_their_own_and_shared_org_tickets_even_in_counts() {
    let idx = desk();
    let c10 = TicketScope::Customer {
        customer_id: 10,
        organization_id: Some(100),
    };
    assert_eq!(ids(&idx, "printer jammed", &c10), (2, vec![1, 2]));
    let c12 = TicketScope::Customer {
        customer_id: 12,
        organization_id: Some(200),
    };
    assert_eq!(
        ids(&idx, "printer", &c12),
        (2, vec![3, 5]),
        "org 200 does not share, but these are 12's own"
    );
    // a colleague in a non-sharing org sees nothing of 12's
    let other_in_200 = TicketScope::Customer {
        customer_id: 14,
        organization_id: Some(200),
    };
    assert_eq!(ids(&idx, "printer", &other_in_200), (0, vec![]));
    let c13 = TicketScope::Customer {
        customer_id: 13,
        organization_id: None,
    };
    assert_eq!(ids(&idx, "printer", &c13), (1, vec![4]));
    // guessing another ticket's words does not help
    assert_eq!(ids(&idx, "floor 3", &c13).1, vec![4]);
}

#[test]
fn customers_never_match_internal_notes() {
    let idx = desk();
    let c10 = TicketScope::Customer {
        customer_id: 10,
        organization_id: Some(100),
    };
    assert_eq!(ids(&idx, "legacy toner contract", &c10), (0, vec![]));
    let r = idx.search_tickets("printer", &c10, 10).unwrap();
    for h in &r.hits {
        assert!(!h.snippet_is_internal);
        assert!(!h.snippet_html.contains("toner"));
    }
    let everyone = idx
        .search_tickets("toner contract", &TicketScope::Everything, 10)
        .unwrap();
    assert_eq!(everyone.total, 5);
    assert!(everyone.hits[0].snippet_is_internal);
    assert!(everyone.hits[0].snippet_html.contains("<mark>toner</mark>"));
}

#[test]
fn agents_see_their_teams() {
    let idx = desk();
    let team1 = TicketScope::Agent {
        assignee_id: None,
        team_ids: vec![1],
        include_unassigned: false,
    };
    assert_eq!(ids(&idx, "printer", &team1), (2, vec![1, 3]));
    let team1_plus = TicketScope::Agent {
        assignee_id: None,
        team_ids: vec![1],
        include_unassigned: true,
    };
    assert_eq!(ids(&idx, "printer", &team1_plus), (3, vec![1, 3, 4]));
    let none = TicketScope::Agent {
        assignee_id: None,
        team_ids: vec![],
        include_unassigned: false,
    };
    assert_eq!(ids(&idx, "printer", &none), (0, vec![]));
    assert_eq!(ids(&idx, "printer", &TicketScope::Everything).0, 5);
}

#[test]
fn ticket_changes_of_scope_apply_on_upsert() {
    let idx = desk();
    let c14 = TicketScope::Customer {
        customer_id: 14,
        organization_id: Some(200),
    };
    let mut t3 = ticket(3, 12, Some(200), true, Some(1));
    t3.version = 2; // the organization started sharing
    idx.upsert_ticket(&t3).unwrap();
    idx.commit().unwrap();
    assert_eq!(ids(&idx, "printer", &c14), (1, vec![3]));
    idx.delete_ticket(3).unwrap();
    idx.commit().unwrap();
    assert_eq!(ids(&idx, "printer", &c14), (0, vec![]));
    assert_eq!(idx.ticket_versions().unwrap().len(), 4);
}

#[test]
fn scopes_hold_on_larger_indexes_with_deletes() {
    // enough tickets for team scopes to be dense bitsets and a customer's to be sparse
    let idx = SearchIndex::in_ram();
    for id in 1..=3000 {
        idx.upsert_ticket(&ticket(id, id % 1500, None, false, Some(id % 3)))
            .unwrap();
    }
    idx.commit().unwrap();
    for id in (3..=3000).step_by(10) {
        idx.delete_ticket(id).unwrap();
    }
    idx.commit().unwrap();
    let team1 = TicketScope::Agent {
        assignee_id: None,
        team_ids: vec![1],
        include_unassigned: false,
    };
    let expected = (1..=3000).filter(|id| id % 3 == 1 && id % 10 != 3).count();
    for _ in 0..2 {
        // the second search reads the cached bitset
        let r = idx
            .search_tickets("printer jammed floor", &team1, 50)
            .unwrap();
        assert_eq!(r.total, expected);
        assert_eq!(r.hits.len(), 50);
        assert!(r.hits.iter().all(|h| h.id % 3 == 1 && h.id % 10 != 3));
    }
    let c7 = TicketScope::Customer {
        customer_id: 7,
        organization_id: None,
    };
    // customer 7 asked tickets 7 and 1507
    assert_eq!(ids(&idx, "printer", &c7), (2, vec![7, 1507]));
}

#[test]
fn a_ticket_is_found_by_the_number_it_had_in_another_help_desk() {
    let idx = SearchIndex::in_ram();
    let mut imported = ticket(1, 10, None, false, Some(1));
    imported.references = vec!["DH-42".into()];
    idx.upsert_ticket(&imported).unwrap();
    idx.upsert_ticket(&ticket(2, 10, None, false, Some(1)))
        .unwrap();
    idx.commit().unwrap();
    for q in ["DH-42", "dh-42", "42"] {
        let r = idx.search_tickets(q, &TicketScope::Everything, 10).unwrap();
        assert_eq!(r.hits.first().map(|h| h.id), Some(1), "{q}");
    }
    let customer = TicketScope::Customer {
        customer_id: 10,
        organization_id: None,
    };
    let r = idx.search_tickets("DH-42", &customer, 10).unwrap();
    assert_eq!(r.hits.first().map(|h| h.id), Some(1));
}
