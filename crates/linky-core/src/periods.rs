//! The original plugin's dashboard periods (seed-spec §7): yesterday, the current and the last
//! week, the current and the last month, the year. "Current" means the one holding yesterday, so
//! on a Monday `cweek` is the week just ended. Each hour counts by its end stamp in Paris time.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};

/// A period of the original's options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DashboardPeriod {
    /// Yesterday.
    Day,
    /// The week (Monday to Sunday) containing yesterday.
    CurrentWeek,
    /// The week before.
    LastWeek,
    /// The month containing yesterday.
    CurrentMonth,
    /// The month before.
    LastMonth,
    /// The year containing yesterday.
    Year,
}

/// The original's period names, both ways.
const NAMES: [(&str, DashboardPeriod); 6] = [
    ("day", DashboardPeriod::Day),
    ("cweek", DashboardPeriod::CurrentWeek),
    ("lweek", DashboardPeriod::LastWeek),
    ("cmonth", DashboardPeriod::CurrentMonth),
    ("lmonth", DashboardPeriod::LastMonth),
    ("year", DashboardPeriod::Year),
];

impl DashboardPeriod {
    /// The six, shortest first.
    pub const ALL: [DashboardPeriod; 6] = [
        DashboardPeriod::Day,
        DashboardPeriod::CurrentWeek,
        DashboardPeriod::LastWeek,
        DashboardPeriod::CurrentMonth,
        DashboardPeriod::LastMonth,
        DashboardPeriod::Year,
    ];

    /// The first day any of the six periods covers on `today`: what the totals need to read.
    pub fn earliest_day(today: NaiveDate) -> NaiveDate {
        DashboardPeriod::ALL
            .iter()
            .map(|p| p.days(today).0)
            .min()
            .unwrap_or(today)
    }

    /// Its name in the options (`day`, `cweek`...).
    pub fn name(self) -> &'static str {
        NAMES
            .iter()
            .find(|(_, p)| *p == self)
            .map_or("day", |(n, _)| n)
    }

    /// The period called `name` (`day`, `cweek`...).
    pub fn named(name: &str) -> Option<DashboardPeriod> {
        NAMES.iter().find(|(n, _)| *n == name).map(|(_, p)| *p)
    }

    /// The half-open `(start, end]` bounds on Paris wall-clock stamps, `today` being the day
    /// the dashboard is shown; `None` end means no upper bound.
    pub fn bounds(self, today: NaiveDate) -> (NaiveDateTime, Option<NaiveDateTime>) {
        let midnight = |d: NaiveDate| d.and_hms_opt(0, 0, 0).unwrap_or_default();
        let yesterday = today - Duration::days(1);
        let week = yesterday - Duration::days(yesterday.weekday().num_days_from_monday().into());
        let month = yesterday.with_day(1).unwrap_or(yesterday);
        let previous_month = (month - Duration::days(1)).with_day(1).unwrap_or(month);
        let year = NaiveDate::from_ymd_opt(yesterday.year(), 1, 1).unwrap_or(yesterday);
        match self {
            DashboardPeriod::Day => (midnight(yesterday), Some(midnight(today))),
            DashboardPeriod::CurrentWeek => (midnight(week), None),
            DashboardPeriod::LastWeek => (midnight(week - Duration::days(7)), Some(midnight(week))),
            DashboardPeriod::CurrentMonth => (midnight(month), None),
            DashboardPeriod::LastMonth => (midnight(previous_month), Some(midnight(month))),
            DashboardPeriod::Year => (midnight(year), None),
        }
    }

    /// Its first and last Paris days, the current periods ending yesterday.
    pub fn days(self, today: NaiveDate) -> (NaiveDate, NaiveDate) {
        let (start, end) = self.bounds(today);
        let yesterday = today - Duration::days(1);
        (
            start.date(),
            end.map_or(yesterday, |e| e.date() - Duration::days(1)),
        )
    }
}

