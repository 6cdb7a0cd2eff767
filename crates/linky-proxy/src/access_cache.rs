//! The token families of recently seen access tokens, in memory for a few seconds: a data call
//! then checks its token without a trip to the database (a blocking thread and a locked
//! connection), which was most of the proxy's own cost per request.
//!
//! What may be stale, and for how long: a token's entry lives at most [`AccessCache::TTL`]
//! (by the proxy's clock). A revocation or a refresh made through this instance forgets the
//! family at once; one made through another instance sharing the database is seen within the
//! TTL. Entries are keyed by the token's hash, never by the token.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, Duration, Utc};
use linky_proxy_store::Family;

/// Recently checked access tokens.
#[derive(Debug, Default)]
pub struct AccessCache {
    entries: Mutex<HashMap<String, (Family, DateTime<Utc>)>>,
}

impl AccessCache {
    /// How long a checked token is believed without asking the database again.
    pub const TTL: Duration = Duration::seconds(10);
    /// Tokens remembered at most (a few MB); beyond, the stale ones go, then all.
    pub const MAX_ENTRIES: usize = 20_000;

    /// The family of a token checked less than [`AccessCache::TTL`] ago.
    pub fn get(&self, token_hash: &str, now: DateTime<Utc>) -> Option<Family> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries
            .get(token_hash)
            .filter(|(_, until)| *until > now)
            .map(|(family, _)| family.clone())
    }

    /// Remembers a token the database accepted.
    pub fn insert(&self, token_hash: &str, family: &Family, now: DateTime<Utc>) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= Self::MAX_ENTRIES {
            entries.retain(|_, (_, until)| *until > now);
            if entries.len() >= Self::MAX_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(token_hash.to_owned(), (family.clone(), now + Self::TTL));
    }

    /// Forgets every token of a family (refreshed or revoked through this instance).
    pub fn forget_family(&self, family_id: i64) {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|_, (family, _)| family.id != family_id);
    }

    /// Forgets everything (a revocation whose family is not known here).
    pub fn clear(&self) {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn family(id: i64) -> Family {
        Family {
            id,
            client_id: "linky".into(),
            meters: vec!["22516914714270".into()],
            consent_expires_at: None,
        }
    }

    #[test]
    fn entries_live_a_few_seconds_and_go_with_their_family() {
        let cache = AccessCache::default();
        let now = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap();
        cache.insert("h1", &family(1), now);
        cache.insert("h2", &family(2), now);
        assert_eq!(
            cache.get("h1", now + Duration::seconds(9)).map(|f| f.id),
            Some(1)
        );
        assert!(cache.get("h1", now + AccessCache::TTL).is_none(), "stale");
        cache.forget_family(1);
        assert!(cache.get("h1", now).is_none());
        assert_eq!(cache.get("h2", now).map(|f| f.id), Some(2));
        cache.clear();
        assert!(cache.get("h2", now).is_none());
        for i in 0..AccessCache::MAX_ENTRIES + 10 {
            cache.insert(&format!("k{i}"), &family(3), now);
        }
        assert!(
            cache.entries.lock().unwrap().len() <= AccessCache::MAX_ENTRIES,
            "bounded"
        );
    }
}
