//! Europe/Paris wall-clock time, the only time Enedis speaks.
//!
//! Instants are kept in UTC everywhere; this module converts at the edges. Two facts drive it:
//!
//! - Enedis stamps a load-curve point with the **end** of its interval, in Paris wall-clock time
//!   **without an offset**. The stamp of a point ending exactly at a daylight-saving transition
//!   is written in the offset of the interval it closes, so the point ending at 01:00 UTC on the
//!   spring day reads `02:00` (CET), and the one ending at 01:00 UTC on the autumn day reads
//!   `03:00` (CEST). In other words: stamp = local time of (end − 1 s), plus 1 s.
//! - On the autumn day the stamps `02:30` and `03:00` come twice, first in summer time, then in
//!   winter time. They can only be told apart by their position in the response, never by the
//!   naive text. [`EndStampResolver`] does exactly that.

use chrono::offset::LocalResult;
use chrono::{
    DateTime, Duration, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone, Utc,
};
use chrono_tz::Tz;

use crate::{Lang, Localized};

/// The time zone of every Enedis date.
pub const TZ: Tz = chrono_tz::Europe::Paris;

/// A span of UTC seconds `[start, end)` over which Paris keeps one offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct OffsetSpan {
    start: i64,
    end: i64,
    offset: i32,
}

thread_local! {
    /// The span of the last instant converted: a load curve, an aggregation or a dashboard walk
    /// through instants in order and mostly stay inside one span (half a year).
    static SPAN: std::cell::Cell<OffsetSpan> = const {
        std::cell::Cell::new(OffsetSpan { start: 0, end: 0, offset: 0 })
    };
}

fn offset_from_database(timestamp: i64) -> i32 {
    DateTime::from_timestamp(timestamp, 0)
        .map(|t| t.with_timezone(&TZ).offset().fix().local_minus_utc())
        .unwrap_or(3600)
}

/// 01:00 UTC on the last Sunday of `month`: when the EU changes its clocks.
fn last_sunday_one_am(year: i32, month: u32) -> Option<i64> {
    use chrono::Datelike;
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    }?;
    let last = next.pred_opt()?;
    let sunday = last - Duration::days(i64::from(last.weekday().num_days_from_sunday()));
    Some(sunday.and_hms_opt(1, 0, 0)?.and_utc().timestamp())
}

/// The span of one offset around `timestamp`. The EU rule (clocks change at 01:00 UTC on the
/// last Sundays of March and October) gives the span's bounds; the time-zone database confirms
/// the offsets on both sides of each bound, so should the rule ever change (an end of daylight
/// saving time), the database's answer is used hour by hour instead.
fn offset_span(timestamp: i64) -> OffsetSpan {
    use chrono::Datelike;
    let hour = timestamp.div_euclid(3600) * 3600;
    let fallback = OffsetSpan {
        start: hour,
        end: hour + 3600,
        offset: offset_from_database(timestamp),
    };
    let Some(year) = DateTime::from_timestamp(timestamp, 0).map(|t| t.year()) else {
        return fallback;
    };
    let bounds = (
        NaiveDate::from_ymd_opt(year, 1, 1)
            .map(|d| d.and_time(NaiveTime::MIN).and_utc().timestamp()),
        last_sunday_one_am(year, 3),
        last_sunday_one_am(year, 10),
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
            .map(|d| d.and_time(NaiveTime::MIN).and_utc().timestamp()),
    );
    let (Some(new_year), Some(spring), Some(autumn), Some(next_year)) = bounds else {
        return fallback;
    };
    let (start, end, offset) = if timestamp < spring {
        (new_year, spring, 3600)
    } else if timestamp < autumn {
        (spring, autumn, 7200)
    } else {
        (autumn, next_year, 3600)
    };
    let confirmed = offset_from_database(start) == offset
        && offset_from_database(end - 1) == offset
        && offset_from_database(timestamp) == offset;
    if confirmed {
        OffsetSpan { start, end, offset }
    } else {
        fallback
    }
}

