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
        let (from, to) = (paris::day_start(first_day()), paris::day_start(today));
        let yesterday = today - Duration::days(1);
        let consumption = self.curve(pdl, Direction::Consumption, from, to)?;
        let production = self.curve(pdl, Direction::Production, from, to)?;
        let daily = |direction| -> Result<_, StoreError> {
            Ok(self
                .daily(pdl, direction, first_day(), yesterday)?
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
            peaks: self.max_power(pdl, first_day(), yesterday)?,
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
        let schedule = rules.schedule_for(meter.contract_offpeak.as_deref());
        self.meter_history(&meter.pdl, &schedule, rules.holiday_zone, today)
    }
}
