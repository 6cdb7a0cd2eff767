//! The v5 metering responses: `{"meter_reading": {…}}`, every value a JSON string.

use chrono::{NaiveDate, NaiveDateTime};
use linky_core::paris::{self, Stamp};
use linky_core::{DailyEnergy, Direction, Energy, LoadCurve, LoadCurvePoint, MaxPower};
use serde::{Deserialize, Serialize};

use crate::ProtocolError;

/// The five v5 metering resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Resource {
    /// Daily consumed energy (Wh).
    DailyConsumption,
    /// Consumption load curve (W).
    ConsumptionLoadCurve,
    /// Daily maximum consumed power (VA).
    ConsumptionMaxPower,
    /// Daily produced energy (Wh).
    DailyProduction,
    /// Production load curve (W).
    ProductionLoadCurve,
}

impl Resource {
    /// Every resource.
    pub const ALL: [Resource; 5] = [
        Resource::DailyConsumption,
        Resource::ConsumptionLoadCurve,
        Resource::ConsumptionMaxPower,
        Resource::DailyProduction,
        Resource::ProductionLoadCurve,
    ];

    /// The path below the gateway, e.g. `/metering_data_clc/v5/consumption_load_curve`.
    pub fn path(self) -> &'static str {
        match self {
            Resource::DailyConsumption => "/metering_data_dc/v5/daily_consumption",
            Resource::ConsumptionLoadCurve => "/metering_data_clc/v5/consumption_load_curve",
            Resource::ConsumptionMaxPower => "/metering_data_dcmp/v5/daily_consumption_max_power",
            Resource::DailyProduction => "/metering_data_dp/v5/daily_production",
            Resource::ProductionLoadCurve => "/metering_data_plc/v5/production_load_curve",
        }
    }

    /// The resource served at `path`, if any.
    pub fn from_path(path: &str) -> Option<Resource> {
        Resource::ALL.into_iter().find(|r| r.path() == path)
    }

    /// Which way the energy flows.
    pub fn direction(self) -> Direction {
        match self {
            Resource::DailyProduction | Resource::ProductionLoadCurve => Direction::Production,
            _ => Direction::Consumption,
        }
    }

    /// Whether it is a load curve (7-day windows, 24-month history).
    pub fn is_load_curve(self) -> bool {
        matches!(
            self,
            Resource::ConsumptionLoadCurve | Resource::ProductionLoadCurve
        )
    }

    fn reading_type(self) -> ReadingType {
        let (unit, kind, aggregate, period) = match self {
            Resource::DailyConsumption | Resource::DailyProduction => {
                ("Wh", "energy", "sum", Some("P1D"))
            }
            Resource::ConsumptionLoadCurve | Resource::ProductionLoadCurve => {
                ("W", "power", "average", None)
            }
            Resource::ConsumptionMaxPower => ("VA", "power", "maximum", Some("P1D")),
        };
        ReadingType {
            unit: unit.to_owned(),
            measurement_kind: kind.to_owned(),
            aggregate: aggregate.to_owned(),
            measuring_period: period.map(str::to_owned),
        }
    }
}

/// The envelope of every v5 metering response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeterReadingResponse {
    /// The reading.
    pub meter_reading: MeterReading,
}

/// A v5 reading: the request echoed, and the values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeterReading {
    /// The meter.
    pub usage_point_id: String,
    /// The requested start, `YYYY-MM-DD`.
    pub start: String,
    /// The requested end (exclusive), `YYYY-MM-DD`.
    pub end: String,
    /// `BRUT` (raw) in all Data Connect traffic seen.
    pub quality: String,
    /// Unit and kind of the values.
    pub reading_type: ReadingType,
    /// The values, in time order.
    pub interval_reading: Vec<IntervalReading>,
}

/// Unit and kind of the values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadingType {
    /// `Wh`, `W` or `VA`.
    pub unit: String,
    /// `energy` or `power`.
    pub measurement_kind: String,
    /// `sum`, `average` or `maximum`.
    pub aggregate: String,
    /// `P1D` for daily resources; absent on load curves.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub measuring_period: Option<String>,
}

/// One value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntervalReading {
    /// The value, as a string holding an integer.
    pub value: String,
    /// `YYYY-MM-DD` (daily), or Paris time `YYYY-MM-DD HH:MM:SS` (end of interval for load
    /// curves, moment of the peak for max power).
    pub date: String,
    /// The step of a load-curve point, e.g. `PT30M`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub interval_length: Option<String>,
    /// `B` (raw) on load-curve points.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub measure_type: Option<String>,
}

const DATE: &str = "%Y-%m-%d";

fn value<T: std::str::FromStr>(field: &'static str, text: &str) -> Result<T, ProtocolError> {
    text.trim().parse().map_err(|_| ProtocolError::Value {
        field,
        value: text.to_owned(),
    })
}

fn date(field: &'static str, text: &str) -> Result<NaiveDate, ProtocolError> {
    let t = text.trim();
    // Dates sometimes carry an offset (`2017-07-15+02:00`): the first ten characters are the day.
    t.get(..10)
        .and_then(|d| NaiveDate::parse_from_str(d, DATE).ok())
        .ok_or_else(|| ProtocolError::Value {
            field,
            value: text.to_owned(),
        })
}

impl MeterReading {
    /// Reads a response body: the Enedis envelope `{"meter_reading": …}`, or the bare reading
    /// that gateways such as Conso API return.
    pub fn from_json(body: &str) -> Result<MeterReading, ProtocolError> {
        let shape = |e: serde_json::Error| ProtocolError::Shape {
            detail: e.to_string(),
        };
        match serde_json::from_str::<MeterReadingResponse>(body) {
            Ok(r) => Ok(r.meter_reading),
            Err(_) => serde_json::from_str::<MeterReading>(body).map_err(shape),
        }
    }

