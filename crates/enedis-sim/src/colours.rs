//! The Tempo and EJP calendars beside the simulated Enedis: EDF's public calendar and RTE's
//! Tempo API (token and calendars), with the same bodies as the real ones (`day-colours`).
//!
//! Colours follow the published rules (`shared/reference/enedis.md` §7 and RTE's rules): a season
//! runs from 1 September to 31 August; 22 red days, weekdays from 1 November to 31 March outside
//! public holidays, never more than five in a row; 43 white days, never on a Sunday; the rest
//! blue. Which days get which colour is the simulator's choice: drawn from the seed, weighted to
//! the coldest weeks, so every run sees the same calendar. EJP has 22 mobile peak days from 1
//! November to 31 March (simulator's choice: any day but Sunday).
//!
//! A day's colour is published the day before at 10:40 Paris time (RTE announces it around
//! 10:20–10:40); before that the day is `NON_DEFINI` for EDF and absent for RTE.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{Datelike, Duration, NaiveDate, NaiveTime, Weekday};
use day_colours::{edf, rte};
use linky_core::holidays::{is_public_holiday, HolidayZone};
use linky_core::paris;
use linky_core::tariff::{EjpDay, TempoColour};
use serde_json::json;

use crate::log::LoggedRequest;
use crate::oauth::{bearer, random_token, IssuedToken};
use crate::SimState;

/// When the next day's colour appears, Paris time.
pub const PUBLICATION: NaiveTime = match NaiveTime::from_hms_opt(10, 40, 0) {
    Some(t) => t,
    None => panic!("10:40 is a time"),
};

/// EDF's calendar goes back to November 2020; older days are not served.
const FIRST_DAY: NaiveDate = match NaiveDate::from_ymd_opt(2020, 11, 1) {
    Some(d) => d,
    None => panic!("a date"),
};

/// The longest range one EDF call may ask (simulator's choice: EDF documents none).
const MAX_EDF_DAYS: i64 = 1_200;

/// The client id RTE calls are logged under, prefixed to the caller's.
const RTE_CLIENT_PREFIX: &str = "rte:";

