//! The meters the store knows: added, their contract's facts, their consent's end or loss.

use chrono::{DateTime, NaiveDate, Utc};
use linky_core::UsagePoint;
use rusqlite::params;

use crate::{day_text, from_ts, parse_day, ts, ContractFacts, Store, StoreError};

/// A meter and what is known of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeterRecord {
    /// The PDL.
    pub pdl: UsagePoint,
    /// Last activation (nothing exists before it).
    pub activation_date: Option<NaiveDate>,
    /// Subscribed power, kVA.
    pub subscribed_kva: Option<u32>,
    /// The contract's off-peak hours, Enedis form (`HC (22H00-6H00)`).
    pub contract_offpeak: Option<String>,
    /// When the contract was last read.
    pub contract_read_at: Option<DateTime<Utc>>,
    /// When the consent ends.
    pub consent_ends_at: Option<DateTime<Utc>>,
    /// When Enedis said the consent was gone, and its words.
    pub consent_lost: Option<(DateTime<Utc>, String)>,
}

impl Store {
    /// Adds a meter (no effect if known).
    pub fn add_meter(&self, pdl: &UsagePoint, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT OR IGNORE INTO meters (pdl, added_at) VALUES (?, ?)",
            params![pdl.as_str(), ts(now)],
        )?;
        Ok(())
    }

    /// Every meter, in the order they were added.
    pub fn meters(&self) -> Result<Vec<MeterRecord>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT pdl, activation_date, subscribed_kva, contract_offpeak, contract_read_at, consent_ends_at, consent_lost_at, consent_lost_reason FROM meters ORDER BY added_at, pdl",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, Option<u32>>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, Option<i64>>(4)?,
                r.get::<_, Option<i64>>(5)?,
                r.get::<_, Option<i64>>(6)?,
                r.get::<_, Option<String>>(7)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (pdl, activation, kva, offpeak, read, consent, lost_at, lost_reason) = row?;
            out.push(MeterRecord {
                pdl: pdl
                    .parse()
                    .map_err(|_| StoreError::Corrupt(format!("meter {pdl:?}")))?,
                activation_date: activation.as_deref().map(parse_day).transpose()?,
                subscribed_kva: kva,
                contract_offpeak: offpeak,
                contract_read_at: read.map(from_ts),
                consent_ends_at: consent.map(from_ts),
                consent_lost: lost_at.map(|t| (from_ts(t), lost_reason.unwrap_or_default())),
            });
        }
        Ok(out)
    }

    /// Records contract facts.
    pub fn set_contract(
        &self,
        pdl: &UsagePoint,
        facts: &ContractFacts,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE meters SET activation_date = COALESCE(?, activation_date), subscribed_kva = COALESCE(?, subscribed_kva), contract_offpeak = COALESCE(?, contract_offpeak), contract_read_at = ? WHERE pdl = ?",
            params![facts.activation_date.map(day_text), facts.subscribed_kva, facts.offpeak, ts(now), pdl.as_str()],
        )?;
        Ok(())
    }

    /// Records when the consent ends (and that it is in force again).
    pub fn set_consent(
        &self,
        pdl: &UsagePoint,
        ends_at: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE meters SET consent_ends_at = COALESCE(?, consent_ends_at), consent_lost_at = NULL, consent_lost_reason = NULL WHERE pdl = ?",
            params![ends_at.map(ts), pdl.as_str()],
        )?;
        Ok(())
    }

    /// Records that Enedis says the consent is gone.
    pub fn mark_consent_lost(
        &self,
        pdl: &UsagePoint,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE meters SET consent_lost_at = ?, consent_lost_reason = ? WHERE pdl = ?",
            params![ts(now), reason, pdl.as_str()],
        )?;
        Ok(())
    }
}