    /// The load-curve points, placed in time (repeated autumn stamps by position).
    pub fn to_load_curve(&self) -> Result<LoadCurve, ProtocolError> {
        crate::curve_from_stamps(self.interval_reading.iter().map(|r| {
            Ok((
                r.date.as_str(),
                r.interval_length.as_deref(),
                value::<u32>("value", &r.value)?,
            ))
        }))
    }

    /// The daily energies.
    pub fn to_daily_energy(&self) -> Result<Vec<DailyEnergy>, ProtocolError> {
        self.interval_reading
            .iter()
            .map(|r| {
                Ok(DailyEnergy {
                    date: date("date", &r.date)?,
                    energy: Energy::from_wh(value("value", &r.value)?),
                })
            })
            .collect()
    }

    /// The daily maximum powers.
    pub fn to_max_power(&self) -> Result<Vec<MaxPower>, ProtocolError> {
        self.interval_reading
            .iter()
            .map(|r| {
                let at = match Stamp::parse(&r.date) {
                    Ok(Stamp::Local(t)) => t,
                    Ok(Stamp::Exact(t)) => paris::local(t),
                    // A date-only value (seen in the wild) puts the peak at midnight.
                    Err(_) => date("date", &r.date)?.and_time(chrono::NaiveTime::MIN),
                };
                Ok(MaxPower {
                    date: at.date(),
                    at,
                    volt_amperes: value("value", &r.value)?,
                })
            })
            .collect()
    }

    fn envelope(
        resource: Resource,
        usage_point: &str,
        start: NaiveDate,
        end: NaiveDate,
        interval_reading: Vec<IntervalReading>,
    ) -> MeterReading {
        MeterReading {
            usage_point_id: usage_point.to_owned(),
            start: start.format(DATE).to_string(),
            end: end.format(DATE).to_string(),
            quality: "BRUT".to_owned(),
            reading_type: resource.reading_type(),
            interval_reading,
        }
    }

    /// The response Enedis gives for a load curve.
    pub fn from_load_curve(
        resource: Resource,
        usage_point: &str,
        start: NaiveDate,
        end: NaiveDate,
        points: &[LoadCurvePoint],
    ) -> MeterReading {
        let readings = points
            .iter()
            .map(|p| IntervalReading {
                value: p.watts.to_string(),
                date: crate::local_stamp(paris::end_stamp(p.end)),
                interval_length: Some(p.step.to_string()),
                measure_type: Some("B".to_owned()),
            })
            .collect();
        MeterReading::envelope(resource, usage_point, start, end, readings)
    }

    /// The response Enedis gives for daily energies.
    pub fn from_daily_energy(
        resource: Resource,
        usage_point: &str,
        start: NaiveDate,
        end: NaiveDate,
        days: &[DailyEnergy],
    ) -> MeterReading {
        let readings = days
            .iter()
            .map(|d| IntervalReading {
                value: d.energy.wh_rounded().to_string(),
                date: d.date.format(DATE).to_string(),
                interval_length: None,
                measure_type: None,
            })
            .collect();
        MeterReading::envelope(resource, usage_point, start, end, readings)
    }

    /// The response Enedis gives for daily maximum powers.
    pub fn from_max_power(
        usage_point: &str,
        start: NaiveDate,
        end: NaiveDate,
        peaks: &[MaxPower],
    ) -> MeterReading {
        let readings = peaks
            .iter()
            .map(|m| IntervalReading {
                value: m.volt_amperes.to_string(),
                date: crate::local_stamp(m.at),
                interval_length: None,
                measure_type: None,
            })
            .collect();
        MeterReading::envelope(
            Resource::ConsumptionMaxPower,
            usage_point,
            start,
            end,
            readings,
        )
    }
}

/// A v5 load-curve body read without copying its strings (the bulk of a sync's input).
#[derive(Deserialize)]
struct BorrowedEnvelope<'a> {
    #[serde(borrow)]
    meter_reading: BorrowedReading<'a>,
}

#[derive(Deserialize)]
struct BorrowedReading<'a> {
    #[serde(borrow)]
    usage_point_id: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    interval_reading: Vec<BorrowedPoint<'a>>,
}

#[derive(Deserialize)]
struct BorrowedPoint<'a> {
    #[serde(borrow)]
    value: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    date: std::borrow::Cow<'a, str>,
    #[serde(borrow, default)]
    interval_length: Option<std::borrow::Cow<'a, str>>,
}

/// Reads a v5 load-curve body (with or without the envelope) straight into a curve: the meter it
/// is about, and its points. Same result as [`MeterReading::from_json`] then
/// [`MeterReading::to_load_curve`], several times faster.
pub fn load_curve_from_json(body: &str) -> Result<(String, LoadCurve), ProtocolError> {
    let shape = |e: serde_json::Error| ProtocolError::Shape {
        detail: e.to_string(),
    };
    let reading = match serde_json::from_str::<BorrowedEnvelope<'_>>(body) {
        Ok(e) => e.meter_reading,
        Err(_) => serde_json::from_str::<BorrowedReading<'_>>(body).map_err(shape)?,
    };
    let curve = crate::curve_from_stamps(reading.interval_reading.iter().map(|r| {
        Ok((
            r.date.as_ref(),
            r.interval_length.as_deref(),
            value::<u32>("value", &r.value)?,
        ))
    }))?;
    Ok((reading.usage_point_id.into_owned(), curve))
}

/// Formats a Paris wall-clock time as Enedis does.
pub fn format_date_time(t: NaiveDateTime) -> String {
    crate::local_stamp(t)
}
