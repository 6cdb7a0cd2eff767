//! **A test double of Domoticz 2025.1. It is not Domoticz.** Domoticz cannot be installed on the
//! project's machines (no Debian package, source not reachable from CI: domoticz.md §0), so the
//! tests of linky's Domoticz writer run against this HTTP server, built to the letter from
//! `shared/reference/domoticz.md`: the `/json.htm` commands of §2 with the answers of §7, the
//! SQLite tables of §6 and what the update code writes into them (§1.2, §1.5), the
//! authentication rules of §3, the API forms and the 2023.2 regression of §1.3 and §2.2, and the
//! pitfalls: `OK` on a rejected date, `stoll` truncation, part counts that overwrite the
//! dashboard value, short-log retention, 401 on a Basic header from a trusted network; and what a
//! real Domoticz 2025.1 was seen doing (§8): connections closed after each answer without
//! keep-alive, unannounced; 403 for non-admins; idx reuse; disabled hardware's devices hidden,
//! plugin IDs changed once disabled; "Today" computed unsigned; the day graph's `mktime` steps.
//!
//! Tests assert on its tables ([`DomoticzDouble::with_db`]), as they would on `domoticz.db`.
//!
//! HTTPS: [`DomoticzDouble::bind_tls`] serves with a given certificate; Basic authentication is
//! then accepted without `AllowPlainBasicAuth`, as in Domoticz.
//!
//! Not simulated: Domoticz's own 5-minute and midnight auto-logging of devices without
//! `DisableLogAutoUpdate`, events, MQTT and the Python plugin entry points.

mod conn;
mod tables;
pub mod values;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use axum::extract::{ConnectInfo, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use md5::{Digest, Md5};
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::conn::Https;

pub use tables::{cleanup_short_log, option, MANAGED_COUNTER, P1};

/// The Domoticz releases whose API behaviour differs for us (domoticz.md §1.3, §2.2, §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Version {
    /// `type=<rtype>` forms; URL `username=`/`password=` still honoured; Basic over HTTP allowed.
    V2020_1,
    /// Like 2020.1, last release with URL credentials.
    V2022_2,
    /// `type=<rtype>` forms; `AllowPlainBasicAuth` and OAuth2 appear.
    V2023_1,
    /// `type=command` forms with a legacy fallback; the managed-update regression.
    V2023_2,
    /// Fixed managed updates; `type=command` with a legacy fallback.
    V2024_7,
    /// Only `type=command`; anything else is a 404.
    V2025_1,
}

impl Version {
    /// As `getversion` reports it.
    pub fn label(self) -> &'static str {
        match self {
            Version::V2020_1 => "2020.1",
            Version::V2022_2 => "2022.2",
            Version::V2023_1 => "2023.1",
            Version::V2023_2 => "2023.2",
            Version::V2024_7 => "2024.7",
            Version::V2025_1 => "2025.1",
        }
    }
}

/// How the double is set up, like Setup → Settings in Domoticz.
#[derive(Debug, Clone)]
pub struct DoubleOptions {
    /// Which release to behave as.
    pub version: Version,
    /// `WebLocalNetworks` holds 127.0.0.1: loopback callers get admin rights without credentials.
    pub trust_loopback: bool,
    /// `AllowPlainBasicAuth`: Basic authentication over plain HTTP.
    pub allow_plain_basic_auth: bool,
    /// "Short Log Sensors" retention in days (`ShortLogDays`).
    pub short_log_days: i64,
    /// The server's local time as `YYYY-MM-DD HH:MM:SS` (`LastUpdate`, retention, "Today"),
    /// or the machine's when `None`.
    pub fixed_now: Option<String>,
    /// The server's time zone, as its `mktime` uses it for the day graph.
    pub zone: chrono_tz::Tz,
}

impl Default for DoubleOptions {
    fn default() -> Self {
        DoubleOptions {
            version: Version::V2025_1,
            trust_loopback: false,
            allow_plain_basic_auth: false,
            short_log_days: 1,
            fixed_now: None,
            zone: chrono_tz::Europe::Paris,
        }
    }
}

/// User rights as stored in `Users.Rights`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rights {
    /// Read only.
    Viewer = 0,
    /// May update devices (`udevice`).
    User = 1,
    /// Everything, device creation included.
    Admin = 2,
}

