//! What a real Domoticz 2025.1 did when linky pushed to it (domoticz.md §8), replayed against the
//! test double: each test names the observation it reproduces.

mod common;

use common::{start, trusted};
use domoticz_double::{DomoticzDouble, DoubleOptions, Rights};
use serde_json::Value;

fn keep_alive() -> reqwest::Client {
    common::keep_alive_client()
}

async fn get(client: &reqwest::Client, url: &str, query: &str) -> Value {
    client
        .get(format!("{url}/json.htm?type=command&param={query}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn pct(text: &str) -> String {
    text.bytes().map(|b| format!("%{b:02X}")).collect()
}

async fn udevice(client: &reqwest::Client, url: &str, idx: i64, svalue: &str) -> Value {
    get(
        client,
        url,
        &format!("udevice&idx={idx}&nvalue=0&svalue={}", pct(svalue)),
    )
    .await
}

async fn create_p1(client: &reqwest::Client, url: &str, hardware: &str, name: &str) -> i64 {
    let r = get(
        client,
        url,
        &format!("createdevice&idx={hardware}&sensorname={name}&devicetype=250&devicesubtype=1"),
    )
    .await;
    let idx = r["idx"].as_str().unwrap().parse().unwrap();
    // linky's options: dated values go to the logs.
    get(
        client,
        url,
        &format!("setused&idx={idx}&used=true&options=QWRkREJMb2dFbnRyeTp0cnVlO0Rpc2FibGVMb2dBdXRvVXBkYXRlOnRydWU%3D"),
    )
    .await;
    idx
}

/// A P1 meter with linky's options on a new Dummy hardware.
async fn meter(client: &reqwest::Client, url: &str) -> i64 {
    get(client, url, "addhardware&htype=15&name=Linky&enabled=true").await;
    create_p1(client, url, "1", "Linky%20A").await
}

/// Short-log rows of usage counters at the given local stamps.
async fn short_log(client: &reqwest::Client, url: &str, idx: i64, rows: &[(&str, i64)]) {
    for (stamp, counter) in rows {
        udevice(client, url, idx, &format!("{counter};0;0;0;0;0;{stamp}")).await;
    }
}

async fn devices(client: &reqwest::Client, url: &str, extra: &str) -> Vec<Value> {
    get(client, url, &format!("getdevices{extra}")).await["result"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// "Connections": closed after each answer unless the request says keep-alive, unannounced, so a
/// client that reuses the connection fails; with keep-alive every call goes through one.
#[tokio::test]
async fn a_connection_is_closed_after_each_answer_unless_keep_alive() {
    let (_double, running) = start(trusted()).await;
    let url = running.url();
    let plain = reqwest::Client::new();
    let first = plain
        .get(format!("{url}/json.htm?type=command&param=getversion"))
        .send()
        .await
        .unwrap();
    assert!(
        first.headers().get("connection").is_none(),
        "the close is not announced"
    );
    assert_eq!(first.status(), 200);
    let _ = first.bytes().await.unwrap();
    let second = plain
        .get(format!("{url}/json.htm?type=command&param=getversion"))
        .send()
        .await;
    let e = second.expect_err("the reused connection was closed");
    assert!(e.is_request(), "{e:?}");

    let client = keep_alive();
    for _ in 0..20 {
        assert_eq!(get(&client, &url, "getversion").await["status"], "OK");
    }
}

/// "idx reuse": a new device takes the highest idx + 1, so a thermometer created after the
/// newest meter was deleted gets the meter's idx.
#[tokio::test]
async fn a_deleted_devices_idx_is_given_to_the_next_device() {
    let (_double, running) = start(trusted()).await;
    let (url, client) = (running.url(), keep_alive());
    let hw = get(
        &client,
        &url,
        "addhardware&htype=15&name=Linky&enabled=true",
    )
    .await["idx"]
        .as_str()
        .unwrap()
        .to_owned();
    let _first = create_p1(&client, &url, &hw, "Linky%20A").await;
    let second = create_p1(&client, &url, &hw, "Linky%20B").await;
    get(&client, &url, &format!("deletedevice&idx={second}")).await;
    let r = get(
        &client,
        &url,
        &format!("createdevice&idx={hw}&sensorname=Salon&devicetype=80&devicesubtype=5"),
    )
    .await;
    assert_eq!(r["idx"], second.to_string());
    let list = devices(&client, &url, "").await;
    let thermometer = list
        .iter()
        .find(|d| d["idx"].as_str() == Some(second.to_string().as_str()))
        .unwrap();
    assert_eq!(thermometer["Type"], "Temp");
    assert_eq!(list[0]["Type"], "P1 Smart Meter");
    assert_eq!(list[0]["SubType"], "Energy");
    // A virtual device's DeviceID 82001 is listed in hex.
    assert_eq!(list[0]["ID"], "14051");
}

/// "getdevices lists" and "Rights": devices of disabled hardware are hidden unless
/// `displaydisabled=1`, a plugin's device then shows the hex of its truncated DeviceID; a User
/// account reads settings and hardware but gets 403 on creation; `getauth` says the rights.
#[tokio::test]
async fn disabled_plugin_devices_and_rights() {
    let (double, running) = start(DoubleOptions {
        allow_plain_basic_auth: true,
        ..trusted()
    })
    .await;
    let (url, client) = (running.url(), keep_alive());
    let hw = double.add_plugin_hardware("Linky");
    let idx = double.add_plugin_device(hw, "12345678901234", "Linky - Linky 12345678901234");
    let listed = devices(&client, &url, "").await;
    assert_eq!(listed[0]["ID"], "12345678901234");
    double.set_hardware_enabled(hw, false);
    assert!(devices(&client, &url, "").await.is_empty());
    let listed = devices(&client, &url, "&displaydisabled=1").await;
    assert_eq!(listed[0]["idx"], idx.to_string());
    assert_eq!(listed[0]["ID"], "73CE2FF2");
    assert_eq!(listed[0]["Name"], "Linky - Linky 12345678901234");
    assert_eq!(listed[0]["HardwareTypeVal"], 94);

    double.add_user("feeder", "pw", Rights::User);
    let as_user = |q: &str| {
        client
            .get(format!("{url}/json.htm?type=command&param={q}"))
            .basic_auth("feeder", Some("pw"))
            .send()
    };
    assert_eq!(as_user("getsettings").await.unwrap().status(), 200);
    assert_eq!(as_user("gethardware").await.unwrap().status(), 200);
    assert_eq!(
        as_user("addhardware&htype=15&name=X&enabled=true")
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(
        as_user(&format!("setused&idx={idx}&used=true"))
            .await
            .unwrap()
            .status(),
        403
    );
    let auth: Value = as_user("getauth").await.unwrap().json().await.unwrap();
    assert_eq!(auth["rights"], 1);
    assert_eq!(auth["user"], "feeder");
}

/// "`setused` writes description only when name is given in the same call".
#[tokio::test]
async fn the_description_needs_the_name() {
    let (double, running) = start(trusted()).await;
    let (url, client) = (running.url(), keep_alive());
    let idx = meter(&client, &url).await;
    get(
        &client,
        &url,
        &format!("setused&idx={idx}&used=true&description=alone"),
    )
    .await;
    let stored = |d: &DomoticzDouble| -> String {
        d.with_db(|db| {
            db.query_row(
                "SELECT Description FROM DeviceStatus WHERE ID = ?1",
                [idx],
                |r| r.get(0),
            )
            .unwrap()
        })
    };
    assert_eq!(stored(&double), "");
    get(
        &client,
        &url,
        &format!("setused&idx={idx}&used=true&name=Linky%20A&description=with%20name"),
    )
    .await;
    assert_eq!(stored(&double), "with name");
}

/// "Dashboard Today": the dashboard's counter minus the lowest short-log counter since midnight,
/// unsigned: a dashboard below today's counters wraps; on the same scale it is right.
#[tokio::test]
async fn today_is_computed_unsigned_from_the_short_log() {
    let (_double, running) = start(trusted()).await;
    let (url, client) = (running.url(), keep_alive());
    let idx = meter(&client, &url).await;
    short_log(
        &client,
        &url,
        idx,
        &[
            ("2026-11-27 23:00:00", 40_000),
            ("2026-11-28 00:00:00", 41_000),
            ("2026-11-28 01:00:00", 41_500),
        ],
    )
    .await;
    let card = |list: Vec<Value>| list[0].clone();
    // Yesterday's energy as the dashboard value, as the original plugin did: it wraps.
    udevice(&client, &url, idx, "16300;0;0;0;0;0").await;
    let d = card(devices(&client, &url, "").await);
    let today = d["CounterToday"].as_str().unwrap();
    assert!(
        today.starts_with("184467440737") && today.ends_with(" kWh"),
        "{today}"
    );
    // The running total: Today is the energy since midnight.
    udevice(&client, &url, idx, "41500;0;0;0;2500;0").await;
    let d = card(devices(&client, &url, "").await);
    assert_eq!(d["CounterToday"], "0.500 kWh");
    assert_eq!(d["Counter"], "41.500");
    assert_eq!(d["CounterDelivToday"], "0.000 kWh");
    assert_eq!(d["Usage"], "2500 Watt");
}

/// "Day graph": each point is the difference times `int(3600 / seconds)`, seconds from `mktime`,
/// which reads the ambiguous autumn 02:00 as summer time: the 03:00 point after the merged
/// 02:00 row is 0.
#[tokio::test]
async fn the_autumn_day_graph_shows_zero_at_three() {
    let (_double, running) = start(trusted()).await;
    let (url, client) = (running.url(), keep_alive());
    let idx = meter(&client, &url).await;
    short_log(
        &client,
        &url,
        idx,
        &[
            ("2026-10-25 01:00:00", 1000),
            ("2026-10-25 02:00:00", 3000),
            ("2026-10-25 03:00:00", 4000),
            ("2026-10-25 04:00:00", 5000),
        ],
    )
    .await;
    let g = get(
        &client,
        &url,
        &format!("graph&sensor=counter&idx={idx}&range=day"),
    )
    .await;
    let points: Vec<(String, String)> = g["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["d"].as_str().unwrap().to_owned(),
                p["v1"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        points,
        [
            ("2026-10-25 02:00".to_owned(), "2000".to_owned()),
            ("2026-10-25 03:00".to_owned(), "0".to_owned()),
            ("2026-10-25 04:00".to_owned(), "1000".to_owned()),
        ]
    );
}
