//! The dashboard over a prepared store, through real HTTP on loopback and Debian's headless
//! Chromium: the API's figures, `/metrics` read by a Prometheus parser, the password and token,
//! and the page itself (charts with the expected number of points, the calendar's hole, the
//! language switch, no console error). Screenshots go to `target/tmp/dashboard/`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use chrono::{DateTime, NaiveDate, TimeZone, Timelike, Utc};
use headless_chromium::Browser;
use linky_core::history::SplitRules;
use linky_core::{
    paris, DailyEnergy, Direction, Energy, Lang, LoadCurvePoint, ManualClock, MaxPower, Step,
    UsagePoint,
};
use linky_store::{ContractFacts, ContractRead, DayOutcome, DayState, Kind, Store, WindowData};
use linky_web::{Access, WebConfig};

const PDL: &str = "22516914714270";
/// Stored days: 2026-10-20 to 2026-10-30 but the 27th (the hole); the 25th has 25 hours.
const FIRST: &str = "2026-10-20";
const LAST: &str = "2026-10-30";
const HOLE: &str = "2026-10-27";

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// Saturday 2026-10-31, 10:00 in Paris.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 10, 31, 9, 0, 0).unwrap()
}

fn stored_days() -> Vec<NaiveDate> {
    d(FIRST)
        .iter_days()
        .take_while(|x| *x <= d(LAST))
        .filter(|x| *x != d(HOLE))
        .collect()
}

struct Folder(PathBuf);

