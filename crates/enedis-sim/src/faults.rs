//! Fault injection: what a real Enedis does on a bad day.

use chrono::NaiveTime;
use serde::{Deserialize, Serialize};

/// Which calls a fault applies to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    /// Only calls for this PDL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pdl: Option<String>,
    /// Only calls to this path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

impl Scope {
    fn matches(&self, pdl: Option<&str>, path: &str) -> bool {
        self.pdl.as_deref().is_none_or(|p| Some(p) == pdl)
            && self.path.as_deref().is_none_or(|p| p == path)
    }
}

/// One fault.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fault {
    /// A share of calls answer 500 `technical_error`.
    Error {
        /// Share of calls, 0 to 1.
        rate: f64,
        /// Which calls.
        #[serde(flatten)]
        scope: Scope,
    },
    /// Every call answers 503 between two Paris times (e.g. a nightly maintenance).
    Maintenance {
        /// Start, `HH:MM`, Paris time.
        from: NaiveTime,
        /// End (exclusive); before `from` for a window across midnight.
        to: NaiveTime,
        /// Which calls.
        #[serde(flatten)]
        scope: Scope,
    },
    /// Every call waits this long before answering.
    Latency {
        /// Milliseconds.
        ms: u64,
        /// Which calls.
        #[serde(flatten)]
        scope: Scope,
    },
    /// A share of connections are reset before any answer.
    Reset {
        /// Share of calls, 0 to 1.
        rate: f64,
        /// Which calls.
        #[serde(flatten)]
        scope: Scope,
    },
    /// A share of calls get an HTML page with this status instead of Enedis's answer: what a
    /// reverse proxy's 404 or a captive portal sends (not an Enedis answer at all).
    Html {
        /// The HTTP status, e.g. 404.
        status: u16,
        /// Share of calls, 0 to 1.
        rate: f64,
        /// Which calls.
        #[serde(flatten)]
        scope: Scope,
    },
    /// A share of answers stop halfway through the body.
    Truncate {
        /// Share of calls, 0 to 1.
        rate: f64,
        /// Which calls.
        #[serde(flatten)]
        scope: Scope,
    },
}

/// The faults in force.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FaultSet {
    /// The faults, all applied.
    #[serde(default)]
    pub faults: Vec<Fault>,
}

/// What to do with one call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Decision {
    /// Wait this long first (milliseconds).
    pub latency_ms: u64,
    /// Answer 503.
    pub maintenance: bool,
    /// Answer 500 `technical_error`.
    pub error: bool,
    /// Reset the connection.
    pub reset: bool,
    /// Cut the body halfway.
    pub truncate: bool,
    /// Answer an HTML page with this status.
    pub html: Option<u16>,
}

impl FaultSet {
    /// Checks rates and times; the error names the offending fault.
    pub fn validate(&self) -> Result<(), String> {
        for (i, f) in self.faults.iter().enumerate() {
            if let Fault::Error { rate, .. }
            | Fault::Reset { rate, .. }
            | Fault::Html { rate, .. }
            | Fault::Truncate { rate, .. } = f
            {
                if !(0.0..=1.0).contains(rate) {
                    return Err(format!(
                        "fault #{}: rate {rate} is not between 0 and 1",
                        i + 1
                    ));
                }
            }
            if let Fault::Latency { ms, .. } = f {
                if *ms > 120_000 {
                    return Err(format!(
                        "fault #{}: latency {ms} ms is more than 2 minutes",
                        i + 1
                    ));
                }
            }
        }
        Ok(())
    }

    /// Decides the fate of a call. `draw` gives a fresh number in `[0, 1)` for each random choice.
    pub fn decide(
        &self,
        pdl: Option<&str>,
        path: &str,
        local_time: NaiveTime,
        mut draw: impl FnMut() -> f64,
    ) -> Decision {
        let mut d = Decision::default();
        for fault in &self.faults {
            match fault {
                Fault::Error { rate, scope } if scope.matches(pdl, path) => {
                    d.error |= draw() < *rate
                }
                Fault::Maintenance { from, to, scope } if scope.matches(pdl, path) => {
                    let inside = if from <= to {
                        *from <= local_time && local_time < *to
                    } else {
                        local_time >= *from || local_time < *to
                    };
                    d.maintenance |= inside;
                }
                Fault::Latency { ms, scope } if scope.matches(pdl, path) => d.latency_ms += ms,
                Fault::Reset { rate, scope } if scope.matches(pdl, path) => {
                    d.reset |= draw() < *rate
                }
                Fault::Truncate { rate, scope } if scope.matches(pdl, path) => {
                    d.truncate |= draw() < *rate
                }
                Fault::Html {
                    status,
                    rate,
                    scope,
                } if scope.matches(pdl, path) && draw() < *rate => d.html = Some(*status),
                _ => {}
            }
        }
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    #[test]
    fn json_form_and_decisions() {
        let set: FaultSet = serde_json::from_str(
            r#"{"faults":[{"kind":"maintenance","from":"23:00:00","to":"01:00:00"},
                          {"kind":"error","rate":1.0,"pdl":"22516914714270"},
                          {"kind":"latency","ms":50,"path":"/metering_data_dc/v5/daily_consumption"}]}"#,
        )
        .unwrap();
        set.validate().unwrap();
        let d = set.decide(Some("22516914714270"), "/x", t(23, 30), || 0.5);
        assert!(d.maintenance && d.error && d.latency_ms == 0);
        let d = set.decide(
            Some("11453290002823"),
            "/metering_data_dc/v5/daily_consumption",
            t(12, 0),
            || 0.5,
        );
        assert!(!d.maintenance && !d.error && d.latency_ms == 50);
        let bad = FaultSet {
            faults: vec![Fault::Reset {
                rate: 2.0,
                scope: Scope::default(),
            }],
        };
        assert!(bad.validate().unwrap_err().contains("fault #1"));
    }
}
