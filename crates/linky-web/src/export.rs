//! `linky export`: energy rows as CSV or JSON. Column names are stable (scripts read them);
//! the French locale only changes the separator (`;`) and the decimal mark (`,`), as French
//! spreadsheets expect. Energies are kWh with three decimals (the meter's Wh resolution).

use linky_core::Energy;
use serde::Serialize;

use linky_core::aggregate::TariffSplit;

use crate::view::{EnergyRow, Step};

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma- (or semicolon-) separated values, with a header line.
    Csv,
    /// A JSON array of objects.
    Json,
}

/// Number and separator conventions of the CSV.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locale {
    /// `,` between fields, `.` in numbers.
    En,
    /// `;` between fields, `,` in numbers.
    Fr,
}

const TALLY_COLUMNS: [&str; 4] = ["kwh", "peak_kwh", "offpeak_kwh", "unsplit_kwh"];

fn kwh(e: Energy) -> f64 {
    (e.wh()).round() / 1000.0
}

fn tally_values(t: &TariffSplit) -> [f64; 4] {
    [kwh(t.total()), kwh(t.peak), kwh(t.offpeak), kwh(t.unsplit)]
}

/// The first column's name for a step.
fn key_column(step: Step) -> &'static str {
    match step {
        Step::Hour => "start",
        Step::Day => "date",
        Step::Month => "month",
        Step::Year => "year",
    }
}

/// The column names, in order.
pub fn columns(step: Step) -> Vec<String> {
    let mut out = vec![key_column(step).to_owned()];
    for direction in ["consumption", "production"] {
        out.extend(TALLY_COLUMNS.iter().map(|c| format!("{direction}_{c}")));
    }
    if step != Step::Hour {
        out.push("max_power_va".into());
    }
    out.extend(COST_COLUMNS.iter().map(|c| (*c).to_owned()));
    out
}

/// Cost columns, empty when no prices apply (a production meter).
const COST_COLUMNS: [&str; 4] = [
    "cost_eur",
    "energy_cost_eur",
    "subscription_cost_eur",
    "cost_basis",
];

fn key(row: &EnergyRow, step: Step) -> String {
    match step {
        // RFC 3339 with the offset: the two autumn 02:00 differ.
        Step::Hour => row.start.to_rfc3339(),
        _ => row.label.clone(),
    }
}

/// Renders rows as CSV.
pub fn csv(rows: &[EnergyRow], step: Step, locale: Locale) -> String {
    let separator = match locale {
        Locale::En => ",",
        Locale::Fr => ";",
    };
    let number = |v: f64| {
        let text = format!("{v:.3}");
        match locale {
            Locale::En => text,
            Locale::Fr => text.replace('.', ","),
        }
    };
    let mut out = columns(step).join(separator);
    out.push('\n');
    for row in rows {
        let mut fields = vec![key(row, step)];
        for t in [&row.consumption, &row.production] {
            fields.extend(tally_values(t).into_iter().map(number));
        }
        if step != Step::Hour {
            fields.push(row.max_power_va.map(|v| v.to_string()).unwrap_or_default());
        }
        match &row.cost {
            Some(c) => {
                let euros = |v: f64| {
                    let text = format!("{v:.4}");
                    match locale {
                        Locale::En => text,
                        Locale::Fr => text.replace('.', ","),
                    }
                };
                fields.extend([c.total_eur, c.energy_eur, c.subscription_eur].map(euros));
                fields.push(c.basis.to_owned());
            }
            None => fields.extend(std::iter::repeat_n(String::new(), COST_COLUMNS.len())),
        }
        out.push_str(&fields.join(separator));
        out.push('\n');
    }
    out
}

#[derive(Serialize)]
struct JsonRow<'a> {
    #[serde(rename = "start")]
    key: String,
    label: &'a str,
    consumption_kwh: f64,
    consumption_peak_kwh: f64,
    consumption_offpeak_kwh: f64,
    consumption_unsplit_kwh: f64,
    production_kwh: f64,
    production_peak_kwh: f64,
    production_offpeak_kwh: f64,
    production_unsplit_kwh: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_power_va: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cost_eur: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    energy_cost_eur: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    subscription_cost_eur: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cost_basis: Option<&'static str>,
}

