//! The router: Enedis paths behind one gate (bearer check, quota, faults, request log), and the
//! simulator's own `/_sim` paths beside them.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use enedis_protocol::customers::paths;
use enedis_protocol::error::ErrorCode;
use enedis_protocol::v2026::{contract_paths, Mesure};
use enedis_protocol::v5::{MeterReadingResponse, Resource};
use serde::Serialize;
use serde_json::json;

use crate::colours;
use crate::conso_api;
use crate::faults::FaultSet;
use crate::log::LoggedRequest;
use crate::oauth::{self, ClientOfCall, TOKEN_PATH};
use crate::pages;
use crate::quota::format_next_access;
use crate::rules::{ContractResource, Rejection};
use crate::server::ConnectionReset;
use crate::SimState;

type Shared = State<Arc<SimState>>;
type Params = Query<HashMap<String, String>>;

/// Builds the whole router over a simulator's state.
pub fn router(state: Arc<SimState>) -> Router {
    let mut enedis = Router::new()
        .route(TOKEN_PATH, post(token))
        .route("/subscribed_services/v1", post(pages::subscribed_services));
    if state.config.v5_enabled {
        for resource in Resource::ALL {
            enedis = enedis.route(
                resource.path(),
                get(move |s: Shared, q: Params| metering_v5(s, q, resource)),
            );
        }
        enedis = enedis
            .route(
                paths::CONTRACTS,
                get(|s: Shared, q: Params| async move { answer_v5(s.world(|w| w.contracts(&q))) }),
            )
            .route(
                paths::ADDRESSES,
                get(|s: Shared, q: Params| async move { answer_v5(s.world(|w| w.addresses(&q))) }),
            )
            .route(
                paths::IDENTITY,
                get(|s: Shared, q: Params| async move { answer_v5(s.world(|w| w.identity(&q))) }),
            )
            .route(
                paths::CONTACT,
                get(|s: Shared, q: Params| async move { answer_v5(s.world(|w| w.contact(&q))) }),
            );
    } else {
        // After the cut-off the API manager no longer knows these paths.
        for path in Resource::ALL.iter().map(|r| r.path()).chain([
            paths::CONTRACTS,
            paths::ADDRESSES,
            paths::IDENTITY,
            paths::CONTACT,
        ]) {
            enedis = enedis.route(path, get(retired));
        }
    }
    for mesure in Mesure::ALL {
        enedis = enedis.route(
            mesure.path(),
            get(move |s: Shared, q: Params| metering_2026(s, q, mesure)),
        );
    }
    for (base, resource) in [
        (contract_paths::SITUATION, ContractResource::Situation),
        (contract_paths::SYNTHESE, ContractResource::Synthese),
        (contract_paths::COMPTAGE, ContractResource::Comptage),
    ] {
        enedis = enedis
            .route(
                &format!("{base}/{{prm}}"),
                get(move |s: Shared, Path(prm): Path<String>| async move {
                    contract_2026(s, &prm, resource)
                }),
            )
            // The PRM belongs in the path; without it the gateway fails (reported: 500).
            .route(
                base,
                get(|| async { json_answer(500, ErrorCode::TechnicalError.body_2026()) }),
            );
    }
    let enedis = enedis.layer(middleware::from_fn_with_state(state.clone(), gate));
    let consent_pages = Router::new()
        .route("/dataconnect/v1/oauth2/authorize", get(pages::authorize_v1))
        .route("/dataconnect/v2/oauth2/authorize", get(pages::authorize_v2))
        .route(
            "/dataconnect/{version}/oauth2/authorize/decision",
            post(pages::decision),
        )
        .route("/dataconnect/consents", get(pages::my_consents))
        .route(
            "/dataconnect/consents/{id}/revoke",
            post(pages::revoke_from_page),
        );
    let sim = Router::new()
        .route(
            "/_sim/health",
            get(|| async { Json(json!({"status": "ready"})) }),
        )
        .route(
            "/_sim/requests",
            get(|s: Shared| async move { Json(s.requests()) }),
        )
        .route(
            "/_sim/faults",
            get(|s: Shared| async move { Json(s.faults()) }).post(set_faults),
        )
        .route("/_sim/consents", get(pages::list_sim))
        .route("/_sim/consents/{id}/revoke", post(pages::revoke_sim))
        .route("/_sim/conso-api/token", get(conso_api::token));
    // EDF's and RTE's calendars of Tempo and EJP days live on their own hosts, outside Enedis's
    // gate and quota; one simulator serves them all.
    let calendars = Router::new()
        .route(day_colours::edf::PATH, get(colours::edf_calendar))
        .route(day_colours::rte::TOKEN_PATH, post(colours::rte_token))
        .route(
            day_colours::rte::CALENDARS_PATH,
            get(colours::rte_calendars),
        );
    // The Conso API gateway has its own bearer tokens: it stays outside the Enedis gate.
    let gateway = Router::new().route("/api/{type}", axum::routing::any(conso_api::data));
    enedis
        .merge(consent_pages)
        .merge(sim)
        .merge(gateway)
        .merge(calendars)
        .with_state(state)
}

async fn token(State(state): Shared, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    oauth::token(&state, &headers, uri.query().unwrap_or(""), &body)
}

async fn metering_v5(State(state): Shared, Query(params): Params, resource: Resource) -> Response {
    answer_v5(
        state
            .world(|w| w.metering_v5(resource, &params))
            .map(|meter_reading| MeterReadingResponse { meter_reading }),
    )
}

async fn metering_2026(State(state): Shared, Query(params): Params, mesure: Mesure) -> Response {
    match state.world(|w| w.metering_2026_body(mesure, &params)) {
        Ok(body) => json_bytes(body),
        Err(rejection) => {
            let (status, body) = rejection.v2026();
            json_answer(status, body)
        }
    }
}

