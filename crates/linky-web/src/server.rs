//! The HTTP side: the page and its assets (embedded in the binary), the JSON API, `/metrics`,
//! and the password or token that guards them when the dashboard listens beyond this machine.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use base64::Engine;
use chrono::{Duration, NaiveDate};
use linky_core::history::SplitRules;
use linky_core::tariff::{MeterTariff, TariffChoice};
use linky_core::{paris, Clock, Lang, Localized};
use linky_store::{Store, StoreError};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::costs::{add_costs, add_period_costs, comparison, meter_tariff, Pricing};
use crate::data::{calendar_series, default_from, metrics_input, status, ShownMeters};
use crate::view::{calendar, energy_rows, period_totals, Step};

const INDEX: &str = include_str!("../assets/index.html");
const APP_JS: &str = include_str!("../assets/app.js");
const STYLE_CSS: &str = include_str!("../assets/style.css");

/// The longest hourly range one request may ask (a year of hours is about 9 000 rows).
const MAX_HOUR_DAYS: i64 = 366;

/// Who may read the dashboard. Empty: anyone who can reach it (fine on 127.0.0.1).
#[derive(Clone, Default)]
pub struct Access {
    /// Password for HTTP Basic (any user name), which browsers ask for by themselves.
    pub password: Option<String>,
    /// Token for `Authorization: Bearer` (scripts, Prometheus).
    pub token: Option<String>,
}

impl std::fmt::Debug for Access {
    /// Never shows the secrets.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Access")
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("token", &self.token.as_ref().map(|_| "***"))
            .finish()
    }
}

impl Access {
    fn is_open(&self) -> bool {
        self.password.is_none() && self.token.is_none()
    }
}

/// What the dashboard serves.
#[derive(Clone)]
pub struct WebConfig {
    /// The client's store.
    pub store: PathBuf,
    /// Off-peak rules and holidays.
    pub rules: SplitRules,
    /// The contract's prices, as the settings choose them.
    pub tariff: TariffChoice,
    /// Who may read.
    pub access: Access,
    /// Whether Domoticz is configured (for the status card).
    pub domoticz_configured: bool,
    /// The page's first language (the switch changes it).
    pub lang: Lang,
    /// "Now".
    pub clock: Arc<dyn Clock>,
}

