//! The planner: from what the store holds, which windows to ask Enedis for, in which order.
//! Pure: no clock, no I/O; everything it needs comes in as arguments.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Months, NaiveDate, NaiveDateTime, Timelike, Utc};
use linky_core::{Direction, UsagePoint};
use linky_store::{Absence, DayState, Kind, LedgerEntry};

/// How much history to hold and how to ask for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncSettings {
    /// Days of load curve to hold (at most 730: Enedis keeps 24 months).
    pub curve_days: u32,
    /// Days of daily energy to hold (at most 1 095: 36 months). There is no peak / off-peak
    /// split for days before the load-curve history.
    pub daily_days: u32,
    /// Days of daily maximum power to hold (at most 1 095).
    pub max_power_days: u32,
    /// Longest load-curve window (Enedis: 7 days).
    pub curve_window_days: i64,
    /// Longest daily and max-power window (undocumented; the original asks 1 095 days).
    pub daily_window_days: i64,
    /// Paris hour at which Enedis publishes D-1.
    pub publication_hour: u32,
    /// How many of the latest days may still be published late.
    pub late_days: i64,
    /// Once a meter's load curve is held, Enedis's daily totals only cross-check it: they are
    /// asked this many days at a time, in one call (a week: 4 calls a month instead of 30).
    pub daily_check_days: i64,
}

impl Default for SyncSettings {
    fn default() -> SyncSettings {
        SyncSettings {
            curve_days: 730,
            daily_days: 1095,
            max_power_days: 1095,
            curve_window_days: 7,
            daily_window_days: 1095,
            publication_hour: 8,
            late_days: 2,
            daily_check_days: 7,
        }
    }
}

impl SyncSettings {
    /// The days of `kind` to hold, inclusive, as of Paris time `now_local`: from the history
    /// depth (clamped to Enedis' and to the activation date) to the last published day.
    pub fn span(
        &self,
        kind: Kind,
        now_local: NaiveDateTime,
        activation: Option<NaiveDate>,
    ) -> Option<(NaiveDate, NaiveDate)> {
        let today = now_local.date();
        let (days, enedis_months) = match kind {
            Kind::Curve => (self.curve_days.min(730), 24),
            Kind::Daily => (self.daily_days.min(1095), 36),
            Kind::MaxPower => (self.max_power_days.min(1095), 36),
        };
        let deadline = today
            .checked_sub_months(Months::new(enedis_months))
            .unwrap_or(today)
            - Duration::days(15);
        let mut first = (today - Duration::days(i64::from(days))).max(deadline);
        if let Some(a) = activation {
            first = first.max(a);
        }
        let last = self.last_published(now_local);
        (days > 0 && first <= last).then_some((first, last))
    }

    /// The last day Enedis has published by `now_local` (D-1 from the publication hour on).
    pub fn last_published(&self, now_local: NaiveDateTime) -> NaiveDate {
        let back = if now_local.hour() >= self.publication_hour {
            1
        } else {
            2
        };
        now_local.date() - Duration::days(back)
    }

    /// The longest window for a kind.
    pub fn window_days(&self, kind: Kind) -> i64 {
        match kind {
            Kind::Curve => self.curve_window_days,
            _ => self.daily_window_days,
        }
    }
}

/// One series of one meter: what the planner needs to know of it.
#[derive(Debug, Clone)]
pub struct SeriesView {
    /// The meter.
    pub pdl: UsagePoint,
    /// Direction.
    pub direction: Direction,
    /// Kind.
    pub kind: Kind,
    /// Activation date, if known.
    pub activation: Option<NaiveDate>,
    /// A whole-series absence, if any.
    pub absence: Option<Absence>,
    /// The ledger over the span.
    pub ledger: BTreeMap<NaiveDate, LedgerEntry>,
    /// Daily totals whose load curve is held: they only cross-check it (see
    /// [`SyncSettings::daily_check_days`]).
    pub cross_check_only: bool,
}

/// A window to ask Enedis for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    /// The meter.
    pub pdl: UsagePoint,
    /// Direction.
    pub direction: Direction,
    /// Kind.
    pub kind: Kind,
    /// First day.
    pub start: NaiveDate,
    /// Day after the last (Enedis' `end` is exclusive).
    pub end: NaiveDate,
}

