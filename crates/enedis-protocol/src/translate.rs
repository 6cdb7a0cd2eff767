//! The v5 metering calls of the original DomoticzLinky plugin, answered from the 2026 generation
//! after Enedis retired v5: the request in 2026 terms, the 2026 answers as the v5 body the
//! plugin reads (same units, stamps at the interval end in Paris time, daylight-saving days as
//! v5 wrote them), and 2026 errors as the v5 errors the plugin knows.
//!
//! Pure: no HTTP here. The proxy sends the calls and passes the result on.

use chrono::{Duration, NaiveDate};
use linky_core::{DailyEnergy, LoadCurvePoint, MaxPower};

use crate::error::{EnedisError, ErrorCode, ErrorKind};
use crate::v2026::{Mesure, MesureResponse};
use crate::v5::{MeterReading, MeterReadingResponse, Resource};
use crate::ProtocolError;

/// The longest window of one 2026 load-curve call.
const CURVE_DAYS: i64 = 7;
/// The longest window of one 2026 daily call.
const DAILY_DAYS: i64 = 365;

/// A v5 metering call: what, for which meter, `[start, end)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V5Call {
    /// The v5 resource.
    pub resource: Resource,
    /// The meter (`usage_point_id`).
    pub pdl: String,
    /// First day.
    pub start: NaiveDate,
    /// The day after the last.
    pub end: NaiveDate,
}

/// Whether an answer says that the path itself does not exist (a retired or not yet open API
/// generation), as opposed to an Enedis error about the call.
pub fn unknown_path(status: u16, body: &str) -> bool {
    #[derive(serde::Deserialize)]
    struct Body {
        code: Option<serde_json::Value>,
        message: Option<String>,
        error: Option<String>,
    }
    status == 404
        && serde_json::from_str::<Body>(body).is_ok_and(|b| {
            b.error.as_deref() == Some("not_found")
                || (b.message.as_deref() == Some("Not Found") && b.code.is_some_and(|c| c == "404"))
        })
}

impl V5Call {
    /// Reads a v5 metering call (`path`, `usage_point_id`, `start`, `end`); `None` for
    /// anything else, which is then passed on unchanged (Enedis answers it as it would).
    pub fn parse(path: &str, query: &str) -> Option<V5Call> {
        let resource = Resource::from_path(path)?;
        let mut pdl = None;
        let (mut start, mut end) = (None, None);
        for pair in query.split('&') {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            match k {
                "usage_point_id" => pdl = Some(v.to_owned()),
                "start" => start = NaiveDate::parse_from_str(v, "%Y-%m-%d").ok(),
                "end" => end = NaiveDate::parse_from_str(v, "%Y-%m-%d").ok(),
                _ => {}
            }
        }
        let (pdl, start, end) = (pdl?, start?, end?);
        (pdl.len() == 14 && pdl.bytes().all(|b| b.is_ascii_digit()) && start < end).then_some(
            V5Call {
                resource,
                pdl,
                start,
                end,
            },
        )
    }

    /// The 2026 calls (path and query) that cover it, joined in this order: load curves seven
    /// days at most each, daily values a year.
    pub fn calls_2026(&self) -> Vec<String> {
        let step = if self.resource.is_load_curve() {
            CURVE_DAYS
        } else {
            DAILY_DAYS
        };
        let mesure = Mesure::from_v5(self.resource);
        let mut calls = Vec::new();
        let mut from = self.start;
        while from < self.end {
            let to = (from + Duration::days(step)).min(self.end);
            calls.push(format!(
                "{}?pointId={}&dateDebut={from}&dateFin={to}",
                mesure.path(),
                self.pdl
            ));
            from = to;
        }
        calls
    }

    /// The v5 body (`{"meter_reading": …}`) for the 2026 answers of [`V5Call::calls_2026`].
    pub fn v5_body(&self, answers: &[&str]) -> Result<String, ProtocolError> {
        let responses = answers
            .iter()
            .map(|a| MesureResponse::from_json(a))
            .collect::<Result<Vec<_>, _>>()?;
        let reading = if self.resource.is_load_curve() {
            let mut points: Vec<LoadCurvePoint> = Vec::new();
            for r in &responses {
                points.extend_from_slice(r.to_load_curve()?.points());
            }
            MeterReading::from_load_curve(self.resource, &self.pdl, self.start, self.end, &points)
        } else if self.resource == Resource::ConsumptionMaxPower {
            let mut peaks: Vec<MaxPower> = Vec::new();
            for r in &responses {
                peaks.extend(r.to_max_power()?);
            }
            MeterReading::from_max_power(&self.pdl, self.start, self.end, &peaks)
        } else {
            let mut days: Vec<DailyEnergy> = Vec::new();
            for r in &responses {
                days.extend(r.to_daily_energy()?);
            }
            MeterReading::from_daily_energy(self.resource, &self.pdl, self.start, self.end, &days)
        };
        serde_json::to_string(&MeterReadingResponse {
            meter_reading: reading,
        })
        .map_err(|e| ProtocolError::Shape {
            detail: e.to_string(),
        })
    }
}

