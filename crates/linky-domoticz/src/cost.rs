//! The optional cost device (`domoticz.cost_device`): a Managed Counter per consumption meter,
//! typed as a counter of euros, with one long-log row per day holding that day's cost in cents,
//! and yesterday's cost as its card value. Domoticz's own cost settings (one price per tariff
//! for the whole history) cannot hold dated prices or Tempo; this device can.
//!
//! Like the P1 device, it is found by the idx linky remembered, checked before each write (a
//! deleted device's idx goes to the next one), else by its name or description, else created;
//! only new or changed days are sent, and what the month graph does not show is sent again.

use std::collections::HashSet;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use linky_core::paris;
use linky_core::tariff::Money;
use linky_store::Store;

use crate::client::{Device, Domoticz};
use crate::push::{send_rows, DeviceOrigin, PushError, PushSettings};

/// `Linky <key> coût`.
pub fn cost_device_name(key: &str) -> String {
    format!("Linky {key} coût")
}

/// The description linky gives its cost device.
pub fn cost_device_description(key: &str) -> String {
    format!("Coût quotidien du compteur Linky {key} (linky) / daily cost")
}

/// The key the store remembers the cost device under.
fn remembered_key(key: &str) -> String {
    format!("cost:{key}")
}

/// A Managed Counter linky made for this meter's cost.
pub fn is_cost_device(device: &Device, key: &str) -> bool {
    device.is_managed_counter()
        && (device.name == cost_device_name(key)
            || device.description == cost_device_description(key))
}

/// What the cost push did.
#[derive(Debug, Clone)]
pub struct CostPush {
    /// The meter's PDL.
    pub key: String,
    /// The device.
    pub idx: i64,
    /// How it was found.
    pub origin: DeviceOrigin,
    /// Days sent.
    pub days_sent: usize,
    /// Days already there.
    pub unchanged: usize,
    /// Days the month graph does not show after the push.
    pub not_landed: Vec<String>,
    /// Yesterday's cost, sent as the card value, if known.
    pub card: Option<Money>,
}

/// A day's cost in whole cents, as the counter's value (divider 100).
fn cents(money: Money) -> i64 {
    let micro = money.micro();
    (micro + if micro >= 0 { 5_000 } else { -5_000 }) / 10_000
}

/// Sends each finished day's cost (`days`: Paris dates before today, with their cost).
pub async fn push_costs(
    d: &Domoticz,
    store: &mut Store,
    key: &str,
    days: &[(NaiveDate, Money)],
    settings: &PushSettings,
    now: DateTime<Utc>,
) -> Result<CostPush, PushError> {
    let today = paris::local_date(now);
    let devices = d.devices().await?;
    let remembered = remembered_key(key);
    let known = store
        .domoticz_devices()?
        .into_iter()
        .find(|(k, _, _)| *k == remembered)
        .map(|(_, idx, _)| idx);
    let by_memory = known.and_then(|idx| {
        devices
            .iter()
            .find(|x| x.idx == idx && is_cost_device(x, key))
    });
    if let (Some(old), None) = (known, by_memory) {
        // Not ours any more (deleted, or its idx given to another device): never written.
        store.forget_domoticz_rows(old, None)?;
    }
    let (idx, origin) = match by_memory {
        Some(x) => (x.idx, DeviceOrigin::Known),
        None => match devices.iter().find(|x| is_cost_device(x, key)) {
            Some(x) => (x.idx, DeviceOrigin::FoundByName),
            None => {
                let hw = d.dummy_hardware(&settings.hardware_name).await?;
                let idx = d
                    .create_cost_counter(hw, &cost_device_name(key), &cost_device_description(key))
                    .await?;
                (idx, DeviceOrigin::Created)
            }
        },
    };
    store.set_domoticz_device(&remembered, idx)?;
    if origin != DeviceOrigin::Known || settings.all {
        store.forget_domoticz_rows(idx, None)?;
    }
    let pushed = store.domoticz_rows(idx)?;
    let wanted: Vec<(String, String)> = days
        .iter()
        .filter(|(date, _)| *date < today)
        .map(|(date, money)| {
            let stamp = date.format("%Y-%m-%d").to_string();
            let svalue = format!("-1;{};{stamp}", cents(*money));
            (stamp, svalue)
        })
        .collect();
    let (sent, unchanged) = send_rows(d, store, idx, wanted, &pushed).await?;
    let days_sent = sent.len();
    // Read back the last month of days: Domoticz answers OK even when it drops a row.
    let recent = (today - Duration::days(28)).format("%Y-%m-%d").to_string();
    let recent_sent: Vec<String> = sent.into_iter().filter(|s| *s >= recent).collect();
    let mut not_landed = Vec::new();
    if !recent_sent.is_empty() {
        let shown: HashSet<String> = d.graph_stamps(idx, "month").await?.into_iter().collect();
        not_landed.extend(recent_sent.into_iter().filter(|s| !shown.contains(s)));
    }
    if !not_landed.is_empty() {
        store.forget_domoticz_rows(idx, Some(&not_landed))?;
        tracing::warn!(count = not_landed.len(), first = %not_landed[0], "cost rows Domoticz accepted but does not show");
    }
    // The card: yesterday's cost (a dated row never refreshes it).
    let yesterday = today - Duration::days(1);
    let card = match days.iter().find(|(date, _)| *date == yesterday) {
        Some((_, money)) => {
            d.update(idx, &format!("-1;{}", cents(*money))).await?;
            Some(*money)
        }
        None => None,
    };
    Ok(CostPush {
        key: key.to_owned(),
        idx,
        origin,
        days_sent,
        unchanged,
        not_landed,
        card,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cents_round_half_away_from_zero() {
        assert_eq!(cents(Money::from_micro(4_567_200)), 457);
        assert_eq!(cents(Money::from_micro(4_565_000)), 457);
        assert_eq!(cents(Money::from_micro(4_564_999)), 456);
        assert_eq!(cents(Money::ZERO), 0);
    }
}