/// Why the dashboard cannot start or answer.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// Listening beyond this machine without a password or token.
    #[error("the dashboard would listen on {0} without protection: set `web.password` or `web.token` (LINKY_WEB_PASSWORD, LINKY_WEB_TOKEN), or listen on 127.0.0.1")]
    Unprotected(SocketAddr),
    /// The address cannot be taken.
    #[error("cannot listen on {0}: {1}; choose another port with --listen")]
    Bind(SocketAddr, std::io::Error),
    /// A query parameter is wrong.
    #[error("{name} {value:?} is not valid: {expected}")]
    BadQuery {
        /// The parameter.
        name: &'static str,
        /// What was given.
        value: String,
        /// What is expected, in English.
        expected: &'static str,
        /// What is expected, in French.
        expected_fr: &'static str,
    },
    /// No such meter in the store.
    #[error("no meter {0} in the store: the list is at /api/status")]
    UnknownMeter(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Localized for WebError {
    fn localized(&self, lang: Lang) -> String {
        match (lang, self) {
            (Lang::En, e) => e.to_string(),
            (Lang::Fr, WebError::Unprotected(a)) => format!("le tableau de bord écouterait sur {a} sans protection : réglez `web.password` ou `web.token` (LINKY_WEB_PASSWORD, LINKY_WEB_TOKEN), ou écoutez sur 127.0.0.1"),
            (Lang::Fr, WebError::Bind(a, e)) => format!("impossible d'écouter sur {a} : {e} ; choisissez un autre port avec --listen"),
            (Lang::Fr, WebError::BadQuery { name, value, expected_fr, .. }) => format!("{name} « {value} » n'est pas valable : {expected_fr}"),
            (Lang::Fr, WebError::UnknownMeter(p)) => format!("pas de compteur {p} dans le magasin : la liste est dans /api/status"),
            (Lang::Fr, WebError::Store(e)) => e.localized(Lang::Fr),
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let status = match self {
            WebError::BadQuery { .. } => StatusCode::BAD_REQUEST,
            WebError::UnknownMeter(_) => StatusCode::NOT_FOUND,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let body = serde_json::json!({ "error": {
            "en": self.localized(Lang::En),
            "fr": self.localized(Lang::Fr),
        }});
        (status, Json(body)).into_response()
    }
}

/// Refuses to serve the network without a password or token.
pub fn check_listen(address: SocketAddr, access: &Access) -> Result<(), WebError> {
    if !address.ip().is_loopback() && access.is_open() {
        return Err(WebError::Unprotected(address));
    }
    Ok(())
}

/// Binds the address after [`check_listen`].
pub async fn bind(
    address: SocketAddr,
    access: &Access,
) -> Result<tokio::net::TcpListener, WebError> {
    check_listen(address, access)?;
    tokio::net::TcpListener::bind(address)
        .await
        .map_err(|e| WebError::Bind(address, e))
}

/// Serves until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    config: WebConfig,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(config))
        .with_graceful_shutdown(shutdown)
        .await
}

/// The dashboard's routes.
pub fn router(config: WebConfig) -> Router {
    let config = Arc::new(config);
    Router::new()
        .route("/", get(index))
        .route(
            "/assets/app.js",
            get(|| asset(APP_JS, "text/javascript; charset=utf-8")),
        )
        .route(
            "/assets/style.css",
            get(|| asset(STYLE_CSS, "text/css; charset=utf-8")),
        )
        .route("/api/status", get(api_status))
        .route("/api/meters/{pdl}/energy", get(api_energy))
        .route("/api/meters/{pdl}/totals", get(api_totals))
        .route("/api/meters/{pdl}/power", get(api_power))
        .route("/api/meters/{pdl}/calendar", get(api_calendar))
        .route("/api/meters/{pdl}/compare", get(api_compare))
        .route("/api/meters/{pdl}/export", get(api_export))
        .route("/metrics", get(metrics))
        .layer(middleware::from_fn_with_state(config.clone(), guard))
        .layer(middleware::from_fn(security_headers))
        .layer(middleware::from_fn_with_state(
            InFlight::new(give_back_freed),
            give_back_memory,
        ))
        .with_state(config)
}

/// The requests this server is answering, and what to do when the last one ends.
#[derive(Clone)]
struct InFlight {
    count: Arc<AtomicUsize>,
    after_last: fn(),
}

impl InFlight {
    fn new(after_last: fn()) -> InFlight {
        InFlight {
            count: Arc::new(AtomicUsize::new(0)),
            after_last,
        }
    }

    fn begin(&self) -> Answering {
        self.count.fetch_add(1, Ordering::AcqRel);
        Answering(self.clone())
    }
}

/// One request being answered, counted until it is dropped, even when its client leaves early.
struct Answering(InFlight);

impl Drop for Answering {
    fn drop(&mut self) {
        if self.0.count.fetch_sub(1, Ordering::AcqRel) == 1 {
            (self.0.after_last)();
        }
    }
}

/// The last request out gives back what the others freed (a year of points, SQLite's page
/// cache, the JSON built from them), so the daemon's memory after a visit is what it was before
/// (issue 17: steady over 100 visits). On a thread of its own: it walks the whole heap.
fn give_back_freed() {
    match tokio::runtime::Handle::try_current() {
        Ok(runtime) => drop(runtime.spawn_blocking(heap_release::release_freed)),
        Err(_) => drop(heap_release::release_freed()),
    }
}

async fn give_back_memory(
    State(in_flight): State<InFlight>,
    request: Request,
    next: Next,
) -> Response {
    let _answering = in_flight.begin();
    next.run(request).await
}

/// Same-length digests compared without early exit: the time taken tells nothing of the secret.
fn same_secret(given: &str, expected: &str) -> bool {
    use subtle::ConstantTimeEq;
    let (a, b) = (Sha256::digest(given), Sha256::digest(expected));
    a.ct_eq(&b).into()
}

fn authorized(headers: &HeaderMap, access: &Access) -> bool {
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    if let (Some(token), Some(given)) = (&access.token, value.strip_prefix("Bearer ")) {
        return same_secret(given.trim(), token);
    }
    if let (Some(password), Some(given)) = (&access.password, value.strip_prefix("Basic ")) {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(given.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok());
        if let Some((_, pass)) = decoded.as_deref().and_then(|d| d.split_once(':')) {
            return same_secret(pass, password);
        }
    }
    false
}

async fn guard(State(config): State<Arc<WebConfig>>, request: Request, next: Next) -> Response {
    if config.access.is_open() || authorized(request.headers(), &config.access) {
        return next.run(request).await;
    }
    tracing::info!(path = %request.uri().path(), "dashboard request refused: no valid password or token");
    let mut response = (
        StatusCode::UNAUTHORIZED,
        "linky: mot de passe ou jeton requis / password or token required\n",
    )
        .into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"linky\", charset=\"UTF-8\""),
    );
    response
}

