//! Every way from linky to a real meter, as real processes against stand-ins: the Conso API
//! gateway (served by enedis-sim) and the original DomoticzLinky proxy (a test double in
//! linky-stack), both after Enedis's v5 cut-off.

mod common;

use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;

use common::{after_v5, clean, conso_token, text, LoginProcess};
use enedis_sim::Simulator;
use linky_stack::original_proxy::{OriginalProxy, PLUGIN_CLIENT_ID};

type Dir = linky_stack::TempDir;

const CONSUMPTION: &str = "12345678901234";
const PRODUCTION: &str = "10284856584123";

fn linky(dir: &Path) -> Command {
    let mut c = clean(env!("CARGO_BIN_EXE_linky"), dir);
    c.arg("--data-dir").arg(dir);
    c
}

const SYNC: &[&str] = common::SHORT_SYNC;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conso_api_token_then_sync() {
    let sim = Simulator::new(after_v5(), Arc::new(linky_stack::test_clock()));
    let running = sim.bind(([127, 0, 0, 1], 0).into()).await.unwrap();
    let token = conso_token(&running, &[CONSUMPTION]).await;
    let dir = Dir::new("linky-conso-api").unwrap();

    let out = linky(dir.path())
        .args(["--lang", "en", "login", "--conso-api", "not-a-token"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("conso.boris.sh"), "{}", text(&out));

    let out = linky(dir.path())
        .args(["--lang", "en", "login", "--conso-api", &token])
        .args(["--conso-api-url", &running.url()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains(&format!("Conso API token kept for: {CONSUMPTION}")),
        "{}",
        text(&out)
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("tokens.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    let out = linky(dir.path())
        .args(["--lang", "en"])
        .args(SYNC)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(!text(&out).contains(&token), "the token is never printed");
    let calls = sim.requests();
    assert!(!calls.is_empty());
    for call in &calls {
        assert!(call.path.starts_with("/api/"), "{call:?}");
        assert_eq!(call.client_id.as_deref(), Some("conso-api"));
        assert!(call.query.contains("pointId=") && call.query.contains("dateDebut="));
        // 400 is Enedis's "this meter does not measure that direction".
        assert!([200, 400].contains(&call.status), "{call:?}");
    }
    assert!(calls
        .iter()
        .any(|c| c.path == "/api/courbe_de_charge_consommation" && c.status == 200));
    assert!(calls
        .iter()
        .any(|c| c.path == "/api/courbe_de_charge_consommation"));
    let status = linky(dir.path())
        .args(["--lang", "en", "status"])
        .output()
        .unwrap();
    assert!(text(&status).contains(CONSUMPTION), "{}", text(&status));

    // A token that does not cover the meter is refused by the gateway: the sync says what to do.
    let other = conso_token(&running, &[PRODUCTION]).await;
    let forged = format!(
        "{}.{}",
        token.rsplit_once('.').unwrap().0,
        other.rsplit_once('.').unwrap().1
    );
    let fresh = Dir::new("linky-conso-api-forged").unwrap();
    let out = linky(fresh.path())
        .args(["--lang", "en"])
        .env("LINKY_CONSO_API_TOKEN", &forged)
        .env("LINKY_CONSO_API_URL", running.url())
        .args(SYNC)
        .output()
        .unwrap();
    assert!(
        text(&out).contains("consent again on conso.boris.sh"),
        "{}",
        text(&out)
    );
    running.shutdown().await;
}

/// `linky login` at the original proxy's stand-in, as a process; the person consents.
async fn login_at_original(proxy: &OriginalProxy, dir: &Path) -> Output {
    let mut command = linky(dir);
    command
        .args(["--lang", "en", "login", "--proxy", proxy.url()])
        .args(["--client-id", PLUGIN_CLIENT_ID]);
    let login = LoginProcess::start(command);
    proxy.consent(&login.code().await, 3).await.unwrap();
    login.finish().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_original_proxy_after_the_v5_cut_off() {
    let proxy = OriginalProxy::start(after_v5(), Arc::new(linky_stack::test_clock()))
        .await
        .unwrap();
    let dir = Dir::new("linky-original-proxy").unwrap();
    let out = login_at_original(&proxy, dir.path()).await;
    assert!(out.status.success(), "{}", text(&out));
    // No verification_uri_complete: the address is built from the code.
    assert!(text(&out).contains("/device?code="), "{}", text(&out));
    assert!(
        text(&out).contains(&format!(
            "Consent obtained for: {CONSUMPTION}, {PRODUCTION}"
        )),
        "{}",
        text(&out)
    );

    let out = linky(dir.path())
        .args(["--lang", "en"])
        .args(SYNC)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let calls = proxy.sim.requests();
    let data: Vec<_> = calls
        .iter()
        .filter(|c| c.path.starts_with("/mesure_synchrone_auto"))
        .collect();
    assert!(!data.is_empty(), "{calls:?}");
    for call in &data {
        // The 2026 paths, with the meter where the original proxy checks it.
        assert!(call.query.contains("pointId=") && call.query.contains("usage_point_id="));
        // 400 is Enedis's "this meter does not measure that direction".
        assert!([200, 400].contains(&call.status), "{call:?}");
    }
    assert!(data.iter().any(|c| c.status == 200));
    assert!(
        !calls
            .iter()
            .any(|c| c.path.starts_with("/metering_data") && c.status == 200),
        "nothing served by v5 after the cut-off"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_original_proxys_refresh_keeps_the_meters() {
    let proxy = OriginalProxy::start(after_v5(), Arc::new(linky_stack::test_clock()))
        .await
        .unwrap();
    let http = linky_enedis::http_client().unwrap();
    let flow = linky_enedis::login::DeviceFlow {
        http: &http,
        proxy_url: proxy.url(),
        client_id: PLUGIN_CLIENT_ID,
    };
    let code = flow.start().await.unwrap();
    assert_eq!(code.interval, 5, "the float 5.0 is read");
    proxy.consent(&code.user_code, 3).await.unwrap();
    let clock = linky_stack::test_clock();
    let family = flow.wait(&code, &clock).await.unwrap();
    assert_eq!(family.meters, [CONSUMPTION, PRODUCTION]);
    let renewed = flow
        .refresh(&family, linky_core::Clock::now(&clock))
        .await
        .unwrap();
    assert_eq!(renewed.meters, family.meters);
    assert_eq!(renewed.refresh_token, family.refresh_token);
    assert_ne!(renewed.access_token, family.access_token);
    // The original has no revocation: forgetting the tokens is all that can be done.
    flow.revoke(&renewed).await.unwrap();
}