fn contract_2026(state: Shared, prm: &str, resource: ContractResource) -> Response {
    match state.world(|w| w.contract_2026(resource, prm)) {
        Ok(body) => Json(body).into_response(),
        Err((status, body)) => json_answer(status, body),
    }
}

async fn retired() -> Response {
    json_answer(
        404,
        json!({"code": "404", "type": "Status report", "message": "Not Found", "description": "The requested resource is not available."}),
    )
}

/// A 200 answer whose JSON body is already written.
pub(crate) fn json_bytes(body: Vec<u8>) -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}

fn json_answer(status: u16, body: serde_json::Value) -> Response {
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
        Json(body),
    )
        .into_response()
}

fn answer_v5<T: Serialize>(result: Result<T, Rejection>) -> Response {
    match result {
        Ok(body) => Json(body).into_response(),
        Err(rejection) => {
            let (status, body) = rejection.v5();
            json_answer(status, body)
        }
    }
}

async fn set_faults(State(state): Shared, body: Bytes) -> Response {
    let faults: FaultSet = match serde_json::from_slice(&body) {
        Ok(f) => f,
        Err(e) => {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({"error": format!("invalid fault set: {e}")})),
            )
                .into_response()
        }
    };
    if let Err(e) = faults.validate() {
        return (StatusCode::BAD_REQUEST, Json(json!({"error": e}))).into_response();
    }
    state.set_faults(faults.clone());
    Json(faults).into_response()
}

/// What happens before and after every Enedis call.
async fn gate(State(state): Shared, request: Request, next: Next) -> Response {
    let now = state.now();
    let path = request.uri().path().to_owned();
    let query = request.uri().query().unwrap_or("").to_owned();
    let params: HashMap<String, String> = serde_urlencoded::from_str(&query).unwrap_or_default();
    let pdl = params
        .get("usage_point_id")
        .or_else(|| params.get("pointId"))
        .cloned()
        .or_else(|| contract_prm(&path));
    let mut entry = LoggedRequest {
        time: now,
        client_id: None,
        method: request.method().to_string(),
        path: path.clone(),
        query,
        pdl: pdl.clone(),
        status: 0,
        fault: None,
        request_id: request
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    };

    if path != TOKEN_PATH {
        let client = oauth::bearer(request.headers()).and_then(|t| state.token_client(t, now));
        let Some(client) = client else {
            return state.logged(entry, oauth::unauthorized());
        };
        entry.client_id = Some(client.clone());
        if let Err(next_access) = state.admit(&client, now) {
            let at = format_next_access(next_access);
            let body = json!({
                "code": "900804",
                "message": "Message throttled out",
                "description": format!("You have exceeded your quota .You can access API after {at}"),
                "nextAccessTime": at,
            });
            entry.fault = Some("quota".to_owned());
            return state.logged(
                entry,
                (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response(),
            );
        }
    }

    let decision = state.decide_faults(pdl.as_deref(), &path, now);
    if decision.latency_ms > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(decision.latency_ms)).await;
    }
    if decision.maintenance {
        entry.fault = Some("maintenance".to_owned());
        let response = (StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable").into_response();
        return state.logged(entry, response);
    }
    if decision.reset {
        if let Some(reset) = request.extensions().get::<ConnectionReset>() {
            entry.fault = Some("reset".to_owned());
            state.record(entry);
            reset.trigger();
            // The connection is being torn down; this answer is never sent.
            return std::future::pending().await;
        }
    }
    if let Some(status) = decision.html {
        entry.fault = Some("html".to_owned());
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::NOT_FOUND);
        let page = format!(
            "<!DOCTYPE html><html><head><title>{status}</title></head><body><h1>{status}</h1><hr><center>nginx</center></body></html>"
        );
        let response = (
            status,
            [(axum::http::header::CONTENT_TYPE, "text/html")],
            page,
        )
            .into_response();
        return state.logged(entry, response);
    }
    if decision.error {
        entry.fault = Some("error".to_owned());
        let body = if path.starts_with("/metering_data") || path.starts_with("/customers") {
            serde_json::to_value(ErrorCode::TechnicalError.body()).unwrap_or_default()
        } else {
            ErrorCode::TechnicalError.body_2026()
        };
        return state.logged(entry, json_answer(500, body));
    }

    let mut response = next.run(request).await;
    if let Some(ClientOfCall(c)) = response.extensions_mut().remove::<ClientOfCall>() {
        entry.client_id = Some(c);
    }
    if decision.truncate {
        entry.fault = Some("truncate".to_owned());
        response = truncate(response).await;
    }
    state.logged(entry, response)
}

/// The PRM at the end of a 2026 contract path.
fn contract_prm(path: &str) -> Option<String> {
    [
        contract_paths::SITUATION,
        contract_paths::SYNTHESE,
        contract_paths::COMPTAGE,
    ]
    .iter()
    .find_map(|base| path.strip_prefix(base)?.strip_prefix('/'))
    .map(str::to_owned)
}

/// Sends the headers and half the body, then breaks the connection.
async fn truncate(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let half = bytes.slice(..bytes.len() / 2);
    parts
        .headers
        .insert(axum::http::header::CONTENT_LENGTH, bytes.len().into());
    use futures_util::StreamExt;
    let first = futures_util::stream::iter([Ok::<Bytes, std::io::Error>(half)]);
    // Give the server time to flush the headers and the first half before breaking off.
    let then_break = futures_util::stream::once(async {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "simulated truncated body",
        ))
    });
    Response::from_parts(parts, Body::from_stream(first.chain(then_break)))
}
