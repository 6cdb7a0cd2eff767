//! Leaving DomoticzLinky, step by step, as the guide says: `linky domoticz migrate` finds the
//! plugin, `linky init --from-domoticzlinky` takes its settings, a sync writes linky's devices,
//! then the plugin is disabled. Against the Domoticz test double and the Conso API of enedis-sim.

mod common;

use std::path::Path;
use std::process::Command;

use common::{clean, conso_sim, text};

type Dir = linky_stack::TempDir;

const PDL: &str = common::CONSO_METER;

fn linky(dir: &Path, domoticz: &str) -> Command {
    let mut c = clean(env!("CARGO_BIN_EXE_linky"), dir);
    c.env("LINKY_DOMOTICZ_URL", domoticz);
    c.args(["--lang", "en"]);
    // The settings file goes to its default place under this HOME.
    c.arg("--data-dir").arg(dir.join("data"));
    c
}

async fn run(dir: &Path, domoticz: &str, args: &[&str]) -> String {
    let mut c = linky(dir, domoticz);
    c.args(args);
    let out = tokio::task::spawn_blocking(move || c.output().unwrap())
        .await
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    text(&out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn from_the_plugin_to_linky() {
    let (_sim, enedis, token) = conso_sim().await;
    let double = common::domoticz();
    let plugin = double.add_plugin_hardware_with(
        "Linky",
        "linky",
        ["3", "365", "0", "22h00-6h00", "peak_day", "mean_cweek"],
    );
    double.add_plugin_device(plugin, PDL, "Linky - Linky 12345678901234");
    let domoticz = double.bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let url = domoticz.url();
    let dir = Dir::new("linky-migrate").unwrap();
    let d = dir.path();

    let said = run(d, &url, &["domoticz", "migrate"]).await;
    assert!(
        said.contains("DomoticzLinky plugin found: \"Linky\""),
        "{said}"
    );
    assert!(
        said.contains(&format!("meters of its devices: {PDL}")),
        "{said}"
    );
    assert!(
        said.contains("understood as 22h00-24h00 0h00-6h00"),
        "{said}"
    );
    assert!(said.contains("linky init --from-domoticzlinky"), "{said}");

    let said = run(
        d,
        &url,
        &[
            "init",
            "--non-interactive",
            "--from-domoticzlinky",
            "--source",
            "conso-api",
            "--conso-api-token",
            &token,
            "--conso-api-url",
            &enedis.url(),
            "--domoticz-url",
            &url,
        ],
    )
    .await;
    assert!(
        said.contains("Settings taken from the DomoticzLinky plugin"),
        "{said}"
    );
    let written = std::fs::read_to_string(d.join(".config/linky/config.toml")).unwrap();
    assert!(written.contains("schedule = \"22h00-6h00\""), "{written}");
    assert!(written.contains("hours_days = 3"), "{written}");
    assert!(written.contains("secondary = \"mean_cweek\""), "{written}");

    run(d, &url, common::SHORT_SYNC).await;
    let said = run(d, &url, &["domoticz", "migrate"]).await;
    assert!(said.contains("now disable the plugin"), "{said}");

    double.set_hardware_enabled(plugin, false);
    let said = run(d, &url, &["domoticz", "migrate"]).await;
    assert!(said.contains("Migration complete"), "{said}");
    enedis.shutdown().await;
}