struct Shared {
    options: Mutex<DoubleOptions>,
    db: Mutex<Connection>,
    /// Issued bearer tokens → (user rights, expiry as a UNIX second).
    tokens: Mutex<HashMap<String, (Rights, i64)>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn md5_hex(text: &str) -> String {
    Md5::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The double, before or while it serves.
#[derive(Clone)]
pub struct DomoticzDouble {
    shared: Arc<Shared>,
}

impl DomoticzDouble {
    /// A fresh database with the default `admin` / `domoticz` administrator.
    pub fn new(options: DoubleOptions) -> rusqlite::Result<DomoticzDouble> {
        let db = Connection::open_in_memory()?;
        db.execute_batch(tables::SCHEMA)?;
        db.execute(
            "INSERT INTO Users (Active, Username, Password, Rights) VALUES (1, ?1, ?2, 2)",
            params![B64.encode("admin"), md5_hex("domoticz")],
        )?;
        db.execute(
            "INSERT INTO Preferences (Key, nValue) VALUES ('ShortLogDays', ?1)",
            [options.short_log_days],
        )?;
        Ok(DomoticzDouble {
            shared: Arc::new(Shared {
                options: Mutex::new(options),
                db: Mutex::new(db),
                tokens: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// Adds a user (stored as Domoticz does: base64 name, md5 password).
    pub fn add_user(&self, name: &str, password: &str, rights: Rights) {
        let _ = lock(&self.shared.db).execute(
            "INSERT INTO Users (Active, Username, Password, Rights) VALUES (1, ?1, ?2, ?3)",
            params![B64.encode(name), md5_hex(password), rights as i64],
        );
    }

    /// Registers an OAuth2 Application (Setup → More Options → Applications).
    pub fn add_application(&self, name: &str, secret: &str, public: bool) {
        let _ = lock(&self.shared.db).execute(
            "INSERT INTO Applications (Active, Public, Applicationname, Secret) VALUES (1, ?1, ?2, ?3)",
            params![public, name, md5_hex(secret)],
        );
    }

    /// Adds the hardware of the DomoticzLinky Python plugin (plugin key `linky`, which Domoticz
    /// keeps in `Extra`), enabled, with its parameters left empty; returns its idx.
    pub fn add_plugin_hardware(&self, name: &str) -> i64 {
        self.add_plugin_hardware_with(name, "linky", ["", "", "", "", "", ""])
    }

    /// Adds a Python plugin's hardware with its key and its `Mode1`..`Mode6` parameters (free
    /// strings for plugins); returns its idx.
    pub fn add_plugin_hardware_with(&self, name: &str, key: &str, modes: [&str; 6]) -> i64 {
        let db = lock(&self.shared.db);
        let _ = db.execute(
            "INSERT INTO Hardware (Name, Enabled, Type, Extra, Mode1, Mode2, Mode3, Mode4, Mode5, Mode6)
             VALUES (?1, 1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![name, PYTHON_PLUGIN, key, modes[0], modes[1], modes[2], modes[3], modes[4], modes[5]],
        );
        db.last_insert_rowid()
    }

    /// Adds a P1 device as a plugin creates it on `hardware` (its own DeviceID, e.g. the PDL; the
    /// name prefixed with the hardware name); returns its idx.
    pub fn add_plugin_device(&self, hardware: i64, device_id: &str, name: &str) -> i64 {
        let db = lock(&self.shared.db);
        let options = tables::stored_options("AddDBLogEntry:true;DisableLogAutoUpdate:true");
        let _ = db.execute(
            "INSERT INTO DeviceStatus (HardwareID, DeviceID, Unit, Name, Used, Type, SubType, sValue, Options)
             VALUES (?1, ?2, 1, ?3, 1, ?4, ?5, '0;0;0;0;0;0', ?6)",
            params![hardware, device_id, name, P1.0, P1.1, options],
        );
        db.last_insert_rowid()
    }

    /// Enables or disables a hardware (Setup > Hardware).
    pub fn set_hardware_enabled(&self, hardware: i64, enabled: bool) {
        let _ = lock(&self.shared.db).execute(
            "UPDATE Hardware SET Enabled = ?1 WHERE ID = ?2",
            params![enabled, hardware],
        );
    }

    /// Changes the settings (a new version, trusted networks, retention...).
    pub fn set_options(&self, change: impl FnOnce(&mut DoubleOptions)) {
        let mut o = lock(&self.shared.options);
        change(&mut o);
        let _ = lock(&self.shared.db).execute(
            "UPDATE Preferences SET nValue = ?1 WHERE Key = 'ShortLogDays'",
            [o.short_log_days],
        );
    }

    /// Reads or changes the tables directly, as a test would with `sqlite3 domoticz.db`.
    pub fn with_db<R>(&self, f: impl FnOnce(&Connection) -> R) -> R {
        f(&lock(&self.shared.db))
    }

    /// Runs `CleanupShortLog` at the double's current time.
    pub fn cleanup_short_log(&self) -> rusqlite::Result<()> {
        let (now, days) = {
            let o = lock(&self.shared.options);
            (now(&o), o.short_log_days)
        };
        cleanup_short_log(&lock(&self.shared.db), &now, days)
    }

    /// The HTTP routes: `/json.htm` and `/oauth2/v1/token`.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/json.htm", get(json_htm))
            .route("/oauth2/v1/token", post(token))
            .with_state(self.shared.clone())
    }

    /// Serves on `addr` (port 0 picks one) in the background.
    pub async fn bind(&self, addr: SocketAddr) -> std::io::Result<RunningDouble> {
        self.serve(addr, None, "http").await
    }

    /// Serves HTTPS on `addr` with a PEM certificate chain and private key, in the background.
    pub async fn bind_tls(
        &self,
        addr: SocketAddr,
        cert_pem: &str,
        key_pem: &str,
    ) -> std::io::Result<RunningDouble> {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let invalid = |e: String| std::io::Error::new(std::io::ErrorKind::InvalidInput, e);
        let certs: Vec<CertificateDer<'static>> =
            CertificateDer::pem_slice_iter(cert_pem.as_bytes())
                .collect::<Result<_, _>>()
                .map_err(|e| invalid(e.to_string()))?;
        let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes())
            .map_err(|e| invalid(e.to_string()))?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| invalid(e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .map_err(|e| invalid(e.to_string()))?;
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        self.serve(addr, Some(acceptor), "https").await
    }

    async fn serve(
        &self,
        addr: SocketAddr,
        tls: Option<tokio_rustls::TlsAcceptor>,
        scheme: &'static str,
    ) -> std::io::Result<RunningDouble> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(conn::serve(listener, self.router(), tls, stopped));
        Ok(RunningDouble {
            addr,
            stop: Some(stop),
            task: Some(task),
            scheme,
        })
    }
}

/// The double serving on a socket; stops when dropped.
pub struct RunningDouble {
    scheme: &'static str,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl RunningDouble {
    /// `http://127.0.0.1:<port>` (or `https://`).
    pub fn url(&self) -> String {
        format!("{}://{}", self.scheme, self.addr)
    }

    /// Stops serving and waits for it.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for RunningDouble {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

fn now(o: &DoubleOptions) -> String {
    o.fixed_now
        .clone()
        .unwrap_or_else(|| chrono::Local::now().format("%Y-%m-%d %H:%M:%S").to_string())
}

fn unauthorized() -> Response {
    (StatusCode::UNAUTHORIZED, "401 Unauthorized").into_response()
}

fn ok(title: &str, extra: Value) -> Response {
    let mut body = json!({"status": "OK", "title": title});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    Json(body).into_response()
}

fn err(title: &str) -> Response {
    Json(json!({"status": "ERR", "title": title})).into_response()
}

/// Commands a signed-in non-admin gets 403 for (§8 "Rights").
const ADMIN_ONLY: &[&str] = &["addhardware", "createdevice", "setused", "deletedevice"];

/// Commands answered without a session (`main/WebServer.cpp:268-281`).
const WHITELISTED: &[&str] = &[
    "getversion",
    "getauth",
    "getuptime",
    "getconfig",
    "logincheck",
    "gettitle",
];

/// Who is calling: `None` is a 401. The rules of domoticz.md §3, in the order `cWebem` applies them.
fn caller(
    shared: &Shared,
    o: &DoubleOptions,
    https: bool,
    headers: &HeaderMap,
    peer: SocketAddr,
    query: &HashMap<String, String>,
) -> Option<Rights> {
    let authorization = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if let Some(token) = authorization.strip_prefix("Bearer ") {
        let tokens = lock(&shared.tokens);
        let (rights, expiry) = tokens.get(token)?;
        return (chrono::Utc::now().timestamp() < expiry + 60).then_some(*rights);
    }
    if let Some(basic) = authorization.strip_prefix("Basic ") {
        // From 2023.1 Basic over plain HTTP needs AllowPlainBasicAuth; a refused header also
        // clears a trusted network's session, hence 401 even from a trusted address.
        if o.version >= Version::V2023_1 && !o.allow_plain_basic_auth && !https {
            return None;
        }
        let decoded = String::from_utf8(B64.decode(basic).ok()?).ok()?;
        let (user, password) = decoded.split_once(':')?;
        return check_password(shared, user, password);
    }
    if o.trust_loopback && peer.ip().is_loopback() {
        return Some(Rights::Admin);
    }
    if o.version <= Version::V2022_2 {
        if let (Some(u), Some(p)) = (query.get("username"), query.get("password")) {
            let user = String::from_utf8(B64.decode(u).ok()?).ok()?;
            let password = String::from_utf8(B64.decode(p).ok()?).ok()?;
            return check_password(shared, &user, &password);
        }
    }
    None
}

fn check_password(shared: &Shared, user: &str, password: &str) -> Option<Rights> {
    let rights: i64 = lock(&shared.db)
        .query_row(
            "SELECT Rights FROM Users WHERE Active = 1 AND Username = ?1 AND Password = ?2",
            params![B64.encode(user), md5_hex(password)],
            |r| r.get(0),
        )
        .optional()
        .ok()??;
    Some(match rights {
        0 => Rights::Viewer,
        1 => Rights::User,
        _ => Rights::Admin,
    })
}

/// `POST /oauth2/v1/token`, password grant: `client_id` names a registered non-public
/// Application, the user's credentials come as Basic. No refresh token for this grant.
async fn token(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: String) -> Response {
    let version = lock(&shared.options).version;
    if version < Version::V2023_1 {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    }
    let form: HashMap<String, String> = url_pairs(&body);
    if form.get("grant_type").map(String::as_str) != Some("password") {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "unsupported_grant_type"})),
        )
            .into_response();
    }
    let app = form.get("client_id").cloned().unwrap_or_default();
    let public: Option<bool> = lock(&shared.db)
        .query_row(
            "SELECT Public FROM Applications WHERE Active = 1 AND Applicationname = ?1",
            [&app],
            |r| r.get(0),
        )
        .optional()
        .ok()
        .flatten();
    match public {
        None => {
            return (
                StatusCode::UNAUTHORIZED,
                Json(json!({"error": "invalid_client"})),
            )
                .into_response()
        }
        // The default public `domoticzUI` has no key to sign with.
        Some(true) => {
            return (
                StatusCode::BAD_REQUEST,
                "at least one of public or private key need to be present",
            )
                .into_response()
        }
        Some(false) => {}
    }
    let rights = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|a| a.strip_prefix("Basic "))
        .and_then(|b| B64.decode(b).ok())
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|d| {
            let (u, p) = d.split_once(':')?;
            check_password(&shared, u, p)
        });
    let Some(rights) = rights else {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "invalid_grant"})),
        )
            .into_response();
    };
    let mut raw = [0u8; 24];
    if getrandom::fill(&mut raw).is_err() {
        return (StatusCode::INTERNAL_SERVER_ERROR, "no randomness").into_response();
    }
    // An opaque token stands for Domoticz's JWT: clients only pass it back.
    let token = format!("double.{}", B64.encode(raw).replace(['+', '/', '='], "x"));
    lock(&shared.tokens).insert(
        token.clone(),
        (rights, chrono::Utc::now().timestamp() + 3600),
    );
    Json(json!({"access_token": token, "token_type": "Bearer", "expires_in": 3600})).into_response()
}

