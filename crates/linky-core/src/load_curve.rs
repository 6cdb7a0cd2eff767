//! Load curves: average power over fixed steps, as Enedis measures them.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Duration, Utc};

use crate::paris::{self, EndStampResolver, ResolveError, Stamp};
use crate::{Energy, Lang, Localized};

/// The length of a load-curve interval. Enedis uses PT5M, PT10M, PT15M, PT30M (the default) and
/// PT60M, and may change step inside one response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Step {
    minutes: u16,
}

/// A step that Enedis does not use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{text}\" is not a load-curve step (expected PT5M, PT10M, PT15M, PT30M or PT60M)")]
pub struct StepError {
    /// The offending text.
    pub text: String,
}

impl Localized for StepError {
    fn localized(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.to_string(),
            Lang::Fr => format!(
                "« {} » n'est pas un pas de courbe de charge (attendu PT5M, PT10M, PT15M, PT30M ou PT60M)",
                self.text
            ),
        }
    }
}

impl Step {
    /// Every step Enedis uses, shortest first.
    pub const ALL: [Step; 5] = [
        Step { minutes: 5 },
        Step { minutes: 10 },
        Step { minutes: 15 },
        Step { minutes: 30 },
        Step { minutes: 60 },
    ];
    /// The usual half-hour step.
    pub const PT30M: Step = Step { minutes: 30 };

    /// The step of `minutes` minutes, if Enedis uses it.
    pub fn from_minutes(minutes: u16) -> Option<Step> {
        Step::ALL.into_iter().find(|s| s.minutes == minutes)
    }

    /// Length in minutes.
    pub fn minutes(self) -> u16 {
        self.minutes
    }

    /// Length in seconds.
    pub fn seconds(self) -> i64 {
        i64::from(self.minutes) * 60
    }

    /// Length as a duration.
    pub fn duration(self) -> Duration {
        Duration::minutes(self.minutes.into())
    }
}

impl FromStr for Step {
    type Err = StepError;

    /// Parses `PT30M`; also `PT1H`, which some gateways write for PT60M.
    fn from_str(s: &str) -> Result<Step, StepError> {
        let err = || StepError { text: s.to_owned() };
        let body = s.trim().strip_prefix("PT").ok_or_else(err)?;
        let minutes = if let Some(m) = body.strip_suffix('M') {
            m.parse::<u16>().map_err(|_| err())?
        } else if let Some(h) = body.strip_suffix('H') {
            h.parse::<u16>()
                .ok()
                .and_then(|h| h.checked_mul(60))
                .ok_or_else(err)?
        } else {
            return Err(err());
        };
        Step::from_minutes(minutes).ok_or_else(err)
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PT{}M", self.minutes)
    }
}

/// One load-curve point: the average power over `[end − step, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LoadCurvePoint {
    /// End of the interval (Enedis stamps points with their end).
    pub end: DateTime<Utc>,
    /// Length of the interval.
    pub step: Step,
    /// Average power over the interval, in watts.
    pub watts: u32,
}

impl LoadCurvePoint {
    /// Start of the interval.
    pub fn start(&self) -> DateTime<Utc> {
        self.end - self.step.duration()
    }

    /// Middle of the interval: the instant tested against off-peak ranges.
    pub fn midpoint(&self) -> DateTime<Utc> {
        self.end - Duration::seconds(self.step.seconds() / 2)
    }

    /// Energy of the interval: W × step.
    pub fn energy(&self) -> Energy {
        Energy::from_power(self.watts.into(), self.step.seconds())
    }
}

/// Why points do not make a load curve.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadCurveError {
    /// Two points' intervals overlap (or come in the wrong order).
    #[error("load-curve points overlap: the point ending {later} (Paris time) starts before the point ending {earlier} ends; the data is inconsistent, fetch it again")]
    Overlap {
        /// Paris end stamp of the earlier point.
        earlier: chrono::NaiveDateTime,
        /// Paris end stamp of the later point.
        later: chrono::NaiveDateTime,
    },
    /// The stamps cannot be placed in time.
    #[error(transparent)]
    Stamps(#[from] ResolveError),
}

impl Localized for LoadCurveError {
    fn localized(&self, lang: Lang) -> String {
        match (lang, self) {
            (Lang::En, _) => self.to_string(),
            (Lang::Fr, LoadCurveError::Overlap { earlier, later }) => format!(
                "des points de la courbe de charge se chevauchent : le point finissant à {later} (heure de Paris) commence avant la fin du point finissant à {earlier} ; les données sont incohérentes, téléchargez-les à nouveau"
            ),
            (Lang::Fr, LoadCurveError::Stamps(e)) => e.localized(lang),
        }
    }
}

