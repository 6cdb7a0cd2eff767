//! Enedis calls the proxy makes, counted in the simulator's request log: for one consent (the
//! token, `subscribed_services`), for one cycle of the original plugin after the v5 cut-off
//! (a refresh, yesterday's curve and peak in v5 form, translated), and under a flood of forged
//! consent returns (which must cost nothing upstream). Run with
//! `cargo bench -p linky-stack --bench proxy_calls`.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use linky_core::{Clock, ManualClock};
use linky_enedis::login::DeviceFlow;
use linky_stack::{Stack, StackOptions};

const PDL: &str = "22516914714270";

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.to_utc())
        .unwrap_or_default()
}

#[tokio::main]
async fn main() {
    let clock = Arc::new(ManualClock::new(at("2026-11-28T10:00:00Z")));
    let mut options = StackOptions::new(clock.clone());
    // Enedis has retired v5: the plugin's calls are translated.
    options.sim.v5_enabled = false;
    let stack = Stack::start(options).await.expect("stack");
    let calls = || stack.sim.requests().len();

    let before = calls();
    let family = stack.login(0, &[PDL]).await.expect("consent");
    let consent = calls() - before;

    let http = linky_enedis::http_client().expect("client");
    let before = calls();
    let flow = DeviceFlow {
        http: &http,
        proxy_url: stack.proxy_url(),
        client_id: &family.client_id,
    };
    let renewed = flow.refresh(&family, clock.now()).await.expect("refresh");
    let base = format!("{}/data/proxy", stack.proxy_url());
    for path in [
        format!("/metering_data_clc/v5/consumption_load_curve?start=2026-11-27&end=2026-11-28&usage_point_id={PDL}"),
        format!("/metering_data_dcmp/v5/daily_consumption_max_power?start=2026-11-27&end=2026-11-28&usage_point_id={PDL}"),
    ] {
        let r = http
            .get(format!("{base}{path}"))
            .bearer_auth(&renewed.access_token)
            .send()
            .await
            .expect("data call");
        assert!(r.status().is_success(), "{path}: {}", r.status());
    }
    let cycle = calls() - before;

    let before = calls();
    let started = std::time::Instant::now();
    let forged = 1000;
    for i in 0..forged {
        let _ = http
            .get(format!("{}/auth/redirect", stack.proxy_url()))
            .query(&[
                ("state", format!("{i:064x}")),
                ("autorisation_id", (1_000_000 + i).to_string()),
            ])
            .send()
            .await;
    }
    let flood = calls() - before;
    let took = started.elapsed();

    println!("Enedis calls made by the proxy (simulator's request log):");
    println!("  one consent (application token + subscribed_services): {consent}");
    println!(
        "  one plugin cycle after the v5 cut-off (refresh + curve + peak, translated): {cycle}"
    );
    println!(
        "  {forged} forged consent returns: {flood} calls upstream ({:.0} returns/s refused)",
        f64::from(forged) / took.as_secs_f64()
    );
}