/// Domoticz's query decoding: `+` is a space, `%XX` a byte.
fn url_pairs(query: &str) -> HashMap<String, String> {
    query
        .split('&')
        .filter_map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            Some((decode(k)?, decode(v)?))
        })
        .collect()
}

fn decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// The command a request names, or why it is not served in this version.
enum Route {
    Command(String),
    NotFound,
    Ignored,
}

fn route(version: Version, q: &HashMap<String, String>) -> Route {
    let kind = q.get("type").map(String::as_str).unwrap_or_default();
    if kind == "command" {
        let param = q.get("param").cloned().unwrap_or_default();
        // Before 2023.2 only a few commands had the `type=command` form.
        let old_command = matches!(
            param.as_str(),
            "addhardware"
                | "udevice"
                | "renamedevice"
                | "getversion"
                | "getsettings"
                | "logincheck"
        );
        if version < Version::V2023_2 && !old_command {
            return Route::Ignored;
        }
        return Route::Command(param);
    }
    let legacy = match kind {
        "devices" => "getdevices",
        "hardware" => "gethardware",
        "settings" => "getsettings",
        "createdevice" | "setused" | "graph" | "createvirtualsensor" => kind,
        _ => return Route::NotFound,
    };
    match version {
        Version::V2025_1 => Route::NotFound,
        Version::V2023_2 | Version::V2024_7 if kind == "createvirtualsensor" => Route::Ignored,
        _ => Route::Command(legacy.to_owned()),
    }
}