/// Paris's offset from UTC at an instant, in seconds.
pub fn offset_seconds(timestamp: i64) -> i32 {
    SPAN.with(|cache| {
        let span = cache.get();
        if span.start <= timestamp && timestamp < span.end {
            return span.offset;
        }
        let span = offset_span(timestamp);
        cache.set(span);
        span.offset
    })
}

/// The Paris wall-clock time of an instant.
pub fn local(instant: DateTime<Utc>) -> NaiveDateTime {
    let offset = offset_seconds(instant.timestamp());
    instant.naive_utc() + Duration::seconds(offset.into())
}

thread_local! {
    /// Whether the last Paris date looked at keeps one offset all day, and which.
    static DATE_OFFSET: std::cell::Cell<(Option<NaiveDate>, Option<i32>)> = const { std::cell::Cell::new((None, None)) };
}

/// The offset of a Paris date that keeps one offset all day (every date but the two
/// daylight-saving days), or `None`.
fn constant_offset(date: NaiveDate) -> Option<i32> {
    DATE_OFFSET.with(|cache| {
        let (cached_date, cached) = cache.get();
        if cached_date == Some(date) {
            return cached;
        }
        let offset = (day_hours(date) == 24).then(|| {
            day_start(date)
                .with_timezone(&TZ)
                .offset()
                .fix()
                .local_minus_utc()
        });
        cache.set((Some(date), offset));
        offset
    })
}

/// The Paris calendar day of an instant.
pub fn local_date(instant: DateTime<Utc>) -> NaiveDate {
    local(instant).date()
}

/// The instant a Paris calendar day starts. Midnight always exists in Paris (transitions happen
/// at 02:00 and 03:00), so this never fails.
pub fn day_start(date: NaiveDate) -> DateTime<Utc> {
    let midnight = date.and_time(NaiveTime::MIN);
    match TZ.from_local_datetime(&midnight) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.with_timezone(&Utc),
        // Not reachable with the Paris rules; fall back to the offset in force an hour later
        // rather than panic should the tz database ever change.
        LocalResult::None => {
            let later = TZ
                .from_local_datetime(&(midnight + Duration::hours(1)))
                .earliest();
            later.map_or_else(
                || Utc.from_utc_datetime(&midnight),
                |t| t.with_timezone(&Utc) - Duration::hours(1),
            )
        }
    }
}

/// The Paris offset from UTC, in whole hours, at the start of a day (+1 in winter, +2 in summer):
/// what Enedis writes after dates such as `2019-08-27+02:00`.
pub fn offset_hours_at_midnight(date: NaiveDate) -> i64 {
    (date.and_time(NaiveTime::MIN) - day_start(date).naive_utc()).num_hours()
}

/// The half-open UTC range `[start, end)` covered by a Paris calendar day.
pub fn day_bounds(date: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let next = date.succ_opt().unwrap_or(date);
    (day_start(date), day_start(next))
}

/// How many hours a Paris calendar day lasts: 23 on the spring daylight-saving day, 25 on the
/// autumn one, 24 otherwise.
pub fn day_hours(date: NaiveDate) -> i64 {
    let (start, end) = day_bounds(date);
    (end - start).num_hours()
}

/// The UTC start instants of every hour of a Paris calendar day, in order: 23, 24 or 25 of them.
/// The repeated autumn hour appears twice (two different instants), the skipped spring hour not
/// at all.
pub fn hour_starts(date: NaiveDate) -> Vec<DateTime<Utc>> {
    let (start, end) = day_bounds(date);
    let hours = (end - start).num_hours();
    (0..hours).map(|h| start + Duration::hours(h)).collect()
}

/// The Enedis end-of-interval stamp for a point ending at `end`.
pub fn end_stamp(end: DateTime<Utc>) -> NaiveDateTime {
    local(end - Duration::seconds(1)) + Duration::seconds(1)
}

/// A date-time as Enedis (or a gateway in front of it) wrote it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stamp {
    /// Paris wall-clock time without an offset: the v5 and 2026 form.
    Local(NaiveDateTime),
    /// A time with an explicit offset, as some gateways write: unambiguous.
    Exact(DateTime<Utc>),
}

