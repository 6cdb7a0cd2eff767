//! `/metrics` in the Prometheus text exposition format (version 0.0.4): one `# HELP` and
//! `# TYPE` per family, label values escaped, counters named `_total`.

use std::collections::BTreeMap;
use std::fmt::Write;

use chrono::{DateTime, Utc};
use linky_store::RunTotals;

use linky_core::aggregate::TariffSplit;
use linky_store::RunOutcome;

/// Everything `/metrics` reports.
#[derive(Debug, Clone, Default)]
pub struct MetricsInput {
    /// The last finished sync: when and its outcome.
    pub last_sync: Option<(DateTime<Utc>, RunOutcome)>,
    /// Every run so far.
    pub runs: RunTotals,
    /// Stored energy per meter: consumption and production.
    pub energy: BTreeMap<String, (TariffSplit, TariffSplit)>,
    /// Days of consent left per meter (negative once ended).
    pub consent_days_left: BTreeMap<String, i64>,
    /// Rows pushed to Domoticz per device key.
    pub domoticz_rows: BTreeMap<String, u64>,
    /// Per consumption meter: the cost of its whole priced history, euros.
    pub cost_total: BTreeMap<String, f64>,
    /// Per consumption meter: the cost of each dashboard period (`day`, `cweek`...), euros.
    pub period_costs: BTreeMap<String, Vec<(&'static str, f64)>>,
}

fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn sample(out: &mut String, name: &str, labels: &[(&str, &str)], value: f64) {
    let labels: Vec<String> = labels
        .iter()
        .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
        .collect();
    if labels.is_empty() {
        let _ = writeln!(out, "{name} {value}");
    } else {
        let _ = writeln!(out, "{name}{{{}}} {value}", labels.join(","));
    }
}

/// Renders the metrics.
pub fn render(input: &MetricsInput) -> String {
    let mut out = String::new();
    family(
        &mut out,
        "linky_last_sync_timestamp_seconds",
        "gauge",
        "When the last sync finished (Unix time).",
    );
    sample(
        &mut out,
        "linky_last_sync_timestamp_seconds",
        &[],
        input
            .last_sync
            .as_ref()
            .map_or(0.0, |(t, _)| t.timestamp() as f64),
    );
    family(
        &mut out,
        "linky_last_sync_success",
        "gauge",
        "1 if the last sync ended well, 0 otherwise or if none ran.",
    );
    let ok = input
        .last_sync
        .as_ref()
        .is_some_and(|(_, o)| *o == RunOutcome::Ok);
    sample(
        &mut out,
        "linky_last_sync_success",
        &[],
        if ok { 1.0 } else { 0.0 },
    );
    family(
        &mut out,
        "linky_last_sync_status",
        "gauge",
        "1 for the outcome of the last sync, 0 for the others.",
    );
    // Every outcome gets a sample, so alerts can test for 0.
    for outcome in RunOutcome::ALL {
        let this = input.last_sync.as_ref().is_some_and(|(_, o)| *o == outcome);
        sample(
            &mut out,
            "linky_last_sync_status",
            &[("outcome", outcome.as_str())],
            if this { 1.0 } else { 0.0 },
        );
    }
    family(
        &mut out,
        "linky_sync_runs_total",
        "counter",
        "Sync runs by outcome.",
    );
    for (outcome, n) in &input.runs.outcomes {
        sample(
            &mut out,
            "linky_sync_runs_total",
            &[("outcome", outcome.as_str())],
            *n as f64,
        );
    }
    family(
        &mut out,
        "linky_enedis_calls_total",
        "counter",
        "Calls to Enedis (through the proxy or direct).",
    );
    sample(
        &mut out,
        "linky_enedis_calls_total",
        &[],
        input.runs.calls as f64,
    );
    family(
        &mut out,
        "linky_enedis_errors_total",
        "counter",
        "Failed Enedis calls by kind (quota, unavailable, no_data, transport...).",
    );
    for (kind, n) in &input.runs.errors {
        sample(
            &mut out,
            "linky_enedis_errors_total",
            &[("kind", kind)],
            *n as f64,
        );
    }
    family(
        &mut out,
        "linky_energy_watt_hours_total",
        "counter",
        "Stored energy per meter, direction and tariff (unsplit: days known only by their daily total).",
    );
    for (pdl, (consumption, production)) in &input.energy {
        for (direction, t) in [("consumption", consumption), ("production", production)] {
            for (tariff, e) in [
                ("peak", t.peak),
                ("offpeak", t.offpeak),
                ("unsplit", t.unsplit),
            ] {
                sample(
                    &mut out,
                    "linky_energy_watt_hours_total",
                    &[("pdl", pdl), ("direction", direction), ("tariff", tariff)],
                    (e.wh() * 1000.0).round() / 1000.0,
                );
            }
        }
    }
    family(
        &mut out,
        "linky_cost_euros_total",
        "counter",
        "What the stored consumption cost, energy and subscription, at the prices in force each day.",
    );
    for (pdl, euros) in &input.cost_total {
        sample(&mut out, "linky_cost_euros_total", &[("pdl", pdl)], *euros);
    }
    family(
        &mut out,
        "linky_period_cost_euros",
        "gauge",
        "What each dashboard period cost (day: yesterday; cweek, lweek, cmonth, lmonth, year).",
    );
    for (pdl, periods) in &input.period_costs {
        for (period, euros) in periods {
            sample(
                &mut out,
                "linky_period_cost_euros",
                &[("pdl", pdl), ("period", period)],
                *euros,
            );
        }
    }
    family(
        &mut out,
        "linky_consent_days_left",
        "gauge",
        "Days until the meter's consent ends (renew it with `linky login`).",
    );
    for (pdl, days) in &input.consent_days_left {
        sample(
            &mut out,
            "linky_consent_days_left",
            &[("pdl", pdl)],
            *days as f64,
        );
    }
    family(
        &mut out,
        "linky_domoticz_rows",
        "gauge",
        "Rows linky has pushed to each Domoticz device and remembers.",
    );
    for (device, n) in &input.domoticz_rows {
        sample(
            &mut out,
            "linky_domoticz_rows",
            &[("device", device)],
            *n as f64,
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped_and_each_family_is_typed() {
        let mut input = MetricsInput::default();
        input.domoticz_rows.insert("a \"b\"\\".into(), 3);
        let text = render(&input);
        assert!(
            text.contains("linky_domoticz_rows{device=\"a \\\"b\\\"\\\\\"} 3"),
            "{text}"
        );
        assert!(text.contains("linky_last_sync_success 0"));
        let helps = text.lines().filter(|l| l.starts_with("# HELP")).count();
        let types = text.lines().filter(|l| l.starts_with("# TYPE")).count();
        assert_eq!(helps, types);
    }
}
