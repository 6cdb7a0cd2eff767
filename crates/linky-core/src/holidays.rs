//! French public holidays ("jours fériés").
//!
//! The rules and names follow the etalab `jours-feries-france` calendar the original plugin used,
//! with each holiday's first year. The original only knew Métropole; Alsace-Moselle adds Good
//! Friday and St Stephen's Day, and is offered as an option.

use chrono::{Datelike, Duration, NaiveDate};

/// Which calendar of public holidays applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum HolidayZone {
    /// Mainland France: the 11 national holidays. The original's (only) calendar.
    #[default]
    Metropole,
    /// Alsace and Moselle: the 11 national holidays plus Good Friday and 26 December.
    AlsaceMoselle,
}

/// One public holiday.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicHoliday {
    /// Its date.
    pub date: NaiveDate,
    /// Its French name, as the etalab calendar spells it.
    pub name: &'static str,
    /// Its English name.
    pub name_en: &'static str,
}

#[derive(Clone, Copy)]
enum Rule {
    Fixed { month: u32, day: u32 },
    AfterEaster(i64),
}

struct Definition {
    rule: Rule,
    name: &'static str,
    name_en: &'static str,
    /// First year the holiday exists (and the years it was suspended, for 8 May).
    valid: fn(i32) -> bool,
    alsace_moselle_only: bool,
}

const DEFINITIONS: [Definition; 13] = [
    Definition {
        rule: Rule::Fixed { month: 1, day: 1 },
        name: "1er janvier",
        name_en: "New Year's Day",
        valid: |y| y > 1810,
        alsace_moselle_only: false,
    },
    Definition {
        rule: Rule::AfterEaster(-2),
        name: "Vendredi saint",
        name_en: "Good Friday",
        valid: |y| y >= 1886,
        alsace_moselle_only: true,
    },
    Definition {
        rule: Rule::AfterEaster(1),
        name: "Lundi de Pâques",
        name_en: "Easter Monday",
        valid: |y| y >= 1886,
        alsace_moselle_only: false,
    },
    Definition {
        rule: Rule::Fixed { month: 5, day: 1 },
        name: "1er mai",
        name_en: "Labour Day",
        valid: |y| y > 1919,
        alsace_moselle_only: false,
    },
    Definition {
        rule: Rule::Fixed { month: 5, day: 8 },
        name: "8 mai",
        name_en: "Victory in Europe Day",
        valid: |y| (1953..=1959).contains(&y) || y > 1981,
        alsace_moselle_only: false,
    },
    Definition {
        rule: Rule::AfterEaster(39),
        name: "Ascension",
        name_en: "Ascension Day",
        valid: |y| y >= 1886,
        alsace_moselle_only: false,
    },
    Definition {
        rule: Rule::AfterEaster(50),
        name: "Lundi de Pentecôte",
        name_en: "Whit Monday",
        valid: |y| y >= 1886,
        alsace_moselle_only: false,
    },
    Definition {
        rule: Rule::Fixed { month: 7, day: 14 },
        name: "14 juillet",
        name_en: "Bastille Day",
        valid: |y| y >= 1880,
        alsace_moselle_only: false,
    },
    Definition {
        rule: Rule::Fixed { month: 8, day: 15 },
        name: "Assomption",
        name_en: "Assumption Day",
        valid: |y| y >= 1802,
        alsace_moselle_only: false,
    },
    Definition {
        rule: Rule::Fixed { month: 11, day: 1 },
        name: "Toussaint",
        name_en: "All Saints' Day",
        valid: |y| y >= 1802,
        alsace_moselle_only: false,
    },
    Definition {
        rule: Rule::Fixed { month: 11, day: 11 },
        name: "11 novembre",
        name_en: "Armistice Day",
        valid: |y| y >= 1918,
        alsace_moselle_only: false,
    },
    Definition {
        rule: Rule::Fixed { month: 12, day: 25 },
        name: "Jour de Noël",
        name_en: "Christmas Day",
        valid: |y| y >= 1802,
        alsace_moselle_only: false,
    },
    Definition {
        rule: Rule::Fixed { month: 12, day: 26 },
        name: "2ème jour de Noël",
        name_en: "St Stephen's Day",
        valid: |_| true,
        alsace_moselle_only: true,
    },
];

/// Easter Sunday of a Gregorian year (anonymous Gregorian algorithm), or `None` outside the
/// years chrono can represent.
pub fn easter_sunday(year: i32) -> Option<NaiveDate> {
    let a = year.rem_euclid(19);
    let b = year.div_euclid(100);
    let c = year.rem_euclid(100);
    let d = (19 * a + b - b / 4 - ((b - (b + 8) / 25 + 1) / 3) + 15).rem_euclid(30);
    let e = (32 + 2 * (b % 4) + 2 * (c / 4) - d - (c % 4)).rem_euclid(7);
    let f = d + e - 7 * ((a + 11 * d + 22 * e) / 451) + 114;
    let month = u32::try_from(f / 31).ok()?;
    let day = u32::try_from(f % 31 + 1).ok()?;
    NaiveDate::from_ymd_opt(year, month, day)
}

impl Definition {
    fn applies(&self, year: i32, zone: HolidayZone) -> bool {
        (!self.alsace_moselle_only || zone == HolidayZone::AlsaceMoselle) && (self.valid)(year)
    }