/// A date-time text that is not in any form Enedis uses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{text}\" is not an Enedis date-time (expected YYYY-MM-DD HH:MM:SS, with a space or T, optionally with an offset)")]
pub struct StampError {
    /// The offending text.
    pub text: String,
}

impl Localized for StampError {
    fn localized(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.to_string(),
            Lang::Fr => format!(
                "« {} » n'est pas une date-heure Enedis (attendu AAAA-MM-JJ HH:MM:SS, avec une espace ou un T, éventuellement suivi d'un décalage)",
                self.text
            ),
        }
    }
}

impl Stamp {
    /// Parses the forms seen in Enedis data: `2023-04-01 00:30:00`, `2023-04-01T00:30:00`, with
    /// or without seconds, optionally followed by an offset (`+02:00`, `+0200`, `Z`).
    pub fn parse(text: &str) -> Result<Stamp, StampError> {
        let err = || StampError {
            text: text.to_owned(),
        };
        let t = text.trim();
        if let Some(fast) = Stamp::parse_plain(t) {
            return Ok(Stamp::Local(fast));
        }
        if t.len() < 16 || !t.is_char_boundary(10) || !t.is_char_boundary(11) {
            return Err(err());
        }
        // Normalise the date/time separator so one set of formats covers both.
        let normalised = format!("{}T{}", &t[..10], &t[11..]);
        for fmt in [
            "%Y-%m-%dT%H:%M:%S%:z",
            "%Y-%m-%dT%H:%M:%S%z",
            "%Y-%m-%dT%H:%M%:z",
        ] {
            if let Ok(dt) = DateTime::<FixedOffset>::parse_from_str(&normalised, fmt) {
                return Ok(Stamp::Exact(dt.with_timezone(&Utc)));
            }
        }
        if let Some(naive) = normalised.strip_suffix('Z') {
            for fmt in ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"] {
                if let Ok(dt) = NaiveDateTime::parse_from_str(naive, fmt) {
                    return Ok(Stamp::Exact(Utc.from_utc_datetime(&dt)));
                }
            }
        }
        for fmt in ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"] {
            if let Ok(dt) = NaiveDateTime::parse_from_str(&normalised, fmt) {
                return Ok(Stamp::Local(dt));
            }
        }
        Err(err())
    }
}

impl Stamp {
    /// `YYYY-MM-DD HH:MM:SS` (or with `T`): the form of every Enedis point, read without the
    /// general parser.
    fn parse_plain(t: &str) -> Option<NaiveDateTime> {
        StampReader::default().plain(t)
    }
}

/// Reads the stamps of one answer: [`Stamp::parse`], with the date of the previous plain stamp
/// kept, since an answer's points come 48 a day (the date's checks cost more than the rest).
#[derive(Debug, Clone, Default)]
pub struct StampReader {
    last_date: Option<([u8; 10], NaiveDate)>,
}

impl StampReader {
    /// Reads one stamp.
    pub fn read(&mut self, text: &str) -> Result<Stamp, StampError> {
        match self.plain(text) {
            Some(fast) => Ok(Stamp::Local(fast)),
            None => Stamp::parse(text),
        }
    }

    /// `YYYY-MM-DD HH:MM:SS` (or with `T`): the form of every Enedis point, read without the
    /// general parser.
    fn plain(&mut self, t: &str) -> Option<NaiveDateTime> {
        let b = t.as_bytes();
        if b.len() != 19
            || b[4] != b'-'
            || b[7] != b'-'
            || !(b[10] == b' ' || b[10] == b'T')
            || b[13] != b':'
            || b[16] != b':'
        {
            return None;
        }
        let num = |range: std::ops::Range<usize>| -> Option<u32> {
            b[range].iter().try_fold(0u32, |acc, &c| {
                c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
            })
        };
        let date_text: [u8; 10] = b[..10].try_into().ok()?;
        let date = match self.last_date {
            Some((text, date)) if text == date_text => date,
            _ => {
                let date = NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)?;
                self.last_date = Some((date_text, date));
                date
            }
        };
        let time = NaiveTime::from_hms_opt(num(11..13)?, num(14..16)?, num(17..19)?)?;
        Some(date.and_time(time))
    }
}