/// Everything comes from this binary: no outside script, frame or connection is allowed.
async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

async fn index(State(config): State<Arc<WebConfig>>) -> Response {
    let lang = match config.lang {
        Lang::Fr => "fr",
        Lang::En => "en",
    };
    let page = INDEX.replace("{{LANG}}", lang);
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], page).into_response()
}

async fn asset(body: &'static str, content_type: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

/// Runs store work off the async threads, on a store opened for this request (SQLite in WAL
/// mode lets it read while the daemon writes).
async fn with_store<T: Send + 'static>(
    config: &Arc<WebConfig>,
    work: impl FnOnce(&Store, &WebConfig) -> Result<T, WebError> + Send + 'static,
) -> Result<T, WebError> {
    // At most two requests read the store at a time (the boards it runs on have few cores):
    // a burst of page loads queues instead of growing threads and their memory.
    static STORE_WORK: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);
    let _turn = STORE_WORK
        .acquire()
        .await
        .map_err(|e| WebError::Store(StoreError::Corrupt(format!("request queue closed: {e}"))))?;
    let config = config.clone();
    tokio::task::spawn_blocking(move || {
        // Read only: no migration or change of mode per request, and the page cannot write.
        let store = Store::open_for_reading(&config.store)?;
        work(&store, &config)
    })
    .await
    .unwrap_or_else(|e| {
        Err(WebError::Store(StoreError::Corrupt(format!(
            "request task failed: {e}"
        ))))
    })
}

async fn api_status(State(config): State<Arc<WebConfig>>) -> Result<Response, WebError> {
    let s = with_store(&config, |store, c| {
        Ok(status(store, c.clock.now(), c.domoticz_configured)?)
    })
    .await?;
    Ok(Json(s).into_response())
}

/// Query of the series routes.
#[derive(Debug, Deserialize)]
pub struct RangeQuery {
    step: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

fn date(name: &'static str, text: &str) -> Result<NaiveDate, WebError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| WebError::BadQuery {
        name,
        value: text.to_owned(),
        expected: "a date YYYY-MM-DD",
        expected_fr: "une date AAAA-MM-JJ",
    })
}

/// The range asked; `to` is inclusive and defaults to yesterday, `from` to `default_from(to)`.
fn range(
    q: &RangeQuery,
    today: NaiveDate,
    default_from: impl FnOnce(NaiveDate) -> NaiveDate,
) -> Result<(NaiveDate, NaiveDate), WebError> {
    let to = match &q.to {
        Some(t) => date("to", t)?,
        None => today - Duration::days(1),
    };
    let from = match &q.from {
        Some(f) => date("from", f)?,
        None => default_from(to),
    };
    if from > to {
        return Err(WebError::BadQuery {
            name: "from",
            value: from.to_string(),
            expected: "a day before `to`",
            expected_fr: "un jour avant `to`",
        });
    }
    Ok((from, to))
}

