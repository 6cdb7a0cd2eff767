//! `linky run`: the daemon. One sync a day at a random time in the window, a later attempt when
//! yesterday is late, retries after failures, never at night; consent warnings 30 and 7 days
//! before the end; clean stop on SIGTERM and Ctrl-C.

use std::sync::Arc;

use chrono::{NaiveTime, SecondsFormat};
use linky_core::{Clock, Lang, UsagePoint};
use linky_store::Store;
use linky_sync::daemon::{consent_warnings, Daemon, DaemonSettings, Event, RealSleeper};
use linky_sync::{Quiet, SyncReport};

use super::{CommandResult, Paths};
use crate::settings::{SettingError, Settings};

/// The daemon's timing from the settings (already validated). Through the Conso API, whose
/// operator asks for one visit a day between 06:00 and 10:00, the default window becomes
/// 08:00–10:00: inside the operator's hours, and after Enedis publishes yesterday (08:00); a
/// late yesterday is asked again an hour later, not four.
pub fn daemon_settings(s: &Settings, conso_api: bool) -> Result<DaemonSettings, SettingError> {
    let typed = s.typed()?;
    let defaults = crate::settings::DaemonSection::default();
    let (window_start, mut window_end) = typed.daily_window;
    let mut late_retry_hours = s.daemon.late_retry_hours;
    if conso_api {
        if s.daemon.window_start == defaults.window_start
            && s.daemon.window_end == defaults.window_end
        {
            window_end = NaiveTime::from_hms_opt(10, 0, 0).unwrap_or(window_end);
        }
        // Yesterday late: one more visit within the morning, not in the afternoon.
        late_retry_hours = late_retry_hours.min(1);
    }
    Ok(DaemonSettings {
        window_start,
        window_end,
        night_start: typed.night.0,
        night_end: typed.night.1,
        late_retry: chrono::Duration::hours(late_retry_hours.into()),
        ..DaemonSettings::default()
    })
}

/// Tells what a sync means for the household: lost consents, consents ending soon.
fn after_sync(paths: &Paths, report: &SyncReport, lang: Lang, clock: &dyn Clock) {
    tracing::info!(calls = report.calls, windows = report.windows, stopped = ?report.stopped, "sync done");
    for (pdl, why) in &report.consent_lost {
        crate::report::line_err(&lang.pick(format!("linky : le compteur {pdl} n'a plus de consentement chez Enedis ({why}) : relancez `linky login`"), format!("linky: meter {pdl} no longer has a consent at Enedis ({why}): run `linky login` again")));
    }
    let Ok(store) = Store::open(&paths.store()) else {
        return;
    };
    let ends: Vec<(UsagePoint, _)> = store
        .meters()
        .unwrap_or_default()
        .into_iter()
        .map(|m| (m.pdl, m.consent_ends_at))
        .collect();
    let warned: Vec<String> = store.consent_warnings().unwrap_or_default();
    let warnings = consent_warnings(clock.now(), &ends, &warned);
    let mut all = warned;
    for (pdl, left, threshold) in warnings {
        crate::report::line_err(&lang.pick(format!("linky : le consentement du compteur {pdl} se termine dans {left} jours : renouvelez-le avec `linky login`"), format!("linky: the consent for meter {pdl} ends in {left} days: renew it with `linky login`")));
        all.push(format!("{pdl}:{threshold}"));
    }
    let _ = store.set_consent_warnings(&all);
}

