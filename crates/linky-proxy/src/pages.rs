//! The pages a person sees: the code form, the jump to the Enedis consent page, and the return
//! from Enedis, where the consent is checked before any meter is bound.

use std::collections::HashMap;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Form, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use chrono::{Duration, NaiveDate};
use linky_core::{paris, UsagePoint};
use linky_proxy_store::{BindOutcome, Grant, ProxyStore};

use crate::secrets::{hash, normalise_user_code, random_hex};
use crate::AppState;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// A page in French then English.
fn page(
    status: StatusCode,
    title_fr: &str,
    title_en: &str,
    body_fr: &str,
    body_en: &str,
) -> Response {
    let html = format!(
        r#"<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title_fr} — linky</title>
<style>body{{font-family:sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;line-height:1.5}}
input{{font-size:1.4rem;letter-spacing:.2rem;text-transform:uppercase;width:11ch}}button,.button{{font-size:1rem;padding:.5rem 1rem}}
section+section{{border-top:1px solid #ccc;margin-top:1.5rem}}</style></head>
<body>
<section lang="fr"><h1>{title_fr}</h1>{body_fr}</section>
<section lang="en"><h2>{title_en}</h2>{body_en}</section>
</body></html>
"#
    );
    (status, [(header::CACHE_CONTROL, "no-store")], Html(html)).into_response()
}

fn problem(status: StatusCode, fr: &str, en: &str) -> Response {
    page(
        status,
        "Un problème est survenu",
        "Something went wrong",
        &format!("<p>{fr}</p>"),
        &format!("<p>{en}</p>"),
    )
}

/// `GET /`.
pub async fn index() -> Response {
    page(
        StatusCode::OK,
        "Consentement Enedis pour linky",
        "Enedis consent for linky",
        "<p>Ce service permet à votre installation linky de lire les données de votre compteur Linky chez Enedis, avec votre accord. Lancez <code>linky login</code> et suivez l'adresse affichée.</p>",
        "<p>This service lets your linky installation read your Linky meter's data at Enedis, with your consent. Run <code>linky login</code> and follow the address it shows.</p>",
    )
}

/// `GET /device[?code=]`: the form where the person types the code.
pub async fn device<S: ProxyStore>(Query(params): Query<HashMap<String, String>>) -> Response {
    let code = escape(params.get("code").map(String::as_str).unwrap_or(""));
    let form = format!(
        r#"<form method="get" action="/auth/verify_code"><label>Code <input name="code" value="{code}" placeholder="XXXX-XXXX" autocomplete="off" autofocus required></label> <button type="submit">Continuer / Continue</button></form>"#
    );
    page(
        StatusCode::OK,
        "Entrez le code de votre appareil",
        "Enter your device's code",
        &format!("<p>Saisissez le code affiché par linky. Vous serez ensuite envoyé sur votre compte Enedis pour choisir le compteur et donner votre accord.</p>{form}"),
        "<p>Type the code linky shows. You will then go to your Enedis account to pick the meter and give your consent.</p>",
    )
}

/// `GET /auth/verify_code?code=`: checks the code (guesses are limited per address) and sends
/// the person to Enedis with a fresh single-use `state`.
pub async fn verify_code<S: ProxyStore>(
    State(state): State<AppState<S>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let now = state.clock.now();
    let typed = params.get("code").map(String::as_str).unwrap_or("");
    let grant = match grant_of_code(&state, &headers, peer, typed, now).await {
        Ok(grant) => grant,
        Err(response) => return response,
    };
    confirmation(&state, &grant)
}

/// The live grant of a typed user code; a wrong code counts against the client's address.
async fn grant_of_code<S: ProxyStore>(
    state: &AppState<S>,
    headers: &HeaderMap,
    peer: SocketAddr,
    typed: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Grant, Response> {
    let client = state.client_address(headers, peer);
    let since = now - Duration::seconds(state.config.guess_window_seconds);
    // Each attempt is recorded and counted in one transaction, so concurrent guesses cannot all
    // slip under the limit; a right code is then taken back: only wrong ones count.
    match state.store.record_failed_guess(&client, now, since).await {
        Ok(n) if n > state.config.guess_limit => {
            tracing::warn!(client, "too many user-code attempts");
            state.metrics.guess_refused();
            return Err(problem(
                StatusCode::TOO_MANY_REQUESTS,
                "Trop de codes erronés depuis votre adresse. Attendez quelques minutes, puis saisissez le code exactement comme linky l'affiche.",
                "Too many wrong codes from your address. Wait a few minutes, then type the code exactly as linky shows it.",
            ));
        }
        Ok(_) => {}
        Err(e) => return Err(crate::internal(e)),
    }
    let grant = match normalise_user_code(typed) {
        Some(code) => match state.store.grant_by_user_code(&code, now).await {
            Ok(g) => g,
            Err(e) => return Err(crate::internal(e)),
        },
        None => None,
    };
    if grant.is_some() {
        if let Err(e) = state.store.refund_guess(&client, now).await {
            return Err(crate::internal(e));
        }
    }
    let Some(grant) = grant else {
        return Err(problem(
            StatusCode::BAD_REQUEST,
            "Ce code n'est pas valide ou a expiré. Vérifiez-le, ou relancez <code>linky login</code> pour en obtenir un nouveau.",
            "This code is not valid or has expired. Check it, or run <code>linky login</code> again for a new one.",
        ));
    };
    Ok(grant)
}

/// The page that asks the person to confirm the code is theirs before anything is sent to
/// Enedis (RFC 8628 §5.4: a link with someone else's code must not give that someone the
/// person's meter). Its form carries an anti-CSRF token that matches a cookie.
fn confirmation<S>(state: &AppState<S>, grant: &Grant) -> Response {
    let csrf = random_hex();
    let created = paris::local(grant.created_at).format("%d/%m/%Y %H:%M");
    let client = escape(&grant.client_id);
    let from = escape(grant.client_address.as_deref().unwrap_or("?"));
    let code = escape(&grant.user_code);
    let form = |label: &str| {
        format!(
            r#"<form method="post" action="/auth/confirm"><input type="hidden" name="code" value="{code}"><input type="hidden" name="csrf" value="{csrf}"><button type="submit">{label}</button></form>"#
        )
    };
    let mut response = page(
        StatusCode::OK,
        "Est-ce bien votre code ?",
        "Is this your code?",
        &format!(
            "<p>Un appareil demande à lire votre compteur : client <code>{client}</code>, code <strong>{code}</strong> créé le {created} (heure de Paris) depuis l'adresse <code>{from}</code>.</p>\
             <p><strong>Continuez seulement si ce code est celui que linky affiche sur votre propre écran.</strong> Si quelqu'un vous a envoyé ce lien ou ce code, fermez cette page : il obtiendrait l'accès à votre compteur.</p>{}",
            form("Oui, c'est mon code : continuer chez Enedis")
        ),
        &format!(
            "<p>A device asks to read your meter: client <code>{client}</code>, code <strong>{code}</strong> created on {created} (Paris time) from address <code>{from}</code>.</p>\
             <p><strong>Continue only if this code is the one linky shows on your own screen.</strong> If someone sent you this link or code, close this page: they would get access to your meter.</p>{}",
            form("Yes, this is my code: continue to Enedis")
        ),
    );
    if let Ok(cookie) = set_cookie(state, CSRF_COOKIE, &csrf, 900).parse() {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

/// The anti-CSRF cookie of the confirmation form.
const CSRF_COOKIE: &str = "linky-csrf";
/// The cookie that ties a consent flow to the browser that confirmed the code.
const FLOW_COOKIE: &str = "linky-flow";

/// A cookie's name: `__Host-` (Secure, host-only, path /) when the proxy is served over HTTPS.
fn cookie_name<S>(state: &AppState<S>, base: &str) -> String {
    if state.config.public_url.starts_with("https://") {
        format!("__Host-{base}")
    } else {
        base.to_owned()
    }
}

fn set_cookie<S>(state: &AppState<S>, base: &str, value: &str, max_age: i64) -> String {
    let secure = if state.config.public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    format!(
        "{}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}",
        cookie_name(state, base)
    )
}

/// The value of cookie `base` in the request.
fn cookie<'a, S>(state: &AppState<S>, headers: &'a HeaderMap, base: &str) -> Option<&'a str> {
    let name = cookie_name(state, base);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Compares two secrets without leaking where they differ.
fn same_secret(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// The origin (`scheme://host[:port]`) of the public URL.
fn public_origin(public_url: &str) -> &str {
    let rest = public_url.find("://").map_or(public_url.len(), |i| i + 3);
    match public_url[rest..].find('/') {
        Some(slash) => &public_url[..rest + slash],
        None => public_url,
    }
}

/// `POST /auth/confirm`: the person confirmed the code on our page (same origin, anti-CSRF
/// token): a single-use `state` bound to this browser's flow cookie, then Enedis.
pub async fn confirm<S: ProxyStore>(
    State(state): State<AppState<S>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(params): Form<HashMap<String, String>>,
) -> Response {
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    if origin != Some(public_origin(state.config.public_base())) {
        return problem(
            StatusCode::FORBIDDEN,
            "Cette confirmation ne vient pas de la page du proxy. Ouvrez l'adresse affichée par linky et confirmez le code là.",
            "This confirmation does not come from the proxy's page. Open the address linky shows and confirm the code there.",
        );
    }
    let form_token = params.get("csrf").map(String::as_str).unwrap_or("");
    let matches = cookie(&state, &headers, CSRF_COOKIE)
        .is_some_and(|c| !form_token.is_empty() && same_secret(c, form_token));
    if !matches {
        return problem(
            StatusCode::FORBIDDEN,
            "La confirmation a expiré ou ne vient pas de ce navigateur. Ouvrez de nouveau l'adresse affichée par linky.",
            "The confirmation expired or does not come from this browser. Open the address linky shows again.",
        );
    }
    let now = state.clock.now();
    let grant = match grant_of_code(
        &state,
        &headers,
        peer,
        params.get("code").map(String::as_str).unwrap_or(""),
        now,
    )
    .await
    {
        Ok(grant) => grant,
        Err(response) => return response,
    };
    let (consent_state, flow) = (random_hex(), random_hex());
    if let Err(e) = state
        .store
        .create_state(
            &flow_state_hash(&consent_state, &flow),
            grant.id,
            grant.expires_at,
        )
        .await
    {
        return crate::internal(e);
    }
    let query = serde_urlencoded::to_string([
        ("client_id", state.config.enedis_client_id.as_str()),
        ("response_type", "code"),
        ("state", consent_state.as_str()),
        ("duration", state.config.consent_duration.as_str()),
        ("redirect_uri", state.config.redirect_uri().as_str()),
    ])
    .unwrap_or_default();
    let url = format!(
        "{}/dataconnect/v2/oauth2/authorize?{query}",
        state.config.enedis_consent_url.trim_end_matches('/')
    );
    let lifetime = (grant.expires_at - now).num_seconds().max(60);
    let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, url)]).into_response();
    if let Ok(cookie) = set_cookie(&state, FLOW_COOKIE, &flow, lifetime).parse() {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

/// What a state is stored under: it only works with the flow cookie of the browser that
/// confirmed the code.
fn flow_state_hash(consent_state: &str, flow: &str) -> String {
    hash(&format!("{consent_state}:{flow}"))
}

fn consent_end_of<S>(
    state: &AppState<S>,
    ends: Option<NaiveDate>,
    now: chrono::DateTime<chrono::Utc>,
) -> chrono::DateTime<chrono::Utc> {
    match ends {
        Some(date) => paris::day_start(date),
        // Enedis did not say: the duration asked (checked when the settings were read).
        None => {
            let today = paris::local_date(now);
            let end = state.config.consent_duration.end(today);
            paris::day_start(end)
        }
    }
}

fn success(grant: &Grant, added: &[String]) -> Response {
    let meters = added
        .iter()
        .map(|m| format!("<strong>{}</strong>", escape(m)))
        .collect::<Vec<_>>()
        .join(", ");
    let all = grant
        .meters
        .iter()
        .map(|m| escape(m))
        .collect::<Vec<_>>()
        .join(", ");
    let again = format!("/auth/verify_code?code={}", escape(&grant.user_code));
    page(
        StatusCode::OK,
        "Consentement obtenu",
        "Consent obtained",
        &format!(
            "<p>Votre accord pour le compteur {meters} est enregistré. Votre appareil pourra lire : {all}. Vous pouvez fermer cette page : linky reçoit l'accès dans quelques secondes.</p>\
             <p>Un autre compteur dans le foyer (production solaire, deuxième logement) ? Chaque accord Enedis couvre un compteur : <a class=\"button\" id=\"another\" href=\"{again}\">Ajouter un autre compteur</a></p>"
        ),
        &format!(
            "<p>Your consent for meter {meters} is recorded. Your device may read: {all}. You can close this page: linky gets access within seconds.</p>\
             <p>Another meter in the household (solar production, second home)? Each Enedis consent covers one meter: <a href=\"{again}\">Add another meter</a></p>"
        ),
    )
}

/// `GET /auth/redirect`: the return from Enedis.
pub async fn redirect<S: ProxyStore>(
    State(state): State<AppState<S>>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let now = state.clock.now();
    let get = |k: &str| params.get(k).map(String::as_str).filter(|v| !v.is_empty());
    let Some(consent_state) = get("state") else {
        return problem(StatusCode::BAD_REQUEST, "Des paramètres manquent dans la requête : recommencez depuis le code de votre appareil.", "The request lacks parameters: start again from your device's code.");
    };
    let flow = cookie(&state, &headers, FLOW_COOKIE).unwrap_or("");
    let autorisation = get("autorisation_id").and_then(|id| id.parse::<i64>().ok());
    let grant_id = match state
        .store
        .take_state(&flow_state_hash(consent_state, flow), now)
        .await
    {
        Ok(Some(id)) => id,
        Ok(None) => {
            // An autorisation_id that comes with a state not live in this browser is burnt:
            // read from a log or a history, it will never be bound.
            if let Some(id) = autorisation {
                if let Err(e) = state.store.claim_autorisation(id, None, now).await {
                    return crate::internal(e);
                }
            }
            return problem(
                StatusCode::BAD_REQUEST,
                "Ce retour d'Enedis est inconnu, expiré ou déjà utilisé. Recommencez depuis le code affiché par linky.",
                "This return from Enedis is unknown, expired or already used. Start again from the code linky shows.",
            );
        }
        Err(e) => return crate::internal(e),
    };
    if let Some(error) = get("error") {
        if let Err(e) = state.store.deny_grant(grant_id).await {
            return crate::internal(e);
        }
        let description = escape(get("error_description").unwrap_or(""));
        return page(
            StatusCode::OK,
            "Consentement non donné",
            "Consent not given",
            &format!("<p>Enedis indique : <code>{}</code> {description}. Aucun accès n'a été accordé. Pour réessayer, relancez <code>linky login</code>.</p>", escape(error)),
            &format!("<p>Enedis says: <code>{}</code> {description}. No access was granted. To try again, run <code>linky login</code> again.</p>", escape(error)),
        );
    }
    if get("autorisation_id").is_some() {
        let Some(autorisation_id) = autorisation else {
            return problem(
                StatusCode::BAD_REQUEST,
                "Identifiant d'autorisation invalide.",
                "Invalid authorisation id.",
            );
        };
        // Accepted only with the flow it first arrives with; if this flow fails, it stays
        // spent.
        match state
            .store
            .claim_autorisation(autorisation_id, Some(grant_id), now)
            .await
        {
            Ok(true) => {}
            Ok(false) => {
                return problem(
                    StatusCode::BAD_REQUEST,
                    "Cette autorisation Enedis a déjà servi. Recommencez depuis le code affiché par linky.",
                    "This Enedis authorisation was already used. Start again from the code linky shows.",
                )
            }
            Err(e) => return crate::internal(e),
        }
        return bind_2026(&state, grant_id, autorisation_id, now).await;
    }
    if let (Some(_code), Some(meters)) = (get("code"), get("usage_point_id")) {
        return bind_v5(&state, grant_id, meters, now).await;
    }
    problem(
        StatusCode::BAD_REQUEST,
        "Des paramètres manquent dans la requête : recommencez depuis le code de votre appareil.",
        "The request lacks parameters: start again from your device's code.",
    )
}

async fn bind_2026<S: ProxyStore>(
    state: &AppState<S>,
    grant_id: i64,
    autorisation_id: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> Response {
    // The device's poll waits while this runs (its meters come together).
    let _checking = state.checking(grant_id);
    // Enedis is reported to answer empty for a short while after the consent, and it may be
    // busy (its quota is shared by every household) or failing: ask again, waiting longer each
    // time (bounded: the attempts and a wait of at most 8 × the first one).
    let mut subscribed = None;
    let attempts = state.config.subscribed_services_attempts.max(1);
    for attempt in 0..attempts {
        if attempt > 0 {
            let factor = 1u64 << (attempt - 1).min(3);
            tokio::time::sleep(std::time::Duration::from_millis(
                state.config.subscribed_services_retry_ms * factor,
            ))
            .await;
        }
        match state.enedis.subscribed(autorisation_id).await {
            Ok(s) if !s.meters.is_empty() => {
                subscribed = Some(s);
                break;
            }
            Ok(_) => {}
            Err(e) if e.is_passing() && attempt + 1 < attempts => {
                tracing::info!(error = %e, attempt, "subscribed_services failed, asking again");
            }
            Err(e) => {
                tracing::warn!(error = %e, "subscribed_services failed");
                return problem(
                    StatusCode::BAD_GATEWAY,
                    "Enedis n'a pas pu confirmer votre accord pour le moment. Réessayez dans quelques minutes en relançant <code>linky login</code>.",
                    "Enedis could not confirm your consent right now. Try again in a few minutes by running <code>linky login</code> again.",
                );
            }
        }
    }
    let Some(subscribed) = subscribed else {
        return problem(
            StatusCode::BAD_GATEWAY,
            "Enedis ne signale encore aucun compteur pour cet accord. Attendez quelques minutes puis relancez <code>linky login</code>.",
            "Enedis reports no meter for this consent yet. Wait a few minutes, then run <code>linky login</code> again.",
        );
    };
    // A consent that began before this device's code existed cannot come from this flow. Enedis
    // gives a day, and its clock is not ours: a day of slack.
    let code_created = now - Duration::seconds(state.config.device_code_lifetime_seconds);
    let earliest = paris::local_date(code_created) - Duration::days(1);
    if subscribed.starts.is_some_and(|start| start < earliest) {
        tracing::warn!(
            autorisation_id,
            "a consent older than the device code was presented"
        );
        return problem(
            StatusCode::BAD_REQUEST,
            "Cet accord Enedis est antérieur au code de votre appareil : il ne vient pas de cette demande. Recommencez depuis le code affiché par linky.",
            "This Enedis consent is older than your device's code: it does not come from this request. Start again from the code linky shows.",
        );
    }
    let end = consent_end_of(state, subscribed.ends, now);
    match state
        .store
        .bind_consent(
            grant_id,
            Some(autorisation_id),
            &subscribed.meters,
            end,
            now,
        )
        .await
    {
        Ok(BindOutcome::Bound(grant)) => {
            state.metrics.consent_bound();
            tracing::info!(
                grant = grant.id,
                meters = subscribed.meters.len(),
                "consent bound"
            );
            success(&grant, &subscribed.meters)
        }
        Ok(BindOutcome::AlreadyBound) => {
            tracing::warn!(autorisation_id, "autorisation_id presented twice");
            problem(
                StatusCode::BAD_REQUEST,
                "Cet accord Enedis a déjà été utilisé.",
                "This Enedis consent was already used.",
            )
        }
        Ok(BindOutcome::NoGrant) => problem(
            StatusCode::BAD_REQUEST,
            "Le code de votre appareil a expiré : relancez <code>linky login</code>.",
            "Your device's code expired: run <code>linky login</code> again.",
        ),
        Err(e) => crate::internal(e),
    }
}

async fn bind_v5<S: ProxyStore>(
    state: &AppState<S>,
    grant_id: i64,
    meters: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Response {
    if !state.config.allow_unverified_v5_consent {
        return problem(
            StatusCode::BAD_REQUEST,
            "Ce proxy refuse le retour de consentement de l'ancienne génération (v5) : il ne peut pas être vérifié et permettrait à n'importe qui de réclamer n'importe quel compteur.",
            "This proxy refuses the old-generation (v5) consent return: it cannot be verified and would let anyone claim any meter.",
        );
    }
    tracing::warn!("accepting an unverified v5 consent return (allow_unverified_v5_consent is on)");
    let mut pdls = Vec::new();
    for m in meters
        .split([';', ','])
        .map(str::trim)
        .filter(|m| !m.is_empty())
    {
        match m.parse::<UsagePoint>() {
            Ok(p) => pdls.push(p.to_string()),
            Err(_) => {
                return problem(
                    StatusCode::BAD_REQUEST,
                    "Numéro de compteur invalide dans la réponse d'Enedis.",
                    "Invalid meter number in Enedis' answer.",
                )
            }
        }
    }
    let end = consent_end_of(state, None, now);
    match state
        .store
        .bind_consent(grant_id, None, &pdls, end, now)
        .await
    {
        Ok(BindOutcome::Bound(grant)) => {
            state.metrics.consent_bound();
            success(&grant, &pdls)
        }
        Ok(_) => problem(
            StatusCode::BAD_REQUEST,
            "Le code de votre appareil a expiré : relancez <code>linky login</code>.",
            "Your device's code expired: run <code>linky login</code> again.",
        ),
        Err(e) => crate::internal(e),
    }
}