fn step(q: &RangeQuery) -> Result<Step, WebError> {
    let text = q.step.as_deref().unwrap_or("day");
    text.parse().map_err(|_| WebError::BadQuery {
        name: "step",
        value: text.to_owned(),
        expected: "hour, day, month or year",
        expected_fr: "hour, day, month ou year",
    })
}

fn shown(store: &Store, key: &str) -> Result<ShownMeters, WebError> {
    ShownMeters::find(store, key)?.ok_or_else(|| WebError::UnknownMeter(key.to_owned()))
}

/// Answers a meter's route: the store opened off the async threads, the meter found, today's
/// Paris date given, `pdl` added to the JSON object `work` returns.
async fn meter_answer(
    config: &Arc<WebConfig>,
    pdl: String,
    work: impl FnOnce(&Store, &WebConfig, &ShownMeters, NaiveDate) -> Result<serde_json::Value, WebError>
        + Send
        + 'static,
) -> Result<Response, WebError> {
    let body = with_store(config, move |store, c| {
        let m = shown(store, &pdl)?;
        let mut body = work(store, c, &m, paris::local_date(c.clock.now()))?;
        body["pdl"] = pdl.into();
        Ok(body)
    })
    .await?;
    Ok(Json(body).into_response())
}

/// The rows a series route shows: the range and step checked, only the days shown read and
/// split, costs added where prices apply.
fn priced_rows(
    store: &Store,
    c: &WebConfig,
    m: &ShownMeters,
    q: &RangeQuery,
    today: NaiveDate,
) -> Result<(Step, NaiveDate, NaiveDate, Vec<crate::view::EnergyRow>), WebError> {
    let step = step(q)?;
    let (from, to) = range(q, today, |_| default_from(step, today))?;
    if step == Step::Hour && (to - from).num_days() >= MAX_HOUR_DAYS {
        return Err(WebError::BadQuery {
            name: "from",
            value: from.to_string(),
            expected: "at most 366 days of hours per request",
            expected_fr: "au plus 366 jours d'heures par requête",
        });
    }
    let end = (to + Duration::days(1)).min(today);
    let data = m.history_between(store, &c.rules, from.min(end), end)?;
    let mut rows = energy_rows(&data, step, from, to);
    if let Some(tariff) = meter_tariff(&c.tariff, &m.main, &data) {
        let colours = store.day_colours()?;
        add_costs(
            &mut rows,
            &data,
            step,
            &Pricing {
                tariff: &tariff,
                colours: &colours,
            },
        );
    }
    Ok((step, from, to, rows))
}

async fn api_energy(
    State(config): State<Arc<WebConfig>>,
    Path(pdl): Path<String>,
    Query(q): Query<RangeQuery>,
) -> Result<Response, WebError> {
    meter_answer(&config, pdl, move |store, c, m, today| {
        let (step, from, to, rows) = priced_rows(store, c, m, &q, today)?;
        // The instants the range covers, so a chart can leave room for the hours and days
        // that have no data.
        let start = paris::day_start(from).with_timezone(&paris::TZ);
        let end = paris::day_start(to + Duration::days(1)).with_timezone(&paris::TZ);
        Ok(serde_json::json!({
            "step": step, "from": from, "to": to, "start": start.to_rfc3339(),
            "end": end.to_rfc3339(), "rows": rows,
        }))
    })
    .await
}

/// Query of the export route: a range as for the series, and the file's form.
#[derive(Debug, Deserialize)]
pub struct ExportQuery {
    #[serde(flatten)]
    range: RangeQuery,
    format: Option<String>,
    locale: Option<String>,
}