async fn json_htm(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    https: Option<axum::Extension<Https>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let q = url_pairs(query.as_deref().unwrap_or_default());
    let o = lock(&shared.options).clone();
    let command = match route(o.version, &q) {
        Route::Command(c) => c,
        Route::NotFound => return (StatusCode::NOT_FOUND, "404 Not Found").into_response(),
        Route::Ignored => return err("Call ignored"),
    };
    let rights = caller(&shared, &o, https.is_some(), &headers, peer, &q);
    if rights.is_none() && !WHITELISTED.contains(&command.as_str()) {
        return unauthorized();
    }
    let admin = rights == Some(Rights::Admin);
    // §8 "Rights": a signed-in non-admin is refused these with 403, not 401.
    if rights.is_some() && !admin && ADMIN_ONLY.contains(&command.as_str()) {
        return (StatusCode::FORBIDDEN, "403 Forbidden").into_response();
    }
    let now = now(&o);
    let db = lock(&shared.db);
    let get = |k: &str| q.get(k).cloned().unwrap_or_default();
    let idx = || get("idx").parse::<i64>().ok();
    match command.as_str() {
        "getversion" => match rights {
            Some(_) => ok(
                "GetVersion",
                json!({"version": o.version.label(), "Revision": 1}),
            ),
            None => ok("GetVersion", json!({})),
        },
        "getauth" => match rights {
            Some(r) => ok(
                "GetAuth",
                json!({"user": user_name(&headers), "rights": r as i64, "version": o.version.label()}),
            ),
            None => ok("GetAuth", json!({})),
        },
        // §8: allowed to User and Viewer accounts too.
        "getsettings" => ok(
            "settings",
            json!({"ShortLogDays": o.short_log_days, "AllowPlainBasicAuth": i64::from(o.allow_plain_basic_auth)}),
        ),
        "addhardware" if admin => {
            if get("name").is_empty() || get("enabled").is_empty() || get("htype").is_empty() {
                return err("AddHardware");
            }
            let log_level = get("loglevel").parse::<i64>().unwrap_or(0);
            let inserted = db.execute(
                "INSERT INTO Hardware (Name, Enabled, Type, LogLevel, DataTimeout) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    get("name"),
                    get("enabled") == "true",
                    get("htype").parse::<i64>().unwrap_or(-1),
                    log_level,
                    get("datatimeout").parse::<i64>().unwrap_or(0)
                ],
            );
            let max: i64 = db
                .query_row("SELECT MAX(ID) FROM Hardware", [], |r| r.get(0))
                .unwrap_or(0);
            match inserted {
                Ok(_) => ok("AddHardware", json!({"idx": max.to_string()})),
                Err(_) => err("AddHardware"),
            }
        }
        "createdevice" | "createvirtualsensor" if admin => {
            let kind = if command == "createdevice" {
                match (
                    get("devicetype").as_str(),
                    get("devicesubtype").as_str(),
                    get("sensormappedtype").to_ascii_uppercase().as_str(),
                ) {
                    ("250", "1", _) | (_, _, "0XFA01") => Some(P1),
                    ("243", "33", _) | (_, _, "0XF321") => Some(MANAGED_COUNTER),
                    (t, st, _) => t.parse().ok().zip(st.parse().ok()),
                }
            } else {
                match get("sensortype").as_str() {
                    "250" => Some(P1),
                    "1005" => Some(MANAGED_COUNTER),
                    _ => None,
                }
            };
            let title = if command == "createdevice" {
                "CreateSensor"
            } else {
                "CreateVirtualSensor"
            };
            let dummy: Option<i64> = db
                .query_row(
                    "SELECT Type FROM Hardware WHERE ID = ?1",
                    [idx().unwrap_or(-1)],
                    |r| r.get(0),
                )
                .optional()
                .ok()
                .flatten();
            let (Some(kind), Some(15), Some(hw)) = (kind, dummy, idx()) else {
                return err(title);
            };
            let id: i64 = db
                .query_row("SELECT IFNULL(MAX(ID), 0) + 1 FROM DeviceStatus", [], |r| {
                    r.get(0)
                })
                .unwrap_or(1);
            let initial = match kind {
                P1 => "0;0;0;0;0;0",
                MANAGED_COUNTER => "-1;0",
                _ => "0",
            };
            let created = db.execute(
                "INSERT INTO DeviceStatus (ID, HardwareID, DeviceID, Unit, Name, Used, Type, SubType, sValue, LastUpdate)
                 VALUES (?1, ?2, ?3, 1, ?4, 1, ?5, ?6, ?7, ?8)",
                params![id, hw, (id + 82000).to_string(), get("sensorname"), kind.0, kind.1, initial, now],
            );
            match created {
                Ok(_) => ok(title, json!({"idx": id.to_string()})),
                Err(_) => err(title),
            }
        }
        "setused" if admin => {
            let Some(idx) = idx() else {
                return err("SetUsed");
            };
            if get("used") != "true" {
                // `used=false` deletes the device and its logs.
                delete_device(&db, idx);
                return ok("SetUsed", json!({}));
            }
            let _ = db.execute("UPDATE DeviceStatus SET Used = 1 WHERE ID = ?1", [idx]);
            if let Some(name) = q.get("name") {
                let _ = db.execute(
                    "UPDATE DeviceStatus SET Name = ?1 WHERE ID = ?2",
                    params![name, idx],
                );
            }
            // §8: the description is written only together with a name.
            if let (Some(d), Some(_)) = (q.get("description"), q.get("name")) {
                let _ = db.execute(
                    "UPDATE DeviceStatus SET Description = ?1 WHERE ID = ?2",
                    params![d, idx],
                );
            }
            // Domoticz's source (`WebServerCmds.cpp` RType_SetUsed, 85308e91): the meter type
            // (`switchtype`) is written only together with a name; the divider (`addjvalue2`)
            // whenever given.
            if let (Some(t), Some(_)) = (q.get("switchtype"), q.get("name")) {
                let _ = db.execute(
                    "UPDATE DeviceStatus SET SwitchType = ?1 WHERE ID = ?2",
                    params![values::stoll(t).unwrap_or(0), idx],
                );
            }
            if let Some(v) = q.get("addjvalue2") {
                let _ = db.execute(
                    "UPDATE DeviceStatus SET AddjValue2 = ?1 WHERE ID = ?2",
                    params![v.parse::<f64>().unwrap_or(0.0), idx],
                );
            }
            if let Some(options) = q.get("options") {
                let plain = B64
                    .decode(options)
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .unwrap_or_default();
                let _ = db.execute(
                    "UPDATE DeviceStatus SET Options = ?1 WHERE ID = ?2",
                    params![tables::stored_options(&plain), idx],
                );
            } else if let Some(raw) = q.get("devoptions") {
                let _ = db.execute(
                    "UPDATE DeviceStatus SET Options = ?1 WHERE ID = ?2",
                    params![raw, idx],
                );
            }
            ok("SetUsed", json!({}))
        }
        "deletedevice" if admin => {
            let Some(idx) = idx() else {
                return err("DeleteDevice");
            };
            delete_device(&db, idx);
            ok("DeleteDevice", json!({}))
        }
        "gethardware" => {
            // The fields of `RType_Hardware`: a plugin's Mode1..Mode6 as strings (plugins keep
            // free text there), other hardware's as numbers; the internal hardware is skipped.
            let list: Vec<Value> = query_rows(
                &db,
                "SELECT ID, Name, Enabled, Type, IFNULL(Address, ''), IFNULL(Port, 0), IFNULL(SerialPort, ''),
                        IFNULL(Username, ''), IFNULL(Extra, ''), IFNULL(Mode1, ''), IFNULL(Mode2, ''),
                        IFNULL(Mode3, ''), IFNULL(Mode4, ''), IFNULL(Mode5, ''), IFNULL(Mode6, ''),
                        IFNULL(DataTimeout, 0)
                 FROM Hardware WHERE ?1 = ?1 ORDER BY ID",
                0,
                16,
            )
            .into_iter()
            .filter(|r| r[3] != DOMOTICZ_INTERNAL.to_string())
            .map(|r| {
                let kind = r[3].parse::<i64>().unwrap_or(0);
                let mode = |i: usize| -> Value {
                    if kind == PYTHON_PLUGIN {
                        json!(r[9 + i])
                    } else {
                        json!(r[9 + i].parse::<i64>().unwrap_or(0))
                    }
                };
                json!({"idx": r[0], "Name": r[1], "Enabled": if r[2] == "1" { "true" } else { "false" },
                    "Type": kind, "Address": r[4], "Port": r[5].parse::<i64>().unwrap_or(0),
                    "SerialPort": r[6], "Username": r[7], "Password": "", "Extra": r[8],
                    "Mode1": mode(0), "Mode2": mode(1), "Mode3": mode(2), "Mode4": mode(3),
                    "Mode5": mode(4), "Mode6": mode(5), "DataTimeout": r[15].parse::<i64>().unwrap_or(0)})
            })
            .collect();
            ok("Hardware", json!({"result": list}))
        }
        "renamedevice" if admin => {
            let _ = db.execute(
                "UPDATE DeviceStatus SET Name = ?1 WHERE ID = ?2",
                params![get("name"), idx().unwrap_or(-1)],
            );
            ok("RenameDevice", json!({}))
        }
        "getdevices" => {
            let shown = Listing {
                rid: q.get("rid").and_then(|r| r.parse().ok()),
                display_disabled: get("displaydisabled") == "1",
            };
            ok("Devices", json!({"result": devices(&db, shown, &now)}))
        }
        "udevice" if rights >= Some(Rights::User) => {
            let Some(idx) = idx() else {
                return err("Update Device");
            };
            let nvalue = values::stoll(&get("nvalue")).unwrap_or(0);
            match tables::update(&db, o.version, idx, nvalue, &get("svalue"), &now) {
                Ok(()) => ok("Update Device", json!({})),
                Err(_) => err("Update Device"),
            }
        }
        "graph" => graph(&db, idx().unwrap_or(-1), &get("range"), o.zone),
        // A known command without the rights it needs is refused like an unknown one from a
        // non-admin (INFERRED: domoticz.md only says "admin only").
        _ if admin => err("Unknown command"),
        _ => unauthorized(),
    }
}

