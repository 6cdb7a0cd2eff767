//! The golden observations of domoticz.md §7, replayed against the test double over HTTP and
//! checked in its tables.

mod common;

use common::{start, trusted};
use domoticz_double::{DomoticzDouble, DoubleOptions, Rights, Version};
use serde_json::Value;

const OPTIONS_B64: &str = "QWRkREJMb2dFbnRyeTp0cnVlO0Rpc2FibGVMb2dBdXRvVXBkYXRlOnRydWU%3D";

async fn call(url: &str, query: &str) -> (u16, Value) {
    let r = reqwest::get(format!("{url}/json.htm?{query}"))
        .await
        .unwrap();
    let status = r.status().as_u16();
    let body = r.text().await.unwrap();
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

/// `udevice` with every byte of the value percent-encoded; returns the JSON answer.
async fn udevice(url: &str, idx: &str, svalue: &str) -> Value {
    let query = format!(
        "type=command&param=udevice&idx={idx}&nvalue=0&svalue={}",
        pct(svalue)
    );
    call(url, &query).await.1
}

/// The HTTP status of a GET with Basic credentials.
async fn basic_status(client: &reqwest::Client, url: &str, user: &str, password: &str) -> u16 {
    client
        .get(url)
        .basic_auth(user, Some(password))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// The counter graph of a device over `range` (`day`, `week`, `month`, `year`).
async fn graph(url: &str, idx: &str, range: &str) -> Value {
    let query = format!("type=command&param=graph&sensor=counter&idx={idx}&range={range}");
    call(url, &query).await.1
}

/// Hardware, a P1 with both options, as §2.1 creates them; returns the device idx.
async fn p1(url: &str) -> String {
    let (_, hw) = call(
        url,
        "type=command&param=addhardware&htype=15&name=Linky&enabled=true&datatimeout=0&loglevel=7",
    )
    .await;
    let hw = hw["idx"].as_str().unwrap().to_owned();
    let (_, dev) = call(url, &format!("type=command&param=createdevice&idx={hw}&sensorname=Linky%20P1&devicetype=250&devicesubtype=1")).await;
    let idx = dev["idx"].as_str().unwrap().to_owned();
    let (_, used) = call(
        url,
        &format!("type=command&param=setused&idx={idx}&used=true&options={OPTIONS_B64}"),
    )
    .await;
    assert_eq!(used["status"], "OK");
    idx
}

fn rows(double: &DomoticzDouble, sql: &str) -> Vec<Vec<String>> {
    double.with_db(|db| {
        let mut stmt = db.prepare(sql).unwrap();
        let n = stmt.column_count();
        stmt.query_map([], |r| {
            (0..n)
                .map(|i| {
                    r.get::<_, rusqlite::types::Value>(i).map(|v| match v {
                        rusqlite::types::Value::Integer(x) => x.to_string(),
                        rusqlite::types::Value::Real(x) => format!("{x:.1}"),
                        rusqlite::types::Value::Text(t) => t,
                        _ => "NULL".into(),
                    })
                })
                .collect()
        })
        .unwrap()
        .map(Result::unwrap)
        .collect()
    })
}

#[tokio::test]
async fn creation_rows_dashboard_and_errors_match_the_observations() {
    let (double, running) = start(trusted()).await;
    let url = running.url();
    let idx = p1(&url).await;
    assert_eq!(
        rows(
            &double,
            &format!("SELECT DeviceID, sValue, Used, Options FROM DeviceStatus WHERE ID = {idx}")
        ),
        [[
            "82001",
            "0;0;0;0;0;0",
            "1",
            "AddDBLogEntry:dHJ1ZQ==;DisableLogAutoUpdate:dHJ1ZQ=="
        ]]
    );

    // 24 hourly rows, U1 += 500, U2 += 250.
    for h in 0..24 {
        let stamp = chrono::NaiveDate::from_ymd_opt(2026, 11, 27)
            .unwrap()
            .and_hms_opt(10, 0, 0)
            .unwrap()
            + chrono::Duration::hours(h);
        let sv = format!(
            "{};{};0;0;750;0;{}",
            1_000_000 + 500 * h,
            2_000_000 + 250 * h,
            stamp.format("%Y-%m-%d %H:%M:%S")
        );
        let r = udevice(&url, &idx, &sv).await;
        assert_eq!(r["status"], "OK");
    }
    let short = rows(&double, "SELECT Value1, Value2, Value3, Value4, Value5, Value6, Price, Date FROM MultiMeter ORDER BY Date");
    assert_eq!(short.len(), 24);
    assert_eq!(
        short[1],
        [
            "1000500",
            "0",
            "750",
            "0",
            "2000250",
            "0",
            "0.0",
            "2026-11-27 11:00:00"
        ]
    );
    let day = graph(&url, &idx, "day").await;
    assert_eq!(day["result"][0]["v1"], "500");
    assert_eq!(day["result"][0]["v2"], "250");

    // Day rows and the 11-part form.
    let _ = udevice(&url, &idx, "12021;6010;0;0;0;0;2026-11-21").await;
    let _ = udevice(
        &url,
        &idx,
        "11111;5555;0;0;0;0;1011111;0;2005555;0;2026-11-19",
    )
    .await;
    assert_eq!(
        rows(&double, "SELECT Value1, Value5, Counter1, Counter2, Counter3, Counter4, Date FROM MultiMeter_Calendar ORDER BY Date"),
        [["11111", "5555", "1011111", "0", "2005555", "0", "2026-11-19"], ["12021", "6010", "0", "0", "0", "0", "2026-11-21"]]
    );
    let week = graph(&url, &idx, "week").await;
    assert_eq!(week["result"][1]["v1"], "12.021");
    let month = graph(&url, &idx, "month").await;
    assert_eq!(month["result"][0]["c1"], "1000.000");

    // A dated push leaves LastUpdate alone; the dashboard value is six parts.
    let before = rows(
        &double,
        &format!("SELECT LastUpdate FROM DeviceStatus WHERE ID = {idx}"),
    );
    double.set_options(|o| o.fixed_now = Some("2026-11-28 10:30:00".into()));
    udevice(&url, &idx, "1012000;2006000;0;0;750;0").await;
    udevice(&url, &idx, "1013000;2006500;0;0;0;0;2026-11-28 10:00:00").await;
    let after = rows(
        &double,
        &format!("SELECT LastUpdate, sValue FROM DeviceStatus WHERE ID = {idx}"),
    );
    assert_ne!(
        before[0][0], after[0][0],
        "the dashboard update sets LastUpdate"
    );
    assert_eq!(
        after[0],
        ["2026-11-28 10:30:00", "1012000;2006000;0;0;750;0"]
    );
    let (_, dev) = call(&url, &format!("type=command&param=getdevices&rid={idx}")).await;
    assert_eq!(dev["result"][0]["Counter"], "3018.000");
    assert_eq!(dev["result"][0]["Usage"], "750 Watt");

    // Errors: OK on a rejected date, accepted nonsense, ERR on a non-number, truncation,
    // an ISO stamp read as a date, a 5-part value overwriting the dashboard.
    let count = || rows(&double, "SELECT COUNT(*) FROM MultiMeter_Calendar")[0][0].clone();
    let r = udevice(&url, &idx, "1;1;0;0;0;0;2026-13-45").await;
    assert_eq!((r["status"].as_str(), count().as_str()), (Some("OK"), "2"));
    udevice(&url, &idx, "1;1;0;0;0;0;2026-11-27 25:00:00").await;
    udevice(&url, &idx, "1;1;0;0;0;0;2026-03-29 02:30:00").await;
    assert_eq!(rows(&double, "SELECT COUNT(*) FROM MultiMeter WHERE Date IN ('2026-11-27 25:00:00', '2026-03-29 02:30:00')")[0][0], "2");
    let r = udevice(&url, &idx, "abc;1;0;0;0;0;2026-11-20").await;
    assert_eq!(r["status"], "ERR");
    udevice(&url, &idx, "1234.9;1;0;0;0;0;2026-11-20").await;
    assert_eq!(
        rows(
            &double,
            "SELECT Value1 FROM MultiMeter_Calendar WHERE Date = '2026-11-20'"
        )[0][0],
        "1234"
    );
    udevice(&url, &idx, "1;1;0;0;0;0;2026-11-12T10:00:00").await;
    assert_eq!(
        rows(
            &double,
            "SELECT COUNT(*) FROM MultiMeter WHERE Date LIKE '%T%'"
        )[0][0],
        "0"
    );
    udevice(&url, &idx, "1;2;3;4;2026-11-20").await;
    let (_, dev) = call(&url, &format!("type=command&param=getdevices&rid={idx}")).await;
    assert_eq!(dev["result"][0]["Data"], "Invalid");

    // Retention at 10:00 on the 28th keeps 24 h and the unreadable row.
    double.set_options(|o| o.fixed_now = Some("2026-11-28 10:00:00".into()));
    double.cleanup_short_log().unwrap();
    let left = rows(&double, "SELECT Date FROM MultiMeter ORDER BY Date");
    assert!(left.iter().any(|r| r[0] == "2026-11-27 25:00:00"));
    assert!(
        left.iter().all(|r| r[0].as_str() >= "2026-11-27 10:00:00"),
        "{left:?}"
    );
    assert!(!left.iter().any(|r| r[0] == "2026-03-29 02:30:00"));
}

#[tokio::test]
async fn managed_counter_rows() {
    let (double, running) = start(trusted()).await;
    let url = running.url();
    let (_, hw) = call(
        &url,
        "type=command&param=addhardware&htype=15&name=X&enabled=true&loglevel=7",
    )
    .await;
    let hw = hw["idx"].as_str().unwrap().to_owned();
    let (_, dev) = call(
        &url,
        &format!("type=command&param=createdevice&idx={hw}&sensorname=MC&sensormappedtype=0xF321"),
    )
    .await;
    let idx = dev["idx"].as_str().unwrap().to_owned();
    for sv in [
        "-1.0;100;2026-11-27 10:00:00",
        "-1.0;2700;2026-11-27",
        "123456;2700;2026-11-23",
        "-1.0;4321",
    ] {
        udevice(&url, &idx, sv).await;
    }
    assert_eq!(
        rows(&double, "SELECT Value, Usage, Date FROM Meter"),
        [["-1", "100", "2026-11-27 10:00:00"]]
    );
    assert_eq!(
        rows(
            &double,
            "SELECT Counter, Value, Date FROM Meter_Calendar ORDER BY Date"
        ),
        [
            ["123456", "2700", "2026-11-23"],
            ["-1", "2700", "2026-11-27"]
        ]
    );
    let (_, d) = call(&url, &format!("type=command&param=getdevices&rid={idx}")).await;
    assert_eq!(d["result"][0]["Data"], "4.321 kWh");
    let day = graph(&url, &idx, "day").await;
    assert_eq!(day["result"][0]["v"], "100.000");
    let week = graph(&url, &idx, "week").await;
    assert_eq!(week["result"][1]["v"], "2.700");
}

#[tokio::test]
async fn authentication_rules() {
    let (double, running) = start(DoubleOptions::default()).await;
    let url = running.url();
    let client = common::keep_alive_client();
    let version = format!("{url}/json.htm?type=command&param=getversion");
    let settings = format!("{url}/json.htm?type=command&param=getsettings");
    // No auth: whitelisted getversion says little; the rest is 401. Basic over HTTP is 401.
    let v: Value = client
        .get(&version)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(v.get("version").is_none());
    assert_eq!(client.get(&settings).send().await.unwrap().status(), 401);
    assert_eq!(
        basic_status(&client, &settings, "admin", "domoticz").await,
        401
    );
    assert_eq!(
        client
            .get(format!(
                "{settings}&username=YWRtaW4=&password=ZG9tb3RpY3o="
            ))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    // Password grant: the public domoticzUI fails, a registered app works, Bearer over HTTP.
    double.add_application("domoticzUI", "", true);
    double.add_application("rustclient", "s3cret", false);
    let grant = |app: &'static str| {
        client
            .post(format!("{url}/oauth2/v1/token"))
            .basic_auth("admin", Some("domoticz"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("grant_type=password&client_id={app}"))
            .send()
    };
    assert_eq!(grant("domoticzUI").await.unwrap().status(), 400);
    let t: Value = grant("rustclient").await.unwrap().json().await.unwrap();
    let token = t["access_token"].as_str().unwrap();
    assert!(t.get("refresh_token").is_none());
    let s: Value = client
        .get(&settings)
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(s["ShortLogDays"], 1);
    let v: Value = client
        .get(&version)
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["version"], "2025.1");
    // AllowPlainBasicAuth: Basic 200, wrong password 401; a plain user may not create devices.
    double.set_options(|o| o.allow_plain_basic_auth = true);
    assert_eq!(
        basic_status(&client, &settings, "admin", "domoticz").await,
        200
    );
    assert_eq!(
        basic_status(&client, &settings, "admin", "wrong").await,
        401
    );
    // §8: a User account may read the settings but gets 403 on what creates devices.
    double.add_user("feeder", "pw", Rights::User);
    assert_eq!(basic_status(&client, &settings, "feeder", "pw").await, 200);
    let create = format!(
        "{url}/json.htm?type=command&param=createdevice&idx=1&sensorname=X&devicetype=250&devicesubtype=1"
    );
    assert_eq!(basic_status(&client, &create, "feeder", "pw").await, 403);
    // Trusted network: no credentials 200, but any Basic header without plain Basic is 401.
    double.set_options(|o| {
        o.allow_plain_basic_auth = false;
        o.trust_loopback = true;
    });
    assert_eq!(client.get(&settings).send().await.unwrap().status(), 200);
    assert_eq!(
        basic_status(&client, &settings, "admin", "domoticz").await,
        401
    );
}

#[tokio::test]
async fn api_forms_by_version() {
    let (double, running) = start(trusted()).await;
    let url = running.url();
    let legacy = [
        "type=createdevice&idx=1&sensorname=X&devicetype=250&devicesubtype=1",
        "type=setused&idx=1&used=true",
        "type=devices&rid=1",
    ];
    for q in legacy {
        assert_eq!(call(&url, q).await.0, 404, "{q} on 2025.1");
    }
    double.set_options(|o| o.version = Version::V2024_7);
    let (status, r) = call(
        &url,
        "type=createvirtualsensor&idx=1&sensorname=X&sensortype=250",
    )
    .await;
    assert_eq!((status, r["status"].as_str()), (200, Some("ERR")));
    assert_eq!(call(&url, "type=devices").await.0, 200);
    // 2023.2: a dashboard update of a managed device is ERR, a dated one turns the widget Invalid.
    double.set_options(|o| o.version = Version::V2025_1);
    let idx = p1(&url).await;
    double.set_options(|o| o.version = Version::V2023_2);
    let r = udevice(&url, &idx, "1;2;0;0;0;0").await;
    assert_eq!(r["status"], "ERR");
    udevice(&url, &idx, "1;2;0;0;0;0;2026-11-20").await;
    let (_, d) = call(&url, &format!("type=command&param=getdevices&rid={idx}")).await;
    assert_eq!(d["result"][0]["Data"], "Invalid");
    // 2023.1: the old RTypes work, the new command forms of createdevice do not.
    double.set_options(|o| o.version = Version::V2023_1);
    assert_eq!(
        call(
            &url,
            &format!("type=setused&idx={idx}&used=true&options={OPTIONS_B64}")
        )
        .await
        .1["status"],
        "OK"
    );
    assert_eq!(
        call(
            &url,
            "type=command&param=createdevice&idx=1&sensorname=Y&devicetype=250&devicesubtype=1"
        )
        .await
        .1["status"],
        "ERR"
    );
    // setused with used=false deletes the device and its logs.
    double.set_options(|o| o.version = Version::V2025_1);
    call(
        &url,
        &format!("type=command&param=setused&idx={idx}&used=false"),
    )
    .await;
    assert_eq!(
        rows(&double, "SELECT COUNT(*) FROM MultiMeter_Calendar")[0][0],
        "0"
    );
    assert_eq!(
        rows(&double, "SELECT COUNT(*) FROM DeviceStatus")[0][0],
        "0"
    );
}

/// Percent-encodes every byte outside the unreserved set, `;`, `:` and spaces included.
fn pct(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