/// What the page shows, as the file `linky export` writes (CSV or JSON), to download.
async fn api_export(
    State(config): State<Arc<WebConfig>>,
    Path(pdl): Path<String>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, WebError> {
    use crate::export::{render, Format, Locale};
    let format = match q.format.as_deref().unwrap_or("csv") {
        "csv" => Format::Csv,
        "json" => Format::Json,
        other => {
            return Err(WebError::BadQuery {
                name: "format",
                value: other.to_owned(),
                expected: "csv or json",
                expected_fr: "csv ou json",
            })
        }
    };
    let locale = match q.locale.as_deref().unwrap_or("en") {
        "fr" => Locale::Fr,
        _ => Locale::En,
    };
    let name = pdl.clone();
    let (text, step, from, to) = with_store(&config, move |store, c| {
        let m = shown(store, &name)?;
        let today = paris::local_date(c.clock.now());
        let (step, from, to, rows) = priced_rows(store, c, &m, &q.range, today)?;
        Ok((render(&rows, step, format, locale), step, from, to))
    })
    .await?;
    let (extension, content_type) = match format {
        Format::Csv => ("csv", "text/csv; charset=utf-8"),
        Format::Json => ("json", "application/json"),
    };
    let step = serde_json::to_value(step)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    // Digits, dashes and a known step only: nothing from the request reaches the header raw.
    let file: String = format!("linky-{pdl}-{step}-{from}-{to}.{extension}")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.'))
        .collect();
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
        ],
        text,
    )
        .into_response())
}

async fn api_totals(
    State(config): State<Arc<WebConfig>>,
    Path(pdl): Path<String>,
) -> Result<Response, WebError> {
    meter_answer(&config, pdl, |store, c, m, today| {
        // A year before the earliest period, for the comparison with the year before.
        let first = linky_core::periods::DashboardPeriod::earliest_day(today) - Duration::days(366);
        let data = m.history_between(store, &c.rules, first.min(today), today)?;
        let mut periods = period_totals(&data, today);
        let tariff = meter_tariff(&c.tariff, &m.main, &data);
        let colours = store.day_colours()?;
        let pricing = tariff.as_ref().map(|tariff| Pricing {
            tariff,
            colours: &colours,
        });
        add_period_costs(&mut periods, &data, today, pricing.as_ref());
        Ok(serde_json::json!({ "periods": periods, "tariff": tariff_view(c, tariff.as_ref()) }))
    })
    .await
}

async fn api_power(
    State(config): State<Arc<WebConfig>>,
    Path(pdl): Path<String>,
    Query(q): Query<RangeQuery>,
) -> Result<Response, WebError> {
    meter_answer(&config, pdl, move |store, _, m, today| {
        let (from, to) = range(&q, today, |_| default_from(Step::Day, today))?;
        let days: Vec<serde_json::Value> = store
            .max_power(&m.main.pdl, from, to)?
            .iter()
            .map(|p| serde_json::json!({ "date": p.date, "at": p.at, "va": p.volt_amperes }))
            .collect();
        Ok(serde_json::json!({
            "from": from, "to": to,
            "subscribed_va": m.main.subscribed_kva.map(|k| k * 1000),
            "days": days,
        }))
    })
    .await
}

async fn api_calendar(
    State(config): State<Arc<WebConfig>>,
    Path(pdl): Path<String>,
    Query(q): Query<RangeQuery>,
) -> Result<Response, WebError> {
    meter_answer(&config, pdl, move |store, _, m, today| {
        let (from, to) = range(&q, today, |to| to - Duration::days(364))?;
        let mut series = Vec::new();
        for meter in m.meters() {
            series.extend(calendar_series(store, &meter.pdl, from, to)?);
        }
        let days = calendar(&series, from, to, m.main.activation_date, today);
        Ok(serde_json::json!({ "from": from, "to": to, "days": days }))
    })
    .await
}