/// Which devices `getdevices` lists.
struct Listing {
    /// `rid`: one device.
    rid: Option<i64>,
    /// `displaydisabled=1`: devices of disabled hardware too (hidden by default, §8).
    display_disabled: bool,
}

/// Domoticz's hardware type of a Python plugin (`HTYPE_PythonPlugin`).
pub const PYTHON_PLUGIN: i64 = 94;
/// Domoticz's own "Domoticz Internal" hardware, which `gethardware` never lists.
pub const DOMOTICZ_INTERNAL: i64 = 67;
/// Domoticz's hardware type of Dummy (virtual) hardware.
pub const DUMMY: i64 = 15;

/// The `Type` and `SubType` names `getdevices` gives.
fn type_names(kind: (i64, i64)) -> (&'static str, &'static str) {
    match kind {
        P1 => ("P1 Smart Meter", "Energy"),
        MANAGED_COUNTER => ("General", "Managed Counter"),
        (0x50, _) => ("Temp", "LaCrosse TX3"),
        _ => ("Unknown", "Unknown"),
    }
}

/// A meter's type and divider as `getdevices` and the graphs read them (Domoticz's source,
/// 85308e91: `SQLHelper.cpp` `GetCounterDivider`, `WebServer.cpp` managed counter branch).
struct MeterKind {
    /// `SwitchType`: 0 energy, 1 gas, 2 water, 3 counter, 4 energy generated.
    switch_type: i64,
    /// `AddjValue2`: the device's own divider, 0 for the default.
    divider_setting: f64,
    /// The stored options.
    options: String,
}

