//! The simulator's settings.

use std::fmt;

use crate::faults::FaultSet;

/// Client credentials the token endpoint accepts.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The application's client id.
    pub client_id: String,
    /// Its secret.
    pub client_secret: String,
}

impl fmt::Debug for Credentials {
    // The secret never reaches a log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &"***")
            .finish()
    }
}

/// Request limits per client id. Enedis allows 5 requests per second and 10 000 per hour to an
/// application, shared by all its users.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    /// Requests per second.
    pub per_second: u32,
    /// Requests per clock hour (the counter resets at the top of the hour).
    pub per_hour: u32,
}

impl Default for Quota {
    fn default() -> Quota {
        Quota {
            per_second: 5,
            per_hour: 10_000,
        }
    }
}

/// How the repeated autumn hour is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DstStamps {
    /// 50 half-hours, `02:30` and `03:00` twice (summer time first): what Enedis is believed to do.
    #[default]
    Repeat,
    /// The second `02:30` and `03:00` left out: a variant some exports show.
    DropDuplicates,
}

/// Everything that shapes the simulator's answers.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Seed of the synthetic data.
    pub seed: u64,
    /// Accepted credentials; `None` accepts any non-empty pair (handy for the demo).
    pub credentials: Option<Credentials>,
    /// The redirect URI registered for the application (used by the consent pages).
    pub redirect_uri: Option<String>,
    /// Request limits.
    pub quota: Quota,
    /// Longest load-curve window, in days.
    pub max_curve_days: i64,
    /// Longest daily or max-power window, in days (undocumented by Enedis; the original plugin
    /// asks 1 095 days at once and works).
    pub max_daily_days: i64,
    /// Paris hour at which yesterday's data appears.
    pub publication_hour: u32,
    /// How the repeated autumn hour is written.
    pub dst_stamps: DstStamps,
    /// Lifetime of access tokens, in seconds.
    pub token_lifetime_seconds: i64,
    /// Faults to inject from the start.
    pub faults: FaultSet,
    /// How long after a consent `subscribed_services` still answers empty, in seconds.
    pub subscribed_services_delay_seconds: i64,
    /// Whether the v5 APIs still answer (false: as after the autumn 2026 cut-off).
    pub v5_enabled: bool,
    /// Whether the application subscribed to `comptage_auto` (the contract's off-peak hours),
    /// which Enedis sells apart: without it the real server answered 403 (seen by another
    /// application on 4 October 2026; the body was not recorded, so this one is the documented
    /// `unauthorized_user`).
    pub comptage_subscribed: bool,
    /// The RTE application accepted by the simulated RTE token endpoint; `None` accepts any
    /// non-empty pair.
    pub rte_credentials: Option<Credentials>,
}

impl Default for SimConfig {
    fn default() -> SimConfig {
        SimConfig {
            seed: 1,
            credentials: None,
            redirect_uri: None,
            quota: Quota::default(),
            max_curve_days: 7,
            max_daily_days: 1095,
            publication_hour: 8,
            dst_stamps: DstStamps::default(),
            token_lifetime_seconds: 12_600,
            faults: FaultSet::default(),
            subscribed_services_delay_seconds: 5,
            v5_enabled: true,
            comptage_subscribed: true,
            rte_credentials: None,
        }
    }
}