/// What the page says about the prices in use.
fn tariff_view(config: &WebConfig, tariff: Option<&MeterTariff>) -> serde_json::Value {
    let Some(t) = tariff else {
        return serde_json::Value::Null;
    };
    let today = paris::local_date(config.clock.now());
    serde_json::json!({
        "option": t.tariff.option_on(today).map(|o| o.name()),
        "assumed": t.assumed,
        "power_kva": t.power_kva,
        "subscription": t.tariff.in_force(today).and_then(|p| p.subscription).is_some(),
        "prices_known_until": linky_core::tariff::regulated::latest_change(),
    })
}

async fn api_compare(
    State(config): State<Arc<WebConfig>>,
    Path(pdl): Path<String>,
) -> Result<Response, WebError> {
    meter_answer(&config, pdl, |store, c, m, today| {
        let from = today - Duration::days(366);
        let data = m.history_between(store, &c.rules, from, today)?;
        let Some(tariff) = meter_tariff(&c.tariff, &m.main, &data) else {
            return Ok(serde_json::json!({ "comparison": null }));
        };
        let colours = store.day_colours()?;
        let view = comparison(
            &data,
            today,
            &Pricing {
                tariff: &tariff,
                colours: &colours,
            },
        );
        Ok(serde_json::json!({ "comparison": view, "tariff": tariff_view(c, Some(&tariff)) }))
    })
    .await
}

async fn metrics(State(config): State<Arc<WebConfig>>) -> Result<Response, WebError> {
    let text = with_store(&config, |store, c| {
        Ok(crate::metrics::render(&metrics_input(
            store,
            &c.rules,
            &c.tariff,
            c.clock.now(),
        )?))
    })
    .await?;
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    static LAST_OUT: AtomicUsize = AtomicUsize::new(0);

    #[test]
    fn memory_is_given_back_when_the_last_request_ends_answered_or_dropped() {
        let in_flight = InFlight::new(|| {
            LAST_OUT.fetch_add(1, Ordering::SeqCst);
        });
        let first = in_flight.begin();
        let second = in_flight.begin();
        drop(first);
        assert_eq!(LAST_OUT.load(Ordering::SeqCst), 0, "one request still runs");
        // A request whose client left is dropped unanswered: it counts out all the same.
        drop(second);
        assert_eq!(LAST_OUT.load(Ordering::SeqCst), 1);
        drop(in_flight.begin());
        assert_eq!(LAST_OUT.load(Ordering::SeqCst), 2);
        assert_eq!(in_flight.count.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn the_network_needs_a_secret_loopback_does_not() {
        let open = Access::default();
        assert!(check_listen("127.0.0.1:1".parse().unwrap(), &open).is_ok());
        assert!(check_listen("[::1]:1".parse().unwrap(), &open).is_ok());
        let e = check_listen("0.0.0.0:1".parse().unwrap(), &open).unwrap_err();
        assert!(e.localized(Lang::Fr).contains("web.password"));
        let guarded = Access {
            password: Some("long enough".into()),
            token: None,
        };
        assert!(check_listen("0.0.0.0:1".parse().unwrap(), &guarded).is_ok());
    }

    #[test]
    fn basic_with_any_user_or_bearer_and_never_the_secret_in_debug() {
        let access = Access {
            password: Some("s3cret-pw".into()),
            token: Some("tok-123".into()),
        };
        let with = |value: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
            authorized(&h, &access)
        };
        let basic = |s: &str| {
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(s)
            )
        };
        assert!(with(&basic("anyone:s3cret-pw")));
        assert!(!with(&basic("anyone:wrong")));
        assert!(with("Bearer tok-123"));
        assert!(!with("Bearer tok-12"));
        assert!(!authorized(&HeaderMap::new(), &access));
        let shown = format!("{access:?}");
        assert!(
            !shown.contains("s3cret") && !shown.contains("tok-123"),
            "{shown}"
        );
    }
}