impl Window {
    /// Days in the window.
    pub fn days(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        self.start.iter_days().take_while(move |d| *d < self.end)
    }

    /// Number of days.
    pub fn len(&self) -> i64 {
        (self.end - self.start).num_days()
    }

    /// Whether it covers no day.
    pub fn is_empty(&self) -> bool {
        self.len() <= 0
    }

    /// The window cut in two, newer half first (to find a boundary such as an activation date).
    pub fn halves(&self) -> [Window; 2] {
        let middle = self.start + Duration::days(self.len() / 2);
        [
            Window {
                start: middle,
                ..self.clone()
            },
            Window {
                end: middle,
                ..self.clone()
            },
        ]
    }
}

/// Whether a day must be asked for now.
pub fn is_needed(entry: Option<&LedgerEntry>, now: DateTime<Utc>) -> bool {
    match entry {
        None => true,
        Some(e) => match e.state {
            DayState::Fetched | DayState::Absent | DayState::Mismatch => false,
            DayState::Refetch => true,
            DayState::NotPublished | DayState::Failed => e.next_try_at.is_none_or(|t| t <= now),
        },
    }
}

/// Covers the needed days with as few windows as possible, newest first: each window ends on the
/// newest uncovered needed day and reaches back at most `max_len` days (not before `first`).
pub fn cover(needed: &[NaiveDate], first: NaiveDate, max_len: i64) -> Vec<(NaiveDate, NaiveDate)> {
    let mut days: Vec<NaiveDate> = needed.to_vec();
    days.sort_unstable();
    days.dedup();
    let mut out = Vec::new();
    while let Some(&newest) = days.last() {
        let start = (newest - Duration::days(max_len.max(1) - 1)).max(first);
        out.push((start, newest + Duration::days(1)));
        days.retain(|d| *d < start);
    }
    out
}

/// What a series needs now: nothing, a re-check of a whole-series absence, or windows.
pub fn series_windows(
    view: &SeriesView,
    settings: &SyncSettings,
    now: DateTime<Utc>,
    now_local: NaiveDateTime,
) -> Vec<Window> {
    let Some((first, last)) = settings.span(view.kind, now_local, view.activation) else {
        return Vec::new();
    };
    let make = |(start, end): (NaiveDate, NaiveDate)| Window {
        pdl: view.pdl.clone(),
        direction: view.direction,
        kind: view.kind,
        start,
        end,
    };
    if let Some(absence) = &view.absence {
        if absence.recheck_at > now {
            return Vec::new();
        }
        // Re-check with the newest window only: one call tells whether the series exists now.
        let start = (last - Duration::days(settings.window_days(view.kind).min(7) - 1)).max(first);
        return vec![make((start, last + Duration::days(1)))];
    }
    let needed: Vec<NaiveDate> = first
        .iter_days()
        .take_while(|d| *d <= last)
        .filter(|d| is_needed(view.ledger.get(d), now))
        .collect();
    let mut first = first;
    if view.cross_check_only {
        // Wait until the oldest day asked for is a whole check period old: then one call, from
        // that day on (the stored years are not asked again).
        let period = settings.daily_check_days.max(1);
        match needed.first() {
            Some(oldest) if (last - *oldest).num_days() < period - 1 => return Vec::new(),
            Some(oldest) => first = *oldest,
            None => {}
        }
    }
    cover(&needed, first, settings.window_days(view.kind))
        .into_iter()
        .map(make)
        .collect()
}

fn kind_rank(kind: Kind) -> u8 {
    // Daily first: one call tells whether the meter has data at all, and lets a load-curve
    // 404 be told apart from "collection not enabled".
    match kind {
        Kind::Daily => 0,
        Kind::MaxPower => 1,
        Kind::Curve => 2,
    }
}

