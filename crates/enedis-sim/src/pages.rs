//! HTTP handlers of the consent pages (both generations), the "my consents" page, the
//! subscribed-services API and the simulator's consent controls.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use chrono::Duration;
use enedis_protocol::v2026::SubscribedServicesRequest;
use serde_json::json;

use crate::catalog::{customer_by_id, meter_by_pdl, meters_of};
use crate::consent::{self, AuthorizeRequest, Consent, DurationError, Generation};
use crate::oauth::random_token;
use crate::SimState;

type Shared = State<Arc<SimState>>;

fn bad(error: &str, description: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}

/// An authorize request Enedis would refuse: error code and description.
type Refused = (&'static str, &'static str);

fn refused((error, description): Refused) -> Response {
    bad(error, description)
}

fn redirect(to: &str, params: &[(&str, &str)]) -> Response {
    let query = serde_urlencoded::to_string(params).unwrap_or_default();
    let separator = if to.contains('?') { '&' } else { '?' };
    (
        StatusCode::FOUND,
        [(header::LOCATION, format!("{to}{separator}{query}"))],
    )
        .into_response()
}

/// Checks an authorize request as Enedis does, before showing anything.
fn validate(
    state: &SimState,
    generation: Generation,
    params: &HashMap<String, String>,
) -> Result<AuthorizeRequest, Refused> {
    let get = |k: &str| params.get(k).map(String::as_str).unwrap_or("");
    let client_id = get("client_id");
    if client_id.is_empty() {
        return Err(("invalid_request", "client_id is required"));
    }
    if let Some(c) = &state.config.credentials {
        if c.client_id != client_id {
            return Err(("invalid_client", "unknown client_id"));
        }
    }
    if get("response_type") != "code" {
        return Err(("unsupported_response_type", "response_type must be code"));
    }
    let state_param = get("state");
    if state_param.is_empty() || state_param.chars().count() > 100 {
        return Err((
            "invalid_request",
            "state is required and must be at most 100 characters",
        ));
    }
    let duration = get("duration");
    match consent::consent_end(state.today(), duration) {
        Ok(_) => {}
        Err(DurationError::Format) => {
            return Err((
                "invalid_duration_format",
                "duration must be an ISO 8601 duration such as P3Y, P36M or P1095D",
            ))
        }
        Err(DurationError::TooLong) => {
            return Err((
                "maximum_duration_exceeded",
                "duration must not exceed 3 years",
            ))
        }
    }
    let asked = params.get("redirect_uri").filter(|u| !u.is_empty());
    let redirect_uri = match (&state.config.redirect_uri, asked) {
        (Some(registered), Some(asked)) if registered != asked => {
            return Err((
                "invalid_request",
                "redirect_uri does not match the registered one",
            ));
        }
        (Some(registered), _) => registered.clone(),
        (None, Some(asked)) => asked.clone(),
        (None, None) => {
            return Err((
                "invalid_request",
                "no redirect_uri is registered for this application",
            ))
        }
    };
    Ok(AuthorizeRequest {
        generation,
        client_id: client_id.to_owned(),
        state: state_param.to_owned(),
        duration: duration.to_owned(),
        redirect_uri,
    })
}

/// `GET /dataconnect/v1/oauth2/authorize`.
pub async fn authorize_v1(s: Shared, q: Query<HashMap<String, String>>, raw: RawQuery) -> Response {
    authorize(s, q, raw, Generation::V1)
}

/// `GET /dataconnect/v2/oauth2/authorize`.
pub async fn authorize_v2(s: Shared, q: Query<HashMap<String, String>>, raw: RawQuery) -> Response {
    authorize(s, q, raw, Generation::V2)
}

fn authorize(
    State(state): Shared,
    Query(params): Query<HashMap<String, String>>,
    RawQuery(raw): RawQuery,
    generation: Generation,
) -> Response {
    let request = match validate(&state, generation, &params) {
        Ok(r) => r,
        Err(r) => return refused(r),
    };
    let chosen = params.get("customer").and_then(|c| c.parse().ok());
    let customer = consent::initial_customer(chosen, &request.state);
    match params.get("auto").map(String::as_str) {
        // Simulator-only: answer at once, for automated tests. `auto_pdl` picks the meter.
        Some("accept") => {
            let pdls: Vec<String> = match params.get("auto_pdl") {
                Some(p) => vec![p.clone()],
                None if generation == Generation::V1 => {
                    meters_of(customer).map(|m| m.pdl.to_owned()).collect()
                }
                None => meters_of(customer)
                    .take(1)
                    .map(|m| m.pdl.to_owned())
                    .collect(),
            };
            decide(&state, &request, customer, &pdls, true)
        }
        Some("refuse") => decide(&state, &request, customer, &[], false),
        _ => {
            let without_customer: Vec<&str> = raw
                .as_deref()
                .unwrap_or("")
                .split('&')
                .filter(|kv| !kv.starts_with("customer="))
                .collect();
            Html(consent::page(
                &request,
                customer,
                &without_customer.join("&"),
            ))
            .into_response()
        }
    }
}

