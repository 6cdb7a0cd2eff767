//! A meter's energy history read from the store: the points, daily totals and peaks it holds,
//! split by the pure core ([`linky_core::history`]).

use chrono::{Duration, NaiveDate};
use linky_core::history::{MeterHistory, SplitRules, StoredMeter};
use linky_core::holidays::HolidayZone;
use linky_core::offpeak::OffPeakSchedule;
use linky_core::{paris, Direction, UsagePoint};

use crate::{MeterRecord, Store, StoreError};

/// Before any Linky meter: the start of "the whole stored history".
fn first_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or_default()
}

impl Store {
    /// A meter's whole stored history up to yesterday (`today` is never complete), split by
    /// `schedule` and the holidays of `zone`.
    pub fn meter_history(
        &self,
        pdl: &UsagePoint,
        schedule: &OffPeakSchedule,
        zone: HolidayZone,
        today: NaiveDate,
    ) -> Result<MeterHistory, StoreError> {
        self.meter_history_between(pdl, schedule, zone, first_day(), today)
    }

    /// A meter's stored history of the days `[first, end)` only: what an export or a page of a
    /// few days reads, at a cost proportional to the days asked.
    pub fn meter_history_between(
        &self,
        pdl: &UsagePoint,
        schedule: &OffPeakSchedule,
        zone: HolidayZone,
        first: NaiveDate,
        end: NaiveDate,
    ) -> Result<MeterHistory, StoreError> {
        let (from, to) = (paris::day_start(first), paris::day_start(end));
        let last = end - Duration::days(1);
        let consumption = self.curve(pdl, Direction::Consumption, from, to)?;
        let production = self.curve(pdl, Direction::Production, from, to)?;
        let daily = |direction| -> Result<_, StoreError> {
            Ok(self
                .daily(pdl, direction, first, last)?
                .into_iter()
                .map(|e| (e.date, e.energy))
                .collect())
        };
        let stored = StoredMeter {
            pdl,
            consumption_curve: consumption.points(),
            production_curve: production.points(),
            daily_consumption: daily(Direction::Consumption)?,
            daily_production: daily(Direction::Production)?,
            peaks: self.max_power(pdl, first, last)?,
        };
        Ok(MeterHistory::split(stored, schedule, zone))
    }

    /// A stored meter's history, its schedule chosen by `rules` (the user's, else its contract's).
    pub fn history_of(
        &self,
        meter: &MeterRecord,
        rules: &SplitRules,
        today: NaiveDate,
    ) -> Result<MeterHistory, StoreError> {
        self.history_between(meter, rules, first_day(), today)
    }

    /// A stored meter's history of the days `[first, end)`, its schedule chosen by `rules`.
    pub fn history_between(
        &self,
        meter: &MeterRecord,
        rules: &SplitRules,
        first: NaiveDate,
        end: NaiveDate,
    ) -> Result<MeterHistory, StoreError> {
        let schedule = rules.schedule_for(meter.contract_offpeak.as_deref());
        self.meter_history_between(&meter.pdl, &schedule, rules.holiday_zone, first, end)
    }
}
