//! The access scope of a ticket search as a per-segment bitset.
//!
//! An agent's scope is a union of team terms that each cover a large share of the tickets.
//! Read as posting lists on every search, that union costs as much as the search itself,
//! and intersecting it with the scoring disjunction does not help: the disjunction still
//! scores every document of every clause, in scope or not. So the scope is turned into a
//! bitset once per segment (segments are immutable; deletes are applied by the collectors
//! through the alive bitset), cached, and used twice:
//! - [`ScopeQuery`], the required clause that guarantees no hit or count leaves the scope;
//! - [`InScope`], a wrapper around each scoring clause, so the disjunction only ever sees
//!   and scores documents in scope.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use tantivy::index::SegmentId;
use tantivy::query::{EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocId, DocSet, Score, SeekDangerResult, SegmentReader, TERMINATED, Term};

/// Cached bitsets are dropped all at once past this size (125 kB per million tickets and
/// scope); sparse scopes are not cached at all.
const CACHE_BYTES: usize = 64 << 20;

/// Below one document in this many, a scope is sparse: the required clause alone drives
/// the search from its few documents, and wrapping the clauses would only add bitset scans.
const DENSE_ONE_IN: u64 = 1024;

/// The documents of one segment in a scope.
pub(crate) struct DocBits {
    words: Vec<u64>,
    len: u32,
    dense: bool,
}

impl DocBits {
    fn build(reader: &SegmentReader, terms: &[Term]) -> tantivy::Result<DocBits> {
        let max_doc = reader.max_doc();
        let mut words = vec![0u64; max_doc.div_ceil(64) as usize];
        let mut len = 0;
        for term in terms {
            let inv = reader.inverted_index(term.field())?;
            let Some(mut postings) = inv.read_postings(term, IndexRecordOption::Basic)? else {
                continue;
            };
            let mut doc = postings.doc();
            while doc != TERMINATED {
                let (w, bit) = ((doc / 64) as usize, 1u64 << (doc % 64));
                len += u32::from(words[w] & bit == 0);
                words[w] |= bit;
                doc = postings.advance();
            }
        }
        let dense = u64::from(len) * DENSE_ONE_IN >= u64::from(max_doc);
        Ok(DocBits { words, len, dense })
    }

    fn contains(&self, doc: DocId) -> bool {
        self.words
            .get((doc / 64) as usize)
            .is_some_and(|w| w & (1u64 << (doc % 64)) != 0)
    }

    /// The first document in the set at or after `doc`, or [`TERMINATED`].
    fn next_from(&self, doc: DocId) -> DocId {
        let mut w = (doc / 64) as usize;
        let Some(&first) = self.words.get(w) else {
            return TERMINATED;
        };
        let mut bits = first & (u64::MAX << (doc % 64));
        loop {
            if bits != 0 {
                return w as u32 * 64 + bits.trailing_zeros();
            }
            w += 1;
            match self.words.get(w) {
                Some(&b) => bits = b,
                None => return TERMINATED,
            }
        }
    }

    fn bytes(&self) -> usize {
        self.words.len() * 8
    }
}

type Key = (SegmentId, Arc<[Term]>);

/// Scope bitsets by segment and scope terms, shared by all searches of an index.
#[derive(Default)]
pub(crate) struct ScopeCache {
    map: Mutex<(HashMap<Key, Arc<DocBits>>, usize)>,
}

/// One search's access scope: the documents having any of `terms`.
#[derive(Clone)]
pub(crate) struct Scope {
    terms: Arc<[Term]>,
    cache: Arc<ScopeCache>,
}

impl fmt::Debug for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scope").field("terms", &self.terms).finish()
    }
}

impl Scope {
    pub fn new(mut terms: Vec<Term>, cache: Arc<ScopeCache>) -> Scope {
        terms.sort();
        terms.dedup();
        Scope {
            terms: terms.into(),
            cache,
        }
    }

    fn bits(&self, reader: &SegmentReader) -> tantivy::Result<Arc<DocBits>> {
        let key = (reader.segment_id(), self.terms.clone());
        // a poisoned lock only means another search panicked: the map is still sound
        let lock = || self.cache.map.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(bits) = lock().0.get(&key) {
            return Ok(bits.clone());
        }
        let bits = Arc::new(DocBits::build(reader, &self.terms)?);
        if bits.dense {
            let mut guard = lock();
            let (map, bytes) = &mut *guard;
            // segments merged away and scopes not used any more are only dropped here,
            // by starting over: simple, and rare once the cache holds the active scopes
            if *bytes + bits.bytes() > CACHE_BYTES {
                map.clear();
                *bytes = 0;
            }
            if map.insert(key, bits.clone()).is_none() {
                *bytes += bits.bytes();
            }
        }
        Ok(bits)
    }
}

/// Matches exactly the documents in the scope, with score 0.
#[derive(Clone, Debug)]
pub(crate) struct ScopeQuery(pub Scope);

impl Query for ScopeQuery {
    fn weight(&self, _: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(self.clone()))
    }
}

impl Weight for ScopeQuery {
    fn scorer(&self, reader: &SegmentReader, _boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let bits = self.0.bits(reader)?;
        let doc = bits.next_from(0);
        Ok(Box::new(ScopeDocs { bits, doc }))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        if self.0.bits(reader)?.contains(doc) {
            Ok(Explanation::new("in scope", 0.0))
        } else {
            Err(tantivy::TantivyError::InvalidArgument(format!(
                "document #{doc} is not in scope"
            )))
        }
    }
}