impl DashboardPeriod {
    /// The same period a year before, to compare with: weeks 52 weeks back (the same weekdays),
    /// days and months twelve months back (29 February gives 28 February).
    pub fn a_year_before(self, today: NaiveDate) -> (NaiveDate, NaiveDate) {
        let (from, to) = self.days(today);
        match self {
            DashboardPeriod::CurrentWeek | DashboardPeriod::LastWeek => {
                (from - Duration::days(364), to - Duration::days(364))
            }
            _ => {
                let back =
                    |d: NaiveDate| d.checked_sub_months(chrono::Months::new(12)).unwrap_or(d);
                (back(from), back(to))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_year_before_keeps_weekdays_for_weeks_and_dates_otherwise() {
        let today: NaiveDate = "2026-12-05".parse().unwrap();
        let at = |p: DashboardPeriod| {
            let (a, b) = p.a_year_before(today);
            (a.to_string(), b.to_string())
        };
        // This week: Monday 30 November to Friday 4 December 2026; a year before, Monday 1 to
        // Friday 5 December 2025.
        assert_eq!(
            at(DashboardPeriod::CurrentWeek),
            ("2025-12-01".into(), "2025-12-05".into())
        );
        assert_eq!(
            at(DashboardPeriod::Day),
            ("2025-12-04".into(), "2025-12-04".into())
        );
        assert_eq!(
            at(DashboardPeriod::LastMonth),
            ("2025-11-01".into(), "2025-11-30".into())
        );
        assert_eq!(
            at(DashboardPeriod::Year),
            ("2025-01-01".into(), "2025-12-04".into())
        );
    }

    fn d(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn bounds_of(p: DashboardPeriod, today: NaiveDate) -> (NaiveDateTime, Option<NaiveDateTime>) {
        p.bounds(today)
    }

    /// The original's observed boundaries (seed-spec §7.1).
    #[test]
    fn period_bounds_match_the_original() {
        let day = |t: &str| d(t).and_hms_opt(0, 0, 0).unwrap();
        for (today, expect) in [
            (
                "2024-05-16",
                [
                    "2024-05-15",
                    "2024-05-13",
                    "2024-05-06",
                    "2024-05-13",
                    "2024-05-01",
                    "2024-04-01",
                    "2024-05-01",
                    "2024-01-01",
                ],
            ),
            (
                "2024-05-13",
                [
                    "2024-05-12",
                    "2024-05-06",
                    "2024-04-29",
                    "2024-05-06",
                    "2024-05-01",
                    "2024-04-01",
                    "2024-05-01",
                    "2024-01-01",
                ],
            ),
            (
                "2025-01-01",
                [
                    "2024-12-31",
                    "2024-12-30",
                    "2024-12-23",
                    "2024-12-30",
                    "2024-12-01",
                    "2024-11-01",
                    "2024-12-01",
                    "2024-01-01",
                ],
            ),
            (
                "2024-03-01",
                [
                    "2024-02-29",
                    "2024-02-26",
                    "2024-02-19",
                    "2024-02-26",
                    "2024-02-01",
                    "2024-01-01",
                    "2024-02-01",
                    "2024-01-01",
                ],
            ),
        ] {
            let t = d(today);
            assert_eq!(
                bounds_of(DashboardPeriod::Day, t),
                (day(expect[0]), Some(day(today)))
            );
            assert_eq!(
                bounds_of(DashboardPeriod::CurrentWeek, t),
                (day(expect[1]), None)
            );
            assert_eq!(
                bounds_of(DashboardPeriod::LastWeek, t),
                (day(expect[2]), Some(day(expect[3])))
            );
            assert_eq!(
                bounds_of(DashboardPeriod::CurrentMonth, t),
                (day(expect[4]), None)
            );
            assert_eq!(
                bounds_of(DashboardPeriod::LastMonth, t),
                (day(expect[5]), Some(day(expect[6])))
            );
            assert_eq!(bounds_of(DashboardPeriod::Year, t), (day(expect[7]), None));
        }
    }

    #[test]
    fn on_a_monday_the_current_week_is_the_week_just_ended() {
        let monday = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
        assert_eq!(
            DashboardPeriod::CurrentWeek.days(monday),
            (d(11, 23), d(11, 29))
        );
        assert_eq!(
            DashboardPeriod::LastWeek.days(monday),
            (d(11, 16), d(11, 22))
        );
        assert_eq!(DashboardPeriod::Day.days(monday), (d(11, 29), d(11, 29)));
        assert_eq!(
            DashboardPeriod::LastMonth.days(monday),
            (d(10, 1), d(10, 31))
        );
        for p in DashboardPeriod::ALL {
            assert_eq!(DashboardPeriod::named(p.name()), Some(p));
        }
    }
}
