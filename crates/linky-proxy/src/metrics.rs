//! What an operator watches (`/metrics`, Prometheus text format 0.0.4), counted in memory by
//! this instance: requests by route and status, calls to Enedis by outcome, the quota's waits
//! and refusals, consents bound, guesses refused and how long device flows take; plus, from the
//! database, the grants waiting and the token families alive (every instance's).
//!
//! Routes are the router's patterns (`/data/proxy/*path`), never the paths asked: a label
//! cannot be made to grow by a client. Nothing secret is counted.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Bounds of the flow-duration histogram, seconds (code asked → tokens issued).
const FLOW_BUCKETS: [f64; 8] = [15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0];

/// This instance's counters.
#[derive(Debug, Default)]
pub struct ProxyMetrics {
    /// By route pattern as axum names it (`/data/proxy/{*path}`), then status.
    requests: Mutex<BTreeMap<String, BTreeMap<u16, u64>>>,
    upstream: Mutex<BTreeMap<&'static str, u64>>,
    quota_waits: AtomicU64,
    quota_refusals: AtomicU64,
    consents_bound: AtomicU64,
    guesses_refused: AtomicU64,
    flows: Mutex<(Vec<u64>, u64, f64)>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl ProxyMetrics {
    /// A request answered: its route pattern and status.
    pub fn request(&self, route: &str, status: u16) {
        // Once per request: the route is looked up as given, and copied only the first time.
        let mut requests = lock(&self.requests);
        let statuses = match requests.get_mut(route) {
            Some(statuses) => statuses,
            None => requests.entry(route.to_owned()).or_default(),
        };
        *statuses.entry(status).or_default() += 1;
    }

    /// A call to Enedis and how it ended: `ok`, `client_error`, `quota` (429), `unavailable`
    /// (5xx) or `transport`.
    pub fn upstream(&self, outcome: &'static str) {
        *lock(&self.upstream).entry(outcome).or_default() += 1;
    }

    /// The quota made a call wait.
    pub fn quota_wait(&self) {
        self.quota_waits.fetch_add(1, Ordering::Relaxed);
    }

    /// The quota refused a call (the client got 429).
    pub fn quota_refusal(&self) {
        self.quota_refusals.fetch_add(1, Ordering::Relaxed);
    }

    /// A consent was bound to a grant.
    pub fn consent_bound(&self) {
        self.consents_bound.fetch_add(1, Ordering::Relaxed);
    }

    /// A user-code attempt was refused for too many wrong guesses.
    pub fn guess_refused(&self) {
        self.guesses_refused.fetch_add(1, Ordering::Relaxed);
    }

    /// A device flow ended with tokens, `seconds` after its code was asked.
    pub fn flow_done(&self, seconds: f64) {
        let mut flows = lock(&self.flows);
        if flows.0.is_empty() {
            flows.0 = vec![0; FLOW_BUCKETS.len()];
        }
        for (i, bound) in FLOW_BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                flows.0[i] += 1;
            }
        }
        flows.1 += 1;
        flows.2 += seconds.max(0.0);
    }

    /// The exposition, with the database's gauges.
    pub fn render(&self, waiting_grants: u64, live_families: u64) -> String {
        let mut out = String::new();
        let family = |out: &mut String, name: &str, kind: &str, help: &str| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        };
        family(
            &mut out,
            "linky_proxy_requests_total",
            "counter",
            "Requests answered, by route pattern and status.",
        );
        for (route, statuses) in lock(&self.requests).iter() {
            // `/data/proxy/{*path}` is labelled `/data/proxy/*path`: braces inside label
            // values trip some parsers.
            let route = route
                .replace(['{', '}'], "")
                .replace('\\', "\\\\")
                .replace('"', "\\\"");
            for (status, n) in statuses {
                let _ = writeln!(
                    out,
                    "linky_proxy_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}"
                );
            }
        }
        family(
            &mut out,
            "linky_proxy_upstream_calls_total",
            "counter",
            "Calls to Enedis by outcome (ok, client_error, quota, unavailable, transport, throttled).",
        );
        for (outcome, n) in lock(&self.upstream).iter() {
            let _ = writeln!(
                out,
                "linky_proxy_upstream_calls_total{{outcome=\"{outcome}\"}} {n}"
            );
        }
        let counters = [
            (
                "linky_proxy_quota_waits_total",
                "Calls to Enedis that waited for the shared quota.",
                &self.quota_waits,
            ),
            (
                "linky_proxy_quota_refusals_total",
                "Calls refused (429) because the shared quota had no room in time.",
                &self.quota_refusals,
            ),
            (
                "linky_proxy_consents_bound_total",
                "Consents Enedis confirmed and the proxy bound to a grant.",
                &self.consents_bound,
            ),
            (
                "linky_proxy_guesses_refused_total",
                "User-code attempts refused for too many wrong guesses from one address.",
                &self.guesses_refused,
            ),
        ];
        for (name, help, value) in counters {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
                value.load(Ordering::Relaxed)
            );
        }
        let _ = writeln!(out, "# HELP linky_proxy_flow_duration_seconds From a device code to its tokens.\n# TYPE linky_proxy_flow_duration_seconds histogram");
        let flows = lock(&self.flows);
        for (i, bound) in FLOW_BUCKETS.iter().enumerate() {
            let n = flows.0.get(i).copied().unwrap_or(0);
            let _ = writeln!(
                out,
                "linky_proxy_flow_duration_seconds_bucket{{le=\"{bound}\"}} {n}"
            );
        }
        let _ = writeln!(
            out,
            "linky_proxy_flow_duration_seconds_bucket{{le=\"+Inf\"}} {}\nlinky_proxy_flow_duration_seconds_sum {}\nlinky_proxy_flow_duration_seconds_count {}",
            flows.1, flows.2, flows.1
        );
        let _ = writeln!(
            out,
            "# HELP linky_proxy_grants_waiting Device codes waiting for their person (all instances).\n# TYPE linky_proxy_grants_waiting gauge\nlinky_proxy_grants_waiting {waiting_grants}"
        );
        let _ = writeln!(
            out,
            "# HELP linky_proxy_token_families_live Token families alive, not revoked (all instances).\n# TYPE linky_proxy_token_families_live gauge\nlinky_proxy_token_families_live {live_families}"
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_family_is_typed_and_buckets_are_cumulative() {
        let m = ProxyMetrics::default();
        m.request("/device/code", 200);
        m.request("/device/code", 200);
        m.request("/data/proxy/{*path}", 429);
        m.upstream("ok");
        m.flow_done(45.0);
        m.flow_done(400.0);
        let text = m.render(3, 7);
        assert!(
            text.contains("linky_proxy_requests_total{route=\"/device/code\",status=\"200\"} 2")
        );
        assert!(text
            .contains("linky_proxy_requests_total{route=\"/data/proxy/*path\",status=\"429\"} 1"));
        assert!(text.contains("linky_proxy_flow_duration_seconds_bucket{le=\"60\"} 1"));
        assert!(text.contains("linky_proxy_flow_duration_seconds_bucket{le=\"600\"} 2"));
        assert!(text.contains("linky_proxy_flow_duration_seconds_count 2"));
        assert!(text.contains("linky_proxy_token_families_live 7"));
        let helps = text.lines().filter(|l| l.starts_with("# HELP")).count();
        let types = text.lines().filter(|l| l.starts_with("# TYPE")).count();
        assert_eq!(helps, types);
    }
}