/// End-of-interval stamps that cannot be placed in time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    /// A stamp is not after the one before it, even taking the repeated autumn hour into account.
    #[error("the points are out of order: {stamp} does not come after {previous} (Paris time); the response is inconsistent, fetch it again")]
    OutOfOrder {
        /// The stamp as Paris wall-clock time.
        stamp: NaiveDateTime,
        /// The previous point's end, as Paris wall-clock time.
        previous: NaiveDateTime,
    },
}

impl Localized for ResolveError {
    fn localized(&self, lang: Lang) -> String {
        match (lang, self) {
            (Lang::En, _) => self.to_string(),
            (Lang::Fr, ResolveError::OutOfOrder { stamp, previous }) => format!(
                "les points ne sont pas dans l'ordre : {stamp} ne suit pas {previous} (heure de Paris) ; la réponse est incohérente, téléchargez-la à nouveau"
            ),
        }
    }
}

/// Turns a response's end-of-interval stamps into UTC instants, in the order they come.
///
/// A repeated autumn stamp takes the earliest instant after the previous point: the first
/// `02:30` is summer time, the second winter time. On the spring day the point ending at the
/// transition reads `02:00`, or `03:00` in exports that print it in summer time: both resolve to
/// the same instant. Use one
/// resolver per response: positions only mean something within one.
#[derive(Debug, Clone, Default)]
pub struct EndStampResolver {
    previous: Option<DateTime<Utc>>,
}

impl EndStampResolver {
    /// A resolver that has seen no point yet.
    pub fn new() -> EndStampResolver {
        EndStampResolver::default()
    }

    /// The instant of the next stamp of the response.
    pub fn resolve(&mut self, stamp: Stamp) -> Result<DateTime<Utc>, ResolveError> {
        let instant = match stamp {
            Stamp::Exact(t) => t,
            Stamp::Local(naive) => self.place(naive),
        };
        if let Some(previous) = self.previous {
            if instant <= previous {
                return Err(ResolveError::OutOfOrder {
                    stamp: match stamp {
                        Stamp::Local(n) => n,
                        Stamp::Exact(t) => end_stamp(t),
                    },
                    previous: end_stamp(previous),
                });
            }
        }
        self.previous = Some(instant);
        Ok(instant)
    }

    fn place(&self, naive: NaiveDateTime) -> DateTime<Utc> {
        let second = Duration::seconds(1);
        // The day of the interval's last second: the day before for a stamp at midnight.
        let day = match naive.time() == NaiveTime::MIN {
            true => naive.date().pred_opt(),
            false => Some(naive.date()),
        };
        if let Some(offset) = day.and_then(constant_offset) {
            // An ordinary day: one candidate, no zone lookup, integer arithmetic.
            let utc = naive.and_utc().timestamp() - i64::from(offset);
            if let Some(t) = DateTime::from_timestamp(utc, naive.and_utc().timestamp_subsec_nanos())
            {
                return t;
            }
        }
        let before = naive - second;
        let candidates: Vec<DateTime<Utc>> = match TZ.from_local_datetime(&before) {
            LocalResult::Single(t) => vec![t.with_timezone(&Utc)],
            LocalResult::Ambiguous(a, b) => vec![a.with_timezone(&Utc), b.with_timezone(&Utc)],
            LocalResult::None => vec![gap_time_in_next_offset(before)],
        };
        let candidates = candidates.into_iter().map(|t| t + second);
        let mut earliest = None;
        for c in candidates {
            if self.previous.is_none_or(|p| c > p) {
                return c;
            }
            earliest.get_or_insert(c);
        }
        // No candidate follows the previous point: return the earliest so the caller reports
        // the disorder with the right stamp.
        earliest.unwrap_or_else(|| Utc.from_utc_datetime(&naive))
    }
}

