//! The public calendars of Tempo and EJP days, as EDF and RTE publish them.
//!
//! - [`edf`]: EDF's calendar (`calendrier-jours-effacement`), public, no account; Tempo and EJP.
//! - [`rte`]: RTE's "Tempo Like Supply Contract" API, with an application's credentials; Tempo.
//!
//! Wire formats only: the client reads them ([`edf::read`], [`rte::read`]) and the simulator
//! writes them ([`edf::answer`], [`rte::answer`]) with the same types, so the two cannot drift
//! apart. HTTP is the callers' job. Bodies are bounded by the callers (a year of days is a few
//! kilobytes).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use linky_core::tariff::{DayColours, EjpDay, TempoColour};

/// A calendar answer could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ColourError {
    /// Not the expected JSON.
    #[error("réponse de calendrier illisible ({0}) / unreadable calendar answer ({0})")]
    Body(String),
    /// The service answered with its own error.
    #[error("le calendrier refuse : {code} ({description}) / the calendar refused: {code} ({description})")]
    Refused {
        /// Its code.
        code: String,
        /// Its words.
        description: String,
    },
}

fn refusal(body: &[u8]) -> Option<ColourError> {
    #[derive(serde::Deserialize)]
    struct Refusal {
        error: String,
        #[serde(default)]
        error_description: String,
    }
    serde_json::from_slice::<Refusal>(body)
        .ok()
        .map(|r| ColourError::Refused {
            code: r.error,
            description: r.error_description,
        })
}

fn read_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ColourError> {
    serde_json::from_slice(body)
        .map_err(|e| refusal(body).unwrap_or(ColourError::Body(e.to_string())))
}

/// EDF's public calendar of Tempo and EJP days.
pub mod edf {
    use super::*;
    use serde::{Deserialize, Serialize};

    /// The path on `api-commerce.edf.fr`.
    pub const PATH: &str = "/commerce/activet/v1/calendrier-jours-effacement";
    /// The production host.
    pub const BASE_URL: &str = "https://api-commerce.edf.fr";
    /// Headers EDF asks for (it answers 400 without them).
    pub const HEADERS: [(&str, &str); 2] = [
        ("application-origine-controlee", "site_RC"),
        ("situation-usage", "Jours Effacement"),
    ];