/// `MTYPE_COUNTER`.
const METER_COUNTER: i64 = 3;

impl MeterKind {
    /// The device's divider, else the default: 1000 for energy (`MeterDividerEnergy`), 100 for
    /// gas and water, 1 for a counter.
    fn divider(&self) -> f64 {
        if self.divider_setting != 0.0 {
            return self.divider_setting;
        }
        match self.switch_type {
            0 | 4 => 1000.0,
            1 | 2 => 100.0,
            _ => 1.0,
        }
    }

    fn option(&self, key: &str) -> Option<String> {
        tables::option(&self.options, key).filter(|v| !v.is_empty())
    }

    /// A value as Domoticz writes it: `%.3f kWh`, `%.3f m3`, or `%.10g` and the units.
    fn show(&self, value: f64) -> String {
        match self.switch_type {
            0 | 4 => format!("{value:.3} kWh"),
            1 | 2 => format!("{value:.3} m3"),
            _ => {
                let number = format!("{value}");
                match self.option("ValueUnits") {
                    Some(units) => format!("{number} {units}"),
                    None => number,
                }
            }
        }
    }
}

/// `getdevices` (domoticz.md §1.5 and §8): devices of disabled hardware only with
/// `displaydisabled=1`, where a plugin's device then shows the hex of its truncated DeviceID;
/// unused devices listed; a P1 meter's "Today" computed as Domoticz does, unsigned.
fn devices(db: &Connection, shown: Listing, now: &str) -> Vec<Value> {
    let mut stmt = match db.prepare(
        "SELECT d.ID, d.HardwareID, d.DeviceID, d.Name, d.Description, d.Type, d.SubType, IFNULL(d.sValue, ''),
                d.LastUpdate, d.Used, IFNULL(h.Name, ''), IFNULL(h.Type, 0), IFNULL(h.Enabled, 1),
                d.SwitchType, d.AddjValue2, IFNULL(d.Options, '')
         FROM DeviceStatus d LEFT JOIN Hardware h ON h.ID = d.HardwareID
         WHERE (?1 IS NULL OR d.ID = ?1) AND (?2 OR IFNULL(h.Enabled, 1) = 1) ORDER BY d.ID",
    ) {
        Ok(s) => s,
        Err(_) => return Vec::new(),
    };
    let rows = stmt.query_map(params![shown.rid, shown.display_disabled], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, String>(2)?,
            [r.get::<_, String>(3)?, r.get::<_, String>(4)?],
            (r.get::<_, i64>(5)?, r.get::<_, i64>(6)?),
            r.get::<_, String>(7)?,
            r.get::<_, String>(8)?,
            r.get::<_, i64>(9)?,
            (
                r.get::<_, String>(10)?,
                r.get::<_, i64>(11)?,
                r.get::<_, bool>(12)?,
            ),
            MeterKind {
                switch_type: r.get::<_, i64>(13)?,
                divider_setting: r.get::<_, f64>(14)?,
                options: r.get::<_, String>(15)?,
            },
        ))
    });
    let Ok(rows) = rows else { return Vec::new() };
    rows.filter_map(Result::ok)
        .map(|(id, hw, device_id, [name, description], kind, svalue, last, used, (hw_name, hw_type, enabled), meter)| {
            // §8: a virtual device's numeric DeviceID is listed in hex; a plugin's own DeviceID
            // only while the plugin runs, then the hex of its truncated number.
            let shown_id = match device_id.parse::<u64>() {
                Ok(n) if hw_type == PYTHON_PLUGIN && !enabled => format!("{:08X}", n as u32),
                Ok(n) if hw_type == DUMMY => format!("{n:X}"),
                _ => device_id,
            };
            let (type_name, subtype_name) = type_names(kind);
            let mut d = json!({
                "idx": id.to_string(), "HardwareID": hw, "HardwareName": hw_name, "HardwareTypeVal": hw_type,
                "HardwareDisabled": !enabled, "ID": shown_id, "Name": name, "Description": description,
                "Type": type_name, "SubType": subtype_name, "Used": used, "LastUpdate": last, "Data": svalue,
            });
            let parts: Vec<i64> = svalue.split(';').map(|p| values::stoll(p).unwrap_or(0)).collect();
            if kind == P1 && parts.len() == 6 {
                let (usage, deliv) = (parts[0] + parts[1], parts[2] + parts[3]);
                let kwh = |v: u64| format!("{:.3}", v as f64 / 1000.0);
                d["Counter"] = json!(kwh(usage as u64));
                d["CounterDeliv"] = json!(kwh(deliv as u64));
                d["CounterToday"] = json!(format!("{} kWh", kwh(today(db, id, "Value1 + Value5", usage, now))));
                d["CounterDelivToday"] = json!(format!("{} kWh", kwh(today(db, id, "Value2 + Value6", deliv, now))));
                d["Usage"] = json!(format!("{} Watt", parts[4]));
                d["UsageDeliv"] = json!(format!("{} Watt", parts[5]));
            } else if kind == MANAGED_COUNTER && parts.len() == 2 {
                // `WebServer.cpp`, the managed counter branch: the value (the counter when the
                // value is negative) over the divider, written by the meter type.
                let value = if parts[1] < 0 { parts[0] } else { parts[1] } as f64 / meter.divider();
                let shown = meter.show(value);
                d["Counter"] = json!(shown);
                d["Data"] = json!(shown);
                d["SwitchTypeVal"] = json!(meter.switch_type);
                d["Divider"] = json!(meter.divider());
                d["ValueQuantity"] = json!(meter.option("ValueQuantity").unwrap_or_else(|| "Custom".into()));
                d["ValueUnits"] = json!(meter.option("ValueUnits").unwrap_or_default());
            } else if kind == P1 {
                // What the P1 widget shows for a value that is not six parts.
                d["Data"] = json!("Invalid");
            }
            d
        })
        .collect()
}

