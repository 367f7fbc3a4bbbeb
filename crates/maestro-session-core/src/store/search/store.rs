//! The Store's side of search: reading the active session and the archive (through the list
//! index and the search index) and ranking them. Queries, fields, ranking and the search
//! index's format are [`super::query`], which knows nothing of the store.

use super::query::{
    MAGIC, Query, SEARCH_INDEX_REL, SearchFilter, SearchReport, document, search_rows,
};
use crate::error::Result;
use crate::session::session_file::Location;
use crate::store::Store;
use crate::store::index::{self, Extra};
use crate::store::listing::SessionSummary;
use crate::store::resolve::{active_in, archive_names};
use maestro_session_fs::beneath::Root;

impl Store {
    /// Searches every session beneath the state dir `root`.
    fn search_in(root: &Root, query: Query, filter: &SearchFilter) -> Result<SearchReport> {
        let mut rows = Vec::new();
        let mut documents = Vec::new();
        let mut unreadable = Vec::new();
        if filter.location != Some(Location::Archive) {
            match active_in(root) {
                Ok(Some(s)) => {
                    rows.push(SessionSummary::of(&s));
                    documents.push(document(&s));
                }
                Ok(None) => {}
                Err(e) => unreadable.push(e),
            }
        }
        if filter.location != Some(Location::Active) {
            let extra = Extra {
                rel: SEARCH_INDEX_REL,
                magic: MAGIC,
                kind: maestro_session_fs::reader::ReadKind::SEARCH_INDEX,
                derive: &document,
            };
            let found = index::rows_with(root, &archive_names(root)?, Some(&extra));
            rows.extend(found.rows);
            documents.extend(found.extra);
            unreadable.extend(found.errors);
        }
        let (hits, total) = search_rows(&rows, &documents, &query, filter);
        Ok(SearchReport {
            query,
            hits,
            total,
            unreadable,
        })
    }

    /// Searches every session, active and archived, for `query` (see the module docs).
    ///
    /// Errors: [`crate::Error::Invalid`] for a query without a term or with too many; I/O errors of
    /// the state dir or the archive folder. Session files that do not parse are reported in
    /// [`SearchReport::unreadable`].
    pub fn search(&self, query: &str, filter: &SearchFilter) -> Result<SearchReport> {
        let query = Query::parse(query)?;
        match self.reader()? {
            Some(root) => Store::search_in(&root, query, filter),
            None => Ok(SearchReport {
                query,
                hits: Vec::new(),
                total: 0,
                unreadable: Vec::new(),
            }),
        }
    }
}