    /// Which calendar.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Calendar {
        /// Tempo colours.
        Tempo,
        /// EJP mobile peak days.
        Ejp,
    }

    impl Calendar {
        /// The `option` parameter.
        pub fn option(self) -> &'static str {
            match self {
                Calendar::Tempo => "TEMPO",
                Calendar::Ejp => "EJP",
            }
        }

        /// Reads [`Calendar::option`] back.
        pub fn from_option(option: &str) -> Option<Calendar> {
            [Calendar::Tempo, Calendar::Ejp]
                .into_iter()
                .find(|c| c.option() == option)
        }
    }

    /// The query of the days from `from` to `to`, both included.
    pub fn query(
        calendar: Calendar,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Vec<(&'static str, String)> {
        vec![
            ("option", calendar.option().into()),
            ("dateApplicationBorneInf", from.to_string()),
            ("dateApplicationBorneSup", to.to_string()),
            ("identifiantConsommateur", "src".into()),
        ]
    }

    /// The answer's body.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct Answer {
        /// Its content.
        pub content: Content,
    }

    /// The content: one calendar per option asked.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct Content {
        /// The options.
        pub options: Vec<OptionCalendar>,
    }

    /// One option's days.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct OptionCalendar {
        /// `TEMPO` or `EJP`.
        pub option: String,
        /// The days.
        pub calendrier: Vec<CalendarDay>,
    }

    /// One day.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct CalendarDay {
        /// The day.
        #[serde(rename = "dateApplication")]
        pub date: NaiveDate,
        /// `TEMPO_BLEU`, `TEMPO_BLANC`, `TEMPO_ROUGE`, `EJP`, `NON_EJP`, `HORS_PERIODE_EJP` or
        /// `NON_DEFINI` (not published yet).
        pub statut: String,
    }

    /// The status EDF writes for a Tempo colour.
    pub fn tempo_status(colour: TempoColour) -> &'static str {
        match colour {
            TempoColour::Blue => "TEMPO_BLEU",
            TempoColour::White => "TEMPO_BLANC",
            TempoColour::Red => "TEMPO_ROUGE",
        }
    }

    /// The status EDF writes for an EJP day (`HORS_PERIODE_EJP` from April to October).
    pub fn ejp_status(date: NaiveDate, day: EjpDay) -> &'static str {
        use chrono::Datelike;
        match day {
            EjpDay::MobilePeak => "EJP",
            EjpDay::Normal if (4..=10).contains(&date.month()) => "HORS_PERIODE_EJP",
            EjpDay::Normal => "NON_EJP",
        }
    }

    /// Reads an answer: the days whose colour is published (`NON_DEFINI` days are left out;
    /// unknown statuses too, so a new status never costs the known days).
    pub fn read(body: &[u8]) -> Result<DayColours, ColourError> {
        let answer: Answer = read_json(body)?;
        let mut colours = DayColours::default();
        for option in &answer.content.options {
            for day in &option.calendrier {
                let tempo = |c| Some((Some(c), None));
                let ejp = |e| Some((None, Some(e)));
                let known = match day.statut.as_str() {
                    "TEMPO_BLEU" => tempo(TempoColour::Blue),
                    "TEMPO_BLANC" => tempo(TempoColour::White),
                    "TEMPO_ROUGE" => tempo(TempoColour::Red),
                    "EJP" => ejp(EjpDay::MobilePeak),
                    "NON_EJP" | "HORS_PERIODE_EJP" => ejp(EjpDay::Normal),
                    _ => None,
                };
                match known {
                    Some((Some(colour), _)) => {
                        colours.tempo.insert(day.date, colour);
                    }
                    Some((_, Some(signal))) => {
                        colours.ejp.insert(day.date, signal);
                    }
                    _ => {}
                }
            }
        }
        Ok(colours)
    }

    /// The answer for some days: `None` is a day not published yet (`NON_DEFINI`).
    pub fn answer(calendar: Calendar, days: &[(NaiveDate, Option<&'static str>)]) -> Answer {
        Answer {
            content: Content {
                options: vec![OptionCalendar {
                    option: calendar.option().into(),
                    calendrier: days
                        .iter()
                        .map(|(date, statut)| CalendarDay {
                            date: *date,
                            statut: statut.unwrap_or("NON_DEFINI").into(),
                        })
                        .collect(),
                }],
            },
        }
    }
}

/// RTE's Tempo API ("Tempo Like Supply Contract" v1).
pub mod rte {
    use super::*;
    use serde::{Deserialize, Serialize};

    /// The production host.
    pub const BASE_URL: &str = "https://digital.iservices.rte-france.com";
    /// The token endpoint (client credentials, HTTP Basic).
    pub const TOKEN_PATH: &str = "/token/oauth/";
    /// The calendar endpoint.
    pub const CALENDARS_PATH: &str = "/open_api/tempo_like_supply_contract/v1/tempo_like_calendars";
    /// The longest period one call may ask.
    pub const MAX_DAYS: i64 = 366;

    /// `YYYY-MM-DDT00:00:00+01:00`: a Paris midnight, as RTE takes and writes dates.
    pub fn midnight(date: NaiveDate) -> String {
        let hours = linky_core::paris::offset_hours_at_midnight(date);
        format!("{date}T00:00:00+{hours:02}:00")
    }

    /// The query of the days from `from` to `to`, both included (RTE's end is exclusive).
    pub fn query(from: NaiveDate, to: NaiveDate) -> Vec<(&'static str, String)> {
        vec![
            ("start_date", midnight(from)),
            ("end_date", midnight(to + chrono::Duration::days(1))),
        ]
    }

    /// The answer's body.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct Answer {
        /// The calendar.
        pub tempo_like_calendars: Calendars,
    }

    /// The period asked and its days, newest first.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct Calendars {
        /// As asked.
        pub start_date: String,
        /// As asked.
        pub end_date: String,
        /// One per published day.
        pub values: Vec<Value>,
    }

    /// One day.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct Value {
        /// The day's midnight.
        pub start_date: String,
        /// The next midnight.
        pub end_date: String,
        /// `BLUE`, `WHITE` or `RED`.
        pub value: String,
        /// When RTE set it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub updated_date: Option<String>,
    }

    /// Reads an answer into the colours of its days (unknown values are left out).
    pub fn read(body: &[u8]) -> Result<BTreeMap<NaiveDate, TempoColour>, ColourError> {
        let answer: Answer = read_json(body)?;
        let mut out = BTreeMap::new();
        for value in &answer.tempo_like_calendars.values {
            let date = value
                .start_date
                .get(..10)
                .and_then(|d| d.parse::<NaiveDate>().ok())
                .ok_or_else(|| ColourError::Body(format!("start_date « {} »", value.start_date)))?;
            let colour = match value.value.as_str() {
                "BLUE" => TempoColour::Blue,
                "WHITE" => TempoColour::White,
                "RED" => TempoColour::Red,
                _ => continue,
            };
            out.insert(date, colour);
        }
        Ok(out)
    }

    /// The answer for the period `[from, to]` and its published days (written newest first).
    pub fn answer(from: NaiveDate, to: NaiveDate, days: &[(NaiveDate, TempoColour)]) -> Answer {
        let name = |c: TempoColour| match c {
            TempoColour::Blue => "BLUE",
            TempoColour::White => "WHITE",
            TempoColour::Red => "RED",
        };
        let mut values: Vec<Value> = days
            .iter()
            .map(|(date, colour)| Value {
                start_date: midnight(*date),
                end_date: midnight(*date + chrono::Duration::days(1)),
                value: name(*colour).into(),
                updated_date: Some(format!(
                    "{}T10:20:00+{:02}:00",
                    *date - chrono::Duration::days(1),
                    linky_core::paris::offset_hours_at_midnight(*date)
                )),
            })
            .collect();
        values.reverse();
        Answer {
            tempo_like_calendars: Calendars {
                start_date: midnight(from),
                end_date: midnight(to + chrono::Duration::days(1)),
                values,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(name: &str) -> Vec<u8> {
        let path = format!(
            "{}/../../testdata/enedis-samples/rte-edf/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn rte_sample_reads_newest_first() {
        let colours = rte::read(&sample("rte_tempo_like_calendars.json")).unwrap();
        assert_eq!(
            colours.into_iter().collect::<Vec<_>>(),
            vec![
                (d("2023-02-28"), TempoColour::White),
                (d("2023-03-01"), TempoColour::Red),
                (d("2023-03-02"), TempoColour::Red),
            ]
        );
    }

    #[test]
    fn edf_sample_skips_undefined_days() {
        let colours =
            edf::read(&sample("edf_calendrier_jours_effacement_SHAPE_ONLY.json")).unwrap();
        assert_eq!(colours.tempo.len(), 1);
        assert_eq!(colours.tempo[&d("2024-01-15")], TempoColour::Blue);
    }

    #[test]
    fn what_the_simulator_writes_the_client_reads() {
        let days = [
            (d("2026-03-28"), TempoColour::White),
            (d("2026-03-29"), TempoColour::Blue),
        ];
        let body =
            serde_json::to_vec(&rte::answer(d("2026-03-28"), d("2026-03-30"), &days)).unwrap();
        let text = String::from_utf8(body.clone()).unwrap();
        // Winter then summer time: the offsets follow Paris.
        assert!(
            text.contains("2026-03-28T00:00:00+01:00")
                && text.contains("2026-03-30T00:00:00+02:00"),
            "{text}"
        );
        assert_eq!(
            rte::read(&body).unwrap().into_iter().collect::<Vec<_>>(),
            days
        );
        let ejp = edf::answer(
            edf::Calendar::Ejp,
            &[
                (d("2026-01-12"), Some("EJP")),
                (d("2026-01-13"), Some("NON_EJP")),
                (d("2026-01-14"), None),
            ],
        );
        let colours = edf::read(&serde_json::to_vec(&ejp).unwrap()).unwrap();
        assert_eq!(colours.ejp.len(), 2);
        assert_eq!(colours.ejp[&d("2026-01-12")], EjpDay::MobilePeak);
        assert_eq!(
            rte::read(br#"{"error":"TMPLIKSUPCON_TMPLIKCAL_F04","error_description":"The end date must be before D+2"}"#),
            Err(ColourError::Refused {
                code: "TMPLIKSUPCON_TMPLIKCAL_F04".into(),
                description: "The end date must be before D+2".into()
            })
        );
    }
}