/// Orders windows: the recent ones (ending within the last week) of every series first, so a long
/// backfill never delays yesterday's data; then the backfill, newest first.
pub fn order(mut windows: Vec<Window>, today: NaiveDate) -> Vec<Window> {
    let recent_from = today - Duration::days(7);
    windows.sort_by_key(|w| {
        (
            w.end <= recent_from,
            std::cmp::Reverse(w.end),
            kind_rank(w.kind),
            w.pdl.clone(),
            w.direction,
        )
    });
    windows
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn local(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    fn view(kind: Kind) -> SeriesView {
        SeriesView {
            pdl: "22516914714270".parse().unwrap(),
            direction: Direction::Consumption,
            kind,
            activation: None,
            absence: None,
            ledger: BTreeMap::new(),
            cross_check_only: false,
        }
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 28, 10, 0, 0).unwrap()
    }

    #[test]
    fn spans_respect_publication_history_and_activation() {
        let s = SyncSettings::default();
        assert_eq!(
            s.span(Kind::Curve, local("2026-11-28 11:00"), None),
            Some((d("2024-11-28"), d("2026-11-27")))
        );
        assert_eq!(
            s.span(Kind::Curve, local("2026-11-28 07:59"), None)
                .unwrap()
                .1,
            d("2026-11-26"),
            "D-1 not published before 08:00"
        );
        assert_eq!(
            s.span(Kind::Daily, local("2026-11-28 11:00"), None)
                .unwrap()
                .0,
            d("2023-11-29")
        );
        assert_eq!(
            s.span(
                Kind::Daily,
                local("2026-11-28 11:00"),
                Some(d("2025-03-01"))
            )
            .unwrap()
            .0,
            d("2025-03-01")
        );
        assert_eq!(
            SyncSettings {
                curve_days: 900,
                ..s.clone()
            }
            .span(Kind::Curve, local("2026-11-28 11:00"), None)
            .unwrap()
            .0,
            d("2024-11-28"),
            "730 at most"
        );
        assert_eq!(
            s.span(
                Kind::Curve,
                local("2026-11-28 11:00"),
                Some(d("2026-11-28"))
            ),
            None,
            "activated today: nothing yet"
        );
    }

    /// Daily totals that only cross-check a held load curve are asked a week at a time.
    #[test]
    fn cross_check_totals_wait_for_a_whole_week() {
        let s = SyncSettings::default();
        let fetched = LedgerEntry {
            state: DayState::Fetched,
            reason: None,
            attempts: 0,
            next_try_at: None,
        };
        let mut v = view(Kind::Daily);
        v.cross_check_only = true;
        let now_local = local("2026-11-28 11:00");
        let (first, _) = s.span(Kind::Daily, now_local, None).unwrap();
        for held_until in ["2026-11-24", "2026-11-21", "2026-11-20"] {
            v.ledger = first
                .iter_days()
                .take_while(|day| *day <= d(held_until))
                .map(|day| (day, fetched.clone()))
                .collect();
            let windows = series_windows(&v, &s, now(), now_local);
            match held_until {
                // 3 then 6 days waiting: not yet.
                "2026-11-24" | "2026-11-21" => assert!(windows.is_empty(), "{held_until}"),
                // 7 days waiting: one call for the week.
                _ => {
                    assert_eq!(windows.len(), 1);
                    assert_eq!(
                        (windows[0].start, windows[0].end),
                        (d("2026-11-21"), d("2026-11-28"))
                    );
                }
            }
        }
        v.cross_check_only = false;
        v.ledger.retain(|day, _| *day <= d("2026-11-24"));
        assert_eq!(
            series_windows(&v, &s, now(), now_local).len(),
            1,
            "the only data of a meter without a load curve is asked every day"
        );
    }

    #[test]
    fn full_history_is_105_curve_windows_and_one_daily() {
        let s = SyncSettings::default();
        let curve = series_windows(&view(Kind::Curve), &s, now(), local("2026-11-28 11:00"));
        assert_eq!(curve.len(), 105, "730 days in 7-day windows");
        assert!(curve.iter().all(|w| w.len() <= 7));
        assert_eq!(curve[0].end, d("2026-11-28"));
        let daily = series_windows(&view(Kind::Daily), &s, now(), local("2026-11-28 11:00"));
        assert_eq!(daily.len(), 1);
        assert_eq!(daily[0].len(), 1095);
    }

    #[test]
    fn only_missing_days_are_asked_in_as_few_windows_as_possible() {
        let s = SyncSettings {
            curve_days: 30,
            ..SyncSettings::default()
        };
        let mut v = view(Kind::Curve);
        let fetched = LedgerEntry {
            state: DayState::Fetched,
            reason: None,
            attempts: 0,
            next_try_at: None,
        };
        for day in d("2026-10-29")
            .iter_days()
            .take_while(|x| *x <= d("2026-11-26"))
        {
            v.ledger.insert(day, fetched.clone());
        }
        // Only yesterday is missing: one one-week window ending yesterday (the other days in it cost nothing more).
        let w = series_windows(&v, &s, now(), local("2026-11-28 11:00"));
        assert_eq!(w.len(), 1);
        assert_eq!((w[0].start, w[0].end), (d("2026-11-21"), d("2026-11-28")));
        // A failed day waits for its retry time; an absent day is never asked again.
        v.ledger.insert(
            d("2026-11-27"),
            LedgerEntry {
                state: DayState::Failed,
                reason: None,
                attempts: 1,
                next_try_at: Some(now() + Duration::hours(1)),
            },
        );
        assert!(series_windows(&v, &s, now(), local("2026-11-28 11:00")).is_empty());
        assert_eq!(
            series_windows(
                &v,
                &s,
                now() + Duration::hours(2),
                local("2026-11-28 13:00")
            )
            .len(),
            1
        );
        v.ledger.insert(
            d("2026-11-27"),
            LedgerEntry {
                state: DayState::Absent,
                reason: Some("no_data_found".into()),
                attempts: 0,
                next_try_at: None,
            },
        );
        assert!(series_windows(
            &v,
            &s,
            now() + Duration::hours(2),
            local("2026-11-28 13:00")
        )
        .is_empty());
    }

    #[test]
    fn absences_wait_then_probe_once() {
        let s = SyncSettings::default();
        let mut v = view(Kind::Curve);
        v.absence = Some(Absence {
            direction: Direction::Consumption,
            kind: Kind::Curve,
            reason: "curve_not_enabled".into(),
            recheck_at: now() + Duration::days(1),
        });
        assert!(series_windows(&v, &s, now(), local("2026-11-28 11:00")).is_empty());
        let probe = series_windows(&v, &s, now() + Duration::days(2), local("2026-11-30 11:00"));
        assert_eq!(probe.len(), 1);
        assert_eq!(probe[0].end, d("2026-11-30"));
    }

    #[test]
    fn recent_windows_first() {
        let s = SyncSettings::default();
        let mut all = series_windows(&view(Kind::Curve), &s, now(), local("2026-11-28 11:00"));
        all.extend(series_windows(
            &view(Kind::Daily),
            &s,
            now(),
            local("2026-11-28 11:00"),
        ));
        let other = SeriesView {
            pdl: "11453290002823".parse().unwrap(),
            ..view(Kind::Curve)
        };
        all.extend(series_windows(&other, &s, now(), local("2026-11-28 11:00")));
        let ordered = order(all, d("2026-11-28"));
        let first_three: Vec<(String, Kind)> = ordered
            .iter()
            .take(3)
            .map(|w| (w.pdl.to_string(), w.kind))
            .collect();
        assert_eq!(first_three[0].1, Kind::Daily);
        assert!(
            ordered[..3].iter().all(|w| w.end == d("2026-11-28")),
            "yesterday for every series before any backfill"
        );
        assert!(
            ordered.windows(2).skip(3).all(|p| p[0].end >= p[1].end),
            "then newest first"
        );
    }

    #[test]
    fn halves_split_newer_first() {
        let w = Window {
            pdl: "22516914714270".parse().unwrap(),
            direction: Direction::Consumption,
            kind: Kind::Curve,
            start: d("2026-11-01"),
            end: d("2026-11-08"),
        };
        let [a, b] = w.halves();
        assert_eq!(
            (a.start, a.end, b.start, b.end),
            (
                d("2026-11-04"),
                d("2026-11-08"),
                d("2026-11-01"),
                d("2026-11-04")
            )
        );
    }
}