struct ScopeDocs {
    bits: Arc<DocBits>,
    doc: DocId,
}

impl DocSet for ScopeDocs {
    fn advance(&mut self) -> DocId {
        self.seek(self.doc.saturating_add(1))
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc < target {
            self.doc = self.bits.next_from(target);
        }
        self.doc
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        self.bits.len
    }

    fn cost(&self) -> u64 {
        if self.bits.dense {
            // The scoring clauses are restricted to the scope already (`InScope`): let
            // them drive the intersection, this bitset only confirms their documents.
            u64::MAX / 2
        } else {
            u64::from(self.bits.len)
        }
    }
}

impl Scorer for ScopeDocs {
    fn score(&mut self) -> Score {
        0.0
    }
}

/// `inner` restricted to the scope, scored as `inner`: put around every clause of a
/// disjunction so it neither visits nor scores documents out of scope. Only an
/// optimization: the required [`ScopeQuery`] is what enforces the scope.
#[derive(Debug)]
pub(crate) struct InScope {
    pub inner: Box<dyn Query>,
    pub scope: Scope,
}

impl Clone for InScope {
    fn clone(&self) -> Self {
        InScope {
            inner: self.inner.box_clone(),
            scope: self.scope.clone(),
        }
    }
}

impl Query for InScope {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(InScopeWeight {
            inner: self.inner.weight(scoring)?,
            scope: self.scope.clone(),
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.inner.query_terms(visitor);
    }
}

struct InScopeWeight {
    inner: Box<dyn Weight>,
    scope: Scope,
}

impl Weight for InScopeWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let inner = self.inner.scorer(reader, boost)?;
        let bits = self.scope.bits(reader)?;
        if !bits.dense || inner.doc() == TERMINATED {
            return Ok(inner);
        }
        // A clause cheap to advance (terms) is walked, testing the bitset: measured faster
        // than seeking it scope document by scope document. A phrase is only checked at
        // scope documents, so it reads no positions of documents out of scope.
        let walk = inner.cost() <= u64::from(inner.size_hint());
        let mut s = InScopeScorer {
            inner,
            bits,
            doc: 0,
            walk,
        };
        let first = s.inner.doc();
        if s.bits.contains(first) {
            s.doc = first;
        } else {
            s.go(first + 1);
        }
        Ok(Box::new(s))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        self.inner.explain(reader, doc)
    }
}

struct InScopeScorer {
    inner: Box<dyn Scorer>,
    bits: Arc<DocBits>,
    doc: DocId,
    walk: bool,
}

impl InScopeScorer {
    /// Moves to the first document at or after `from` in both the scope and `inner`.
    /// `seek_danger` checks a candidate without looking past it.
    fn go(&mut self, from: DocId) -> DocId {
        if self.walk {
            let doc = self.inner.seek(from);
            return self.walk_from(doc);
        }
        let mut target = self.bits.next_from(from);
        while target != TERMINATED {
            match self.inner.seek_danger(target) {
                SeekDangerResult::Found => break,
                SeekDangerResult::SeekLowerBound(next) => {
                    target = self.bits.next_from(next);
                }
            }
        }
        self.doc = target;
        target
    }

    /// From `inner` positioned on `doc`, advances it to its first document in scope.
    fn walk_from(&mut self, mut doc: DocId) -> DocId {
        while doc != TERMINATED && !self.bits.contains(doc) {
            doc = self.inner.advance();
        }
        self.doc = doc;
        doc
    }
}

impl DocSet for InScopeScorer {
    fn advance(&mut self) -> DocId {
        if self.doc == TERMINATED {
            return TERMINATED;
        }
        if self.walk {
            let doc = self.inner.advance();
            return self.walk_from(doc);
        }
        self.go(self.doc + 1)
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if target <= self.doc {
            return self.doc;
        }
        self.go(target)
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        self.inner.size_hint().min(self.bits.len)
    }

    fn cost(&self) -> u64 {
        self.inner.cost()
    }
}

impl Scorer for InScopeScorer {
    fn score(&mut self) -> Score {
        self.inner.score()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bits(docs: &[DocId], max_doc: u32) -> DocBits {
        let mut words = vec![0u64; max_doc.div_ceil(64) as usize];
        for &d in docs {
            words[(d / 64) as usize] |= 1 << (d % 64);
        }
        DocBits {
            words,
            len: docs.len() as u32,
            dense: true,
        }
    }

    #[test]
    fn next_from_finds_the_following_member() {
        let b = bits(&[0, 5, 63, 64, 200], 201);
        let walk: Vec<DocId> = [0, 1, 6, 63, 64, 65, 199, 200, 201, 5000]
            .iter()
            .map(|&d| b.next_from(d))
            .collect();
        assert_eq!(
            walk,
            [0, 5, 63, 63, 64, 200, 200, 200, TERMINATED, TERMINATED]
        );
        assert!(b.contains(64) && !b.contains(65) && !b.contains(TERMINATED));
        assert_eq!(bits(&[], 0).next_from(0), TERMINATED);
    }
}
