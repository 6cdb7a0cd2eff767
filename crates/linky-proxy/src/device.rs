//! The device side of RFC 8628: `/device/code`, `/device/token` (device-code and refresh
//! grants) and `/device/revoke` (RFC 7009). Bodies are those of the original proxy, plus
//! `verification_uri_complete` and `consent_expires_at`.

use std::collections::HashMap;

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Form, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use linky_proxy_store::{
    Family, GrantStatus, IssueOutcome, NewGrant, NewToken, ProxyStore, RefreshOutcome,
};
use serde_json::json;

use crate::secrets::{hash, random_hex, user_code};
use crate::{internal, json_error, AppState};

const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

fn client_allowed<S>(state: &AppState<S>, client_id: &str) -> bool {
    !client_id.is_empty()
        && (state.config.device_client_ids.is_empty()
            || state
                .config
                .device_client_ids
                .iter()
                .any(|c| c == client_id))
}

/// The longest `client_id` accepted (the original plugin's is a 36-character UUID).
pub const MAX_CLIENT_ID: usize = 128;

/// `POST /device/code`.
pub async fn code<S: ProxyStore>(
    State(state): State<AppState<S>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(params): Form<HashMap<String, String>>,
) -> Response {
    let client_id = params.get("client_id").map(String::as_str).unwrap_or("");
    if client_id.is_empty() {
        return json_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Missing client_id",
        );
    }
    // Stored, shown on the confirmation page and logged: bounded, printable.
    if client_id.len() > MAX_CLIENT_ID || !client_id.bytes().all(|b| b.is_ascii_graphic()) {
        return json_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "client_id must be 1 to 128 printable ASCII characters",
        );
    }
    let client = state.client_address(&headers, peer);
    // Anonymous: bounded per address and in all, so that nobody fills the database.
    if let Err(wait) = state
        .limits
        .device_codes_by_address
        .take(&client)
        .and_then(|()| state.limits.device_codes.take())
    {
        tracing::info!(client, "device codes asked too fast");
        return crate::too_many(wait, "too many device codes asked; retry later");
    }
    if !client_allowed(&state, client_id) {
        return json_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "unknown client_id",
        );
    }
    let now = state.clock.now();
    let lifetime = state.config.device_code_lifetime_seconds;
    let device_code = random_hex();
    // A user code is unique among live grants; collisions are rare, draw again if one happens.
    for _ in 0..8 {
        let user = user_code();
        let grant = NewGrant {
            device_code_hash: hash(&device_code),
            user_code: user.clone(),
            client_id: client_id.to_owned(),
            created_at: now,
            expires_at: now + Duration::seconds(lifetime),
            interval_seconds: state.config.poll_interval_seconds,
            client_address: Some(client.clone()),
        };
        match state.store.create_grant(grant).await {
            Ok(true) => {
                let base = state.config.public_base();
                tracing::info!(client_id, "device code issued");
                return Json(json!({
                    "device_code": device_code,
                    "user_code": user,
                    "verification_uri": format!("{base}/device"),
                    "verification_uri_complete": format!("{base}/device?code={user}"),
                    "expires_in": lifetime,
                    "interval": state.config.poll_interval_seconds,
                }))
                .into_response();
            }
            Ok(false) => continue,
            Err(e) => return internal(e),
        }
    }
    internal("no free user code after 8 draws")
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn token_body<S>(state: &AppState<S>, access: &str, refresh: &str, family: &Family) -> Response {
    let mut body = json!({
        "access_token": access,
        "refresh_token": refresh,
        "token_type": "Bearer",
        "expires_in": state.config.access_token_lifetime_seconds,
        "usage_points_id": family.meters.join(","),
        "scope": "",
    });
    if let Some(end) = family.consent_expires_at {
        body["consent_expires_at"] = json!(rfc3339(end));
    }
    // RFC 6749 §5.1: answers carrying tokens are never cached.
    (
        [
            (axum::http::header::CACHE_CONTROL, "no-store"),
            (axum::http::header::PRAGMA, "no-cache"),
        ],
        Json(body),
    )
        .into_response()
}