impl Drop for Folder {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A consumption meter on 1 kW all the time (1 kWh per hour), off-peak 22:00–06:00, 6 kVA,
/// a 3 kVA peak at 19:00 each day, days before the 20th absent (before activation), one sync
/// run and one Domoticz push recorded.
fn prepared(name: &str) -> (Folder, PathBuf) {
    linky_enedis::install_tls_provider();
    let dir = std::env::temp_dir().join(format!("linky-web-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("linky.db");
    let mut store = Store::open(&path).unwrap();
    let pdl: UsagePoint = PDL.parse().unwrap();
    store.add_meter(&pdl, now()).unwrap();
    store
        .set_contract(
            &pdl,
            &ContractRead::whole(ContractFacts {
                activation_date: Some(d(FIRST)),
                subscribed_kva: Some(6),
                offpeak: Some("HC (22H00-6H00)".into()),
                directions: None,
            }),
            now(),
        )
        .unwrap();
    store
        .set_consent(&pdl, Some(now() + chrono::Duration::days(20)))
        .unwrap();
    for day in stored_days() {
        let (start, end) = paris::day_bounds(day);
        let mut points = Vec::new();
        let mut t = start;
        while t < end {
            t += chrono::Duration::minutes(30);
            points.push(LoadCurvePoint {
                end: t,
                step: Step::PT30M,
                watts: 1000,
            });
        }
        let hours = paris::day_hours(day);
        let fetched = [DayOutcome::fetched(day)];
        let data = [
            (Kind::Curve, WindowData::Curve(points)),
            (
                Kind::Daily,
                WindowData::Daily(vec![DailyEnergy {
                    date: day,
                    energy: Energy::from_wh(hours * 1000),
                }]),
            ),
            (
                Kind::MaxPower,
                WindowData::Peaks(vec![MaxPower {
                    date: day,
                    at: day.and_hms_opt(19, 0, 0).unwrap(),
                    volt_amperes: 3000,
                }]),
            ),
        ];
        for (kind, window) in data {
            store
                .record_window(&pdl, Direction::Consumption, kind, &window, &fetched, now())
                .unwrap();
        }
    }
    let before: Vec<DayOutcome> = d("2026-10-15")
        .iter_days()
        .take(5)
        .map(|day| DayOutcome {
            day,
            state: DayState::Absent,
            reason: Some("before_activation".into()),
            next_try_at: None,
        })
        .collect();
    for kind in Kind::of(Direction::Consumption) {
        store
            .record_window(
                &pdl,
                Direction::Consumption,
                *kind,
                &WindowData::Nothing,
                &before,
                now(),
            )
            .unwrap();
    }
    for kind in Kind::of(Direction::Production) {
        store
            .set_absence(
                &pdl,
                Direction::Production,
                *kind,
                Some(("wrong_direction", now() + chrono::Duration::days(30))),
            )
            .unwrap();
    }
    let run = store.begin_run(now() - chrono::Duration::hours(1)).unwrap();
    let errors = BTreeMap::from([("quota".to_owned(), 1)]);
    store
        .finish_run(
            run,
            now() - chrono::Duration::minutes(50),
            linky_store::RunOutcome::Ok,
            12,
            &errors,
            "",
        )
        .unwrap();
    store.set_domoticz_device(PDL, 7).unwrap();
    store
        .record_domoticz_rows(7, &[("2026-10-30".into(), "1;2;0;0;0;0;2026-10-30".into())])
        .unwrap();
    store
        .set_last_push(&linky_store::PushRecord {
            at: "2026-10-31T08:30:00Z".into(),
            ok: true,
            devices: Some(Vec::new()),
            error: None,
        })
        .unwrap();
    (Folder(dir), path)
}

/// The household's production meter beside it: 500 W of sun from 10:00 to 16:00 on the stored
/// days.
const PRODUCTION_PDL: &str = "10284856584123";

fn add_production_meter(path: &std::path::Path) {
    let mut store = Store::open(path).unwrap();
    let pdl: UsagePoint = PRODUCTION_PDL.parse().unwrap();
    store.add_meter(&pdl, now()).unwrap();
    for day in stored_days() {
        let (start, end) = paris::day_bounds(day);
        let mut points = Vec::new();
        let mut t = start;
        while t < end {
            t += chrono::Duration::minutes(30);
            let hour = paris::local(t - chrono::Duration::minutes(30))
                .time()
                .hour();
            let watts = if (10..16).contains(&hour) { 500 } else { 0 };
            points.push(LoadCurvePoint {
                end: t,
                step: Step::PT30M,
                watts,
            });
        }
        store
            .record_window(
                &pdl,
                Direction::Production,
                Kind::Curve,
                &WindowData::Curve(points),
                &[DayOutcome::fetched(day)],
                now(),
            )
            .unwrap();
    }
    for kind in Kind::of(Direction::Consumption) {
        store
            .set_absence(
                &pdl,
                Direction::Consumption,
                *kind,
                Some(("wrong_direction", now() + chrono::Duration::days(30))),
            )
            .unwrap();
    }
}

/// Nothing in any card is wider than the card (a cut column on a phone).
const NO_OVERFLOW: &str = "return [...document.querySelectorAll('.card')].filter((c) => c.offsetParent !== null).flatMap((c) => [c, ...c.querySelectorAll('.scroll, table, svg')]).filter((e) => e.scrollWidth > e.clientWidth + 1 || e.getBoundingClientRect().right > document.documentElement.clientWidth + 1).map((e) => e.id || e.className || e.tagName);";

fn config(store: PathBuf, access: Access) -> WebConfig {
    WebConfig {
        store,
        rules: SplitRules::default(),
        tariff: Default::default(),
        access,
        domoticz_configured: true,
        lang: Lang::Fr,
        clock: Arc::new(ManualClock::new(now())),
    }
}

async fn serve(config: WebConfig) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(linky_web::serve(listener, config, std::future::pending()));
    url
}

async fn json(url: &str) -> (u16, serde_json::Value) {
    let r = reqwest::get(url).await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

fn total_wh(rows: &serde_json::Value) -> f64 {
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| r["consumption"]["total_wh"].as_f64().unwrap())
        .sum()
}

/// Euros: the contract has off-peak hours, so the regulated peak / off-peak tariff is assumed
/// (6 kVA, the grid of 1 February 2026: 0,2065 and 0,1579 €/kWh); every hour is 1 kWh.
#[tokio::test]
async fn euros_beside_the_kwh() {
    let (_dir, path) = prepared("euros");
    {
        // White days from the 19th (whose Tempo day runs to the 20th at 06:00) to the 30th.
        let mut store = Store::open(&path).unwrap();
        let mut colours = linky_core::tariff::DayColours::default();
        for day in d("2026-10-19").iter_days().take(12) {
            colours
                .tempo
                .insert(day, linky_core::tariff::TempoColour::White);
        }
        store.put_day_colours(&colours).unwrap();
    }
    let url = serve(config(path, Access::default())).await;
    let meter = format!("{url}api/meters/{PDL}");
    let (_, totals) = json(&format!("{meter}/totals")).await;
    assert_eq!(totals["tariff"]["option"], "hphc");
    assert_eq!(totals["tariff"]["assumed"], true);
    let yesterday = &totals["periods"][0];
    // 16 h × 0,2065 + 8 h × 0,1579.
    assert_eq!(yesterday["cost"]["total_eur"], 4.5672);
    assert_eq!(yesterday["cost"]["basis"], "measured");
    // Nothing a year before: said, not zero.
    assert!(yesterday["year_before"]["consumption_wh"].is_null());
    assert!(yesterday["year_before"]["cost"].is_null());
    // The autumn day's 25 hours: 9 of them off-peak.
    let (_, day) = json(&format!(
        "{meter}/energy?step=day&from=2026-10-25&to=2026-10-25"
    ))
    .await;
    assert_eq!(day["rows"][0]["cost"]["energy_eur"], 4.7251);

    // Base, peak / off-peak and Tempo over the ten stored days (160 kWh peak, 81 off-peak).
    let (_, compare) = json(&format!("{meter}/compare")).await;
    let c = &compare["comparison"];
    assert_eq!(c["standard_offpeak_assumed"], false);
    let options: Vec<(String, f64, String)> = c["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["option"].as_str().unwrap().to_owned(),
                o["energy_eur"].as_f64().unwrap(),
                o["basis"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        options,
        [
            ("tempo".to_owned(), 42.0779, "measured".to_owned()),
            ("hphc".to_owned(), 45.8299, "measured".to_owned()),
            ("base".to_owned(), 46.754, "measured".to_owned()),
        ]
    );

    // The download of what a chart shows: the export's columns, costs included.
    let response = reqwest::get(format!(
        "{meter}/export?step=day&from=2026-10-30&to=2026-10-30&format=csv&locale=fr"
    ))
    .await
    .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-disposition"],
        "attachment; filename=\"linky-22516914714270-day-2026-10-30-2026-10-30.csv\""
    );
    let text = response.text().await.unwrap();
    let mut lines = text.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .ends_with(";cost_eur;energy_cost_eur;subscription_cost_eur;cost_basis"),
        "{text}"
    );
    assert_eq!(
        lines.next().unwrap(),
        "2026-10-30;24,000;16,000;8,000;0,000;0,000;0,000;0,000;0,000;3000;4,5672;4,5672;0,0000;measured"
    );
    let (status, _) = json(&format!("{meter}/export?format=xls")).await;
    assert_eq!(status, 400);

    let metrics = reqwest::get(format!("{url}metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let total: f64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix(&format!("linky_cost_euros_total{{pdl=\"{PDL}\"}} ")))
        .unwrap()
        .parse()
        .unwrap();
    assert!((total - 45.8299).abs() < 1e-9, "{metrics}");
}

#[tokio::test]
async fn the_api_tells_the_stored_figures() {
    let (_dir, path) = prepared("api");
    let url = serve(config(path, Access::default())).await;
    let meter = format!("{url}api/meters/{PDL}");

    // The autumn day: 25 hours, both 02:00 present with their offsets, 9 of them off-peak.
    let (status, day) = json(&format!(
        "{meter}/energy?step=hour&from=2026-10-25&to=2026-10-25"
    ))
    .await;
    assert_eq!(status, 200, "{day}");
    let rows = &day["rows"];
    assert_eq!(rows.as_array().unwrap().len(), 25);
    assert_eq!(rows[2]["start"], "2026-10-25T02:00:00+02:00");
    assert_eq!(rows[3]["start"], "2026-10-25T02:00:00+01:00");
    assert_eq!(total_wh(rows), 25_000.0);
    let offpeak: f64 = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["consumption"]["offpeak_wh"].as_f64().unwrap())
        .sum();
    assert_eq!(offpeak, 9_000.0);

    // Days, months, years: the hole is absent, not zero; every level sums to the same.
    let (_, days) = json(&format!("{meter}/energy?step=day&from={FIRST}&to={LAST}")).await;
    assert_eq!(days["rows"].as_array().unwrap().len(), 10);
    assert!(!days.to_string().contains(HOLE));
    let (_, months) = json(&format!(
        "{meter}/energy?step=month&from=2026-01-01&to=2026-12-31"
    ))
    .await;
    assert_eq!(months["rows"].as_array().unwrap().len(), 1);
    assert_eq!(total_wh(&days["rows"]), 241_000.0);
    assert_eq!(total_wh(&months["rows"]), 241_000.0);
    assert_eq!(months["rows"][0]["max_power_va"], 3000);

    // The original's periods on Saturday the 31st: yesterday, the week from Monday the 26th.
    let (_, totals) = json(&format!("{meter}/totals")).await;
    let periods = totals["periods"].as_array().unwrap();
    assert_eq!(periods[0]["period"], "day");
    assert_eq!(periods[0]["consumption"]["total_wh"], 24_000.0);
    assert_eq!(periods[1]["from"], "2026-10-26");
    assert_eq!(periods[1]["consumption"]["total_wh"], 4.0 * 24_000.0);
    assert_eq!(periods[3]["consumption"]["total_wh"], 241_000.0);

    let (_, power) = json(&format!("{meter}/power")).await;
    assert_eq!(power["subscribed_va"], 6000);
    assert_eq!(power["days"].as_array().unwrap().len(), 10);

    let (_, calendar) = json(&format!("{meter}/calendar")).await;
    let cells = calendar["days"].as_array().unwrap();
    assert_eq!(cells.len(), 365);
    let cell = |date: &str| cells.iter().find(|c| c["date"] == date).unwrap().clone();
    assert_eq!(cell(HOLE)["state"], "missing");
    assert_eq!(cell("2026-10-26")["state"], "complete");
    assert_eq!(cell("2026-10-16")["state"], "absent");
    assert_eq!(
        cell("2026-10-16")["series"][0]["reason"],
        "before_activation"
    );
    // Never asked but before the activation: absent too, for the same reason.
    assert_eq!(cell("2026-01-16")["state"], "absent");
    // Production is absent as a whole: not part of the calendar.
    assert!(!calendar.to_string().contains("production"));

    let (_, status) = json(&format!("{url}api/status")).await;
    assert_eq!(status["last_sync"]["outcome"], "ok");
    assert_eq!(status["calls_today"], 12);
    assert_eq!(status["errors_today"]["quota"], 1);
    assert_eq!(status["meters"][0]["consent_days_left"], 20);
    assert_eq!(status["meters"][0]["consent_warning"], true);
    assert_eq!(status["domoticz"]["devices"][0]["idx"], 7);
    assert_eq!(status["domoticz"]["last_push"]["ok"], true);

    // Bad requests name the problem in both languages.
    let (code, error) = json(&format!("{meter}/energy?step=week")).await;
    assert_eq!(code, 400);
    assert!(error["error"]["en"]
        .as_str()
        .unwrap()
        .contains("hour, day, month or year"));
    assert!(error["error"]["fr"]
        .as_str()
        .unwrap()
        .contains("n'est pas valable"));
    let (code, _) = json(&format!("{meter}/energy?from=2026-02-30")).await;
    assert_eq!(code, 400);
    let (code, _) = json(&format!("{meter}/energy?from=2026-10-30&to=2026-10-01")).await;
    assert_eq!(code, 400);
    let (code, error) = json(&format!("{url}api/meters/12345678901234/energy")).await;
    assert_eq!(code, 404);
    assert!(error["error"]["fr"]
        .as_str()
        .unwrap()
        .contains("pas de compteur"));
}

#[tokio::test]
async fn metrics_read_by_a_prometheus_parser() {
    let (_dir, path) = prepared("metrics");
    let url = serve(config(path, Access::default())).await;
    let r = reqwest::get(format!("{url}metrics")).await.unwrap();
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    let text = r.text().await.unwrap();
    let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).unwrap();
    let value = |name: &str, label: Option<(&str, &str)>| -> f64 {
        let sample = scrape
            .samples
            .iter()
            .find(|s| s.metric == name && label.is_none_or(|(k, v)| s.labels.get(k) == Some(v)))
            .unwrap_or_else(|| panic!("no {name} {label:?} in\n{text}"));
        match sample.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => v,
            _ => panic!("{name} is not a number"),
        }
    };
    assert_eq!(
        value("linky_last_sync_timestamp_seconds", None),
        (now() - chrono::Duration::minutes(50)).timestamp() as f64
    );
    assert_eq!(value("linky_last_sync_success", None), 1.0);
    assert_eq!(value("linky_enedis_calls_total", None), 12.0);
    assert_eq!(
        value("linky_enedis_errors_total", Some(("kind", "quota"))),
        1.0
    );
    assert_eq!(value("linky_consent_days_left", Some(("pdl", PDL))), 20.0);
    let energy = |tariff: &str| {
        scrape
            .samples
            .iter()
            .filter(|s| {
                s.metric == "linky_energy_watt_hours_total"
                    && s.labels.get("direction") == Some("consumption")
                    && s.labels.get("tariff") == Some(tariff)
            })
            .map(|s| match s.value {
                prometheus_parse::Value::Counter(v) => v,
                _ => panic!("the energy is a counter"),
            })
            .sum::<f64>()
    };
    // 10 days of 8 off-peak hours, plus the repeated autumn hour.
    assert_eq!(energy("offpeak"), 81_000.0);
    assert_eq!(energy("peak") + energy("offpeak"), 241_000.0);
    // Every family declares its type before its samples.
    for s in &scrape.samples {
        let family = s.metric.as_str();
        assert!(text.contains(&format!("# TYPE {family} ")), "{family}");
    }
}

