//! How Domoticz reads the numbers and dates inside an `svalue` (domoticz.md §1.2): C's `stoll`
//! and two weak date checks. Pure functions, so the pitfalls are unit-tested on their own.

/// C++ `std::stoll`: leading blanks, an optional sign, then digits up to the first other
/// character (`"1234.9"` is 1234, `"-1.0"` is -1). `None` where `stoll` throws (`"abc"`, `""`).
pub fn stoll(text: &str) -> Option<i64> {
    let t = text.trim_start();
    let (negative, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let end = digits
        .bytes()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(digits.len());
    if end == 0 {
        return None;
    }
    // Out of range throws in C++ too.
    let magnitude: i64 = digits[..end].parse().ok()?;
    Some(if negative { -magnitude } else { magnitude })
}

/// `CheckDateSQL`: ten characters that read as `y-m-d` and name a real calendar day.
pub fn is_sql_date(text: &str) -> bool {
    if text.len() != 10 {
        return false;
    }
    let mut parts = text.split('-');
    let (Some(y), Some(m), Some(d), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    match (y.parse::<i32>(), m.parse::<u32>(), d.parse::<u32>()) {
        (Ok(y), Ok(m), Ok(d)) => chrono::NaiveDate::from_ymd_opt(y, m, d).is_some(),
        _ => false,
    }
}

/// `CheckDateTimeSQL`: nineteen characters that scan as six numbers `y-m-d h:m:s`. Domoticz
/// normalises the parsed time in place before comparing, so any numbers pass: `25:00:00` and
/// the spring DST gap are accepted and stored verbatim (domoticz.md §1.2, VERIFIED (run)).
pub fn is_sql_datetime(text: &str) -> bool {
    if text.len() != 19 {
        return false;
    }
    let Some((date, time)) = text.split_once(' ') else {
        return false;
    };
    let numbers = |s: &str, sep: char| {
        let parts: Vec<&str> = s.split(sep).collect();
        parts.len() == 3
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    };
    numbers(date, '-') && numbers(time, ':')
}

/// Whether the date part of a dated `svalue` names the short log (a date and a time, split by
/// a space) or the long log (one token).
pub fn is_short_log(date: &str) -> bool {
    date.split(' ').filter(|t| !t.is_empty()).count() > 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stoll_truncates_and_throws_like_cpp() {
        assert_eq!(stoll("1234.9"), Some(1234));
        assert_eq!(stoll("-1.0"), Some(-1));
        assert_eq!(stoll("  42abc"), Some(42));
        assert_eq!(stoll("abc"), None);
        assert_eq!(stoll(""), None);
        assert_eq!(stoll("99999999999999999999"), None);
    }

    #[test]
    fn dates_are_checked_weakly() {
        assert!(is_sql_date("2026-11-27"));
        assert!(!is_sql_date("2026-13-45"));
        assert!(!is_sql_date("2026-11-27T10:00:00"));
        assert!(is_sql_datetime("2026-11-27 10:00:00"));
        assert!(is_sql_datetime("2026-11-27 25:00:00"));
        assert!(is_sql_datetime("2026-03-29 02:30:00"));
        assert!(!is_sql_datetime("2026-11-27 10:00"));
        assert!(is_short_log("2026-11-27 10:00:00"));
        assert!(!is_short_log("2026-11-27T10:00:00"));
    }
}
