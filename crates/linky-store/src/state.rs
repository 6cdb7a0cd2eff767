//! The small facts kept between runs (the `state` table), each behind a typed accessor: the
//! daemon's next sync, the last sync's depths, the consent warnings given, the Domoticz server
//! and the last push. The keys and text forms are those older stores hold.

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::OptionalExtension;
use serde::{Deserialize, Serialize};

use crate::{Store, StoreError};

const NEXT_SYNC: &str = "daemon.next_sync";
const CONSENT_WARNINGS: &str = "daemon.consent_warnings";
const SYNC_DEPTH: &str = "sync.depth";
const DOMOTICZ_SERVER: &str = "domoticz.server";
const SHORT_LOG_WARNED: &str = "domoticz.short_log_warned";
const LAST_PUSH: &str = "domoticz.last_push";

/// How deep the last sync was asked to hold each kind, in days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncDepth {
    /// Load curve.
    pub curve_days: u32,
    /// Daily totals.
    pub daily_days: u32,
    /// Daily peaks.
    pub max_power_days: u32,
}

/// One device of a Domoticz push.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushedDevice {
    /// The PDL, or `<consumption> / <production>`.
    pub key: String,
    /// Its idx in Domoticz.
    pub idx: i64,
    /// Day rows sent.
    pub days_sent: usize,
    /// Hour rows sent.
    pub hours_sent: usize,
    /// Rows already there.
    pub unchanged: usize,
    /// Rows Domoticz accepted but did not keep.
    pub not_landed: usize,
}

/// A message in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BothLanguages {
    /// French.
    pub fr: String,
    /// English.
    pub en: String,
}

/// The outcome of the last Domoticz push, for the dashboard's status card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushRecord {
    /// When, RFC 3339.
    pub at: String,
    /// Whether every row landed.
    pub ok: bool,
    /// Each device, when the push ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub devices: Option<Vec<PushedDevice>>,
    /// Why it failed, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<BothLanguages>,
}

impl Store {
    /// A small fact kept between runs.
    pub(crate) fn state(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT value FROM state WHERE key = ?", [key], |r| r.get(0))
            .optional()?)
    }

    /// Keeps a small fact.
    pub(crate) fn set_state(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT OR REPLACE INTO state (key, value) VALUES (?, ?)",
            [key, value],
        )?;
        Ok(())
    }

    /// The daemon's next planned sync, if it wrote one.
    pub fn next_sync(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        Ok(self
            .state(NEXT_SYNC)?
            .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
            .map(|t| t.to_utc()))
    }

    /// Records the daemon's next planned sync.
    pub fn set_next_sync(&self, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.set_state(NEXT_SYNC, &at.to_rfc3339_opts(SecondsFormat::Secs, true))
    }

    /// The depths the last sync was asked for, if one ran.
    pub fn sync_depth(&self) -> Result<Option<SyncDepth>, StoreError> {
        let Some(text) = self.state(SYNC_DEPTH)? else {
            return Ok(None);
        };
        let mut parts = text.split_whitespace().map(|p| p.parse::<u32>().ok());
        Ok((|| {
            Some(SyncDepth {
                curve_days: parts.next()??,
                daily_days: parts.next()??,
                max_power_days: parts.next()??,
            })
        })())
    }

    /// Records the depths a sync was asked for (`linky status` counts missing days by them).
    pub fn set_sync_depth(&self, depth: SyncDepth) -> Result<(), StoreError> {
        self.set_state(
            SYNC_DEPTH,
            &format!(
                "{} {} {}",
                depth.curve_days, depth.daily_days, depth.max_power_days
            ),
        )
    }

    /// The consent-end warnings already given (`<pdl>:<days>`).
    pub fn consent_warnings(&self) -> Result<Vec<String>, StoreError> {
        Ok(self
            .state(CONSENT_WARNINGS)?
            .map(|s| {
                s.split(',')
                    .filter(|w| !w.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Records the consent-end warnings given.
    pub fn set_consent_warnings(&self, warnings: &[String]) -> Result<(), StoreError> {
        self.set_state(CONSENT_WARNINGS, &warnings.join(","))
    }

    /// The Domoticz server the device mapping and row ledger belong to.
    pub fn domoticz_server(&self) -> Result<Option<String>, StoreError> {
        self.state(DOMOTICZ_SERVER)
    }

    /// Records the Domoticz server the mapping belongs to.
    pub fn set_domoticz_server(&self, url: &str) -> Result<(), StoreError> {
        self.set_state(DOMOTICZ_SERVER, url)
    }

    /// The short-log retention last warned about, in days.
    pub fn short_log_warned(&self) -> Result<Option<i64>, StoreError> {
        Ok(self.state(SHORT_LOG_WARNED)?.and_then(|t| t.parse().ok()))
    }

    /// Records that the short-log retention was warned about.
    pub fn set_short_log_warned(&self, days: i64) -> Result<(), StoreError> {
        self.set_state(SHORT_LOG_WARNED, &days.to_string())
    }

    /// The last Domoticz push's outcome.
    pub fn last_push(&self) -> Result<Option<PushRecord>, StoreError> {
        Ok(self
            .state(LAST_PUSH)?
            .and_then(|t| serde_json::from_str(&t).ok()))
    }

    /// Records a Domoticz push's outcome.
    pub fn set_last_push(&self, record: &PushRecord) -> Result<(), StoreError> {
        let text = serde_json::to_string(record).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.set_state(LAST_PUSH, &text)
    }
}