#[tokio::test]
async fn a_password_or_token_guards_everything() {
    let (_dir, path) = prepared("guard");
    let access = Access {
        password: Some("correct horse".into()),
        token: Some("prometheus-token-0123".into()),
    };
    let url = serve(config(path, access)).await;
    let client = reqwest::Client::new();
    for route in ["", "assets/app.js", "api/status", "metrics"] {
        let r = client.get(format!("{url}{route}")).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 401, "{route}");
        assert!(r.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Basic"));
        let body = r.text().await.unwrap();
        assert!(!body.contains("correct horse") && !body.contains("prometheus-token"));
    }
    let basic = |pass: &str| {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("me:{pass}"))
        )
    };
    let status = |auth: String, route: &'static str| {
        let client = client.clone();
        let url = url.clone();
        async move {
            client
                .get(format!("{url}{route}"))
                .header("authorization", auth)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(status(basic("correct horse"), "").await, 200);
    assert_eq!(status(basic("correct horse"), "api/status").await, 200);
    assert_eq!(status(basic("wrong horse"), "").await, 401);
    assert_eq!(
        status("Bearer prometheus-token-0123".into(), "metrics").await,
        200
    );
    assert_eq!(
        status("Bearer prometheus-token-012".into(), "metrics").await,
        401
    );
    // Serving the network without a secret is refused before binding.
    let open = linky_web::bind("0.0.0.0:0".parse().unwrap(), &Access::default()).await;
    assert!(matches!(open, Err(linky_web::WebError::Unprotected(_))));
}