/// A load curve: points in time order whose intervals never overlap. Holes (missing points) are
/// allowed: Enedis leaves them out rather than sending nulls.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadCurve {
    points: Vec<LoadCurvePoint>,
}

impl LoadCurve {
    /// A curve from points already placed in time. They must be in order and must not overlap.
    pub fn new(points: Vec<LoadCurvePoint>) -> Result<LoadCurve, LoadCurveError> {
        for pair in points.windows(2) {
            // In whole seconds and nanoseconds, without chrono's checked arithmetic: this runs
            // for every point read or stored.
            let start = (
                pair[1].end.timestamp() - pair[1].step.seconds(),
                pair[1].end.timestamp_subsec_nanos(),
            );
            let previous_end = (
                pair[0].end.timestamp(),
                pair[0].end.timestamp_subsec_nanos(),
            );
            if start < previous_end {
                return Err(LoadCurveError::Overlap {
                    earlier: paris::end_stamp(pair[0].end),
                    later: paris::end_stamp(pair[1].end),
                });
            }
        }
        Ok(LoadCurve { points })
    }

    /// A curve from one Enedis response's points, in the order received: `(stamp, step, W)`.
    /// Repeated autumn stamps are placed by position (see [`EndStampResolver`]).
    pub fn from_stamped(
        points: impl IntoIterator<Item = (Stamp, Step, u32)>,
    ) -> Result<LoadCurve, LoadCurveError> {
        let mut resolver = EndStampResolver::new();
        let points = points
            .into_iter()
            .map(|(stamp, step, watts)| {
                Ok(LoadCurvePoint {
                    end: resolver.resolve(stamp)?,
                    step,
                    watts,
                })
            })
            .collect::<Result<Vec<_>, LoadCurveError>>()?;
        LoadCurve::new(points)
    }

    /// The points, in time order.
    pub fn points(&self) -> &[LoadCurvePoint] {
        &self.points
    }

    /// Whether the curve has no point.
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// Total energy of all points.
    pub fn energy(&self) -> Energy {
        self.points.iter().map(LoadCurvePoint::energy).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDateTime, TimeZone};

    fn local(s: &str) -> Stamp {
        Stamp::Local(NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap())
    }

    #[test]
    fn steps_parse_and_print() {
        for s in Step::ALL {
            assert_eq!(s.to_string().parse::<Step>().unwrap(), s);
        }
        assert_eq!("PT1H".parse::<Step>().unwrap().minutes(), 60);
        for bad in [
            "PT7M",
            "30",
            "PT30",
            "P1D",
            "PT0M",
            "PT999999M",
            "PT99999H",
            "",
        ] {
            let e = bad.parse::<Step>().unwrap_err();
            assert!(e.localized(Lang::Fr).contains("pas de courbe"), "{bad}");
        }
    }

    #[test]
    fn changing_step_inside_a_response_is_kept_per_point() {
        // The shape of the eddie fixture: PT30M, then PT10M, PT15M and PT60M.
        let pts = [
            ("2024-02-26 00:30:00", "PT30M", 100),
            ("2024-02-26 01:00:00", "PT30M", 100),
            ("2024-02-26 01:10:00", "PT10M", 600),
            ("2024-02-26 01:45:00", "PT15M", 400),
            ("2024-02-26 03:00:00", "PT60M", 50),
        ];
        let curve = LoadCurve::from_stamped(
            pts.iter()
                .map(|(d, s, w)| (local(d), s.parse().unwrap(), *w)),
        )
        .unwrap();
        assert_eq!(curve.points().len(), 5);
        // 50 + 50 + 100 + 100 + 50 Wh
        assert_eq!(curve.energy(), Energy::from_wh(350));
        assert_eq!(
            curve.points()[2].start(),
            Utc.with_ymd_and_hms(2024, 2, 26, 0, 0, 0).unwrap()
        );
    }

    #[test]
    fn overlapping_points_are_refused() {
        let pts = [
            ("2024-02-26 00:30:00", "PT30M"),
            ("2024-02-26 01:00:00", "PT60M"),
        ];
        let err =
            LoadCurve::from_stamped(pts.iter().map(|(d, s)| (local(d), s.parse().unwrap(), 1)))
                .unwrap_err();
        assert!(matches!(err, LoadCurveError::Overlap { .. }));
        assert!(err.localized(Lang::Fr).contains("chevauchent"));
    }
}
