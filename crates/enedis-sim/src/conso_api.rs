//! The Conso API gateway (conso.boris.sh) in front of the simulated Enedis: `GET /api/{type}`
//! with a bearer token whose `sub` lists the meters, the gateway's parameter names (old and new),
//! its refusals word for word, Enedis's errors wrapped as it wraps them, and Enedis's quota shared
//! by every user of the gateway (`shared/reference/enedis.md` §6.1).
//!
//! Simulator's choice: the real gateway hands out a token after a consent on Enedis's page;
//! here `GET /_sim/conso-api/token?prm=…&prm=…` mints it directly, for tests and examples.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use enedis_protocol::conso_api::{self, messages, GatewayError, TokenClaims};
use enedis_protocol::v5::Resource;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::log::LoggedRequest;
use crate::SimState;

/// The simulated gateway's signing key (the real one is the gateway's secret).
const KEY: &[u8] = b"enedis-sim: the Conso API stand-in's signing key";

/// The gateway's client id at the simulated Enedis, for its quota and the request log.
pub const CLIENT_ID: &str = "conso-api";

/// How long the gateway's tokens live: 1 094 days.
const LIFETIME_DAYS: i64 = 1094;

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
}

fn signature(signed: &str) -> String {
    // A key of any length is accepted by HMAC: this cannot fail.
    let mut mac = Hmac::<Sha256>::new_from_slice(KEY).expect("HMAC takes any key length");
    mac.update(signed.as_bytes());
    b64().encode(mac.finalize().into_bytes())
}

/// A token as the gateway gives it: HS256, `sub` = the meters, `exp` 1 094 days after `now`.
pub fn mint_token(meters: &[String], now: DateTime<Utc>) -> String {
    let claims = TokenClaims {
        sub: meters.to_vec(),
        iat: now.timestamp(),
        exp: (now + Duration::days(LIFETIME_DAYS)).timestamp(),
    };
    let header = b64().encode(r#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = b64().encode(serde_json::to_vec(&claims).unwrap_or_default());
    let signed = format!("{header}.{payload}");
    let sig = signature(&signed);
    format!("{signed}.{sig}")
}

/// The claims of a token this gateway signed and that has not expired.
fn verify(token: &str, now: DateTime<Utc>) -> Option<TokenClaims> {
    let (signed, sig) = token.rsplit_once('.')?;
    let expected = signature(signed);
    // Constant time is not needed in a simulator, but costs nothing.
    let same: bool = subtle::ConstantTimeEq::ct_eq(expected.as_bytes(), sig.as_bytes()).into();
    if !same {
        return None;
    }
    let claims = conso_api::read_claims(token).ok()?;
    (claims.exp > now.timestamp()).then_some(claims)
}

fn refusal(status: u16, message: &str, error: Option<serde_json::Value>) -> Response {
    let body = GatewayError {
        status,
        message: message.to_owned(),
        error,
    };
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        Json(body),
    )
        .into_response()
}

/// Enedis refused: its status passed through, its body under `error`.
fn enedis_refusal(status: u16, body: serde_json::Value) -> Response {
    refusal(status, messages::ENEDIS, Some(body))
}

/// `2026-01-01`-shaped, as the gateway's check `20[0-9]{2}-[0-9]{2}-[0-9]{2}` wants.
fn date_shaped(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 10
        && b.starts_with(b"20")
        && b[4] == b'-'
        && b[7] == b'-'
        && [2, 3, 5, 6, 8, 9].iter().all(|&i| b[i].is_ascii_digit())
}

fn invalid(field: &str) -> Response {
    refusal(
        400,
        messages::INVALID_PARAMETERS,
        Some(serde_json::json!({"issues": [{"path": [field], "message": "Invalid"}]})),
    )
}

/// The legacy (v5-era) type names.
fn legacy(type_name: &str) -> Option<Resource> {
    Some(match type_name {
        "daily_consumption" => Resource::DailyConsumption,
        "consumption_load_curve" => Resource::ConsumptionLoadCurve,
        "consumption_max_power" => Resource::ConsumptionMaxPower,
        "daily_production" => Resource::DailyProduction,
        "production_load_curve" => Resource::ProductionLoadCurve,
        _ => return None,
    })
}

