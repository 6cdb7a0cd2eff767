//! Every off-peak test vector of the original plugin (shared/reference/seed-spec.md §5.3 and
//! §5.4), produced by running the original code, with our verdict on each:
//!
//! - `Same`: we give the original's result (written in our canonical text, where the original's
//!   `23:59:59.999999` end-of-day sentinel is `24h00` and a bare scope is `aucune`);
//! - `Better`: we give another result on purpose, and say why;
//! - `Error`: the original silently misread the input; we refuse it with a clear error.
//!
//! This file is the table the issue asks to keep in the repository.

use chrono::NaiveDateTime;
use linky_core::holidays::HolidayZone;
use linky_core::offpeak::{Classifier, OffPeakSchedule, ParseErrorKind};
use linky_core::{Direction, UsagePoint};

enum Verdict {
    Same(&'static str),
    Better(&'static str, &'static str),
    Error(ParseErrorKind, &'static str),
}
use Verdict::*;

const ROUNDING: &str =
    "24h00 is the end of the day; the original clamped it to 23:59 and lost the last minute";
const BOTH_DAYS: &str =
    "consecutive day names all get the ranges; the original kept only the last one";
const SWALLOW: &str = "the original read the number as the minutes of the previous range's end and lost it; a meter number has 14 digits";

#[rustfmt::skip]
const PARSE_VECTORS: &[(&str, &str, Verdict)] = &[
    // Table 5-A: the README's French examples.
    ("A1", "2h00-7h00 13h00-16h00", Same("2h00-7h00 13h00-16h00")),
    ("A2", "2h00-7h00 13h00-16h00 mercredi 08h00-15h00 samedi 09h00-11h00 12h00-16h00", Same("2h00-7h00 13h00-16h00 mercredi 8h00-15h00 samedi 9h00-11h00 12h00-16h00")),
    ("A3", "2h00-7h00 13h00-16h00 me 08h00-15h00 sa 09h00-16h00", Same("2h00-7h00 13h00-16h00 mercredi 8h00-15h00 samedi 9h00-16h00")),
    ("A4", "12345678901234 1h00-6h00 12h00-14h00 88888888888888 13h00-16h00", Same("12345678901234 1h00-6h00 12h00-14h00 88888888888888 13h00-16h00")),
    ("A5", "02h00-04h00 16h00-19h00 12345678901234 1h00-6h00 12h00-14h00 mercredi 11h00-16h00 88888888888888 13h00-16h00", Same("2h00-4h00 16h00-19h00 12345678901234 1h00-6h00 12h00-14h00 mercredi 11h00-16h00 88888888888888 13h00-16h00")),
    ("A6", "02h00-04h00 16h00-19h00 12345678901234 88888888888888 13h00-16h00", Same("2h00-4h00 16h00-19h00 12345678901234 aucune 88888888888888 13h00-16h00")),
    ("A7", "02h00-04h00 16h00-19h00 P 17h00-22h00 mercredi 11h00-16h00 12345678901234 88888888888888 13h00-16h00", Same("2h00-4h00 16h00-19h00 P 17h00-22h00 mercredi 11h00-16h00 12345678901234 aucune 88888888888888 13h00-16h00")),
    ("A8", "02h00-04h00 16h00-19h00 P", Same("2h00-4h00 16h00-19h00 P aucune")),
    ("A9", "02h00-04h00 sa 00h00-23h59 di 00h00-23h59 fe 00h00-23h59", Same("2h00-4h00 samedi 0h00-23h59 dimanche 0h00-23h59 férié 0h00-23h59")),
    // Table 5-B: the README's English examples.
    ("B1", "2:00-7:00 13:00-16:00", Same("2h00-7h00 13h00-16h00")),
    ("B2", "2:00-7:00 13:00-16:00 Wednesday 8:00-15:00 Saturday 09:00-11:00 12:00-16:00", Same("2h00-7h00 13h00-16h00 mercredi 8h00-15h00 samedi 9h00-11h00 12h00-16h00")),
    ("B3", "2:00-7:00 13:00-16:00 me 08:00-15:00 sat 09:00-16:00", Same("2h00-7h00 13h00-16h00 mercredi 8h00-15h00 samedi 9h00-16h00")),
    ("B4", "12345678901234 1:00-6:00 12:00-14:00 88888888888888 13:00-16:00", Same("12345678901234 1h00-6h00 12h00-14h00 88888888888888 13h00-16h00")),
    ("B5", "2:00-04:00 16:00-19:00 12345678901234 1:00-6:00 12:00-14:00 Wednesday 11:00-16:00 88888888888888 13:00-16:00", Same("2h00-4h00 16h00-19h00 12345678901234 1h00-6h00 12h00-14h00 mercredi 11h00-16h00 88888888888888 13h00-16h00")),
    ("B6", "02:00-04:00 16:00-19:00 12345678901234 88888888888888 13:00-16:00", Same("2h00-4h00 16h00-19h00 12345678901234 aucune 88888888888888 13h00-16h00")),
    ("B7", "02:00-04:00 16:00-19:00 P 17:00-22:00 Wednesday 11:00-16:00 12345678901234 88888888888888 13:00-16:00", Same("2h00-4h00 16h00-19h00 P 17h00-22h00 mercredi 11h00-16h00 12345678901234 aucune 88888888888888 13h00-16h00")),
    ("B8", "02:00-04:00 16:00-19:00 P", Same("2h00-4h00 16h00-19h00 P aucune")),
    ("B9", "02:00-04:00 sa 00:00-23:59 su 00:00-23:59 ba 00:00-23:59", Same("2h00-4h00 samedi 0h00-23h59 dimanche 0h00-23h59 férié 0h00-23h59")),
    // Table 5-C: the original's preset values.
    ("C1", "21h30-5h30", Same("21h30-24h00 0h00-5h30")),
    ("C2", "23h30-7h00", Same("23h30-24h00 0h00-7h00")),
    ("C3", "1h00-7h00 et 12h30-14h30", Same("1h00-7h00 12h30-14h30")),
    ("C4", "3h00-7h00 et 12h30-14h30 et 20h30-22h30", Same("3h00-7h00 12h30-14h30 20h30-22h30")),
    ("C5", "3h30-7h00 et 13h00-16h00 et 22h30-6h30", Same("3h30-7h00 13h00-16h00 22h30-24h00 0h00-6h30")),
    // Table 5-D: edge cases.
    ("D1", "", Same("")),
    ("D2", "   ", Same("")),
    ("D3", "22h00-6h00", Same("22h00-24h00 0h00-6h00")),
    ("D4", "22h-6h", Same("22h00-24h00 0h00-6h00")),
    ("D5", "22:30-06:30", Same("22h30-24h00 0h00-6h30")),
    ("D6", "22h30 à 6h30", Same("22h30-24h00 0h00-6h30")),
    ("D7", "22h30 a 6h30", Same("22h30-24h00 0h00-6h30")),
    ("D8", "22h30_6h30", Same("22h30-24h00 0h00-6h30")),
    ("D9", "22h30 to 6h30", Same("22h30-24h00 0h00-6h30")),
    ("D10", "22h30--6h30", Same("22h30-24h00 0h00-6h30")),
    ("D11", "22h00 - 06h00", Same("22h00-24h00 0h00-6h00")),
    ("D12", "HC 22H30-6H30", Same("22h30-24h00 0h00-6h30")),
    ("D13", "25h00-26h70", Error(ParseErrorKind::BadHour, "the original clamped 25h00 to 23:59 and made an empty range")),
    ("D14", "0h00-24h00", Better("0h00-24h00", ROUNDING)),
    ("D15", "dimanche 22h-24h", Better("dimanche 22h00-24h00", ROUNDING)),
    ("D16", "8h-8h", Error(ParseErrorKind::EmptyRange, "a range that covers nothing is a typo; the original kept it silently")),
    ("D17", "0h-0h", Error(ParseErrorKind::EmptyRange, "a range that covers nothing is a typo; the original kept it silently")),
    ("D18", "23h59-0h01", Same("23h59-24h00 0h00-0h01")),
    ("D19", "8h5-9h75", Error(ParseErrorKind::BadMinutes, "the original clamped 75 minutes to 59")),
    ("D20", "22h-6h, 12h-14h", Same("22h00-24h00 0h00-6h00 12h00-14h00")),
    ("D21", "8h-9h;10h-11h", Same("8h00-9h00 10h00-11h00")),
    ("D22", "lundi 8h-9h mardi", Same("lundi 8h00-9h00 mardi aucune")),
    ("D23", "mardi mercredi 8h-9h", Better("mardi 8h00-9h00 mercredi 8h00-9h00", BOTH_DAYS)),
    ("D24", "lu ma me 8h-9h", Better("lundi 8h00-9h00 mardi 8h00-9h00 mercredi 8h00-9h00", BOTH_DAYS)),
    ("D25", "lu 8h-9h ma 8h-9h", Same("lundi 8h00-9h00 mardi 8h00-9h00")),
    ("D26", "du lundi au vendredi 8h-9h", Better("lundi 8h00-9h00 mardi 8h00-9h00 mercredi 8h00-9h00 jeudi 8h00-9h00 vendredi 8h00-9h00", "a day span covers every day in it; the original emptied Monday and gave Friday the range")),
    ("D27", "samedi et dimanche 0h-23h59", Better("samedi 0h00-23h59 dimanche 0h00-23h59", BOTH_DAYS)),
    ("D28", "mercredi 8h-9h et 10h-11h", Better("mercredi 8h00-9h00 10h00-11h00", "'et' joins ranges of the same day; the original reset to every day and gave 10h-11h to all days")),
    ("D29", "weekend 8h-9h", Better("samedi 8h00-9h00 dimanche 8h00-9h00", "the week-end is Saturday and Sunday; the original read 'we' as Wednesday")),
    ("D30", "semaine 8h-9h", Better("lundi 8h00-9h00 mardi 8h00-9h00 mercredi 8h00-9h00 jeudi 8h00-9h00 vendredi 8h00-9h00", "'semaine' (en semaine) means Monday to Friday; the original applied it to every day")),
    ("D31", "MERCREDI 8H-9H", Same("mercredi 8h00-9h00")),
    ("D32", "tuesday 1h-2h thursday 3h-4h", Same("mardi 1h00-2h00 jeudi 3h00-4h00")),
    ("D33", "friday 5h-6h sunday 7h-8h", Same("vendredi 5h00-6h00 dimanche 7h00-8h00")),
    ("D34", "jour férié 8h-9h", Same("férié 8h00-9h00")),
    ("D35", "jours fériés 8h-9h", Same("férié 8h00-9h00")),
    ("D36", "ferie 1h-2h", Same("férié 1h00-2h00")),
    ("D37", "bank holiday 8h-9h", Same("férié 8h00-9h00")),
    ("D38", "public holiday 8h-9h", Better("férié 8h00-9h00", "'public holiday' names bank holidays; the original read its 'p' as the production marker")),
    ("D39", "Jeudi 10h-11h jour 12h-13h", Error(ParseErrorKind::Dangling, "'jour' alone is not a day; the original read it as bank holidays")),
    ("D40", "fête 8h-9h", Error(ParseErrorKind::UnknownWord, "unknown words are errors; the original ignored it and applied the range to every day")),
    ("D41", "P lundi 8h-9h", Same("P lundi 8h00-9h00")),
    ("D42", "prod lundi 8h-9h", Same("P lundi 8h00-9h00")),
    ("D43", "production 8h-9h", Same("P 8h00-9h00")),
    ("D44", "dimanche P 8h-9h", Error(ParseErrorKind::DayBeforeProduction, "the original dropped both the day and the P marker and applied 8h-9h to every day's consumption")),
    ("D45", "p", Same("P aucune")),
    ("D46", "1h-2h P", Same("1h00-2h00 P aucune")),
    ("D47", "pp 8h-9h", Error(ParseErrorKind::UnknownWord, "unknown words are errors; the original read any p-word as production")),
    ("D48", "123 8h-9h", Error(ParseErrorKind::NotAMeter, "a meter number has 14 digits; the original made a scope no meter can match")),
    ("D49", "0123 8h-9h", Error(ParseErrorKind::NotAMeter, "a meter number has 14 digits; the original made a scope no meter can match")),
    ("D50", "12345678901234 P 8h-9h", Same("12345678901234 P 8h00-9h00")),
    ("D51", "12345678901234P 8h-9h", Better("12345678901234 P 8h00-9h00", "the meter number and the P marker are read even when stuck together; the original lost the meter number")),
    ("D52", "12345678901234, 8h-9h", Better("12345678901234 8h00-9h00", "a comma after the meter number is punctuation; the original lost the meter number")),
    ("D53", "123  8h-9h", Error(ParseErrorKind::NotAMeter, "a meter number has 14 digits")),
    ("D54", "8h-9h 123", Error(ParseErrorKind::NotAMeter, SWALLOW)),
    ("D55", "2h-7h 123 P 8h-9h", Error(ParseErrorKind::NotAMeter, SWALLOW)),
    ("D56", "8h30-9h 8h-8h15", Better("8h30-9h00 8h00-8h15", "minutes are read only right after the h; the original read 9h 8 as 9:08 and made a meter scope '15'")),
    ("D57", "P 1h-2h 2h-3h mercredi", Better("P 1h00-2h00 2h00-3h00 mercredi aucune", "two ranges stay two ranges; the original read 2h 2 as 2:02 and lost 2h-3h")),
    ("D58", "Lundi 8h-9h 123 9h-10h lundi 10h-11h", Error(ParseErrorKind::NotAMeter, SWALLOW)),
    ("D59", "22 h 30 - 6 h 30", Error(ParseErrorKind::MissingRangeSeparator, "minutes detached from the h are ambiguous; the original made meter scopes 22, 30 and 6")),
    ("D60", "2 h00-7h00", Better("2h00-7h00", "a space before the h is allowed; the original made meter scopes 2 and 00")),
    ("D61", "22 h-6 h", Better("22h00-24h00 0h00-6h00", "a space before the h is allowed; the original made meter scopes 22 and 6")),
    ("D62", "mercredi:8h-9h", Better("mercredi 8h00-9h00", "a colon after a day is punctuation; the original lost the day")),
    ("D63", "hc 22h-6h", Same("22h00-24h00 0h00-6h00")),
    ("D64", "22h-6h hp 6h-22h", Error(ParseErrorKind::PeakHours, "peak hours cannot be listed; the original made 6h-22h off-peak too, i.e. the whole day")),
];

#[test]
fn every_parse_vector_has_a_checked_verdict() {
    assert_eq!(PARSE_VECTORS.len(), 9 + 9 + 5 + 64);
    for (id, input, verdict) in PARSE_VECTORS {
        let parsed = OffPeakSchedule::parse(input);
        match verdict {
            Same(canonical) | Better(canonical, _) => {
                if let Better(_, reason) = verdict {
                    assert!(reason.len() > 20, "{id}: a better result needs its reason");
                }
                let schedule = parsed.unwrap_or_else(|e| panic!("{id} {input:?}: {e}"));
                assert_eq!(&schedule.to_string(), canonical, "{id} {input:?}");
                // The canonical text reads back to the same schedule.
                assert_eq!(OffPeakSchedule::parse(canonical).unwrap(), schedule, "{id}");
            }
            Error(kind, reason) => {
                assert!(reason.len() > 20, "{id}: a refusal needs its reason");
                let e = parsed.expect_err(id);
                assert_eq!(&e.kind, kind, "{id} {input:?}: {e}");
            }
        }
    }
}

const R1: &str = "2h00-7h00 13h00-16h00";
const R2: &str = "2h00-7h00 13h00-16h00 mercredi 08h00-15h00 samedi 09h00-11h00 12h00-16h00";
const R5: &str = "02h00-04h00 16h00-19h00 12345678901234 1h00-6h00 12h00-14h00 mercredi 11h00-16h00 88888888888888 13h00-16h00";
const R6: &str = "02h00-04h00 16h00-19h00 12345678901234 88888888888888 13h00-16h00";
const R7: &str = "02h00-04h00 16h00-19h00 P 17h00-22h00 mercredi 11h00-16h00 12345678901234 88888888888888 13h00-16h00";
const R8: &str = "02h00-04h00 16h00-19h00 P";
const R9: &str = "02h00-04h00 sa 00h00-23h59 di 00h00-23h59 fe 00h00-23h59";
const ANY: &str = "99999999999999";
const C: Direction = Direction::Consumption;
const P: Direction = Direction::Production;

/// How we answer an evaluation vector.
enum Ours {
    /// The original's answer.
    Same,
    /// The opposite of the original's answer, for this reason.
    Opposite(&'static str),
    /// The schedule is refused (see the parse vectors).
    Refused,
}

/// (#, schedule, device id, direction, instant tested = slot end − 30 min, original's answer, ours)
#[rustfmt::skip]
const EVAL_VECTORS: &[(u32, &str, &str, Direction, &str, bool, Ours)] = &[
    (1, R1, ANY, C, "2024-05-15 02:30", true, Ours::Same),
    (2, R1, ANY, C, "2024-05-15 06:30", true, Ours::Same),
    (3, R1, ANY, C, "2024-05-15 07:30", false, Ours::Same),
    (4, R1, ANY, C, "2024-05-15 13:30", true, Ours::Same),
    (5, R1, ANY, C, "2024-05-15 16:30", false, Ours::Same),
    (6, R1, ANY, P, "2024-05-15 03:30", true, Ours::Same),
    (7, R2, ANY, C, "2024-05-15 03:30", false, Ours::Same),
    (8, R2, ANY, C, "2024-05-15 09:30", true, Ours::Same),
    (9, R2, ANY, C, "2024-05-15 15:30", false, Ours::Same),
    (10, R2, ANY, C, "2024-05-16 03:30", true, Ours::Same),
    (11, R2, ANY, C, "2024-05-18 11:30", false, Ours::Same),
    (12, R2, ANY, C, "2024-05-18 12:30", true, Ours::Same),
    (13, R2, ANY, C, "2024-05-08 09:30", true, Ours::Same),
    (14, R5, "12345678901234", C, "2024-05-15 12:30", true, Ours::Same),
    (15, R5, "12345678901234", C, "2024-05-15 02:30", false, Ours::Same),
    (16, R5, "12345678901234", C, "2024-05-16 02:30", true, Ours::Same),
    (17, R5, "88888888888888", C, "2024-05-15 14:30", true, Ours::Same),
    (18, R5, "88888888888888", C, "2024-05-15 03:30", false, Ours::Same),
    (19, R5, ANY, C, "2024-05-15 03:30", true, Ours::Same),
    (20, R5, ANY, P, "2024-05-15 17:30", true, Ours::Same),
    (21, R6, "12345678901234", C, "2024-05-15 03:30", false, Ours::Same),
    (22, R6, ANY, C, "2024-05-15 03:30", true, Ours::Same),
    (23, R7, ANY, C, "2024-05-15 03:30", true, Ours::Same),
    (24, R7, ANY, P, "2024-05-15 03:30", false, Ours::Same),
    (25, R7, ANY, P, "2024-05-15 12:30", true, Ours::Same),
    (26, R7, ANY, P, "2024-05-15 18:30", false, Ours::Same),
    (27, R7, ANY, P, "2024-05-16 18:30", true, Ours::Same),
    (28, R7, "88888888888888", P, "2024-05-15 14:30", true, Ours::Same),
    (29, R7, "12345678901234", P, "2024-05-15 03:30", false, Ours::Same),
    (30, R8, ANY, C, "2024-05-15 03:30", true, Ours::Same),
    (31, R8, ANY, P, "2024-05-15 03:30", false, Ours::Same),
    (32, R9, ANY, C, "2024-05-18 10:30", true, Ours::Same),
    (33, R9, ANY, C, "2024-05-19 23:30", true, Ours::Same),
    (34, R9, ANY, C, "2024-05-20 10:30", true, Ours::Same),
    (35, R9, ANY, C, "2024-05-13 10:30", false, Ours::Same),
    (36, R9, ANY, C, "2024-05-13 03:30", true, Ours::Same),
    (37, R9, ANY, C, "2024-05-08 03:30", true, Ours::Same),
    (38, R9, ANY, C, "2024-12-26 10:30", false, Ours::Same),
    (39, R9, ANY, C, "2024-03-29 10:30", false, Ours::Same),
    (40, R9, ANY, C, "2024-04-01 10:30", true, Ours::Same),
    (41, R9, ANY, C, "2024-05-09 10:30", true, Ours::Same),
    (42, "22h00-6h00", ANY, C, "2024-05-15 21:30", false, Ours::Same),
    (43, "22h00-6h00", ANY, C, "2024-05-15 22:30", true, Ours::Same),
    (44, "22h00-6h00", ANY, C, "2024-05-15 23:30", true, Ours::Same),
    (45, "22h00-6h00", ANY, C, "2024-05-15 05:30", true, Ours::Same),
    (46, "22h00-6h00", ANY, C, "2024-05-15 06:30", false, Ours::Same),
    (47, "22h30-6h30", ANY, C, "2024-05-15 21:30", false, Ours::Same),
    (48, "22h30-6h30", ANY, C, "2024-05-15 22:30", true, Ours::Same),
    (49, "22h30-6h30", ANY, C, "2024-05-15 05:30", true, Ours::Same),
    (50, "22h30-6h30", ANY, C, "2024-05-15 06:30", false, Ours::Same),
    (51, "22h31-6h29", ANY, C, "2024-05-15 22:30", false, Ours::Same),
    (52, "22h29-6h31", ANY, C, "2024-05-15 06:30", true, Ours::Same),
    (53, "ve 22h-6h", ANY, C, "2024-05-17 23:30", true, Ours::Refused),
    (54, "ve 22h-6h", ANY, C, "2024-05-18 01:30", false, Ours::Refused),
    (55, "ve 22h-6h", ANY, C, "2024-05-17 01:30", true, Ours::Refused),
    (56, "22h-6h ve 22h-6h", ANY, C, "2024-05-18 01:30", true, Ours::Refused),
    (57, "8h-9h fe 10h-11h", ANY, C, "2024-05-08 08:30", false, Ours::Same),
    (58, "8h-9h fe 10h-11h", ANY, C, "2024-05-08 10:30", true, Ours::Same),
    (59, "8h-9h me 12h-13h fe 10h-11h", ANY, C, "2024-05-08 12:30", false, Ours::Same),
    (60, "8h-9h me 12h-13h fe 10h-11h", ANY, C, "2024-05-15 12:30", true, Ours::Same),
    (61, "8h-9h me 12h-13h", ANY, C, "2024-05-08 12:30", true, Ours::Same),
    (62, "8h-9h fe", ANY, C, "2024-05-08 08:30", false, Ours::Same),
    (63, "8h-9h fe", ANY, C, "2024-05-07 08:30", true, Ours::Same),
    (64, "8h-9h fe 10h-11h", ANY, C, "2024-12-26 10:30", false, Ours::Same),
    (65, "8h-9h fe 23h-0h", ANY, C, "2024-05-08 23:30", true, Ours::Same),
    (66, "mercredi 8h-9h", ANY, C, "2024-05-08 08:30", true, Ours::Same),
    (67, "mercredi 8h-9h", ANY, C, "2024-05-16 08:30", false, Ours::Same),
    (68, "0h-23h59", ANY, C, "2024-05-08 23:30", true, Ours::Same),
    (69, "0h-0h", ANY, C, "2024-05-08 03:30", false, Ours::Refused),
    (70, "", ANY, C, "2024-05-15 03:30", false, Ours::Same),
    (71, "12345678901234 2h-7h", ANY, C, "2024-05-15 03:30", false, Ours::Same),
    (72, "2h00-7h00 12345678901234 P 8h00-9h00", "12345678901234", C, "2024-05-15 03:30", false, Ours::Same),
    (73, "2h00-7h00 12345678901234 P 8h00-9h00", "12345678901234", P, "2024-05-15 08:30", true, Ours::Same),
    (74, "2h00-7h00 12345678901234 P 8h00-9h00", "11111111111111 / 12345678901234", P, "2024-05-15 08:30", true, Ours::Same),
    (75, "2h00-7h00 12345678901234 P 8h00-9h00", "11111111111111 / 12345678901234", C, "2024-05-15 03:30", true, Ours::Same),
    (76, "2h00-7h00 12345678901234 P 8h00-9h00", "12345678901234 / 11111111111111", C, "2024-05-15 03:30", false, Ours::Same),
    (77, "8h-9h 12345678901234 P 10h-11h", "12345678901234", C, "2024-05-15 08:30", false, Ours::Same),
    (78, "public holiday 8h-9h", ANY, C, "2024-05-08 08:30", false, Ours::Opposite("'public holiday' is a bank-holiday section for consumption, not a production marker")),
    (79, "public holiday 8h-9h", ANY, P, "2024-05-08 08:30", true, Ours::Same),
    (80, "weekend 8h-9h", ANY, C, "2024-05-18 08:30", false, Ours::Opposite("the week-end is Saturday and Sunday")),
    (81, "weekend 8h-9h", ANY, C, "2024-05-15 08:30", true, Ours::Opposite("the week-end is not Wednesday")),
    (82, "mercredi 8h-9h et 10h-11h", ANY, C, "2024-05-16 10:30", true, Ours::Opposite("'et' keeps 10h-11h on Wednesday; Thursday has no off-peak")),
];

#[test]
fn every_evaluation_vector_has_a_checked_verdict() {
    assert_eq!(EVAL_VECTORS.len(), 82);
    for (n, schedule, device, direction, instant, original, ours) in EVAL_VECTORS {
        let parsed = OffPeakSchedule::parse(schedule);
        let schedule = match (ours, parsed) {
            (Ours::Refused, parsed) => {
                assert!(parsed.is_err(), "#{n}: {schedule:?} should be refused");
                continue;
            }
            (_, Ok(s)) => s,
            (_, Err(e)) => panic!("#{n}: {e}"),
        };
        // A merged device "C / P" reads production rules with its second meter, consumption
        // rules with its first, as the original does.
        let ids: Vec<&str> = device.split(" / ").collect();
        let id = if *direction == Direction::Production {
            ids[ids.len() - 1]
        } else {
            ids[0]
        };
        let meter: UsagePoint = id.parse().unwrap();
        let when = NaiveDateTime::parse_from_str(instant, "%Y-%m-%d %H:%M").unwrap();
        let got = Classifier::new(&schedule, Some(&meter), *direction, HolidayZone::Metropole)
            .is_offpeak_at(when);
        let expected = match ours {
            Ours::Same => *original,
            Ours::Opposite(reason) => {
                assert!(
                    reason.len() > 10,
                    "#{n}: a different answer needs its reason"
                );
                !*original
            }
            Ours::Refused => unreachable!(),
        };
        assert_eq!(got, expected, "#{n} {instant}");
    }
}