fn mix(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

/// The first day of the season holding `date` (1 September).
fn season_start(date: NaiveDate) -> NaiveDate {
    let year = if date.month() >= 9 {
        date.year()
    } else {
        date.year() - 1
    };
    NaiveDate::from_ymd_opt(year, 9, 1).unwrap_or(date)
}

fn season_days(start: NaiveDate) -> Vec<NaiveDate> {
    let end = NaiveDate::from_ymd_opt(start.year() + 1, 9, 1).unwrap_or(start);
    start.iter_days().take_while(|d| *d < end).collect()
}

fn in_winter(date: NaiveDate) -> bool {
    matches!(date.month(), 11 | 12 | 1 | 2 | 3)
}

/// A draw for a day, larger in the coldest weeks (around 15 January) so red and white days
/// gather there, as they do in a real winter.
fn coldness(seed: u64, salt: u64, date: NaiveDate) -> i64 {
    let mid_january = NaiveDate::from_ymd_opt(season_start(date).year() + 1, 1, 15).unwrap_or(date);
    let distance = (date - mid_january).num_days().abs();
    (mix(seed ^ salt ^ date.num_days_from_ce() as u64) % 1000) as i64 - 6 * distance
}

/// The Tempo colours of the season holding `date`.
pub fn tempo_season(seed: u64, date: NaiveDate) -> BTreeMap<NaiveDate, TempoColour> {
    let days = season_days(season_start(date));
    let mut colours: BTreeMap<NaiveDate, TempoColour> =
        days.iter().map(|d| (*d, TempoColour::Blue)).collect();
    let mut red_candidates: Vec<NaiveDate> = days
        .iter()
        .copied()
        .filter(|d| {
            in_winter(*d)
                && !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
                && !is_public_holiday(*d, HolidayZone::Metropole)
        })
        .collect();
    red_candidates.sort_by_key(|d| std::cmp::Reverse(coldness(seed, 0x7ED, *d)));
    let mut reds = 0;
    for day in red_candidates {
        if reds == 22 {
            break;
        }
        // Never more than five red days in a row (weekends break a run).
        let run_before = (1..=5)
            .take_while(|n| colours.get(&(day - Duration::days(*n))) == Some(&TempoColour::Red))
            .count();
        let run_after = (1..=5)
            .take_while(|n| colours.get(&(day + Duration::days(*n))) == Some(&TempoColour::Red))
            .count();
        if run_before + run_after + 1 > 5 {
            continue;
        }
        colours.insert(day, TempoColour::Red);
        reds += 1;
    }
    let mut white_candidates: Vec<NaiveDate> = days
        .iter()
        .copied()
        .filter(|d| d.weekday() != Weekday::Sun && colours.get(d) == Some(&TempoColour::Blue))
        .collect();
    white_candidates.sort_by_key(|d| std::cmp::Reverse(coldness(seed, 0x3417E, *d)));
    for day in white_candidates.into_iter().take(43) {
        colours.insert(day, TempoColour::White);
    }
    colours
}

/// The EJP days of the season holding `date` (every day of the season, normal or mobile peak).
pub fn ejp_season(seed: u64, date: NaiveDate) -> BTreeMap<NaiveDate, EjpDay> {
    let days = season_days(season_start(date));
    let mut candidates: Vec<NaiveDate> = days
        .iter()
        .copied()
        .filter(|d| in_winter(*d) && d.weekday() != Weekday::Sun)
        .collect();
    candidates.sort_by_key(|d| std::cmp::Reverse(coldness(seed, 0xE1B, *d)));
    let peaks: std::collections::HashSet<NaiveDate> = candidates.into_iter().take(22).collect();
    days.into_iter()
        .map(|d| {
            let day = if peaks.contains(&d) {
                EjpDay::MobilePeak
            } else {
                EjpDay::Normal
            };
            (d, day)
        })
        .collect()
}

/// The last day whose colour is published at the simulator's present.
pub fn last_published(state: &SimState) -> NaiveDate {
    let local = paris::local(state.now());
    if local.time() >= PUBLICATION {
        local.date() + Duration::days(1)
    } else {
        local.date()
    }
}

/// Published days between `from` and `to` (both included), season by season.
fn published<T: Copy>(
    state: &SimState,
    from: NaiveDate,
    to: NaiveDate,
    season: impl Fn(u64, NaiveDate) -> BTreeMap<NaiveDate, T>,
) -> Vec<(NaiveDate, Option<T>)> {
    let last = last_published(state);
    let mut seasons: HashMap<NaiveDate, BTreeMap<NaiveDate, T>> = HashMap::new();
    from.iter_days()
        .take_while(|d| *d <= to)
        .map(|d| {
            let colour = (d <= last).then(|| {
                seasons
                    .entry(season_start(d))
                    .or_insert_with(|| season(state.config.seed, d))
                    .get(&d)
                    .copied()
            });
            (d, colour.flatten())
        })
        .collect()
}

fn log_entry(state: &SimState, uri: &Uri, method: &str, client: Option<String>) -> LoggedRequest {
    LoggedRequest {
        time: state.now(),
        client_id: client,
        method: method.into(),
        path: uri.path().to_owned(),
        query: uri.query().unwrap_or("").to_owned(),
        pdl: None,
        status: 0,
        fault: None,
        request_id: None,
    }
}

fn bad_request(message: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"error": "invalid_request", "error_description": message})),
    )
        .into_response()
}

/// `GET /commerce/activet/v1/calendrier-jours-effacement` (EDF, public).
pub async fn edf_calendar(
    State(state): State<Arc<SimState>>,
    uri: Uri,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let entry = log_entry(&state, &uri, "GET", Some("edf".into()));
    let response = edf_answer(&state, &headers, &params);
    state.logged(entry, response)
}

fn edf_answer(state: &SimState, headers: &HeaderMap, params: &HashMap<String, String>) -> Response {
    let headers_ok = edf::HEADERS
        .iter()
        .all(|(name, value)| headers.get(*name).and_then(|v| v.to_str().ok()) == Some(*value));
    if !headers_ok {
        // EDF answers 400 without its two headers (reported by its clients).
        return bad_request("missing application-origine-controlee / situation-usage headers");
    }
    let date = |name: &str| params.get(name).and_then(|v| v.parse::<NaiveDate>().ok());
    let (Some(from), Some(to)) = (
        date("dateApplicationBorneInf"),
        date("dateApplicationBorneSup"),
    ) else {
        return bad_request("dateApplicationBorneInf and dateApplicationBorneSup are YYYY-MM-DD");
    };
    let Some(calendar) = params
        .get("option")
        .and_then(|o| edf::Calendar::from_option(o))
    else {
        return bad_request("option is TEMPO or EJP");
    };
    if to < from || (to - from).num_days() > MAX_EDF_DAYS {
        return bad_request("the range is empty or too long");
    }
    let from = from.max(FIRST_DAY);
    let days: Vec<(NaiveDate, Option<&'static str>)> = match calendar {
        edf::Calendar::Tempo => published(state, from, to, tempo_season)
            .into_iter()
            .map(|(d, c)| (d, c.map(edf::tempo_status)))
            .collect(),
        edf::Calendar::Ejp => published(state, from, to, ejp_season)
            .into_iter()
            .map(|(d, e)| (d, e.map(|e| edf::ejp_status(d, e))))
            .collect(),
    };
    Json(edf::answer(calendar, &days)).into_response()
}

