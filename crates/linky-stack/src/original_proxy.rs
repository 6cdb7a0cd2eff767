//! A test double of the original DomoticzLinky consent proxy (the PHP Device-Flow-Proxy-Server
//! in client-credentials mode, `shared/reference/seed-spec.md` §11), in front of its own
//! enedis-sim. It is **not** that proxy: it answers as §11 describes, to prove that linky works
//! against it. What it reproduces, because clients trip on it:
//!
//! - `/device/code`: `interval` as a float (`5.0`), no `verification_uri_complete`;
//! - `/device/token`: `authorization_pending` with HTTP 400, a one-shot token answer carrying
//!   `usage_points_id` (comma-joined); refresh needs `usage_points_id` equal to the stored list
//!   and answers the **same** refresh token, without `usage_points_id`;
//! - `/auth/redirect`: needs `usage_point_id` (`;` turned into `,`); it never checks the
//!   Enedis `code`;
//! - `/data/proxy/<path>`: `usage_point_id` required in the query, 404 without `Authorization`,
//!   403 for an unknown token, 404 for a meter the token does not hold; then Enedis's status and
//!   body as they are, with its own client-credentials token;
//! - no `/device/revoke` (404).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use enedis_sim::{Credentials, RunningSimulator, SimConfig, Simulator};
use linky_core::Clock;
use serde_json::json;

use crate::{StackError, APP_ID, APP_SECRET};

/// The device client id the original plugin presents.
pub const PLUGIN_CLIENT_ID: &str = "d198fd52-61c0-4b77-8725-06a1ef90da9f";

#[derive(Default)]
struct Book {
    /// User code (without hyphen) → device code.
    user_codes: HashMap<String, String>,
    /// Device code → the token answer once complete.
    devices: HashMap<String, Option<serde_json::Value>>,
    /// `state` → user code.
    states: HashMap<String, String>,
    /// Access token → meters (comma-joined).
    access: HashMap<String, String>,
    /// Refresh token → meters.
    refresh: HashMap<String, String>,
    counter: u64,
}

struct Shared {
    base: String,
    sim_url: String,
    http: reqwest::Client,
    book: Mutex<Book>,
}

