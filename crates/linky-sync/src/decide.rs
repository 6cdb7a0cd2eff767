//! What the runner does with an Enedis refusal of a window: one pure function, [`decide`], over
//! the kind of error and what the store knows, tested as a table (one row per kind). The runner
//! only carries the [`Action`] out.

use chrono::{DateTime, Duration, Utc};
use enedis_protocol::error::ErrorKind;
use linky_store::Kind;

/// Why a day or a whole series has no data, as recorded in the store and shown to the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AbsenceReason {
    /// Before the meter's activation date.
    BeforeActivation,
    /// Older than Enedis keeps.
    BeyondHistory,
    /// Enedis has nothing for these days.
    NoDataFound,
    /// The meter does not measure this direction (a whole series).
    WrongDirection,
    /// The load curve is not enabled on the meter (a whole series).
    CurveNotEnabled,
    /// Another documented refusal of a one-day window, by Enedis's code (or `http_<status>`).
    Refused(String),
}

impl AbsenceReason {
    /// The name stored in the ledger and the absences (stable: older stores hold these).
    pub fn as_str(&self) -> &str {
        match self {
            AbsenceReason::BeforeActivation => "before_activation",
            AbsenceReason::BeyondHistory => "beyond_history",
            AbsenceReason::NoDataFound => "no_data_found",
            AbsenceReason::WrongDirection => "wrong_direction",
            AbsenceReason::CurveNotEnabled => "curve_not_enabled",
            AbsenceReason::Refused(code) => code,
        }
    }
}

/// What the store knows of the window's series when the refusal comes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowFacts {
    /// The series' kind.
    pub kind: Kind,
    /// The window's days.
    pub days: i64,
    /// The whole series is already recorded as absent (a re-check).
    pub series_absent: bool,
    /// Daily totals are stored for days of this window.
    pub daily_stored: bool,
}

/// What to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Ask each half again, the newer first, to find the boundary (activation, history) or the
    /// one bad day of a window refused as a whole.
    Split,
    /// Every day of the window is absent, for this reason.
    DaysAbsent(AbsenceReason),
    /// The days without data: not yet published if recent, else absent (`no_data_found`).
    NoDataDays,
    /// The whole series is absent for this reason, checked again after `recheck`.
    SeriesAbsent(AbsenceReason, Recheck),
    /// The series was already absent: keep it so, checked again later.
    StillAbsent,
    /// Every kind of this direction is absent (the meter does not measure it).
    DirectionAbsent,
    /// The meter's consent is gone: stop asking for it.
    LoseConsent,
    /// The tokens are refused: stop the run.
    StopUnauthorized,
    /// The quota is spent: stop the run.
    StopQuota,
    /// The days failed: each is asked again later, waiting longer after each failure.
    DaysFailed,
}

/// Which re-check delay of the settings applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recheck {
    /// `curve_recheck`.
    Curve,
    /// `direction_recheck`.
    Direction,
}

/// The action for an Enedis refusal of kind `error` (with Enedis's code or status in `code`,
/// for the refusals recorded by code) of a window described by `facts`.
pub fn decide(error: ErrorKind, code: &str, facts: WindowFacts) -> Action {
    match error {
        // A load curve that answers "no data" where daily data exists is a curve not enabled.
        ErrorKind::NoData if facts.kind == Kind::Curve && facts.days > 1 && facts.daily_stored => {
            Action::SeriesAbsent(AbsenceReason::CurveNotEnabled, Recheck::Curve)
        }
        ErrorKind::NoData if facts.series_absent => Action::StillAbsent,
        ErrorKind::NoData => Action::NoDataDays,
        ErrorKind::WrongDirection => Action::DirectionAbsent,
        // A whole window refused as invalid may hold one bad day, or meet a clock skew at its
        // newest end: split it rather than give up on all its days.
        ErrorKind::BeforeActivation
        | ErrorKind::BeyondHistory
        | ErrorKind::WindowTooLong
        | ErrorKind::InvalidRequest
            if facts.days > 1 =>
        {
            Action::Split
        }
        ErrorKind::BeforeActivation => Action::DaysAbsent(AbsenceReason::BeforeActivation),
        ErrorKind::BeyondHistory => Action::DaysAbsent(AbsenceReason::BeyondHistory),
        ErrorKind::WindowTooLong => Action::DaysAbsent(AbsenceReason::Refused(code.to_owned())),
        ErrorKind::ConsentLost => Action::LoseConsent,
        ErrorKind::InvalidToken => Action::StopUnauthorized,
        ErrorKind::Quota => Action::StopQuota,
        // Only Enedis's documented answers end a day; anything else is asked again later.
        ErrorKind::Unavailable | ErrorKind::Other | ErrorKind::InvalidRequest => Action::DaysFailed,
    }
}