/// Renders rows as a JSON array (numbers are numbers whatever the locale).
pub fn json(rows: &[EnergyRow], step: Step) -> String {
    let out: Vec<JsonRow> = rows
        .iter()
        .map(|row| {
            let [c, cp, co, cu] = tally_values(&row.consumption);
            let [p, pp, po, pu] = tally_values(&row.production);
            JsonRow {
                key: row.start.to_rfc3339(),
                label: &row.label,
                consumption_kwh: c,
                consumption_peak_kwh: cp,
                consumption_offpeak_kwh: co,
                consumption_unsplit_kwh: cu,
                production_kwh: p,
                production_peak_kwh: pp,
                production_offpeak_kwh: po,
                production_unsplit_kwh: pu,
                max_power_va: if step == Step::Hour {
                    None
                } else {
                    row.max_power_va
                },
                cost_eur: row.cost.map(|c| c.total_eur),
                energy_cost_eur: row.cost.map(|c| c.energy_eur),
                subscription_cost_eur: row.cost.map(|c| c.subscription_eur),
                cost_basis: row.cost.map(|c| c.basis),
            }
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&out).unwrap_or_else(|_| "[]".into());
    text.push('\n');
    text
}

/// Renders rows in a format.
pub fn render(rows: &[EnergyRow], step: Step, format: Format, locale: Locale) -> String {
    match format {
        Format::Csv => csv(rows, step, locale),
        Format::Json => json(rows, step),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn row() -> EnergyRow {
        EnergyRow {
            label: "2026-10-25T02:00+01:00".into(),
            start: chrono::FixedOffset::east_opt(3600)
                .unwrap()
                .with_ymd_and_hms(2026, 10, 25, 2, 0, 0)
                .unwrap(),
            consumption: TariffSplit {
                peak: Energy::from_wh(1234),
                offpeak: Energy::from_joules(3600 * 500 + 1800),
                unsplit: Energy::default(),
            },
            production: TariffSplit::default(),
            max_power_va: Some(6000),
            cost: Some(crate::costs::CostFigures {
                energy_eur: 0.3217,
                subscription_eur: 0.02,
                total_eur: 0.3417,
                basis: "measured",
            }),
        }
    }

    #[test]
    fn french_csv_uses_semicolons_and_decimal_commas() {
        let text = csv(&[row()], Step::Hour, Locale::Fr);
        let mut lines = text.lines();
        assert_eq!(
            lines.next().unwrap(),
            "start;consumption_kwh;consumption_peak_kwh;consumption_offpeak_kwh;consumption_unsplit_kwh;production_kwh;production_peak_kwh;production_offpeak_kwh;production_unsplit_kwh;cost_eur;energy_cost_eur;subscription_cost_eur;cost_basis"
        );
        assert_eq!(
            lines.next().unwrap(),
            "2026-10-25T02:00:00+01:00;1,735;1,234;0,501;0,000;0,000;0,000;0,000;0,000;0,3417;0,3217;0,0200;measured"
        );
    }

    #[test]
    fn english_day_csv_has_the_peak_power() {
        let text = csv(&[row()], Step::Day, Locale::En);
        assert!(text.starts_with("date,consumption_kwh,"), "{text}");
        assert!(
            text.lines()
                .nth(1)
                .unwrap()
                .ends_with(",6000,0.3417,0.3217,0.0200,measured"),
            "{text}"
        );
        let without = EnergyRow {
            cost: None,
            ..row()
        };
        let text = csv(&[without], Step::Day, Locale::En);
        assert!(
            text.lines().nth(1).unwrap().ends_with(",6000,,,,"),
            "{text}"
        );
    }

    #[test]
    fn json_rows_carry_the_offset() {
        let v: serde_json::Value = serde_json::from_str(&json(&[row()], Step::Hour)).unwrap();
        assert_eq!(v[0]["start"], "2026-10-25T02:00:00+01:00");
        assert_eq!(v[0]["consumption_peak_kwh"], 1.234);
        assert!(v[0].get("max_power_va").is_none());
        assert_eq!(v[0]["cost_eur"], 0.3417);
        assert_eq!(v[0]["cost_basis"], "measured");
    }
}
