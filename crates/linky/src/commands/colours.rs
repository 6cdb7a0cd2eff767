//! Keeps the Tempo (and, for an EJP contract, the EJP) calendar up to date: at most one call per
//! calendar and Paris day, from the day after the last stored colour to tomorrow. A failure is
//! told and never fails the sync: days without a colour are priced as blue and marked.

use chrono::{DateTime, Duration, Utc};
use linky_core::{paris, Lang, Localized};
use linky_enedis::colours::{Calendar, ColourFetchError, ColourService};
use linky_store::{ColourCalendar, Store};

use crate::settings::{ColourSource, Settings};

/// What a refresh did.
#[derive(Debug, Default)]
pub struct ColourRefresh {
    /// Days stored, by calendar asked.
    pub stored: Vec<(Calendar, usize)>,
    /// What failed.
    pub failures: Vec<ColourFetchError>,
}

fn service(settings: &Settings, source: ColourSource) -> Option<ColourService> {
    let url = settings.tariff.colours_url.clone();
    match source {
        ColourSource::Off => None,
        ColourSource::Edf => Some(ColourService::Edf {
            base_url: url.unwrap_or_else(|| day_colours::edf::BASE_URL.into()),
        }),
        ColourSource::Rte {
            client_id,
            client_secret,
        } => Some(ColourService::Rte {
            base_url: url.unwrap_or_else(|| day_colours::rte::BASE_URL.into()),
            client_id,
            client_secret,
        }),
    }
}

/// Asks each calendar that is due; stores what comes back.
pub async fn refresh(
    settings: &Settings,
    store: &mut Store,
    now: DateTime<Utc>,
) -> Result<ColourRefresh, linky_store::StoreError> {
    let mut done = ColourRefresh::default();
    let Ok(typed) = settings.typed() else {
        return Ok(done);
    };
    let Some(service) = service(settings, typed.colours) else {
        return Ok(done);
    };
    let Ok(http) = linky_enedis::http_client_with(std::time::Duration::from_secs(30)) else {
        return Ok(done);
    };
    let today = paris::local_date(now);
    let mut calendars = vec![(Calendar::Tempo, ColourCalendar::Tempo)];
    if typed.tariff.needs_ejp() {
        calendars.push((Calendar::Ejp, ColourCalendar::Ejp));
    }
    for (calendar, stored) in calendars {
        let asked_today = store
            .colours_asked_at(stored)?
            .is_some_and(|at| paris::local_date(at) == today);
        let from = match store.last_colour_day(stored)? {
            Some(last) => last + Duration::days(1),
            None => today - Duration::days(settings.sync.history_days.into()),
        };
        let to = today + Duration::days(1);
        if asked_today || from > to {
            continue;
        }
        store.set_colours_asked_at(stored, now)?;
        match service.fetch(&http, calendar, from, to).await {
            Ok(colours) => {
                let n = colours.tempo.len() + colours.ejp.len();
                store.put_day_colours(&colours)?;
                tracing::info!(calendar = ?calendar, days = n, "day colours stored");
                done.stored.push((calendar, n));
            }
            Err(e) => {
                tracing::warn!(calendar = ?calendar, "{}", e.localized(Lang::En));
                done.failures.push(e);
            }
        }
    }
    Ok(done)
}
