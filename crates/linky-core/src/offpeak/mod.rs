//! Off-peak hours ("heures creuses"): the schedule language of the original plugin, and the
//! classification of instants and load-curve points.
//!
//! A schedule is written as in the original's "Heures creuses" field, for example
//! `2h00-7h00 13h00-16h00 mercredi 08h00-15h00 P 17h00-22h00 12345678901234 1h00-6h00`. It has
//! a global scope and one scope per meter (PDL); each scope has consumption rules and, after a
//! `P`, production rules; each set of rules has every-day ranges, per-weekday ranges and
//! bank-holiday ranges. See [`OffPeakSchedule::parse`] for the grammar and the precedence.
//!
//! Classification is exact at the native step: a point is off-peak when the middle of its
//! interval lies in a range. The original classified whole hours by their :30 midpoint after
//! averaging, so a range boundary at the half hour (`22h30`) was rounded to the hour; here a
//! half-hour point on either side of 22:30 gets its own class. That difference is intended.

mod parse;

use std::cell::Cell;
use std::collections::BTreeMap;
use std::fmt;

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};

use crate::holidays::{is_public_holiday, HolidayZone};
use crate::{paris, Direction, LoadCurvePoint, UsagePoint};

pub use parse::{ParseError, ParseErrorKind};

/// Minutes in a day: the end of the last possible range (`24h00`).
pub const DAY_MINUTES: u16 = 24 * 60;

/// A half-open range of wall-clock time within one day, `[start, end)`, in minutes since
/// midnight. `end` may be 1440 (`24h00`). Ranges that cross midnight are stored as two ranges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TimeRange {
    start: u16,
    end: u16,
}

impl TimeRange {
    /// The range `[start, end)` in minutes since midnight, if `start < end <= 1440`.
    pub fn new(start: u16, end: u16) -> Option<TimeRange> {
        (start < end && end <= DAY_MINUTES).then_some(TimeRange { start, end })
    }

    /// Start, in minutes since midnight.
    pub fn start(self) -> u16 {
        self.start
    }

    /// End (exclusive), in minutes since midnight.
    pub fn end(self) -> u16 {
        self.end
    }

    /// Whether a time of day, in seconds since midnight, lies in the range.
    pub fn contains_second(self, second_of_day: u32) -> bool {
        u32::from(self.start) * 60 <= second_of_day && second_of_day < u32::from(self.end) * 60
    }
}

fn write_time(f: &mut fmt::Formatter<'_>, minutes: u16) -> fmt::Result {
    write!(f, "{}h{:02}", minutes / 60, minutes % 60)
}

impl fmt::Display for TimeRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_time(f, self.start)?;
        f.write_str("-")?;
        write_time(f, self.end)
    }
}

/// Off-peak ranges for one direction of one scope.
///
/// `None` for a weekday or for bank holidays means "not specified: fall back"; `Some(vec![])`
/// means "no off-peak that day", which blocks the fallback (the original's empty list).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DayRules {
    /// Ranges for days that have no more specific rule.
    pub every_day: Vec<TimeRange>,
    /// Ranges for each weekday, Monday first.
    pub weekdays: [Option<Vec<TimeRange>>; 7],
    /// Ranges for public holidays; they replace the weekday's and the every-day ones.
    pub holidays: Option<Vec<TimeRange>>,
}

impl DayRules {
    /// The ranges that apply on `date`: the bank-holiday ones if the date is a public holiday in
    /// `zone` and they are given, else the weekday's if given, else the every-day ones.
    pub fn ranges_on(&self, date: NaiveDate, zone: HolidayZone) -> &[TimeRange] {
        if let Some(h) = &self.holidays {
            if is_public_holiday(date, zone) {
                return h;
            }
        }
        let weekday = date.weekday().num_days_from_monday() as usize;
        self.weekdays[weekday].as_deref().unwrap_or(&self.every_day)
    }

    /// Whether a Paris wall-clock instant is off-peak.
    pub fn is_offpeak_at(&self, local: NaiveDateTime, zone: HolidayZone) -> bool {
        let second = local.time().num_seconds_from_midnight();
        self.ranges_on(local.date(), zone)
            .iter()
            .any(|r| r.contains_second(second))
    }