impl Shared {
    fn book(&self) -> std::sync::MutexGuard<'_, Book> {
        self.book.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn hex64(book: &mut Book, tag: &str) -> String {
    book.counter += 1;
    format!(
        "{tag:0<8}{:056x}",
        book.counter.wrapping_mul(0x9E37_79B9_7F4A_7C15)
    )
}

fn error(status: StatusCode, error: &str, description: &str) -> Response {
    let mut body = json!({ "error": error });
    if !description.is_empty() {
        body["error_description"] = json!(description);
    }
    (status, Json(body)).into_response()
}

/// The HTML error page: always HTTP 200, as the original's.
fn page_error(title: &str, text: &str) -> Response {
    Html(format!("<h2>{title}</h2><p>{text}</p>")).into_response()
}

/// The stand-in and its simulator.
pub struct OriginalProxy {
    /// Its simulator.
    pub sim: Simulator,
    sim_running: RunningSimulator,
    url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl OriginalProxy {
    /// Starts a simulator with `sim` settings and the stand-in in front of it.
    pub async fn start(sim: SimConfig, clock: Arc<dyn Clock>) -> Result<OriginalProxy, StackError> {
        linky_enedis::install_tls_provider();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let sim = Simulator::new(
            SimConfig {
                credentials: Some(Credentials {
                    client_id: APP_ID.into(),
                    client_secret: APP_SECRET.into(),
                }),
                redirect_uri: Some(format!("{url}/auth/redirect")),
                ..sim
            },
            clock,
        );
        let sim_running = sim.bind(([127, 0, 0, 1], 0).into()).await?;
        let shared = Arc::new(Shared {
            base: url.clone(),
            sim_url: sim_running.url(),
            http: linky_enedis::http_client().map_err(StackError::Proxy)?,
            book: Mutex::default(),
        });
        let router = Router::new()
            .route("/device/code", post(device_code))
            .route("/device/token", post(device_token))
            .route("/device", get(device_page))
            .route("/auth/verify_code", get(verify_code))
            .route("/auth/redirect", get(redirect_back))
            .route("/data/proxy/{*path}", get(data))
            .with_state(shared);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        Ok(OriginalProxy {
            sim,
            sim_running,
            url,
            stop: Some(stop),
        })
    }

    /// Its address.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Its simulator's address.
    pub fn sim_url(&self) -> String {
        self.sim_running.url()
    }

    /// The scripted person: types `user_code`, accepts every meter of `customer` on the
    /// simulator's (v1) consent page, and comes back.
    pub async fn consent(&self, user_code: &str, customer: u8) -> Result<(), StackError> {
        let fail = |e: reqwest::Error| StackError::Consent(e.to_string());
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(fail)?;
        let location = |r: &reqwest::Response| {
            r.headers()
                .get("location")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
                .ok_or_else(|| {
                    StackError::Consent(format!(
                        "HTTP {} without a redirection",
                        r.status().as_u16()
                    ))
                })
        };
        let r = http
            .get(format!("{}/auth/verify_code", self.url))
            .query(&[("code", user_code)])
            .send()
            .await
            .map_err(fail)?;
        let to_enedis = location(&r)?;
        // The simulator's own shortcut for a person who accepts at once.
        let r = http
            .get(format!("{to_enedis}&auto=accept&customer={customer}"))
            .send()
            .await
            .map_err(fail)?;
        let back = location(&r)?;
        let page = http
            .get(&back)
            .send()
            .await
            .map_err(fail)?
            .text()
            .await
            .map_err(fail)?;
        if !page.contains("Le consentement a bien été obtenu") {
            return Err(StackError::Consent(page));
        }
        Ok(())
    }
}

impl Drop for OriginalProxy {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

type St = State<Arc<Shared>>;

async fn device_code(State(s): St, Form(form): Form<HashMap<String, String>>) -> Response {
    if form.get("client_id").is_none_or(|c| c.is_empty()) {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Missing client_id",
        );
    }
    let mut book = s.book();
    let device_code = hex64(&mut book, "dc");
    let n = book.counter;
    let letters = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
    let user: String = (0..8)
        .map(|i| letters[((n.wrapping_mul(31) >> (i * 3)) as usize + i) % letters.len()] as char)
        .collect();
    book.user_codes.insert(user.clone(), device_code.clone());
    book.devices.insert(device_code.clone(), None);
    // PHP's round() gives a float: the body says 5.0, not 5.
    let body = format!(
        r#"{{"device_code":"{device_code}","user_code":"{}-{}","verification_uri":"{}/device","expires_in":300,"interval":5.0}}"#,
        &user[..4],
        &user[4..],
        s.base
    );
    ([("content-type", "application/json")], body).into_response()
}

async fn device_page(Query(q): Query<HashMap<String, String>>) -> Response {
    let code = q.get("code").cloned().unwrap_or_default();
    Html(format!(
        "<h1>Obtention de consentement pour DomoticzLinky</h1><form action=\"/auth/verify_code\"><input name=\"code\" value=\"{}\"></form>",
        code.replace(['<', '>', '"', '&'], "")
    ))
    .into_response()
}

async fn verify_code(State(s): St, Query(q): Query<HashMap<String, String>>) -> Response {
    let Some(code) = q.get("code").filter(|c| !c.is_empty()) else {
        return page_error("invalid_request", "Aucun code n'a été entré");
    };
    let user = code.replace('-', "").to_uppercase();
    let mut book = s.book();
    if !book.user_codes.contains_key(&user) {
        return page_error("invalid_request", "Code non valide");
    }
    let state = hex64(&mut book, "st")[..32].to_owned();
    book.states.insert(state.clone(), user);
    Redirect::to(&format!(
        "{}/dataconnect/v1/oauth2/authorize?response_type=code&client_id={APP_ID}&state={state}&duration=P3Y",
        s.sim_url
    ))
    .into_response()
}

async fn redirect_back(State(s): St, Query(q): Query<HashMap<String, String>>) -> Response {
    if let Some(e) = q.get("error") {
        return page_error(e, q.get("error_description").map_or("", String::as_str));
    }
    let (Some(_code), Some(state)) = (q.get("code"), q.get("state")) else {
        return page_error("Invalid Request", "Des paramètres manquent dans la requête");
    };
    let mut book = s.book();
    let Some(user) = book.states.get(state).cloned() else {
        return page_error("Invalid State", "Le paramètre state n'est pas valide");
    };
    let Some(device) = book.user_codes.get(&user).cloned() else {
        return page_error("Invalid Request", "user_code introuvable");
    };
    let Some(meters) = q.get("usage_point_id").filter(|m| !m.is_empty()) else {
        return page_error(
            "Invalid Request",
            "Le paramètre usage_point_id manque dans la requête",
        );
    };
    let meters = meters.replace(';', ",");
    let access = hex64(&mut book, "at");
    let refresh = hex64(&mut book, "rt");
    book.access.insert(access.clone(), meters.clone());
    book.refresh.insert(refresh.clone(), meters.clone());
    book.devices.insert(
        device,
        Some(
            json!({"access_token": access, "refresh_token": refresh, "token_type": "Bearer",
            "expires_in": 12600, "usage_points_id": meters, "scope": ""}),
        ),
    );
    book.user_codes.remove(&user);
    Html("<h2>Le consentement a bien été obtenu pour le plugin DomoticzLinky ! Vous pouvez fermer cette page et retourner sur Domoticz.</h2>").into_response()
}

async fn device_token(State(s): St, Form(form): Form<HashMap<String, String>>) -> Response {
    let get = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    if get("client_id").is_empty() || get("grant_type").is_empty() {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Missing client_id or grant_type",
        );
    }
    if get("client_id") != PLUGIN_CLIENT_ID {
        return error(StatusCode::BAD_REQUEST, "invalid_request", "Bad client_id");
    }
    let mut book = s.book();
    match get("grant_type") {
        "urn:ietf:params:oauth:grant-type:device_code" => {
            let device = get("device_code");
            if device.is_empty() {
                return error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "Missing device_code",
                );
            }
            match book.devices.get(device).cloned() {
                None => error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "device_code not found in db",
                ),
                Some(None) => error(StatusCode::BAD_REQUEST, "authorization_pending", ""),
                Some(Some(answer)) => {
                    book.devices.remove(device);
                    Json(answer).into_response()
                }
            }
        }
        "refresh_token" => {
            if get("usage_points_id").is_empty() {
                return error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "Missing usage_points_id",
                );
            }
            let Some(meters) = book.refresh.get(get("refresh_token")).cloned() else {
                return error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "refresh_token not found in database",
                );
            };
            if meters != get("usage_points_id") {
                return error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "refresh_token not corresponding to usage_points_id",
                );
            }
            let access = hex64(&mut book, "at");
            book.access.insert(access.clone(), meters);
            Json(
                json!({"access_token": access, "refresh_token": get("refresh_token"),
                "token_type": "Bearer", "expires_in": 12600, "scope": ""}),
            )
            .into_response()
        }
        _ => error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "Only 'urn:ietf:params:oauth:grant-type:device_code' and refresh_token are supported.",
        ),
    }
}