/// A fresh access and refresh pair: the secrets to hand out and their stored forms.
fn new_pair<S>(
    state: &AppState<S>,
    now: DateTime<Utc>,
    refresh_until: DateTime<Utc>,
) -> ((String, NewToken), (String, NewToken)) {
    let access = random_hex();
    let refresh = random_hex();
    let access_stored = NewToken {
        hash: hash(&access),
        expires_at: now + Duration::seconds(state.config.access_token_lifetime_seconds),
    };
    let refresh_stored = NewToken {
        hash: hash(&refresh),
        expires_at: refresh_until,
    };
    ((access, access_stored), (refresh, refresh_stored))
}

/// `POST /device/token`.
pub async fn token<S: ProxyStore>(
    State(state): State<AppState<S>>,
    Form(params): Form<HashMap<String, String>>,
) -> Response {
    let get = |k: &str| params.get(k).map(String::as_str).filter(|v| !v.is_empty());
    let (Some(client_id), Some(grant_type)) = (get("client_id"), get("grant_type")) else {
        return json_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Missing client_id or grant_type",
        );
    };
    if !client_allowed(&state, client_id) {
        return json_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "unknown client_id",
        );
    }
    match grant_type {
        DEVICE_GRANT => match get("device_code") {
            Some(code) => device_grant(&state, client_id, code).await,
            None => json_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "Missing device_code",
            ),
        },
        "refresh_token" => match get("refresh_token") {
            Some(refresh) => {
                refresh_grant(&state, client_id, refresh, get("usage_points_id")).await
            }
            None => json_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "Missing refresh_token",
            ),
        },
        _ => json_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "Only 'urn:ietf:params:oauth:grant-type:device_code' and refresh_token are supported.",
        ),
    }
}

fn pending(error: &str, interval: i64) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"error": error, "interval": interval})),
    )
        .into_response()
}

async fn device_grant<S: ProxyStore>(
    state: &AppState<S>,
    client_id: &str,
    device_code: &str,
) -> Response {
    let now = state.clock.now();
    let grant = match state.store.grant_by_device_code(&hash(device_code)).await {
        Ok(Some(g)) => g,
        Ok(None) => {
            return json_error(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                "device_code not found",
            )
        }
        Err(e) => return internal(e),
    };
    if grant.client_id != client_id {
        return json_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "device_code was issued to another client",
        );
    }
    if grant.status == GrantStatus::Consumed {
        return json_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "device_code already used",
        );
    }
    if now >= grant.expires_at {
        return json_error(
            StatusCode::BAD_REQUEST,
            "expired_token",
            "the device code expired: ask for a new one",
        );
    }
    if grant.status == GrantStatus::Denied {
        return json_error(
            StatusCode::BAD_REQUEST,
            "access_denied",
            "the consent was refused",
        );
    }
    let too_soon = grant
        .last_poll_at
        .is_some_and(|last| now < last + Duration::seconds(grant.interval_seconds));
    if too_soon {
        // RFC 8628 §3.5: every slow_down adds 5 seconds to the interval.
        let interval = grant.interval_seconds + 5;
        return match state.store.record_poll(grant.id, now, interval).await {
            Ok(()) => pending("slow_down", interval),
            Err(e) => internal(e),
        };
    }
    if let Err(e) = state
        .store
        .record_poll(grant.id, now, grant.interval_seconds)
        .await
    {
        return internal(e);
    }
    // No meter yet, or another consent of the same visit still being checked at Enedis: wait,
    // so that a household's meters arrive together in one token.
    if grant.meters.is_empty() || state.verifying(grant.id) {
        return pending("authorization_pending", grant.interval_seconds);
    }
    let refresh_until = grant
        .consent_expires_at
        .unwrap_or(now + Duration::days(3 * 365));
    let ((access, access_stored), (refresh, refresh_stored)) = new_pair(state, now, refresh_until);
    match state
        .store
        .issue_tokens(grant.id, access_stored, refresh_stored, now)
        .await
    {
        Ok(IssueOutcome::Issued(family)) => {
            state
                .metrics
                .flow_done((now - grant.created_at).num_milliseconds() as f64 / 1000.0);
            tracing::info!(
                family = family.id,
                meters = family.meters.len(),
                "tokens issued"
            );
            token_body(state, &access, &refresh, &family)
        }
        Ok(IssueOutcome::AlreadyConsumed) => json_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "device_code already used",
        ),
        Err(e) => internal(e),
    }
}