    fn is_empty(&self) -> bool {
        self.every_day.is_empty()
            && self.weekdays.iter().all(Option::is_none)
            && self.holidays.is_none()
    }
}

/// The rules of one scope (all meters, or one meter).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScopeRules {
    /// Consumption rules; also production's when `production` is `None`.
    pub consumption: DayRules,
    /// Production rules, given after a `P` marker.
    pub production: Option<DayRules>,
}

impl ScopeRules {
    /// The rules for a direction: production falls back to consumption's when it has none.
    pub fn for_direction(&self, direction: Direction) -> &DayRules {
        match direction {
            Direction::Consumption => &self.consumption,
            Direction::Production => self.production.as_ref().unwrap_or(&self.consumption),
        }
    }
}

/// A parsed off-peak schedule. The empty schedule has no off-peak hours at all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OffPeakSchedule {
    global: ScopeRules,
    meters: BTreeMap<UsagePoint, ScopeRules>,
}

impl OffPeakSchedule {
    /// Parses a schedule; see the [`parse`](self) module documentation for the grammar.
    ///
    /// The grammar, in short (case and accents do not matter):
    /// - a range: `22h00-6h00`, `22h-6h`, `22:00-06:00`, with `-`, `_`, `à`, `a` or `to`
    ///   between the times; `24h00` ends the day; a range across midnight is split in two;
    /// - ranges are separated by spaces, `,`, `;`, `et` or `and`; `HC` and parentheses are
    ///   ignored, so the Enedis contract form `HC (22H00-6H00)` reads as is;
    /// - a day section: one or more weekdays (French or English, full or abbreviated, e.g.
    ///   `mercredi`, `me`, `sat`, `samedi et dimanche`, `du lundi au vendredi`, `week-end`,
    ///   `semaine` for Monday to Friday) or bank holidays (`fe`, `férié`, `jour férié`, `ba`,
    ///   `bank holiday`, `holiday`), followed by its ranges; a day section with no range (or
    ///   with `aucune` / `none`) means no off-peak that day;
    /// - `P` (or `prod`, `production`) starts the production rules of the current scope; a bare
    ///   `P` means no off-peak for production;
    /// - a 14-digit meter number starts that meter's scope, which replaces the global one for
    ///   that meter; a bare meter number means no off-peak for that meter.
    ///
    /// Unknown words and malformed times are errors that name the token and its position.
    pub fn parse(text: &str) -> Result<OffPeakSchedule, ParseError> {
        parse::parse(text)
    }

    /// The Enedis contract form, `HC (22H00-6H00)` or `HC (1H30-8H00;12H30-14H00)`: the same
    /// grammar reads it.
    pub fn from_enedis_contract(offpeak_hours: &str) -> Result<OffPeakSchedule, ParseError> {
        parse::parse(offpeak_hours)
    }

    /// The global scope.
    pub fn global(&self) -> &ScopeRules {
        &self.global
    }

    /// The meters with their own scope.
    pub fn meters(&self) -> impl Iterator<Item = (&UsagePoint, &ScopeRules)> {
        self.meters.iter()
    }

    /// The rules that apply to a meter in a direction: the meter's own scope if it has one,
    /// otherwise the global scope (`None` for "any meter").
    pub fn rules_for(&self, meter: Option<&UsagePoint>, direction: Direction) -> &DayRules {
        meter
            .and_then(|m| self.meters.get(m))
            .unwrap_or(&self.global)
            .for_direction(direction)
    }

    /// Whether a schedule gives no off-peak range anywhere (every point is peak).
    pub fn is_empty(&self) -> bool {
        let scope_empty = |s: &ScopeRules| {
            let rules = std::iter::once(&s.consumption).chain(s.production.as_ref());
            rules.into_iter().all(|r| {
                r.every_day.is_empty()
                    && r.weekdays.iter().flatten().all(Vec::is_empty)
                    && r.holidays.as_ref().is_none_or(Vec::is_empty)
            })
        };
        scope_empty(&self.global) && self.meters.values().all(scope_empty)
    }
}

