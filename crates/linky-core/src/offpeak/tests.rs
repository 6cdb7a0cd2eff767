use super::*;
use crate::holidays::HolidayZone;
use crate::{Lang, Localized};

fn parse(s: &str) -> OffPeakSchedule {
    OffPeakSchedule::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn err(s: &str) -> ParseError {
    OffPeakSchedule::parse(s).expect_err(s)
}

fn at(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
}

fn offpeak(schedule: &str, meter: Option<&str>, direction: Direction, when: &str) -> bool {
    let schedule = parse(schedule);
    let meter: Option<UsagePoint> = meter.map(|m| m.parse().unwrap());
    Classifier::new(&schedule, meter.as_ref(), direction, HolidayZone::Metropole)
        .is_offpeak_at(at(when))
}

#[test]
fn canonical_text_shows_how_input_was_understood() {
    let cases = [
        ("", ""),
        ("22h-6h", "22h00-24h00 0h00-6h00"),
        ("HC (1H30-8H00;12H30-14H00)", "1h30-8h00 12h30-14h00"),
        (
            "samedi et dimanche 0h-24h",
            "samedi 0h00-24h00 dimanche 0h00-24h00",
        ),
        (
            "du lundi au mercredi 8h-9h",
            "lundi 8h00-9h00 mardi 8h00-9h00 mercredi 8h00-9h00",
        ),
        (
            "vendredi-lundi 1h-2h",
            "lundi 1h00-2h00 vendredi 1h00-2h00 samedi 1h00-2h00 dimanche 1h00-2h00",
        ),
        ("week-end 8h-9h", "samedi 8h00-9h00 dimanche 8h00-9h00"),
        (
            "semaine 8h-9h",
            "lundi 8h00-9h00 mardi 8h00-9h00 mercredi 8h00-9h00 jeudi 8h00-9h00 vendredi 8h00-9h00",
        ),
        ("1h-2h P", "1h00-2h00 P aucune"),
        (
            "12345678901234 88888888888888 1h-2h",
            "12345678901234 aucune 88888888888888 1h00-2h00",
        ),
        ("lundi 8h-9h mardi", "lundi 8h00-9h00 mardi aucune"),
        ("22 h-6 h", "22h00-24h00 0h00-6h00"),
        ("mercredi:8h-9h", "mercredi 8h00-9h00"),
        ("jour férié 8h-9h", "férié 8h00-9h00"),
        ("public holiday 8h-9h", "férié 8h00-9h00"),
        (
            "Monday to Friday 7h-8h",
            "lundi 7h00-8h00 mardi 7h00-8h00 mercredi 7h00-8h00 jeudi 7h00-8h00 vendredi 7h00-8h00",
        ),
        ("12345678901234P 8h-9h", "12345678901234 P 8h00-9h00"),
    ];
    for (input, canonical) in cases {
        let s = parse(input);
        assert_eq!(s.to_string(), canonical, "{input}");
        assert_eq!(parse(canonical), s, "round trip of {input}");
    }
}

#[test]
fn errors_name_the_token_and_its_position() {
    let cases: [(&str, ParseErrorKind, usize, &str); 16] = [
        ("fête 8h-9h", ParseErrorKind::UnknownWord, 1, "fête"),
        ("8h-9h 123", ParseErrorKind::NotAMeter, 7, "123"),
        ("22h-6h hp 6h-22h", ParseErrorKind::PeakHours, 8, "hp"),
        ("we 8h-9h", ParseErrorKind::AmbiguousWe, 1, "we"),
        ("25h00-26h70", ParseErrorKind::BadHour, 1, "25h00"),
        ("8h5-9h75", ParseErrorKind::BadMinutes, 5, "9h75"),
        ("8h-8h", ParseErrorKind::EmptyRange, 1, "8h-8h"),
        ("ve 22h-6h", ParseErrorKind::MidnightUnderDay, 4, "22h-6h"),
        ("22h", ParseErrorKind::MissingRangeEnd, 1, "22h"),
        ("22h 6h", ParseErrorKind::MissingRangeSeparator, 5, "6h"),
        (
            "dimanche P 8h-9h",
            ParseErrorKind::DayBeforeProduction,
            1,
            "dimanche",
        ),
        ("P 1h-2h P 3h-4h", ParseErrorKind::ProductionTwice, 9, "P"),
        (
            "Jeudi 10h-11h jour 12h-13h",
            ParseErrorKind::Dangling,
            15,
            "jour",
        ),
        (
            "lundi 8h-9h aucune",
            ParseErrorKind::NoneAfterRanges,
            13,
            "aucune",
        ),
        (
            "8h-9h @ 10h-11h",
            ParseErrorKind::UnexpectedCharacter,
            7,
            "@",
        ),
        ("8h-9h - 10h-11h", ParseErrorKind::StraySeparator, 7, "-"),
    ];
    for (input, kind, position, token) in cases {
        let e = err(input);
        assert_eq!(
            (e.kind.clone(), e.position, e.token.as_str()),
            (kind, position, token),
            "{input}"
        );
        let en = e.localized(Lang::En);
        let fr = e.localized(Lang::Fr);
        assert!(
            en.contains(&format!("position {position}")) && en.contains(token),
            "{en}"
        );
        assert!(
            fr.starts_with("heures creuses, position") && fr.contains(token),
            "{fr}"
        );
        assert_ne!(en, fr);
    }
}

#[test]
fn half_hour_boundaries_are_exact_at_native_step() {
    // The original rounds 22h30 to the hour; per-point classification does not.
    let s = "22h30-6h30";
    let c = Direction::Consumption;
    assert!(
        !offpeak(s, None, c, "2024-05-15 22:15"),
        "22:00-22:30 point"
    );
    assert!(offpeak(s, None, c, "2024-05-15 22:45"), "22:30-23:00 point");
    assert!(offpeak(s, None, c, "2024-05-16 06:15"), "06:00-06:30 point");
    assert!(
        !offpeak(s, None, c, "2024-05-16 06:45"),
        "06:30-07:00 point"
    );
}

#[test]
fn holiday_replaces_weekday_which_replaces_every_day() {
    let s = "8h-9h mercredi 12h-13h fe 10h-11h";
    let c = Direction::Consumption;
    assert!(offpeak(s, None, c, "2024-05-08 10:30")); // Wednesday 8 May: holiday list
    assert!(!offpeak(s, None, c, "2024-05-08 12:30"));
    assert!(offpeak(s, None, c, "2024-05-15 12:30")); // ordinary Wednesday
    assert!(!offpeak(s, None, c, "2024-05-15 08:30"));
    assert!(offpeak(s, None, c, "2024-05-16 08:30")); // Thursday: every day
}

#[test]
fn alsace_moselle_holidays_are_an_option() {
    let s = parse("fe 0h-24h");
    let rules = s.rules_for(None, Direction::Consumption);
    let good_friday = at("2024-03-29 10:30");
    assert!(!rules.is_offpeak_at(good_friday, HolidayZone::Metropole));
    assert!(rules.is_offpeak_at(good_friday, HolidayZone::AlsaceMoselle));
}

#[test]
fn meter_scope_replaces_global_and_production_falls_back() {
    let s = "2h-7h P 12h-14h 12345678901234 3h-4h";
    let (c, p) = (Direction::Consumption, Direction::Production);
    assert!(offpeak(s, Some("99999999999999"), p, "2024-05-15 12:30"));
    assert!(!offpeak(s, Some("99999999999999"), p, "2024-05-15 02:30"));
    assert!(
        offpeak(s, Some("12345678901234"), p, "2024-05-15 03:30"),
        "no P in the meter scope: production uses consumption"
    );
    assert!(
        !offpeak(s, Some("12345678901234"), c, "2024-05-15 02:30"),
        "global does not leak into the meter scope"
    );
    assert!(!parse(s).is_empty());
    assert!(parse("").is_empty());
    assert!(parse("P 12345678901234 lundi").is_empty());
}

#[test]
fn enedis_contract_forms() {
    for (text, expected) in [
        ("HC (22H00-6H00)", "22h00-24h00 0h00-6h00"),
        ("HC (1H30-8H00;12H30-14H00)", "1h30-8h00 12h30-14h00"),
        ("HC (22H50-6H50)", "22h50-24h00 0h00-6h50"),
    ] {
        assert_eq!(
            OffPeakSchedule::from_enedis_contract(text)
                .unwrap()
                .to_string(),
            expected
        );
    }
}

#[test]
fn classifier_uses_point_midpoint() {
    use crate::{LoadCurvePoint, Step};
    use chrono::TimeZone;
    let s = parse("22h30-6h30");
    let c = Classifier::new(&s, None, Direction::Consumption, HolidayZone::Metropole);
    // 2024-05-15 22:30 Paris = 20:30 UTC: the point 22:00-22:30 is peak, 22:30-23:00 off-peak.
    let p1 = LoadCurvePoint {
        end: chrono::Utc
            .with_ymd_and_hms(2024, 5, 15, 20, 30, 0)
            .unwrap(),
        step: Step::PT30M,
        watts: 1,
    };
    let p2 = LoadCurvePoint {
        end: chrono::Utc.with_ymd_and_hms(2024, 5, 15, 21, 0, 0).unwrap(),
        step: Step::PT30M,
        watts: 1,
    };
    assert!(!c.is_offpeak(&p1));
    assert!(c.is_offpeak(&p2));
}