/// When a day that failed `attempts` times before is asked again: `base`, doubled after each
/// failure, at most 16 times `base`.
pub fn next_try(now: DateTime<Utc>, base: Duration, attempts: u32) -> DateTime<Utc> {
    now + base * 2i32.pow(attempts.min(4))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(kind: Kind, days: i64) -> WindowFacts {
        WindowFacts {
            kind,
            days,
            series_absent: false,
            daily_stored: false,
        }
    }

    /// One row per Enedis error kind (and per fact that changes the answer).
    #[test]
    fn every_error_kind_has_its_action() {
        let week = facts(Kind::Curve, 7);
        let day = facts(Kind::Daily, 1);
        let with_daily = WindowFacts {
            daily_stored: true,
            ..week
        };
        let absent = WindowFacts {
            series_absent: true,
            ..day
        };
        let table: [(ErrorKind, &str, WindowFacts, Action); 20] = [
            (ErrorKind::NoData, "", week, Action::NoDataDays),
            (
                ErrorKind::NoData,
                "",
                with_daily,
                Action::SeriesAbsent(AbsenceReason::CurveNotEnabled, Recheck::Curve),
            ),
            (
                ErrorKind::NoData,
                "",
                facts(Kind::Curve, 1),
                Action::NoDataDays,
            ),
            (ErrorKind::NoData, "", absent, Action::StillAbsent),
            (
                ErrorKind::WrongDirection,
                "ADAM-ERR0069",
                week,
                Action::DirectionAbsent,
            ),
            (
                ErrorKind::BeforeActivation,
                "ADAM-ERR0123",
                week,
                Action::Split,
            ),
            (
                ErrorKind::BeforeActivation,
                "ADAM-ERR0123",
                day,
                Action::DaysAbsent(AbsenceReason::BeforeActivation),
            ),
            (
                ErrorKind::BeyondHistory,
                "ADAM-ERR0125",
                week,
                Action::Split,
            ),
            (
                ErrorKind::BeyondHistory,
                "ADAM-ERR0125",
                day,
                Action::DaysAbsent(AbsenceReason::BeyondHistory),
            ),
            (
                ErrorKind::WindowTooLong,
                "ADAM-ERR0126",
                week,
                Action::Split,
            ),
            (
                ErrorKind::WindowTooLong,
                "ADAM-ERR0126",
                day,
                Action::DaysAbsent(AbsenceReason::Refused("ADAM-ERR0126".into())),
            ),
            (
                ErrorKind::InvalidRequest,
                "invalid_request",
                week,
                Action::Split,
            ),
            (
                ErrorKind::InvalidRequest,
                "invalid_request",
                day,
                Action::DaysFailed,
            ),
            (
                ErrorKind::ConsentLost,
                "ADAM-DC-0008",
                week,
                Action::LoseConsent,
            ),
            (
                ErrorKind::InvalidToken,
                "invalid_token",
                week,
                Action::StopUnauthorized,
            ),
            (ErrorKind::Quota, "900804", week, Action::StopQuota),
            (
                ErrorKind::Unavailable,
                "technical_error",
                week,
                Action::DaysFailed,
            ),
            (
                ErrorKind::Unavailable,
                "technical_error",
                day,
                Action::DaysFailed,
            ),
            (ErrorKind::Other, "http_502", week, Action::DaysFailed),
            (ErrorKind::Other, "http_502", day, Action::DaysFailed),
        ];
        for (kind, code, facts, action) in table {
            assert_eq!(decide(kind, code, facts), action, "{kind:?} {facts:?}");
        }
    }

    #[test]
    fn a_failing_day_waits_longer_each_time_up_to_sixteen_times() {
        let now = DateTime::parse_from_rfc3339("2026-12-05T10:00:00Z")
            .unwrap()
            .to_utc();
        let waits: Vec<i64> = (0..7)
            .map(|a| (next_try(now, Duration::hours(1), a) - now).num_hours())
            .collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 16, 16]);
    }

    #[test]
    fn reasons_keep_the_names_older_stores_hold() {
        assert_eq!(AbsenceReason::NoDataFound.as_str(), "no_data_found");
        assert_eq!(AbsenceReason::CurveNotEnabled.as_str(), "curve_not_enabled");
        assert_eq!(
            AbsenceReason::Refused("ADAM-ERR0126".into()).as_str(),
            "ADAM-ERR0126"
        );
    }
}