/// `linky run`.
pub async fn run(
    settings: &Settings,
    paths: &Paths,
    lang: Lang,
    clock: Arc<dyn Clock>,
) -> CommandResult {
    let stop = super::shutdown_signal();
    let conso_api = super::sync::conso_api(settings, paths)
        .ok()
        .flatten()
        .is_some();
    let timing = daemon_settings(settings, conso_api)?;
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(7);
    let daemon = Daemon {
        settings: &timing,
        clock: clock.as_ref(),
        seed,
    };
    let sleeper = RealSleeper(clock.as_ref());
    // Bound before the first sync, so a taken port is told at once, not after hours.
    let dashboard = if settings.web.enabled {
        let config = super::web::config(settings, paths.store(), lang, clock.clone())?;
        Some(super::web::start(settings, config, lang, std::future::pending()).await?)
    } else {
        None
    };
    let dashboard = async {
        match dashboard {
            Some(server) => {
                if let Err(e) = server.await {
                    crate::report::line_err(&lang.pick(
                        format!("linky : le tableau de bord s'est arrêté : {e}"),
                        format!("linky: the dashboard stopped: {e}"),
                    ));
                }
                std::future::pending::<()>().await;
            }
            None => std::future::pending::<()>().await,
        }
    };
    crate::report::line_err(lang.pick("linky : démon démarré", "linky: daemon started"));
    let run = daemon.run(
        &sleeper,
        || {
            let clock = clock.clone();
            async move {
                match super::sync::once(settings, paths, clock.clone(), &Quiet).await {
                    Ok(report) => {
                        // A failed push is told; the next one sends what is missing.
                        match super::domoticz::push_all(settings, paths, clock.as_ref(), false)
                            .await
                        {
                            Ok(Some(pushed)) => {
                                let text = super::domoticz::summary(&pushed, lang);
                                tracing::info!(meters = pushed.len(), "{}", text.trim_end());
                            }
                            Ok(None) => {}
                            Err(e) => crate::report::line_err(&format!(
                                "linky: {}",
                                e.message().localized(lang)
                            )),
                        }
                        report
                    }
                    Err(e) => {
                        crate::report::line_err(&format!("linky: {}", e.message().localized(lang)));
                        SyncReport {
                            stopped: Some(linky_sync::Stop::Unauthorized(
                                e.message().localized(Lang::En),
                            )),
                            ..SyncReport::default()
                        }
                    }
                }
            }
        },
        |event| match event {
            Event::Planned(at) => {
                tracing::info!(next = %at, "next sync planned");
                if let Ok(store) = Store::open(&paths.store()) {
                    let _ = store.set_next_sync(at);
                }
            }
            Event::Synced(report) => {
                after_sync(paths, &report, lang, clock.as_ref());
                // A sync parses and stores up to two years of points; give that memory back
                // for the hours of waiting that follow.
                heap_release::release_freed();
            }
        },
        stop,
        None,
    );
    // Dated values never refresh the Domoticz widget, which turns red after a day and a half:
    // the dashboard value is sent again every hour while the daemon runs.
    let refresh = async {
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
            super::domoticz::refresh_dashboards(settings, paths, clock.as_ref(), lang).await;
        }
    };
    tokio::select! {
        () = run => {}
        () = refresh => {}
        () = dashboard => {}
    }
    Ok(lang
        .pick("linky : démon arrêté\n", "linky: daemon stopped\n")
        .to_owned())
}

/// For the status: the planned next sync, if the daemon wrote one.
pub fn planned(store: &Store) -> Option<String> {
    store
        .next_sync()
        .ok()
        .flatten()
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_conso_api_is_visited_in_its_operators_morning_hours() {
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap();
        let defaults = Settings::default();
        let usual = daemon_settings(&defaults, false).unwrap();
        assert_eq!((usual.window_start, usual.window_end), (t(8, 0), t(11, 0)));
        assert_eq!(usual.late_retry, chrono::Duration::hours(4));
        let conso = daemon_settings(&defaults, true).unwrap();
        assert_eq!((conso.window_start, conso.window_end), (t(8, 0), t(10, 0)));
        assert_eq!(conso.late_retry, chrono::Duration::hours(1));
        // A window the person chose is kept.
        let mut chosen = Settings::default();
        chosen.daemon.window_end = crate::settings::textual::ClockTime::at(9, 0);
        assert_eq!(daemon_settings(&chosen, true).unwrap().window_end, t(9, 0));
    }
}