async fn data(
    State(s): St,
    Path(path): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Response {
    let Some(meter) = q
        .iter()
        .find(|(k, _)| k == "usage_point_id")
        .map(|(_, v)| v.clone())
    else {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Missing usage_point_id",
        );
    };
    let Some(auth) = headers.get("authorization").and_then(|v| v.to_str().ok()) else {
        return error(
            StatusCode::NOT_FOUND,
            "Unauthorized",
            "Autorization missing",
        );
    };
    let token = auth.trim_start_matches("Bearer ").to_owned();
    let meters = s.book().access.get(&token).cloned();
    let Some(meters) = meters else {
        return error(
            StatusCode::FORBIDDEN,
            "Unauthorized",
            "Access token not found",
        );
    };
    if !meters.split(',').any(|m| m == meter) {
        return error(StatusCode::NOT_FOUND, "Unauthorized", "Bad access token");
    }
    let app = s
        .http
        .post(format!("{}/oauth2/v3/token", s.sim_url))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", APP_ID),
            ("client_secret", APP_SECRET),
        ])
        .send()
        .await;
    let app_token = match app {
        Ok(r) => r
            .json::<serde_json::Value>()
            .await
            .ok()
            .and_then(|v| v["access_token"].as_str().map(str::to_owned)),
        Err(_) => None,
    };
    let Some(app_token) = app_token else {
        return error(
            StatusCode::NOT_FOUND,
            "Unauthorized",
            "Cannot get client credentials",
        );
    };
    // PHP's array_filter drops empty values; every other parameter goes on, usage_point_id too.
    let kept: Vec<(String, String)> = q
        .into_iter()
        .filter(|(_, v)| !v.is_empty() && v != "0")
        .collect();
    let upstream = s
        .http
        .get(format!("{}/{path}", s.sim_url))
        .query(&kept)
        .bearer_auth(app_token)
        .header("accept", "application/json")
        .send()
        .await;
    match upstream {
        Ok(r) => {
            let status =
                StatusCode::from_u16(r.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
            let content_type = r
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("application/json")
                .to_owned();
            let body = r.bytes().await.unwrap_or_default();
            (status, [("content-type", content_type)], body).into_response()
        }
        Err(e) => error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            &format!("cURL error ({e})"),
        ),
    }
}