/// A ready-to-use classifier for one meter and direction: the scope is chosen once, so
/// classifying many points costs only the day lookup.
#[derive(Debug, Clone)]
pub struct Classifier<'a> {
    rules: &'a DayRules,
    zone: HolidayZone,
    /// The last Paris day looked at (days since 1970-01-01) and its ranges: points come in
    /// order, so the weekday and holiday lookup runs once a day, not once a point.
    day: Cell<(i64, &'a [TimeRange])>,
}

const SECONDS_PER_DAY: i64 = 86_400;
/// Days from 0001-01-01 (chrono's day 1) to 1970-01-01.
const UNIX_EPOCH_DAY_FROM_CE: i64 = 719_163;

impl<'a> Classifier<'a> {
    /// The classifier for `meter` (or any meter) and `direction` under `schedule`.
    pub fn new(
        schedule: &'a OffPeakSchedule,
        meter: Option<&UsagePoint>,
        direction: Direction,
        zone: HolidayZone,
    ) -> Classifier<'a> {
        Classifier {
            rules: schedule.rules_for(meter, direction),
            zone,
            day: Cell::new((i64::MIN, &[])),
        }
    }

    fn ranges_of_day(&self, day: i64) -> &'a [TimeRange] {
        let (cached_day, cached) = self.day.get();
        if cached_day == day {
            return cached;
        }
        let ranges = i32::try_from(day + UNIX_EPOCH_DAY_FROM_CE)
            .ok()
            .and_then(NaiveDate::from_num_days_from_ce_opt)
            .map_or(&self.rules.every_day[..], |date| {
                self.rules.ranges_on(date, self.zone)
            });
        self.day.set((day, ranges));
        ranges
    }

    /// Whether the Paris wall-clock second `local` (seconds since 1970-01-01 in Paris time) is
    /// off-peak.
    fn is_offpeak_local_second(&self, local: i64) -> bool {
        let ranges = self.ranges_of_day(local.div_euclid(SECONDS_PER_DAY));
        // In 0..86 400: fits.
        let second = local.rem_euclid(SECONDS_PER_DAY) as u32;
        ranges.iter().any(|r| r.contains_second(second))
    }

    /// Whether a Paris wall-clock instant is off-peak.
    pub fn is_offpeak_at(&self, local: NaiveDateTime) -> bool {
        self.is_offpeak_local_second(local.and_utc().timestamp())
    }

    /// Whether a load-curve point is off-peak: the middle of its interval decides.
    pub fn is_offpeak(&self, point: &LoadCurvePoint) -> bool {
        let middle = point.end.timestamp() - point.step.seconds() / 2;
        self.is_offpeak_local_second(middle + i64::from(paris::offset_seconds(middle)))
    }
}

const WEEKDAY_WORDS: [&str; 7] = [
    "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
];

fn write_day_rules(rules: &DayRules, parts: &mut Vec<String>) {
    let ranges = |list: &[TimeRange]| -> String {
        if list.is_empty() {
            "aucune".to_owned()
        } else {
            list.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" ")
        }
    };
    if !rules.every_day.is_empty() {
        parts.push(ranges(&rules.every_day));
    }
    for (day, list) in rules.weekdays.iter().enumerate() {
        if let Some(list) = list {
            parts.push(format!("{} {}", WEEKDAY_WORDS[day], ranges(list)));
        }
    }
    if let Some(list) = &rules.holidays {
        parts.push(format!("férié {}", ranges(list)));
    }
}

fn write_scope(scope: &ScopeRules, parts: &mut Vec<String>) {
    write_day_rules(&scope.consumption, parts);
    if let Some(prod) = &scope.production {
        parts.push("P".to_owned());
        if prod.is_empty() {
            parts.push("aucune".to_owned());
        }
        write_day_rules(prod, parts);
    }
}

/// The canonical text of a schedule: it parses back to the same schedule, and shows how the
/// input was understood (midnight ranges split, days spelled out, `aucune` for "none").
impl fmt::Display for OffPeakSchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        write_scope(&self.global, &mut parts);
        for (meter, scope) in &self.meters {
            parts.push(meter.to_string());
            let before = parts.len();
            write_scope(scope, &mut parts);
            if parts.len() == before {
                parts.push("aucune".to_owned());
            }
        }
        f.write_str(&parts.join(" "))
    }
}

#[cfg(test)]
mod tests;