/// `/api/{type}`.
pub async fn data(
    State(state): State<Arc<SimState>>,
    Path(type_name): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    request: Request<Body>,
) -> Response {
    let now = state.now();
    let pick = |new: &str, old: &str| {
        params
            .get(new)
            .or_else(|| params.get(old))
            .cloned()
            .unwrap_or_default()
    };
    let (prm, start, end) = (
        pick("pointId", "prm"),
        pick("dateDebut", "start"),
        pick("dateFin", "end"),
    );
    let entry = LoggedRequest {
        time: now,
        client_id: Some(CLIENT_ID.to_owned()),
        method: request.method().to_string(),
        path: request.uri().path().to_owned(),
        query: request.uri().query().unwrap_or("").to_owned(),
        pdl: Some(prm.clone()).filter(|p| !p.is_empty()),
        status: 0,
        fault: None,
        request_id: None,
    };
    let response = answer(&state, &type_name, &request, (&prm, &start, &end), now);
    state.logged(entry, response)
}

fn answer(
    state: &SimState,
    type_name: &str,
    request: &Request<Body>,
    (prm, start, end): (&str, &str, &str),
    now: DateTime<Utc>,
) -> Response {
    if request.method() != Method::GET {
        return refusal(405, messages::GET_ONLY, None);
    }
    let Some(token) = crate::oauth::bearer(request.headers()) else {
        return refusal(400, messages::MISSING_AUTHORIZATION, None);
    };
    if prm.len() != 14 || !prm.bytes().all(|b| b.is_ascii_digit()) {
        return invalid("prm");
    }
    if !date_shaped(start) {
        return invalid("start");
    }
    if !date_shaped(end) {
        return invalid("end");
    }
    let covered = verify(token, now).is_some_and(|c| c.sub.iter().any(|m| m == prm));
    if !covered {
        return refusal(401, messages::INVALID_TOKEN, None);
    }
    // Every user of the gateway draws on its one Enedis quota.
    if let Err(next_access) = state.admit(CLIENT_ID, now) {
        let at = crate::quota::format_next_access(next_access);
        return enedis_refusal(
            429,
            serde_json::json!({"code": "900804", "message": "Message throttled out", "nextAccessTime": at}),
        );
    }
    if state
        .decide_faults(Some(prm), request.uri().path(), now)
        .error
    {
        return refusal(500, messages::UNKNOWN, None);
    }
    let query = |names: [&str; 3]| -> HashMap<String, String> {
        names
            .into_iter()
            .zip([prm, start, end])
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    };
    if let Some(mesure) = conso_api::mesure_of(type_name) {
        let params = query(["pointId", "dateDebut", "dateFin"]);
        return match state.world(|w| w.metering_2026_body(mesure, &params)) {
            Ok(body) => crate::routes::json_bytes(body),
            Err(rejection) => {
                let (status, body) = rejection.v2026();
                enedis_refusal(status, body)
            }
        };
    }
    if let Some(resource) = legacy(type_name) {
        if !state.config.v5_enabled {
            // After the cut-off Enedis no longer knows the v5 paths.
            return enedis_refusal(
                404,
                serde_json::json!({"code": "404", "message": "Not Found", "description": "The requested resource is not available."}),
            );
        }
        let params = query(["usage_point_id", "start", "end"]);
        return match state.world(|w| w.metering_v5(resource, &params)) {
            // The gateway unwraps `meter_reading`.
            Ok(reading) => Json(reading).into_response(),
            Err(rejection) => {
                let (status, body) = rejection.v5();
                enedis_refusal(status, body)
            }
        };
    }
    invalid("type")
}

/// `/_sim/conso-api/token?prm=…`: the token the gateway's page would show after a consent.
pub async fn token(
    State(state): State<Arc<SimState>>,
    Query(params): Query<Vec<(String, String)>>,
) -> Response {
    let meters: Vec<String> = params
        .into_iter()
        .filter(|(k, _)| k == "prm")
        .map(|(_, v)| v)
        .collect();
    if meters.is_empty() {
        return (
            StatusCode::BAD_REQUEST,
            "give one prm=<14 digits> per meter",
        )
            .into_response();
    }
    mint_token(&meters, state.now()).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minted_tokens_verify_and_list_their_meters() {
        let now = DateTime::parse_from_rfc3339("2026-12-05T10:00:00Z")
            .unwrap()
            .to_utc();
        let t = mint_token(&["12345678901234".to_owned()], now);
        assert_eq!(verify(&t, now).unwrap().sub, ["12345678901234"]);
        assert!(verify(&t, now + Duration::days(LIFETIME_DAYS + 1)).is_none());
        let forged = format!("{}x", &t[..t.len() - 1]);
        assert!(verify(&forged, now).is_none());
        assert!(
            date_shaped("2026-12-05") && !date_shaped("1999-12-05") && !date_shaped("2026-1-05")
        );
    }
}