/// `POST /token/oauth/` (RTE, client credentials in HTTP Basic).
pub async fn rte_token(
    State(state): State<Arc<SimState>>,
    uri: Uri,
    headers: HeaderMap,
    _body: Bytes,
) -> Response {
    let credentials = crate::oauth::basic_credentials(&headers);
    let client = credentials
        .as_ref()
        .map(|(id, _)| format!("{RTE_CLIENT_PREFIX}{id}"));
    let entry = log_entry(&state, &uri, "POST", client.clone());
    let accepted = match (&credentials, &state.config.rte_credentials) {
        (Some((id, secret)), Some(c)) => *id == c.client_id && *secret == c.client_secret,
        (Some((id, secret)), None) => !id.is_empty() && !secret.is_empty(),
        (None, _) => false,
    };
    let response = match (accepted, client) {
        (true, Some(client)) => {
            let token = random_token();
            state.issue_token(
                token.clone(),
                IssuedToken {
                    client_id: client,
                    expires_at: state.now() + Duration::seconds(7200),
                },
            );
            Json(json!({"access_token": token, "token_type": "Bearer", "expires_in": 7200}))
                .into_response()
        }
        _ => (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "invalid_client", "error_description": "Invalid client credentials"})),
        )
            .into_response(),
    };
    state.logged(entry, response)
}

/// `GET /open_api/tempo_like_supply_contract/v1/tempo_like_calendars` (RTE, bearer).
pub async fn rte_calendars(
    State(state): State<Arc<SimState>>,
    uri: Uri,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let now = state.now();
    let client = bearer(&headers)
        .and_then(|t| state.token_client(t, now))
        .filter(|c| c.starts_with(RTE_CLIENT_PREFIX));
    let entry = log_entry(&state, &uri, "GET", client.clone());
    let response = if client.is_none() {
        (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "invalid_token", "error_description": "The access token is missing, invalid or expired"})),
        )
            .into_response()
    } else {
        rte_answer(&state, &params)
    };
    state.logged(entry, response)
}

fn rte_error(code: &str, description: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"error": code, "error_description": description})),
    )
        .into_response()
}

fn rte_answer(state: &SimState, params: &HashMap<String, String>) -> Response {
    let date = |name: &str| {
        params
            .get(name)
            .and_then(|v| v.get(..10))
            .and_then(|v| v.parse::<NaiveDate>().ok())
    };
    let (Some(from), Some(end)) = (date("start_date"), date("end_date")) else {
        return rte_error(
            "TMPLIKSUPCON_TMPLIKCAL_F01",
            "start_date and end_date are ISO 8601 dates with an offset",
        );
    };
    if end <= from || (end - from).num_days() > rte::MAX_DAYS {
        return rte_error(
            "TMPLIKSUPCON_TMPLIKCAL_F02",
            "The period must be between 1 and 366 days",
        );
    }
    if end > state.today() + Duration::days(2) {
        return rte_error(
            "TMPLIKSUPCON_TMPLIKCAL_F04",
            "The end date must be before D+2",
        );
    }
    let to = end - Duration::days(1);
    let days: Vec<(NaiveDate, TempoColour)> =
        published(state, from.max(FIRST_DAY), to, tempo_season)
            .into_iter()
            .filter_map(|(d, c)| c.map(|c| (d, c)))
            .collect();
    Json(rte::answer(from, to, &days)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seasons_keep_the_rules() {
        for seed in [1, 2, 99] {
            let season = tempo_season(seed, "2026-01-10".parse().unwrap());
            let count = |c| season.values().filter(|v| **v == c).count();
            assert_eq!(
                (count(TempoColour::Red), count(TempoColour::White)),
                (22, 43)
            );
            assert_eq!(season.len(), 365);
            let mut run = 0;
            for (date, colour) in &season {
                if *colour == TempoColour::Red {
                    assert!(
                        in_winter(*date) && date.weekday().num_days_from_monday() < 5,
                        "{date}"
                    );
                    assert!(!is_public_holiday(*date, HolidayZone::Metropole));
                    run += 1;
                    assert!(run <= 5, "{date}");
                } else {
                    run = 0;
                }
                if date.weekday() == Weekday::Sun {
                    assert_eq!(*colour, TempoColour::Blue);
                }
            }
            let ejp = ejp_season(seed, "2026-01-10".parse().unwrap());
            assert_eq!(
                ejp.values().filter(|e| **e == EjpDay::MobilePeak).count(),
                22
            );
        }
        // Deterministic.
        assert_eq!(
            tempo_season(5, "2025-12-01".parse().unwrap()),
            tempo_season(5, "2026-08-31".parse().unwrap())
        );
    }
}