/// A P1 meter's "Today" (§8): the dashboard's counter minus the lowest short-log counter since
/// the server's midnight, in unsigned 64-bit arithmetic (it wraps when the dashboard value is
/// below today's short-log counters); 0 before the day's first row.
fn today(db: &Connection, idx: i64, columns: &str, dashboard: i64, now: &str) -> u64 {
    let lowest: Option<i64> = db
        .query_row(
            &format!(
                "SELECT MIN({columns}) FROM MultiMeter WHERE DeviceRowID = ?1 AND Date >= date(?2)"
            ),
            params![idx, now],
            |r| r.get(0),
        )
        .ok()
        .flatten();
    lowest.map_or(0, |low| (dashboard as u64).wrapping_sub(low as u64))
}

/// A short-log stamp as Domoticz's `mktime` reads it in the server's zone: an ambiguous autumn
/// time is taken as the first (summer) one, which is what makes the day graph's 03:00 point 0
/// after the merged 02:00 row (§8).
fn mktime(stamp: &str, zone: chrono_tz::Tz) -> Option<i64> {
    use chrono::TimeZone;
    let naive = chrono::NaiveDateTime::parse_from_str(stamp, "%Y-%m-%d %H:%M:%S").ok()?;
    zone.from_local_datetime(&naive)
        .earliest()
        .or_else(|| {
            zone.from_local_datetime(&(naive + chrono::Duration::hours(1)))
                .earliest()
        })
        .map(|t| t.timestamp())
}

