//! Enedis calls for a year in the life of one household (sandbox customer 0, consumption only),
//! against the simulator through the proxy, beside what the original plugin would make for the
//! same work and the minimum. Run with `cargo bench -p linky-stack --bench calls`.
//!
//! The original's numbers follow seed-spec §3: it fetches load curves in 7-day chunks newest
//! first (730 days = 105 calls), the peaks window once (≤ 1 095 days: 1 call), the production
//! curve's first chunk (1 call, then "no production" is cached), never the daily endpoints; a
//! daily run re-asks the first incomplete chunk from yesterday (1 call) and yesterday's peak
//! (1 call); applying a new off-peak schedule to stored history needs "Reset cache", i.e. the
//! whole download again; a failing call is resent up to 3 times, so with 20 % failures each
//! request costs 1 / (1 - failure share) calls on average.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use enedis_sim::{Fault, FaultSet, Quota, Scope};
use linky_core::{Clock, ManualClock};
use linky_enedis::tokens::TokenFile;
use linky_enedis::{EnedisSource, Generation};
use linky_stack::{Stack, StackOptions};
use linky_store::Store;
use linky_sync::{Quiet, RunSettings, Runner, SyncReport, SyncSettings};

const PDL: &str = "22516914714270";

fn settings() -> RunSettings {
    RunSettings {
        plan: SyncSettings {
            curve_days: 730,
            daily_days: 1095,
            max_power_days: 1095,
            ..SyncSettings::default()
        },
        backoff_base: std::time::Duration::from_millis(1),
        ..RunSettings::default()
    }
}

struct Household {
    dir: PathBuf,
}

impl Household {
    async fn new(stack: &Stack, name: &str) -> Household {
        let dir = std::env::temp_dir().join(format!("linky-calls-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        let mut file = TokenFile::default();
        file.add(stack.login(0, &[PDL]).await.expect("login"));
        file.save(&dir.join("tokens.json")).expect("tokens");
        Household { dir }
    }

    async fn sync(&self, clock: &Arc<dyn Clock>) -> SyncReport {
        let source = EnedisSource::proxy(
            self.dir.join("tokens.json"),
            Generation::Auto,
            clock.clone(),
        )
        .expect("source")
        .with_min_interval(std::time::Duration::ZERO);
        let mut store = Store::open(&self.dir.join("linky.db")).expect("store");
        Runner::new(&mut store, &source, clock.as_ref(), &settings(), &Quiet)
            .run(&[PDL.parse().expect("pdl")])
            .await
            .expect("run")
    }
}

impl Drop for Household {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let start: DateTime<Utc> = DateTime::parse_from_rfc3339("2026-11-28T10:00:00Z").expect("date").to_utc();
        let manual = ManualClock::new(start);
        let clock: Arc<dyn Clock> = Arc::new(manual.clone());
        let mut options = StackOptions::new(clock.clone());
        options.sim.quota = Quota { per_second: u32::MAX, per_hour: u32::MAX };
        let stack = Stack::start(options).await.expect("stack");

        let home = Household::new(&stack, "home").await;
        let install = home.sync(&clock).await.calls;
        let mut daily = 0;
        for _ in 0..30 {
            manual.advance(Duration::days(1));
            daily += home.sync(&clock).await.calls;
        }
        // A new off-peak schedule changes how stored points are split, not what is stored.
        let after_schedule_change = home.sync(&clock).await.calls;

        let again = Household::new(&stack, "again").await;
        let log_start = stack.sim.requests().len();
        stack.sim.set_faults(FaultSet { faults: vec![Fault::Error { rate: 0.2, scope: Scope::default() }] });
        let mut faulty = 0;
        let mut runs = 0;
        loop {
            runs += 1;
            let report = again.sync(&clock).await;
            faulty += report.calls;
            assert!(runs < 100, "the faulty install never completed");
            if report.stopped.is_none() && report.series.iter().all(|s| s.failed == 0 && s.missing == 0) {
                break;
            }
            manual.advance(Duration::minutes(61));
        }
        stack.sim.set_faults(FaultSet::default());
        let log = &stack.sim.requests()[log_start..];
        let failed = log.iter().filter(|e| e.fault.is_some()).count();
        let share = failed as f64 / log.len().max(1) as f64;

        println!("Enedis calls (linky / original DomoticzLinky / goal of issue 17)");
        println!("{:<58} {:>6} {:>9} {:>8}", "", "linky", "original", "goal");
        println!("{:<58} {:>6} {:>9} {:>8}", "first install: 730 days of curve, 1095 of daily and peaks", install, 107, "<= 108");
        println!("{:<58} {:>6} {:>9} {:>8}", "then 30 daily runs", daily, 60, "<= 66");
        println!("{:<58} {:>6} {:>9} {:>8}", "then an off-peak schedule change", after_schedule_change, 107, 0);
        println!(
            "{:<58} {:>6} {:>9} {:>8}",
            &format!("install again, 20 % failures asked, {:.0} % seen ({runs} run{})", share * 100.0, if runs > 1 { "s" } else { "" }),
            faulty,
            (107.0 / (1.0 - share)).round(),
            108
        );
        println!("  ({} of linky's {faulty} calls failed at the simulator: every extra call retried a failed one)", failed);
        println!();
        println!("linky's install reads one part of the contract (the synthesis: activation date, and which");
        println!("directions the meter measures, so no call probes production) and fetches 1 095 days of daily");
        println!("totals and peaks the original never has. Its daily runs fetch yesterday's curve and peak; the");
        println!("daily totals, a cross-check of the curve, a week at a time in one call; the other contract parts");
        println!("one per run, then one part a month (a direction the meter lacks is re-checked when the");
        println!("synthesis is read again, not by a probe).");
        println!("The original's minimum for its own, smaller data set is 107 / 60 / 0 / 107.");
    });
}