/// Reads a wall-clock time that does not exist (inside the spring gap) with the offset in force
/// just after the gap: the only writer that produces such stamps is one that prints the point
/// ending at the transition in summer time (`03:00`).
fn gap_time_in_next_offset(naive: NaiveDateTime) -> DateTime<Utc> {
    // The gap lasts one hour in Paris; two hours later is safely after it.
    let probe = naive + Duration::hours(2);
    let offset_seconds = TZ
        .from_local_datetime(&probe)
        .earliest()
        .map_or(7200, |t| t.offset().fix().local_minus_utc());
    Utc.from_utc_datetime(&(naive - Duration::seconds(offset_seconds.into())))
}

#[cfg(test)]
mod tests {
    /// The cached spans agree with the time-zone database at every hour and around every
    /// change, from 1990 (before the EU rule) to 2040.
    #[test]
    fn offsets_agree_with_the_database_everywhere() {
        let start = super::NaiveDate::from_ymd_opt(1990, 1, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
            .and_utc()
            .timestamp();
        let end = start + 50 * 366 * 86_400;
        let mut t = start;
        while t < end {
            for probe in [t, t + 1799, t + 3599] {
                assert_eq!(
                    super::offset_seconds(probe),
                    super::offset_from_database(probe),
                    "{probe}"
                );
            }
            t += 3600;
        }
    }

    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn naive(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    fn utc(s: &str) -> DateTime<Utc> {
        Utc.from_utc_datetime(&naive(s))
    }

    #[test]
    fn dst_days_2024_to_2026_have_23_and_25_hours() {
        for (spring, autumn) in [
            (date(2024, 3, 31), date(2024, 10, 27)),
            (date(2025, 3, 30), date(2025, 10, 26)),
            (date(2026, 3, 29), date(2026, 10, 25)),
        ] {
            assert_eq!(day_hours(spring), 23, "{spring}");
            assert_eq!(day_hours(autumn), 25, "{autumn}");
            assert_eq!(day_hours(spring.pred_opt().unwrap()), 24);
            assert_eq!(day_hours(autumn.succ_opt().unwrap()), 24);
            assert_eq!(hour_starts(spring).len(), 23);
            assert_eq!(hour_starts(autumn).len(), 25);
        }
        let mut total = 0;
        let mut d = date(2024, 1, 1);
        while d.year_ce().1 == 2024 {
            total += day_hours(d);
            d = d.succ_opt().unwrap();
        }
        assert_eq!(total, 366 * 24);
    }

    use chrono::Datelike;

    #[test]
    fn midnight_offsets() {
        assert_eq!(offset_hours_at_midnight(date(2019, 8, 27)), 2);
        assert_eq!(offset_hours_at_midnight(date(2015, 12, 1)), 1);
        assert_eq!(
            offset_hours_at_midnight(date(2024, 3, 31)),
            1,
            "the change happens at 02:00"
        );
    }

    #[test]
    fn end_stamps_follow_the_interval_offset() {
        // Spring 2024: the point ending at 01:00 UTC closes 01:30–02:00 CET.
        assert_eq!(
            end_stamp(utc("2024-03-31 01:00:00")),
            naive("2024-03-31 02:00:00")
        );
        assert_eq!(
            end_stamp(utc("2024-03-31 01:30:00")),
            naive("2024-03-31 03:30:00")
        );
        // Autumn 2024: 01:00 UTC closes 02:30–03:00 CEST, then 02:30 and 03:00 come again.
        assert_eq!(
            end_stamp(utc("2024-10-27 00:30:00")),
            naive("2024-10-27 02:30:00")
        );
        assert_eq!(
            end_stamp(utc("2024-10-27 01:00:00")),
            naive("2024-10-27 03:00:00")
        );
        assert_eq!(
            end_stamp(utc("2024-10-27 01:30:00")),
            naive("2024-10-27 02:30:00")
        );
        assert_eq!(
            end_stamp(utc("2024-10-27 02:00:00")),
            naive("2024-10-27 03:00:00")
        );
        // Midnight ends the previous day's last interval.
        assert_eq!(
            end_stamp(utc("2024-05-14 22:00:00")),
            naive("2024-05-15 00:00:00")
        );
    }

    fn day_stamps(date: NaiveDate, step_minutes: i64) -> Vec<DateTime<Utc>> {
        let (start, end) = day_bounds(date);
        let mut out = Vec::new();
        let mut t = start + Duration::minutes(step_minutes);
        while t <= end {
            out.push(t);
            t += Duration::minutes(step_minutes);
        }
        out
    }

    #[test]
    fn resolver_round_trips_whole_dst_days_by_position() {
        for day in [
            date(2024, 3, 31),
            date(2024, 10, 27),
            date(2025, 10, 26),
            date(2026, 3, 29),
            date(2024, 6, 1),
        ] {
            for step in [5, 10, 15, 30, 60] {
                let instants = day_stamps(day, step);
                let mut resolver = EndStampResolver::new();
                let back: Vec<_> = instants
                    .iter()
                    .map(|t| resolver.resolve(Stamp::Local(end_stamp(*t))).unwrap())
                    .collect();
                assert_eq!(back, instants, "{day} PT{step}M");
            }
        }
        assert_eq!(day_stamps(date(2024, 3, 31), 30).len(), 46);
        assert_eq!(day_stamps(date(2024, 10, 27), 30).len(), 50);
    }

    #[test]
    fn autumn_stamps_repeat_in_summer_then_winter_time() {
        let stamps: Vec<NaiveDateTime> = day_stamps(date(2024, 10, 27), 30)
            .into_iter()
            .map(end_stamp)
            .collect();
        let texts: Vec<String> = stamps
            .iter()
            .map(|s| s.format("%H:%M").to_string())
            .collect();
        assert_eq!(&texts[3..8], ["02:00", "02:30", "03:00", "02:30", "03:00"]);
        assert_eq!(texts.last().unwrap(), "00:00");
    }

    #[test]
    fn spring_alternative_stamp_03_00_resolves_too() {
        // Some Enedis exports write the point ending at 01:00 UTC as 03:00 (CEST).
        let mut r = EndStampResolver::new();
        r.resolve(Stamp::Local(naive("2024-03-31 01:30:00")))
            .unwrap();
        let t = r
            .resolve(Stamp::Local(naive("2024-03-31 03:00:00")))
            .unwrap();
        assert_eq!(t, utc("2024-03-31 01:00:00"));
    }

    #[test]
    fn out_of_order_stamps_are_reported() {
        let mut r = EndStampResolver::new();
        r.resolve(Stamp::Local(naive("2024-05-15 01:00:00")))
            .unwrap();
        let err = r
            .resolve(Stamp::Local(naive("2024-05-15 00:30:00")))
            .unwrap_err();
        assert!(err.to_string().contains("out of order"));
        assert!(err.localized(Lang::Fr).contains("dans l'ordre"));
        // A third 02:30 on the autumn day cannot be placed.
        let mut r = EndStampResolver::new();
        for s in ["2024-10-27 02:30:00", "2024-10-27 02:30:00"] {
            r.resolve(Stamp::Local(naive(s))).unwrap();
        }
        assert!(r
            .resolve(Stamp::Local(naive("2024-10-27 02:30:00")))
            .is_err());
    }

    #[test]
    fn stamp_parsing_is_lenient_about_separator_and_offset() {
        let local = Stamp::Local(naive("2023-04-01 00:30:00"));
        assert_eq!(Stamp::parse("2023-04-01 00:30:00").unwrap(), local);
        assert_eq!(Stamp::parse("2023-04-01T00:30:00").unwrap(), local);
        assert_eq!(Stamp::parse("2023-04-01 00:30").unwrap(), local);
        let exact = Stamp::Exact(utc("2023-03-31 22:30:00"));
        assert_eq!(Stamp::parse("2023-04-01T00:30:00+02:00").unwrap(), exact);
        assert_eq!(Stamp::parse("2023-04-01T00:30:00+0200").unwrap(), exact);
        assert_eq!(Stamp::parse("2023-03-31T22:30:00Z").unwrap(), exact);
        for bad in [
            "",
            "2023-04-01",
            "yesterday at noon",
            "2023-13-01 00:00:00",
            "2023-04-01 25:00:00",
            "2023-04-01é00:00:00",
        ] {
            assert!(Stamp::parse(bad).is_err(), "{bad}");
        }
    }
}