/// A 2026 error answer as v5 would have given it (status, body): the documented errors by
/// their meaning (a direction the meter lacks is `ADAM-ERR0069`, no data `no_data_found`...);
/// quotas and anything unknown pass as they came.
pub fn v5_error(status: u16, body: &str) -> (u16, String) {
    let error = EnedisError::from_response(status, body, None);
    let code = match error.kind() {
        ErrorKind::NoData => ErrorCode::NoDataFound,
        ErrorKind::WrongDirection => ErrorCode::WrongDirection,
        ErrorKind::BeforeActivation => ErrorCode::BeforeActivation,
        ErrorKind::BeyondHistory => ErrorCode::HistoryDeadline,
        ErrorKind::WindowTooLong => ErrorCode::LoadCurvePeriod,
        ErrorKind::ConsentLost if error.code.eq_ignore_ascii_case("ADAM-DC-0007") => {
            ErrorCode::NotHolder
        }
        ErrorKind::ConsentLost => ErrorCode::NoConsent,
        ErrorKind::Unavailable if status >= 500 => ErrorCode::TechnicalError,
        _ => return (status, body.to_owned()),
    };
    let text = serde_json::to_string(&code.body()).unwrap_or_default();
    (code.status(), text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::v2026::MesureResponse;
    use linky_core::{paris, Step};

    fn d(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_v5_call_in_2026_terms() {
        let call = V5Call::parse(
            "/metering_data_clc/v5/consumption_load_curve",
            "start=2026-11-01&end=2026-11-16&usage_point_id=22516914714270",
        )
        .unwrap();
        let path = Mesure::from_v5(Resource::ConsumptionLoadCurve).path();
        assert_eq!(
            call.calls_2026(),
            [
                format!("{path}?pointId=22516914714270&dateDebut=2026-11-01&dateFin=2026-11-08"),
                format!("{path}?pointId=22516914714270&dateDebut=2026-11-08&dateFin=2026-11-15"),
                format!("{path}?pointId=22516914714270&dateDebut=2026-11-15&dateFin=2026-11-16"),
            ]
        );
        assert!(V5Call::parse(
            "/metering_data_clc/v5/consumption_load_curve",
            "start=2026-11-02&end=2026-11-01&usage_point_id=22516914714270"
        )
        .is_none());
        assert!(V5Call::parse(
            "/customers_upc/v5/usage_points/contracts",
            "usage_point_id=22516914714270"
        )
        .is_none());
    }

    #[test]
    fn the_autumn_day_reads_as_v5_wrote_it() {
        // 50 half-hours of 1 kW on the 25-hour day, answered in 2026 form, read back in v5.
        let day = d("2026-10-25");
        let (from, _) = paris::day_bounds(day);
        let points: Vec<LoadCurvePoint> = (1..=50)
            .map(|i| LoadCurvePoint {
                end: from + Duration::minutes(30 * i),
                step: Step::PT30M,
                watts: 1000,
            })
            .collect();
        let body_2026 = serde_json::to_string(&MesureResponse::from_load_curve(
            linky_core::Direction::Consumption,
            "22516914714270",
            day,
            day + Duration::days(1),
            &points,
        ))
        .unwrap();
        let call = V5Call {
            resource: Resource::ConsumptionLoadCurve,
            pdl: "22516914714270".into(),
            start: day,
            end: day + Duration::days(1),
        };
        let v5 = call.v5_body(&[&body_2026]).unwrap();
        let direct = serde_json::to_string(&MeterReadingResponse {
            meter_reading: MeterReading::from_load_curve(
                Resource::ConsumptionLoadCurve,
                "22516914714270",
                day,
                day + Duration::days(1),
                &points,
            ),
        })
        .unwrap();
        assert_eq!(v5, direct, "the same body v5 gave");
        let back = MeterReading::from_json(&v5)
            .unwrap()
            .to_load_curve()
            .unwrap();
        assert_eq!(back.points(), &points[..]);
    }

    #[test]
    fn errors_as_the_plugin_knows_them() {
        let (status, body) = v5_error(
            404,
            r#"{"code":"SGT404","message":"Pas de mesure trouvée pour ce point"}"#,
        );
        assert_eq!(status, 404);
        assert!(body.contains("no_data_found"), "{body}");
        let wrong = serde_json::to_string(&ErrorCode::WrongDirection.body_2026()).unwrap();
        let (status, body) = v5_error(400, &wrong);
        assert_eq!(status, 400);
        assert!(body.contains("ADAM-ERR0069"), "{body}");
        let quota = r#"{"fault":{"code":900804,"message":"Message throttled out"}}"#;
        assert_eq!(v5_error(429, quota), (429, quota.to_owned()));
        assert!(unknown_path(404, r#"{"error":"not_found"}"#));
        assert!(!unknown_path(404, r#"{"error":"no_data_found"}"#));
    }
}