/// A person's answer to a 2026 consent page without a browser (for tests of the clients of the
/// simulator): the redirect the page would send, or why the request is refused.
pub fn answer_v2(
    state: &SimState,
    authorize_url: &str,
    customer: u8,
    pdl: &str,
    accept: bool,
) -> Result<String, String> {
    let query = authorize_url.split_once('?').map_or("", |(_, q)| q);
    let params: HashMap<String, String> =
        serde_urlencoded::from_str(query).map_err(|e| e.to_string())?;
    let request = validate(state, Generation::V2, &params).map_err(|(e, d)| format!("{e}: {d}"))?;
    let response = decide(state, &request, customer, &[pdl.to_owned()], accept);
    response
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .ok_or_else(|| format!("the page answered HTTP {}", response.status().as_u16()))
}

/// `POST /dataconnect/{v1,v2}/oauth2/authorize/decision`: the person's answer.
pub async fn decision(State(state): Shared, Path(version): Path<String>, body: Bytes) -> Response {
    let generation = match version.as_str() {
        "v1" => Generation::V1,
        "v2" => Generation::V2,
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let mut params: HashMap<String, String> = HashMap::new();
    let mut pdls = Vec::new();
    for (k, v) in fields {
        if k == "pdl" {
            pdls.push(v);
        } else {
            params.insert(k, v);
        }
    }
    params.insert("response_type".to_owned(), "code".to_owned());
    let request = match validate(&state, generation, &params) {
        Ok(r) => r,
        Err(r) => return refused(r),
    };
    let customer: u8 = params
        .get("customer")
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let accept = params.get("decision").map(String::as_str) == Some("accept");
    decide(&state, &request, customer, &pdls, accept)
}

fn decide(
    state: &SimState,
    request: &AuthorizeRequest,
    customer: u8,
    pdls: &[String],
    accept: bool,
) -> Response {
    if !accept {
        return redirect(
            &request.redirect_uri,
            &[
                ("error", "access_denied"),
                (
                    "error_description",
                    "Le client a refusé de partager ses données.",
                ),
                ("state", &request.state),
            ],
        );
    }
    let Some(person) = customer_by_id(customer) else {
        return bad("invalid_request", "unknown customer");
    };
    if pdls.is_empty()
        || pdls
            .iter()
            .any(|p| meter_by_pdl(p).is_none_or(|m| m.customer != customer))
    {
        return bad("invalid_request", "choose the customer's own meter(s)");
    }
    if request.generation == Generation::V2 && pdls.len() != 1 {
        return bad("invalid_request", "a 2026 consent covers exactly one meter");
    }
    let now = state.now();
    let end = consent::consent_end(state.today(), &request.duration).unwrap_or(state.today());
    let id = state.new_consent_id();
    let consent = Consent {
        id,
        generation: request.generation,
        client_id: request.client_id.clone(),
        customer,
        pdls: pdls.to_vec(),
        created_at: now,
        ends_at: linky_core::paris::day_start(end),
        // Sandbox customer 8 gives consent and takes it back at once.
        revoked_at: person.revokes_consent.then_some(now),
    };
    state.add_consent(consent);
    match request.generation {
        Generation::V1 => {
            let code = random_token();
            let joined = pdls.join(";");
            redirect(
                &request.redirect_uri,
                &[
                    ("code", &code[..32]),
                    ("state", &request.state),
                    ("usage_point_id", &joined),
                ],
            )
        }
        Generation::V2 => redirect(
            &request.redirect_uri,
            &[
                ("autorisation_id", &id.to_string()),
                ("state", &request.state),
            ],
        ),
    }
}

/// `GET /dataconnect/consents[?customer=N]`: the person's consents, with revoke buttons.
pub async fn my_consents(
    State(state): Shared,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let customer: Option<u8> = params.get("customer").and_then(|c| c.parse().ok());
    let consents: Vec<Consent> = state
        .consents()
        .into_iter()
        .filter(|c| customer.is_none_or(|n| c.customer == n))
        .collect();
    Html(consent::consents_page(&consents, state.now())).into_response()
}

/// `POST /dataconnect/consents/{id}/revoke`: the person revokes from the page.
pub async fn revoke_from_page(State(state): Shared, Path(id): Path<u64>) -> Response {
    if !state.revoke(id) {
        return (
            StatusCode::NOT_FOUND,
            Html("<p>Consentement inconnu / unknown consent</p>"),
        )
            .into_response();
    }
    (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, "/dataconnect/consents")],
    )
        .into_response()
}

/// `POST /_sim/consents/{id}/revoke`.
pub async fn revoke_sim(State(state): Shared, Path(id): Path<u64>) -> Response {
    if !state.revoke(id) {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({"error": format!("no consent {id}")})),
        )
            .into_response();
    }
    Json(json!({"revoked": id})).into_response()
}

/// `GET /_sim/consents`.
pub async fn list_sim(State(state): Shared) -> Response {
    Json(state.consents()).into_response()
}

/// `POST /subscribed_services/v1`.
pub async fn subscribed_services(State(state): Shared, body: Bytes) -> Response {
    let request: SubscribedServicesRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(_) => {
            return bad(
                "invalid_request",
                "Le corps de la requête doit être un JSON valide.",
            )
        }
    };
    if request.autorisation_id.is_none() && request.point_id.is_none() {
        return bad(
            "invalid_request",
            "autorisationId ou pointId est obligatoire.",
        );
    }
    let delay = Duration::seconds(state.config.subscribed_services_delay_seconds);
    Json(state.subscribed(&request, delay)).into_response()
}