    fn date(&self, year: i32, easter: Option<NaiveDate>) -> Option<NaiveDate> {
        match self.rule {
            Rule::Fixed { month, day } => NaiveDate::from_ymd_opt(year, month, day),
            Rule::AfterEaster(days) => easter.map(|e| e + Duration::days(days)),
        }
    }
}

/// The public holidays of a year in a zone, in date order.
pub fn holidays(year: i32, zone: HolidayZone) -> Vec<PublicHoliday> {
    let easter = easter_sunday(year);
    let mut out: Vec<PublicHoliday> = DEFINITIONS
        .iter()
        .filter(|d| d.applies(year, zone))
        .filter_map(|d| {
            d.date(year, easter).map(|date| PublicHoliday {
                date,
                name: d.name,
                name_en: d.name_en,
            })
        })
        .collect();
    out.sort_by_key(|h| h.date);
    out
}

/// Whether a date is a public holiday in a zone. Allocation-free: it runs for every load-curve
/// point that is classified.
pub fn is_public_holiday(date: NaiveDate, zone: HolidayZone) -> bool {
    let year = date.year();
    let mut easter = None;
    DEFINITIONS
        .iter()
        .filter(|d| d.applies(year, zone))
        .any(|d| match d.rule {
            Rule::Fixed { month, day } => date.month() == month && date.day() == day,
            Rule::AfterEaster(_) => {
                // Easter-based days fall between March and June.
                (3..=6).contains(&date.month())
                    && d.date(year, *easter.get_or_insert_with(|| easter_sunday(year)))
                        == Some(date)
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn easter_based_days_match_the_checked_output() {
        // seed-spec §6, checked against the original's output.
        let expect = [
            (2024, (4, 1), (5, 9), (5, 20)),
            (2025, (4, 21), (5, 29), (6, 9)),
            (2026, (4, 6), (5, 14), (5, 25)),
            (2027, (3, 29), (5, 6), (5, 17)),
        ];
        for (y, monday, ascension, whit) in expect {
            let h = holidays(y, HolidayZone::Metropole);
            let find = |name: &str| h.iter().find(|x| x.name == name).unwrap().date;
            assert_eq!(find("Lundi de Pâques"), date(y, monday.0, monday.1));
            assert_eq!(find("Ascension"), date(y, ascension.0, ascension.1));
            assert_eq!(find("Lundi de Pentecôte"), date(y, whit.0, whit.1));
        }
    }

    #[test]
    fn easter_sundays_2020_to_2030() {
        let known = [
            (2020, 4, 12),
            (2021, 4, 4),
            (2022, 4, 17),
            (2023, 4, 9),
            (2024, 3, 31),
            (2025, 4, 20),
            (2026, 4, 5),
            (2027, 3, 28),
            (2028, 4, 16),
            (2029, 4, 1),
            (2030, 4, 21),
        ];
        for (y, m, d) in known {
            assert_eq!(easter_sunday(y), Some(date(y, m, d)), "{y}");
        }
    }

    #[test]
    fn every_year_2020_to_2030_has_11_holidays_and_13_in_alsace_moselle() {
        for y in 2020..=2030 {
            let metropole = holidays(y, HolidayZone::Metropole);
            let alsace = holidays(y, HolidayZone::AlsaceMoselle);
            assert_eq!(metropole.len(), 11, "{y}");
            assert_eq!(alsace.len(), 13, "{y}");
            assert!(metropole.windows(2).all(|w| w[0].date <= w[1].date));
            // The two helpers agree on every day of the year.
            let mut d = date(y, 1, 1);
            while d.year() == y {
                for (zone, list) in [
                    (HolidayZone::Metropole, &metropole),
                    (HolidayZone::AlsaceMoselle, &alsace),
                ] {
                    assert_eq!(
                        is_public_holiday(d, zone),
                        list.iter().any(|h| h.date == d),
                        "{d} {zone:?}"
                    );
                }
                d = d.succ_opt().unwrap();
            }
        }
    }

    #[test]
    fn seed_vectors_holiday_status() {
        let m = HolidayZone::Metropole;
        assert!(is_public_holiday(date(2024, 5, 8), m));
        assert!(is_public_holiday(date(2024, 5, 9), m));
        assert!(is_public_holiday(date(2024, 5, 20), m));
        assert!(is_public_holiday(date(2024, 4, 1), m));
        assert!(
            !is_public_holiday(date(2024, 3, 29), m),
            "Good Friday is not a Métropole holiday"
        );
        assert!(!is_public_holiday(date(2024, 12, 26), m));
        assert!(is_public_holiday(
            date(2024, 3, 29),
            HolidayZone::AlsaceMoselle
        ));
        assert!(is_public_holiday(
            date(2024, 12, 26),
            HolidayZone::AlsaceMoselle
        ));
    }

    #[test]
    fn historical_validity() {
        // 8 May was not a holiday between 1960 and 1981.
        assert!(!is_public_holiday(date(1970, 5, 8), HolidayZone::Metropole));
        assert!(is_public_holiday(date(1955, 5, 8), HolidayZone::Metropole));
        assert_eq!(holidays(1900, HolidayZone::Metropole).len(), 8);
    }
}
