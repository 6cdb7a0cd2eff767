//! The meters the store knows: added, their contract's facts, their consent's end or loss.

use chrono::{DateTime, NaiveDate, Utc};
use linky_core::UsagePoint;
use rusqlite::params;

use crate::{day_text, from_ts, parse_day, ts, ContractPart, ContractRead, Store, StoreError};

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
    /// When the contract was last read (any part).
    pub contract_read_at: Option<DateTime<Utc>>,
    /// When the off-peak hours, the activation date and the subscribed power were last read.
    pub parts_read_at: PartsReadAt,
    /// When the consent ends.
    pub consent_ends_at: Option<DateTime<Utc>>,
    /// When Enedis said the consent was gone, and its words.
    pub consent_lost: Option<(DateTime<Utc>, String)>,
}

/// When each part of a contract was last read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PartsReadAt {
    /// The off-peak hours.
    pub offpeak: Option<DateTime<Utc>>,
    /// The activation date.
    pub activation: Option<DateTime<Utc>>,
    /// The subscribed power.
    pub power: Option<DateTime<Utc>>,
}

impl MeterRecord {
    /// When a part of the contract was last read.
    pub fn part_read_at(&self, part: ContractPart) -> Option<DateTime<Utc>> {
        match part {
            ContractPart::OffPeak => self.parts_read_at.offpeak,
            ContractPart::Activation => self.parts_read_at.activation,
            ContractPart::Power => self.parts_read_at.power,
        }
    }
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
            "SELECT pdl, activation_date, subscribed_kva, contract_offpeak, contract_read_at, consent_ends_at, consent_lost_at, consent_lost_reason, offpeak_read_at, activation_read_at, power_read_at FROM meters ORDER BY added_at, pdl",
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
                PartsReadAt {
                    offpeak: r.get::<_, Option<i64>>(8)?.map(from_ts),
                    activation: r.get::<_, Option<i64>>(9)?.map(from_ts),
                    power: r.get::<_, Option<i64>>(10)?.map(from_ts),
                },
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (pdl, activation, kva, offpeak, read, consent, lost_at, lost_reason, parts) = row?;
            out.push(MeterRecord {
                pdl: pdl
                    .parse()
                    .map_err(|_| StoreError::Corrupt(format!("meter {pdl:?}")))?,
                activation_date: activation.as_deref().map(parse_day).transpose()?,
                subscribed_kva: kva,
                contract_offpeak: offpeak,
                contract_read_at: read.map(from_ts),
                parts_read_at: parts,
                consent_ends_at: consent.map(from_ts),
                consent_lost: lost_at.map(|t| (from_ts(t), lost_reason.unwrap_or_default())),
            });
        }
        Ok(out)
    }

    /// Records what a contract read brought: its facts (a fact not found keeps what was known)
    /// and when each part it covered was read.
    pub fn set_contract(
        &self,
        pdl: &UsagePoint,
        read: &ContractRead,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let facts = &read.facts;
        let when = |part| read.parts.contains(&part).then_some(ts(now));
        self.conn.execute(
            "UPDATE meters SET activation_date = COALESCE(?, activation_date), subscribed_kva = COALESCE(?, subscribed_kva), contract_offpeak = COALESCE(?, contract_offpeak), contract_read_at = ?,
               offpeak_read_at = COALESCE(?, offpeak_read_at), activation_read_at = COALESCE(?, activation_read_at), power_read_at = COALESCE(?, power_read_at) WHERE pdl = ?",
            params![
                facts.activation_date.map(day_text),
                facts.subscribed_kva,
                facts.offpeak,
                ts(now),
                when(ContractPart::OffPeak),
                when(ContractPart::Activation),
                when(ContractPart::Power),
                pdl.as_str()
            ],
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