fn artifacts() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("dashboard")
}

#[tokio::test]
async fn the_page_in_headless_chromium() {
    let (_dir, path) = prepared("page");
    add_production_meter(&path);
    let url = serve(config(path.clone(), Access::default())).await;
    // A phone screen.
    let browser = Browser::start(390, 844).await.unwrap();
    browser.open(&url).await.unwrap();
    let ready = browser
        .wait_for("document.body.dataset.ready", Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(ready, "true");
    let points = |id: &str| {
        let script = format!(
            "const s = document.querySelector('#{id} svg'); return s ? [Number(s.dataset.points), s.querySelectorAll('g.point').length] : null;"
        );
        let browser = &browser;
        async move { browser.script(&script).await.unwrap() }
    };
    // Seven days of hours up to yesterday with the hole: 24 + 25 + 24 + 24 + 24 + 24.
    assert_eq!(points("chart-hour").await, serde_json::json!([145, 145]));
    assert_eq!(points("chart-day").await, serde_json::json!([10, 10]));
    assert_eq!(points("chart-month").await, serde_json::json!([1, 1]));
    assert_eq!(points("chart-year").await, serde_json::json!([1, 1]));
    assert_eq!(points("chart-power").await, serde_json::json!([10, 10]));
    // The arrows move the hour chart a week back (the 20th to the 23rd are stored), then forward
    // again; there is nothing after yesterday, nor before the first stored day.
    let nav = |kind: &str, which: &str| format!("[data-nav={kind}] .{which}");
    let disabled = |selector: String| {
        let browser = &browser;
        async move {
            browser
                .script(&format!(
                    "return document.querySelector('{selector}').disabled;"
                ))
                .await
                .unwrap()
        }
    };
    assert_eq!(disabled(nav("hour", "next")).await, true);
    assert_eq!(disabled(nav("calendar", "prev")).await, true);
    browser.click(&nav("hour", "prev")).await.unwrap();
    browser
        .wait_for(
            "document.querySelector('#chart-hour svg').dataset.points === '96'",
            Duration::from_secs(10),
        )
        .await
        .unwrap();
    assert_eq!(disabled(nav("hour", "prev")).await, true);
    assert_eq!(disabled(nav("hour", "next")).await, false);
    browser.click(&nav("hour", "next")).await.unwrap();
    browser
        .wait_for(
            "document.querySelector('#chart-hour svg').dataset.points === '145'",
            Duration::from_secs(10),
        )
        .await
        .unwrap();
    let hole = browser
        .script(&format!(
            "const c = document.querySelector('[data-date=\"{HOLE}\"]'); return [c.dataset.state, c.title];"
        ))
        .await
        .unwrap();
    assert_eq!(hole[0], "missing");
    assert!(hole[1].as_str().unwrap().contains("manquant"), "{hole}");
    let cells = browser
        .script("return document.querySelectorAll('#calendar button.cell').length;")
        .await
        .unwrap();
    assert_eq!(cells, 365);
    // Tapping a cell tells why, for phones that cannot hover.
    browser.click("[data-date=\"2026-10-16\"]").await.unwrap();
    let detail = browser
        .script("return document.getElementById('calendar-detail').textContent;")
        .await
        .unwrap();
    assert!(
        detail
            .as_str()
            .unwrap()
            .contains("avant la mise en service"),
        "{detail}"
    );
    // Nothing overflows the phone's width, and no card is wider than the screen.
    let wide = browser
        .script("return document.documentElement.scrollWidth <= window.innerWidth + 1;")
        .await
        .unwrap();
    assert_eq!(wide, true);
    let overflow = browser.script(NO_OVERFLOW).await.unwrap();
    browser.script("window.scrollTo(0, 0);").await.unwrap();
    browser
        .screenshot(&artifacts().join("phone-fr-household.png"))
        .await
        .unwrap();
    assert_eq!(overflow, serde_json::json!([]));
    // The household's page comes first: consumption and production together, with the net.
    let household = browser
        .script("return [document.getElementById('meter').value, document.querySelector('#totals-table tr').textContent, document.querySelector('[data-period=day] small.net').textContent];")
        .await
        .unwrap();
    assert_eq!(household[0], format!("{PDL}+{PRODUCTION_PDL}"));
    assert_eq!(household[1], "PériodeConsommationCoûtProduction");
    assert!(household[2].as_str().unwrap().contains("21"), "{household}");
    // Euros beside the kWh, the comparison of options, a download of what is shown.
    let yesterday = browser
        .script("return document.querySelector('[data-period=day]').textContent;")
        .await
        .unwrap();
    assert!(yesterday.as_str().unwrap().contains("4,57"), "{yesterday}");
    let options = browser
        .script("return [...document.querySelectorAll('#compare-table tr[data-option]')].map((r) => r.dataset.option);")
        .await
        .unwrap();
    assert_eq!(options.as_array().unwrap().len(), 3, "{options}");
    let link = browser
        .script("return document.querySelector('[data-nav=day] a.download').getAttribute('href');")
        .await
        .unwrap();
    assert!(
        link.as_str().unwrap().contains("/export?step=day&from="),
        "{link}"
    );
    // Error kinds Enedis uses to say "nothing here" are not errors; others are named in words.
    let errors = browser
        .script("return document.getElementById('status').textContent;")
        .await
        .unwrap();
    assert!(
        errors.as_str().unwrap().contains("quota Enedis atteint"),
        "{errors}"
    );
    assert!(
        !errors.as_str().unwrap().contains("wrong_direction"),
        "{errors}"
    );
    let title = "return document.querySelector('[data-t=status]').textContent;";
    assert_eq!(browser.script(title).await.unwrap(), "État");
    browser
        .screenshot(&artifacts().join("phone-fr-calendar.png"))
        .await
        .unwrap();
    browser.script("window.scrollTo(0, 0);").await.unwrap();
    browser
        .screenshot(&artifacts().join("phone-fr.png"))
        .await
        .unwrap();

    browser.click("#lang-switch").await.unwrap();
    assert_eq!(browser.script(title).await.unwrap(), "Status");
    assert_eq!(
        browser
            .script("return document.documentElement.lang;")
            .await
            .unwrap(),
        "en"
    );
    browser.script("window.scrollTo(0, 0);").await.unwrap();
    let hole_en = browser
        .script(&format!(
            "return document.querySelector('[data-date=\"{HOLE}\"]').title;"
        ))
        .await
        .unwrap();
    assert!(hole_en.as_str().unwrap().contains("missing"), "{hole_en}");
    browser
        .screenshot(&artifacts().join("phone-en.png"))
        .await
        .unwrap();
    // The choice is kept for the next visit.
    browser.open(&url).await.unwrap();
    browser
        .wait_for("document.body.dataset.ready", Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(browser.script(title).await.unwrap(), "Status");
    browser
        .script("document.getElementById('chart-hour').scrollIntoView();")
        .await
        .unwrap();
    browser
        .screenshot(&artifacts().join("phone-en-charts.png"))
        .await
        .unwrap();

    let console = browser.console().await.unwrap();
    let errors: Vec<_> = console.iter().filter(|m| m.level == "SEVERE").collect();
    assert!(errors.is_empty(), "console errors: {errors:?}");

    // The production meter: production only (no consumption legend, column or cost card), and
    // the picker names meters by role.
    browser
        .script(&format!(
            "const s = document.getElementById('meter'); s.value = '{PRODUCTION_PDL}'; s.dispatchEvent(new Event('change'));"
        ))
        .await
        .unwrap();
    browser
        .wait_for(
            "document.querySelector('#costs-card').hidden && document.querySelector('#totals-table th:nth-child(2)').textContent",
            Duration::from_secs(10),
        )
        .await
        .unwrap();
    let page = browser
        .script("return [document.querySelector('#totals-table tr').textContent, document.querySelector('#chart-day .legend').textContent, document.getElementById('meter').selectedOptions[0].textContent];")
        .await
        .unwrap();
    assert_eq!(page[0], "PeriodProduction", "{page}");
    assert!(!page[1].as_str().unwrap().contains("Consumption"), "{page}");
    assert!(page[1].as_str().unwrap().contains("Production"), "{page}");
    assert_eq!(page[2], format!("Production · {PRODUCTION_PDL}"));
    assert_eq!(
        browser.script(NO_OVERFLOW).await.unwrap(),
        serde_json::json!([])
    );
    browser.script("window.scrollTo(0, 0);").await.unwrap();
    browser
        .screenshot(&artifacts().join("phone-en-production.png"))
        .await
        .unwrap();

    // A fresh installation: the page says what to do instead of showing empty charts.
    let empty = serve(config(_dir.0.join("empty.db"), Access::default())).await;
    browser.open(&empty).await.unwrap();
    browser
        .wait_for("document.body.dataset.ready", Duration::from_secs(30))
        .await
        .unwrap();
    let text = browser
        .script("return document.getElementById('notice').textContent;")
        .await
        .unwrap();
    assert!(text.as_str().unwrap().contains("linky login"), "{text}");
    let hidden = browser
        .script("return [...document.querySelectorAll('.card.data')].every((c) => c.offsetParent === null);")
        .await
        .unwrap();
    assert_eq!(hidden, true, "no empty card before the first sync");
    assert!(browser
        .console()
        .await
        .unwrap()
        .iter()
        .all(|m| m.level != "SEVERE"));
}

/// At 02:00 on 1 November, before Enedis publishes the 31st and before the day's sync: yesterday
/// is "not yet published" with the next sync's time, not a red zero; on a desktop screen, in
/// French and English, nothing overflows.
#[tokio::test]
async fn the_night_and_the_desktop_in_headless_chromium() {
    let (_dir, path) = prepared("night");
    {
        let store = Store::open(&path).unwrap();
        store
            .set_next_sync(Utc.with_ymd_and_hms(2026, 11, 1, 7, 42, 0).unwrap())
            .unwrap();
    }
    let mut night = config(path, Access::default());
    night.clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 11, 1, 1, 0, 0).unwrap(),
    ));
    let url = serve(night).await;
    let browser = Browser::start(1400, 1000).await.unwrap();
    browser.open(&url).await.unwrap();
    let ready = browser
        .wait_for("document.body.dataset.ready", Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(ready, "true");
    let row = browser
        .script("const r = document.querySelector('[data-period=day]'); return [r.dataset.state, r.textContent];")
        .await
        .unwrap();
    assert_eq!(row[0], "not-yet", "{row}");
    let text = row[1].as_str().unwrap();
    assert!(
        text.contains("pas encore publié") && text.contains("08:42"),
        "{text}"
    );
    assert!(!text.contains("0 kWh"), "{text}");
    let cell = browser
        .script("return document.querySelector('[data-date=\"2026-10-31\"]').dataset.state;")
        .await
        .unwrap();
    assert_eq!(cell, "not_published");
    assert_eq!(
        browser.script(NO_OVERFLOW).await.unwrap(),
        serde_json::json!([])
    );
    browser
        .screenshot(&artifacts().join("desktop-fr-night.png"))
        .await
        .unwrap();
    browser.click("#lang-switch").await.unwrap();
    let text = browser
        .script("return document.querySelector('[data-period=day]').textContent;")
        .await
        .unwrap();
    assert!(
        text.as_str().unwrap().contains("not yet published"),
        "{text}"
    );
    assert_eq!(
        browser.script(NO_OVERFLOW).await.unwrap(),
        serde_json::json!([])
    );
    browser
        .screenshot(&artifacts().join("desktop-en-night.png"))
        .await
        .unwrap();
    let console = browser.console().await.unwrap();
    assert!(console.iter().all(|m| m.level != "SEVERE"), "{console:?}");
}