async fn refresh_grant<S: ProxyStore>(
    state: &AppState<S>,
    client_id: &str,
    refresh_token: &str,
    asked_meters: Option<&str>,
) -> Response {
    // Checked before anything rotates: a refused refresh leaves the token as it was.
    match state.store.refresh_family(&hash(refresh_token)).await {
        Ok(Some(family)) => {
            if family.client_id != client_id {
                return json_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "refresh_token was not issued to this client_id",
                );
            }
            // The original client repeats its meter list; it must be among the family's meters.
            if let Some(asked) = asked_meters {
                if asked
                    .split(',')
                    .map(str::trim)
                    .filter(|m| !m.is_empty())
                    .any(|m| !family.meters.iter().any(|f| f == m))
                {
                    return json_error(
                        StatusCode::BAD_REQUEST,
                        "invalid_request",
                        "refresh_token not corresponding to usage_points_id",
                    );
                }
            }
        }
        Ok(None) => {
            return json_error(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                "refresh_token unknown, expired or revoked",
            )
        }
        Err(e) => return internal(e),
    }
    let now = state.clock.now();
    // The store clamps the new refresh token to the family's consent end.
    let ((access, access_stored), (refresh, refresh_stored)) =
        new_pair(state, now, now + Duration::days(3 * 365));
    let grace = Duration::seconds(state.config.refresh_grace_seconds);
    let family = match state
        .store
        .refresh(
            &hash(refresh_token),
            access_stored,
            refresh_stored,
            grace,
            now,
        )
        .await
    {
        Ok(RefreshOutcome::Rotated(f)) | Ok(RefreshOutcome::GraceReuse(f)) => {
            // The family's earlier access tokens are retired: none stays believed here.
            state.access_cache.forget_family(f.id);
            f
        }
        Ok(RefreshOutcome::ReuseDetected) => {
            state.access_cache.clear();
            tracing::warn!("a retired refresh token was presented again; its family is revoked");
            return json_error(StatusCode::BAD_REQUEST, "invalid_grant", "this refresh token was already used; for safety every token of this device is revoked: sign in again");
        }
        Ok(RefreshOutcome::Invalid) => {
            return json_error(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                "refresh_token unknown, expired or revoked",
            )
        }
        Err(e) => return internal(e),
    };
    token_body(state, &access, &refresh, &family)
}

/// `POST /device/revoke` (RFC 7009): revokes the whole family of the token. Answers 200 for an
/// unknown token too, as the RFC asks.
pub async fn revoke<S: ProxyStore>(
    State(state): State<AppState<S>>,
    Form(params): Form<HashMap<String, String>>,
) -> Response {
    let Some(token) = params.get("token").filter(|t| !t.is_empty()) else {
        return json_error(StatusCode::BAD_REQUEST, "invalid_request", "Missing token");
    };
    match state
        .store
        .revoke_family(&hash(token), state.clock.now())
        .await
    {
        Ok(found) => {
            if found {
                state.access_cache.clear();
                tracing::info!("token family revoked");
            }
            StatusCode::OK.into_response()
        }
        Err(e) => internal(e),
    }
}
