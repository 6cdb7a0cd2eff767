//! `linky status`: per meter and direction, what is stored (first and last day, holes), the last
//! sync and its result, the next planned sync, the consent's end.

use std::fmt::Write;

use chrono::Duration;
use linky_core::{paris, Clock, Direction, Lang};
use linky_store::{Kind, Store};
use linky_sync::SyncSettings;

use super::{CommandResult, Paths};
use crate::settings::Settings;

fn t(lang: Lang, fr: &'static str, en: &'static str) -> &'static str {
    if lang == Lang::Fr {
        fr
    } else {
        en
    }
}

/// `linky status`.
pub fn run(settings: &Settings, paths: &Paths, lang: Lang, clock: &dyn Clock) -> CommandResult {
    let store = Store::open_checked(&paths.store())?;
    // Missing days are counted against what the last sync was asked to hold (its flags may
    // differ from the settings), else against the settings.
    let (curve_days, daily_days, max_power_days) = super::sync::last_depth(&store).unwrap_or((
        settings.sync.history_days,
        settings.sync.daily_days,
        settings.sync.max_power_days,
    ));
    let plan = SyncSettings {
        curve_days,
        daily_days,
        max_power_days,
        ..SyncSettings::default()
    };
    let now = clock.now();
    let now_local = paris::local(now);
    let mut out = String::new();
    let meters = store.meters()?;
    let _ = writeln!(
        out,
        "{} {}",
        t(lang, "Prix :", "Prices:"),
        crate::settings::describe_tariff(&settings.typed()?.tariff, lang)
    );
    if meters.is_empty() {
        let _ = writeln!(
            out,
            "{}",
            t(
                lang,
                "Aucun compteur : lancez `linky login`.",
                "No meter: run `linky login`."
            )
        );
    }
    for m in &meters {
        let _ = write!(out, "{} {}", t(lang, "Compteur", "Meter"), m.pdl);
        match (m.consent_ends_at, &m.consent_lost) {
            (_, Some((at, why))) => {
                let _ = write!(
                    out,
                    " — {} {} ({why}) : {}",
                    t(lang, "consentement perdu le", "consent lost on"),
                    paris::local_date(*at),
                    t(lang, "relancez `linky login`", "run `linky login` again")
                );
            }
            (Some(end), None) => {
                let left = (end - now).num_days();
                let _ = write!(
                    out,
                    " — {} {} ({left} {})",
                    t(lang, "consentement jusqu'au", "consent until"),
                    paris::local_date(end),
                    t(lang, "jours", "days")
                );
                if left <= 30 {
                    let _ = write!(
                        out,
                        " {}",
                        t(
                            lang,
                            "— à renouveler bientôt avec `linky login`",
                            "— renew soon with `linky login`"
                        )
                    );
                }
            }
            (None, None) => {}
        }
        let _ = writeln!(out);
        if let Some(hc) = &m.contract_offpeak {
            let _ = writeln!(
                out,
                "  {} {hc}{}",
                t(
                    lang,
                    "heures creuses du contrat :",
                    "contract off-peak hours:"
                ),
                m.subscribed_kva
                    .map(|k| format!(", {k} kVA"))
                    .unwrap_or_default()
            );
        }
        let absences = store.absences(&m.pdl)?;
        for direction in Direction::ALL {
            for kind in [Kind::Curve, Kind::Daily, Kind::MaxPower] {
                if kind == Kind::MaxPower && direction == Direction::Production {
                    continue;
                }
                let label = format!(
                    "{} / {}",
                    match direction {
                        Direction::Consumption => t(lang, "consommation", "consumption"),
                        Direction::Production => "production",
                    },
                    match kind {
                        Kind::Curve => t(lang, "courbe de charge", "load curve"),
                        Kind::Daily => t(lang, "quotidien", "daily"),
                        Kind::MaxPower => t(lang, "puissance max", "max power"),
                    }
                );
                if let Some(a) = absences
                    .iter()
                    .find(|a| a.direction == direction && a.kind == kind)
                {
                    let why = match a.reason.as_str() {
                        "wrong_direction" => t(lang, "ce compteur ne mesure pas ce sens", "this meter does not measure this direction"),
                        "curve_not_enabled" => t(lang, "courbe non activée : activez la collecte horaire sur votre compte Enedis et attendez 48 h", "load curve not enabled: enable hourly collection on your Enedis account and wait 48 h"),
                        _ => "",
                    };
                    let _ = writeln!(
                        out,
                        "  {label:<32} {} ({}, {} {})",
                        t(lang, "absent", "absent"),
                        why,
                        t(lang, "revérifié le", "checked again on"),
                        paris::local_date(a.recheck_at)
                    );
                    continue;
                }
                let span = plan.span(kind, now_local, m.activation_date);
                match store.fetched_range(&m.pdl, direction, kind)? {
                    Some((first, last, n)) => {
                        let holes = span.map(|(a, b)| {
                            let ledger = store
                                .ledger(&m.pdl, direction, kind, a, b)
                                .unwrap_or_default();
                            (b - a).num_days() as usize + 1
                                - ledger
                                    .values()
                                    .filter(|e| {
                                        matches!(
                                            e.state,
                                            linky_store::DayState::Fetched
                                                | linky_store::DayState::Absent
                                                | linky_store::DayState::Mismatch
                                        )
                                    })
                                    .count()
                        });
                        let _ = writeln!(
                            out,
                            "  {label:<32} {first} → {last}, {n} {}, {} {}",
                            t(lang, "jours", "days"),
                            holes.unwrap_or(0),
                            t(lang, "manquants", "missing")
                        );
                    }
                    None => {
                        let _ = writeln!(
                            out,
                            "  {label:<32} {}",
                            t(lang, "rien encore", "nothing yet")
                        );
                    }
                }
            }
        }
    }
    match store.last_run()? {
        Some((at, outcome, calls)) => {
            let _ = writeln!(
                out,
                "{} {} ({outcome}, {calls} {})",
                t(lang, "Dernière synchronisation :", "Last sync:"),
                paris::local(at).format("%Y-%m-%d %H:%M"),
                t(lang, "appels Enedis", "Enedis calls")
            );
        }
        None => {
            let _ = writeln!(
                out,
                "{}",
                t(
                    lang,
                    "Aucune synchronisation encore : lancez `linky sync`.",
                    "No sync yet: run `linky sync`."
                )
            );
        }
    }
    match super::daemon::planned(&store).and_then(|s| chrono::DateTime::parse_from_rfc3339(&s).ok())
    {
        Some(next) if next.to_utc() > now - Duration::minutes(5) => {
            let _ = writeln!(
                out,
                "{} {}",
                t(lang, "Prochaine synchronisation :", "Next sync:"),
                paris::local(next.to_utc()).format("%Y-%m-%d %H:%M")
            );
        }
        _ => {
            let _ = writeln!(out, "{}", t(lang, "Prochaine synchronisation : aucune prévue (le démon `linky run` ne tourne pas)", "Next sync: none planned (the `linky run` daemon is not running)"));
        }
    }
    Ok(out)
}