/// `graph&sensor=counter`: the day graph from the short log, the others from the long log
/// (domoticz.md §1.5, §8; `WebServerHandleGraph.cpp`).
fn graph(db: &Connection, idx: i64, range: &str, zone: chrono_tz::Tz) -> Response {
    let kind: Option<(i64, i64)> = db
        .query_row(
            "SELECT Type, SubType FROM DeviceStatus WHERE ID = ?1",
            [idx],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .ok()
        .flatten();
    let Some(kind) = kind else {
        return err("Graph");
    };
    let meter = db
        .query_row(
            "SELECT SwitchType, AddjValue2, IFNULL(Options, '') FROM DeviceStatus WHERE ID = ?1",
            [idx],
            |r| {
                Ok(MeterKind {
                    switch_type: r.get(0)?,
                    divider_setting: r.get(1)?,
                    options: r.get(2)?,
                })
            },
        )
        .ok();
    let kwh = |v: i64| format!("{:.3}", v as f64 / 1000.0);
    let result: Vec<Value> = match (kind == P1, range) {
        (true, "day") => day_graph(
            &query_rows(db, "SELECT Value1, Value2, Value5, Value6, Date FROM MultiMeter WHERE DeviceRowID = ?1 ORDER BY Date", idx, 5),
            zone,
        ),
        (true, _) => query_rows(db, "SELECT Value1, Value2, Value5, Value6, Counter1, Date FROM MultiMeter_Calendar WHERE DeviceRowID = ?1 ORDER BY Date", idx, 6)
            .into_iter()
            .map(|r| {
                let n = |i: usize| r[i].parse::<i64>().unwrap_or(0);
                let mut row = json!({"d": r[5], "v1": kwh(n(0)), "r1": kwh(n(1)), "v2": kwh(n(2)), "r2": kwh(n(3))});
                if range != "week" {
                    row["c1"] = json!(kwh(if n(4) == 0 { 0 } else { n(4) - n(0) }));
                }
                row
            })
            .collect(),
        (false, "day") => query_rows(db, "SELECT Usage, substr(Date, 1, 16) FROM Meter WHERE DeviceRowID = ?1 ORDER BY Date", idx, 2)
            .into_iter()
            .map(|r| json!({"d": r[1], "v": format!("{:.3}", r[0].parse::<f64>().unwrap_or(0.0))}))
            .collect(),
        (false, _) => query_rows(db, "SELECT Value, Date FROM Meter_Calendar WHERE DeviceRowID = ?1 ORDER BY Date", idx, 2)
            .into_iter()
            .map(|r| {
                let value = r[0].parse::<i64>().unwrap_or(0);
                let v = match &meter {
                    // A counter's values over its divider, `%.10g`.
                    Some(m) if m.switch_type == METER_COUNTER => format!("{}", value as f64 / m.divider()),
                    _ => kwh(value),
                };
                json!({"d": r[1], "v": v})
            })
            .collect(),
    };
    ok("Graph counter", json!({"result": result}))
}

/// The P1 day graph (§8): each point is the counters' difference from the previous row times
/// `int(3600 / seconds between them)`, seconds by [`mktime`]; rows not after the previous one are
/// skipped, a counter that went down gives no point, return below 10 Wh shows 0.
fn day_graph(rows: &[Vec<String>], zone: chrono_tz::Tz) -> Vec<Value> {
    let mut out = Vec::new();
    let mut last: Option<(i64, [i64; 4])> = None;
    for r in rows {
        let Some(at) = mktime(&r[4], zone) else {
            continue;
        };
        let counters = [0, 1, 2, 3].map(|i| r[i].parse::<i64>().unwrap_or(0));
        let Some((before, base)) = last else {
            last = Some((at, counters));
            continue;
        };
        if at <= before {
            continue;
        }
        last = Some((at, counters));
        let factor = 3600 / (at - before);
        let diff: [i64; 4] = std::array::from_fn(|i| counters[i] - base[i]);
        if diff.iter().any(|d| *d < 0) {
            continue;
        }
        let [v1, r1, v2, r2] = diff.map(|d| d * factor);
        let ret = |v: i64| if v < 10 { 0 } else { v };
        out.push(
            json!({"d": &r[4][..16.min(r[4].len())], "v1": v1.to_string(), "v2": v2.to_string(),
            "r1": ret(r1).to_string(), "r2": ret(r2).to_string()}),
        );
    }
    out
}

fn delete_device(db: &Connection, idx: i64) {
    for t in [
        "Meter",
        "Meter_Calendar",
        "MultiMeter",
        "MultiMeter_Calendar",
    ] {
        let _ = db.execute(&format!("DELETE FROM {t} WHERE DeviceRowID = ?1"), [idx]);
    }
    let _ = db.execute("DELETE FROM DeviceStatus WHERE ID = ?1", [idx]);
}

/// The user name of a Basic `Authorization` header, for `getauth`.
fn user_name(headers: &HeaderMap) -> String {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|a| a.strip_prefix("Basic "))
        .and_then(|b| B64.decode(b).ok())
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|d| d.split_once(':').map(|(u, _)| u.to_owned()))
        .unwrap_or_default()
}

fn query_rows(db: &Connection, sql: &str, idx: i64, columns: usize) -> Vec<Vec<String>> {
    let Ok(mut stmt) = db.prepare(sql) else {
        return Vec::new();
    };
    let rows = stmt.query_map([idx], |r| {
        (0..columns)
            .map(|i| {
                r.get::<_, rusqlite::types::Value>(i).map(|v| match v {
                    rusqlite::types::Value::Integer(n) => n.to_string(),
                    rusqlite::types::Value::Real(x) => x.to_string(),
                    rusqlite::types::Value::Text(t) => t,
                    _ => String::new(),
                })
            })
            .collect::<rusqlite::Result<Vec<String>>>()
    });
    match rows {
        Ok(rows) => rows.filter_map(Result::ok).collect(),
        Err(_) => Vec::new(),
    }
}
