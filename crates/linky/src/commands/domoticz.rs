//! `linky domoticz push` and `linky domoticz check`, and the push that follows a sync when
//! Domoticz is configured.

use std::fmt::Write;

use linky_core::history::MeterHistory;
use linky_core::tariff::cost::day_costs;
use linky_core::tariff::Money;
use linky_core::{Clock, Lang, Localized};
use linky_domoticz::client::{Auth, Connection, Domoticz, DomoticzError};
use linky_domoticz::cost::{cost_device_name, push_costs};
use linky_domoticz::dashboard::DashboardError;
use linky_domoticz::migration::{self, PluginHardware, PluginSettings};
use linky_domoticz::push::{
    device_name, find_device, merged_pairs, push_device, refresh_dashboard, remembered_device,
    DeviceOrigin, MeterPush, PushError, PushSettings,
};
use linky_store::{BothLanguages, PushRecord, PushedDevice, Store};

use super::{CommandError, CommandResult, Message, Paths};
use crate::settings::Settings;

fn line(out: &mut String, lang: Lang, fr: String, en: String) {
    out.push_str(&lang.pick(fr, en));
    out.push('\n');
}

fn domoticz_error(e: &DomoticzError) -> CommandError {
    CommandError::failed(Message {
        fr: e.localized(Lang::Fr),
        en: e.localized(Lang::En),
    })
}

fn push_error(e: PushError) -> CommandError {
    CommandError::failed(e)
}

/// The connection the settings describe; `None` when Domoticz is not configured.
pub fn connection(settings: &Settings) -> Option<Connection> {
    let z = &settings.domoticz;
    let url = z.url.clone()?;
    let auth = match (&z.token, &z.user, &z.password, &z.application) {
        (Some(t), _, _, _) => Auth::Bearer(t.expose().to_owned()),
        (None, Some(u), Some(p), Some(a)) => Auth::Password {
            user: u.clone(),
            password: p.expose().to_owned(),
            application: a.clone(),
        },
        (None, Some(u), Some(p), None) => Auth::Basic {
            user: u.clone(),
            password: p.expose().to_owned(),
        },
        _ => Auth::None,
    };
    Some(Connection {
        url,
        auth,
        accept_invalid_certs: z.accept_invalid_certs,
        ca_file: z.ca_file.clone(),
        force_2023_2: z.force_2023_2,
    })
}

fn not_configured() -> CommandError {
    CommandError::from(Message {
        fr: "Domoticz n'est pas configuré : lancez `linky init`, ou donnez `domoticz.url` dans le fichier de réglages ou LINKY_DOMOTICZ_URL".into(),
        en: "Domoticz is not configured: run `linky init`, or set `domoticz.url` in the settings file or LINKY_DOMOTICZ_URL".into(),
    })
}

fn push_settings(settings: &Settings, all: bool) -> Result<PushSettings, CommandError> {
    let z = &settings.domoticz;
    let typed = settings.typed()?;
    Ok(PushSettings {
        short_log_days: settings.sync.hours_days.into(),
        zone: typed.domoticz_zone,
        all,
        hardware_name: z.hardware.clone(),
        holiday_zone: typed.holiday_zone,
        day_indexes: z.day_indexes,
        // The secondary option no longer shapes the card: Domoticz derives "Today" from its
        // counters (domoticz.md §8).
        dashboard: typed.primary,
    })
}

/// What each device shows: every stored meter, then the merged consumption + production
/// devices of households with one meter of each kind.
fn devices_data(
    settings: &Settings,
    store: &Store,
    today: chrono::NaiveDate,
) -> Result<Vec<MeterHistory>, CommandError> {
    // The same split as the dashboard's, so the page shows what was pushed.
    let rules = super::web::split_rules(settings)?;
    let mut list = Vec::new();
    for meter in store.meters()? {
        list.push(store.history_of(&meter, &rules, today)?);
    }
    let pairs = merged_pairs(&list);
    for (c, p) in pairs {
        let m = MeterHistory::merged(&list[c], &list[p]);
        list.push(m);
    }
    Ok(list)
}

/// Pushes every device. `Ok(None)` when Domoticz is not configured. The outcome is kept in
/// the store for the dashboard's status card.
pub async fn push_all(
    settings: &Settings,
    paths: &Paths,
    clock: &dyn Clock,
    all: bool,
) -> Result<Option<Vec<MeterPush>>, CommandError> {
    let Some(connection) = connection(settings) else {
        return Ok(None);
    };
    let outcome = push_devices(settings, paths, clock, all, &connection).await;
    let at = clock
        .now()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let record = match &outcome {
        Ok(reports) => PushRecord {
            at,
            ok: reports.iter().all(|r| r.not_landed.is_empty()),
            devices: Some(
                reports
                    .iter()
                    .map(|r| PushedDevice {
                        key: r.key.clone(),
                        idx: r.idx,
                        days_sent: r.days_sent,
                        hours_sent: r.hours_sent,
                        unchanged: r.unchanged,
                        not_landed: r.not_landed.len(),
                    })
                    .collect(),
            ),
            error: None,
        },
        Err(e) => PushRecord {
            at,
            ok: false,
            devices: None,
            error: Some(BothLanguages {
                fr: e.message().localized(Lang::Fr),
                en: e.message().localized(Lang::En),
            }),
        },
    };
    // The push's own result matters more than this note about it.
    if let Ok(store) = Store::open(&paths.store()) {
        let _ = store.set_last_push(&record);
    }
    outcome.map(Some)
}

async fn push_devices(
    settings: &Settings,
    paths: &Paths,
    clock: &dyn Clock,
    all: bool,
    connection: &Connection,
) -> Result<Vec<MeterPush>, CommandError> {
    let d = Domoticz::connect(connection)
        .await
        .map_err(|e| domoticz_error(&e))?;
    let mut store = Store::open_checked(&paths.store())?;
    let push = push_settings(settings, all)?;
    let today = linky_core::paris::local_date(clock.now());
    let mut done = Vec::new();
    for data in devices_data(settings, &store, today)? {
        let report = push_device(&d, &mut store, &data, &push, clock.now())
            .await
            .map_err(push_error)?;
        done.push(report);
    }
    if settings.domoticz.cost_device {
        for (key, days) in daily_costs(settings, &store, today)? {
            let report = push_costs(&d, &mut store, &key, &days, &push, clock.now())
                .await
                .map_err(push_error)?;
            done.push(MeterPush {
                key: cost_device_name(&report.key),
                idx: report.idx,
                origin: report.origin,
                hours_sent: 0,
                days_sent: report.days_sent,
                unchanged: report.unchanged,
                days_without_split: 0,
                not_landed: report.not_landed,
                calls: 0,
                dashboard: report
                    .card
                    .map(|m| format!("{:.2} €", m.euros()))
                    .ok_or(DashboardError::NoData("day")),
            });
        }
    }
    Ok(done)
}

/// A meter's PDL and its cost per day.
type MeterCosts = (String, Vec<(chrono::NaiveDate, Money)>);

/// Each consumption meter's cost per day, at the prices of `[tariff]` with the stored colours.
fn daily_costs(
    settings: &Settings,
    store: &Store,
    today: chrono::NaiveDate,
) -> Result<Vec<MeterCosts>, CommandError> {
    let rules = super::web::split_rules(settings)?;
    let choice = settings.typed()?.tariff;
    let colours = store.day_colours()?;
    let mut out = Vec::new();
    for meter in store.meters()? {
        let data = store.history_of(&meter, &rules, today)?;
        let Some(prices) = linky_web::costs::meter_tariff(&choice, &meter, &data) else {
            continue;
        };
        let days = day_costs(&data, &prices.tariff, &colours)
            .into_iter()
            .map(|d| (d.date, d.cost.total()))
            .collect();
        out.push((meter.pdl.as_str().to_owned(), days));
    }
    Ok(out)
}

/// One line per meter, and what to do about adopted devices and rows that did not land.
pub fn summary(reports: &[MeterPush], lang: Lang) -> String {
    let mut out = String::new();
    for r in reports {
        let origin = match r.origin {
            DeviceOrigin::Known => lang.pick("", "").to_owned(),
            DeviceOrigin::Created => lang.pick(" (créé)", " (created)").to_owned(),
            DeviceOrigin::FoundByName => lang.pick(" (retrouvé par son nom)", " (found by its name)").to_owned(),
            DeviceOrigin::AdoptedFromPlugin => lang.pick(" (repris du plugin DomoticzLinky : désactivez ce plugin pour que deux programmes n'écrivent pas dans le même dispositif)", " (taken over from the DomoticzLinky plugin: disable that plugin so two programs do not write into the same device)").to_owned(),
        };
        line(&mut out, lang, format!("Domoticz : {} → dispositif {}{origin} : {} jours et {} heures envoyés, {} inchangés", r.key, r.idx, r.days_sent, r.hours_sent, r.unchanged),
                format!("Domoticz: {} → device {}{origin}: {} days and {} hours sent, {} unchanged", r.key, r.idx, r.days_sent, r.hours_sent, r.unchanged));
        match &r.dashboard {
            Ok(v) => line(&mut out, lang, format!("  tableau de bord : {v}"), format!("  dashboard: {v}")),
            Err(e) => line(&mut out, lang,
                "  tableau de bord inchangé : pas encore de données pour la période (Enedis publie la veille le lendemain)".into(),
                format!("  dashboard unchanged: {e}")),
        }
        if r.days_without_split > 0 {
            let _ = writeln!(out, "  {}", lang.pick(format!("{} jours sans courbe complète : leur total Enedis est dans le tarif 1 (pas de répartition HP/HC)", r.days_without_split),
                format!("{} days without a complete curve: their Enedis total is in tariff 1 (no peak/off-peak split)", r.days_without_split)));
        }
        if !r.not_landed.is_empty() {
            let _ = writeln!(out, "  {}", lang.pick(format!("{} lignes acceptées mais absentes des graphiques de Domoticz (ex. {}) : nouvel essai au prochain envoi ; voyez le journal de Domoticz", r.not_landed.len(), r.not_landed[0]),
                format!("{} rows accepted but missing from Domoticz's graphs (e.g. {}): another try at the next push; see Domoticz's log", r.not_landed.len(), r.not_landed[0])));
        }
    }
    out
}

/// `linky domoticz push [--all]`.
pub async fn push(
    settings: &Settings,
    paths: &Paths,
    lang: Lang,
    clock: &dyn Clock,
    all: bool,
) -> CommandResult {
    let reports = push_all(settings, paths, clock, all)
        .await?
        .ok_or_else(not_configured)?;
    if reports.is_empty() {
        return Ok(lang
            .pick(
                "aucun compteur dans le magasin : lancez `linky sync` d'abord\n",
                "no meter in the store: run `linky sync` first\n",
            )
            .to_owned());
    }
    let text = summary(&reports, lang);
    if reports.iter().any(|r| !r.not_landed.is_empty()) {
        crate::report::text_out(&text);
        return Err(CommandError::failed(Message {
            fr: "des lignes n'ont pas été enregistrées par Domoticz".into(),
            en: "some rows were not stored by Domoticz".into(),
        }));
    }
    Ok(text)
}

/// `linky domoticz check`: connection, rights, version, settings and devices, each problem
/// with its fix.
pub async fn check(settings: &Settings, paths: &Paths, lang: Lang) -> CommandResult {
    let connection = connection(settings).ok_or_else(not_configured)?;
    let d = Domoticz::connect(&connection)
        .await
        .map_err(|e| domoticz_error(&e))?;
    let mut out = String::new();
    let form = match d.form {
        linky_domoticz::client::ApiForm::Command => "type=command",
        linky_domoticz::client::ApiForm::Legacy => "legacy type=…",
    };
    line(
        &mut out,
        lang,
        format!(
            "Domoticz {} joint ({form}), identifiants acceptés",
            d.version
        ),
        format!(
            "Domoticz {} reached ({form}), credentials accepted",
            d.version
        ),
    );
    let mut problems = 0;
    match d.short_log_days().await {
        Ok(days) => {
            let wanted = i64::from(settings.sync.hours_days);
            line(
                &mut out,
                lang,
                format!(
                    "historique court de Domoticz : {days} jours (linky en écrit {})",
                    wanted.min(days)
                ),
                format!(
                    "Domoticz short log: {days} days (linky writes {})",
                    wanted.min(days)
                ),
            );
            if days < wanted {
                let _ = writeln!(out, "  {}", lang.pick(format!("pour {wanted} jours d'heures, réglez Configuration > Paramètres > Historique > « Short Log Sensors » à {wanted}"),
                    format!("for {wanted} days of hours, set Setup > Settings > Log History > \"Short Log Sensors\" to {wanted}")));
            }
        }
        Err(DomoticzError::NeedsAdmin(_) | DomoticzError::Refused { .. }) => {
            problems += 1;
            line(&mut out, lang, "l'utilisateur n'a pas les droits Administrateur : ils sont nécessaires pour créer le matériel et les dispositifs (Configuration > Utilisateurs)".into(),
                "the user lacks Admin rights, which creating the hardware and devices needs (Setup > Users)".into());
        }
        Err(e) => return Err(domoticz_error(&e)),
    }
    // Push needs Admin rights only to create a device or set a taken-over one's options.
    let admin = match d.rights().await {
        Ok(Some(rights)) => rights >= 2,
        Ok(None) | Err(_) => true,
    };
    let store = Store::open(&paths.store())?;
    let devices = d.devices().await.map_err(|e| domoticz_error(&e))?;
    let today = linky_core::paris::local_date(crate::clock::clock().now());
    for data in devices_data(settings, &store, today)? {
        let key = data.key.as_str();
        let known = remembered_device(&store, d.base_url(), key)?;
        let name = device_name(key);
        let merged = if key.contains(" / ") {
            lang.pick(
                " (consommation et production réunies, comme le plugin)",
                " (consumption and production together, as the plugin did)",
            )
            .to_owned()
        } else {
            String::new()
        };
        let (text, needs_admin) = match find_device(&devices, known, key) {
            Some((x, DeviceOrigin::AdoptedFromPlugin)) => (lang.pick(format!("compteur {key} : dispositif {} du plugin DomoticzLinky, repris avec son historique au prochain envoi ; ensuite, et seulement ensuite, désactivez le matériel du plugin (Configuration > Matériel)", x.idx),
                format!("meter {key}: device {} of the DomoticzLinky plugin, taken over with its history at the next push; then, and only then, disable the plugin's hardware (Setup > Hardware)", x.idx)), true),
            Some((x, _)) => (lang.pick(format!("compteur {key} : dispositif {} « {} »{merged}", x.idx, x.name),
                format!("meter {key}: device {} \"{}\"{merged}", x.idx, x.name)), false),
            None => (lang.pick(format!("compteur {key} : pas encore de dispositif, « {name} » sera créé au prochain envoi{merged}"),
                format!("meter {key}: no device yet, \"{name}\" will be created at the next push{merged}")), true),
        };
        let _ = writeln!(out, "{text}");
        if needs_admin && !admin {
            problems += 1;
            line(&mut out, lang,
                "  ce compte Domoticz n'a pas les droits Administrateur nécessaires pour créer ce dispositif : donnez-les lui (Configuration > Utilisateurs), ou faites un premier envoi avec un compte administrateur".into(),
                "  this Domoticz account needs Admin rights to create this device: give it them (Setup > Users), or make a first push with an admin account".into());
        }
    }
    if problems > 0 {
        crate::report::text_out(&out);
        return Err(CommandError::failed(Message {
            fr: format!("{problems} problème(s) à corriger ci-dessus"),
            en: format!("{problems} problem(s) to fix above"),
        }));
    }
    Ok(out)
}

/// Re-sends every device's dashboard value (the daemon, every hour). Errors are told, not fatal.
pub async fn refresh_dashboards(settings: &Settings, paths: &Paths, clock: &dyn Clock, lang: Lang) {
    let Some(connection) = connection(settings) else {
        return;
    };
    let result: Result<(), CommandError> = async {
        let d = Domoticz::connect(&connection)
            .await
            .map_err(|e| domoticz_error(&e))?;
        let store = Store::open(&paths.store())?;
        let push = push_settings(settings, false)?;
        let today = linky_core::paris::local_date(clock.now());
        for data in devices_data(settings, &store, today)? {
            refresh_dashboard(&d, &store, &data, &push, today)
                .await
                .map_err(push_error)?;
        }
        Ok(())
    }
    .await;
    if let Err(e) = result {
        crate::report::line_err(&format!("linky: {}", e.message().localized(lang)));
    }
}

/// The DomoticzLinky hardware (the first, enabled ones first) with its settings and meters, read
/// through `d`.
pub async fn find_plugin(
    d: &Domoticz,
) -> Result<Option<(PluginHardware, PluginSettings, Vec<String>)>, CommandError> {
    let hardware = d
        .call("gethardware", &[])
        .await
        .map_err(|e| domoticz_error(&e))?;
    let mut found = migration::plugin_hardware(&hardware);
    found.sort_by_key(|h| !h.enabled);
    let Some(plugin) = found.into_iter().next() else {
        return Ok(None);
    };
    let devices = d
        .call("getdevices", &[("displaydisabled", "1")])
        .await
        .map_err(|e| domoticz_error(&e))?;
    let meters = migration::meters_of_devices(&devices, plugin.idx);
    let settings = PluginSettings::from_modes(&plugin.modes);
    Ok(Some((plugin, settings, meters)))
}

/// `linky domoticz migrate`: what the DomoticzLinky plugin was set to, what linky will do
/// instead, and the next step, from "write the settings" to "disable the plugin now".
pub async fn migrate(settings: &Settings, paths: &Paths, lang: Lang) -> CommandResult {
    let connection = connection(settings).ok_or_else(not_configured)?;
    let d = Domoticz::connect(&connection)
        .await
        .map_err(|e| domoticz_error(&e))?;
    let Some((plugin, found, meters)) = find_plugin(&d).await? else {
        return Ok(lang.pick(format!("Aucun matériel DomoticzLinky (greffon « linky ») dans Domoticz {} : rien à migrer. Lancez `linky init` pour partir de zéro.\n", d.version),
            format!("No DomoticzLinky hardware (plugin \"linky\") in Domoticz {}: nothing to migrate. Run `linky init` to start afresh.\n", d.version),
        ));
    };
    let mut out = String::new();
    let state = if plugin.enabled {
        ("activé", "enabled")
    } else {
        ("désactivé", "disabled")
    };
    line(
        &mut out,
        lang,
        format!(
            "Greffon DomoticzLinky trouvé : « {} » (matériel {}, {})",
            plugin.name, plugin.idx, state.0
        ),
        format!(
            "DomoticzLinky plugin found: \"{}\" (hardware {}, {})",
            plugin.name, plugin.idx, state.1
        ),
    );
    line(
        &mut out,
        lang,
        format!(
            "compteurs de ses dispositifs : {}",
            if meters.is_empty() {
                "aucun".to_owned()
            } else {
                meters.join(", ")
            }
        ),
        format!(
            "meters of its devices: {}",
            if meters.is_empty() {
                "none".to_owned()
            } else {
                meters.join(", ")
            }
        ),
    );
    let schedule = if found.offpeak.is_empty() {
        Ok(None)
    } else {
        linky_core::offpeak::OffPeakSchedule::parse(&found.offpeak).map(Some)
    };
    let mut wanted = Vec::new();
    match &schedule {
        Ok(Some(s)) => {
            line(&mut out, lang,
                format!("heures creuses : « {} », comprises comme {s}", found.offpeak),
                format!("off-peak hours: \"{}\", understood as {s}", found.offpeak));
            if settings.offpeak.schedule != found.offpeak {
                wanted.push(format!("[offpeak] schedule = {:?}", found.offpeak));
            }
        }
        Ok(None) => line(&mut out, lang,
            "heures creuses : aucune (linky prendra celles de votre contrat Enedis)".into(),
            "off-peak hours: none (linky takes those of your Enedis contract)".into()),
        Err(e) => line(&mut out, lang,
            format!("heures creuses : « {} » n'est pas repris tel quel : {} ; corrigez-le avec `linky offpeak show --schedule …`", found.offpeak, e.localized(Lang::Fr)),
            format!("off-peak hours: \"{}\" is not taken as is: {}; fix it with `linky offpeak show --schedule …`", found.offpeak, e.localized(Lang::En))),
    }
    line(&mut out, lang,
        format!("historique : {} jours (linky récupère jusqu'à 730 jours de courbe et 1 095 de totaux), heures : {} jours, tableau de bord : {} / {}", found.history_days, found.hours_days, found.primary, found.secondary),
        format!("history: {} days (linky fetches up to 730 days of curve and 1,095 of daily totals), hours: {} days, dashboard: {} / {}", found.history_days, found.hours_days, found.primary, found.secondary));
    if settings.sync.hours_days != found.hours_days {
        wanted.push(format!("[sync] hours_days = {}", found.hours_days));
    }
    if settings.dashboard.primary != found.primary
        || settings.dashboard.secondary != found.secondary
    {
        wanted.push(format!(
            "[dashboard] primary = {:?}, secondary = {:?}",
            found.primary, found.secondary
        ));
    }
    line(&mut out, lang,
        "ce qui change : linky écrit dans ses propres dispositifs (matériel factice « Linky ») et y remet tout l'historique depuis Enedis ; les dispositifs du greffon gardent leur historique, sans nouvelles valeurs".into(),
        "what changes: linky writes into devices of its own (a Dummy hardware \"Linky\") and puts the whole history back from Enedis; the plugin's devices keep their history, with no new values".into());

    let store = Store::open(&paths.store())?;
    let pushed = store.last_push().ok().flatten().is_some_and(|r| r.ok);
    let stored = store.meters().map(|m| m.len()).unwrap_or(0);
    let next = if !wanted.is_empty() || stored == 0 {
        let mut fr = String::from("Étape suivante : `linky init --from-domoticzlinky` reprend ces réglages (et demande l'accès à Enedis : un nouvel accord est nécessaire, le greffon ne peut pas transmettre le sien)");
        let mut en = String::from("Next step: `linky init --from-domoticzlinky` takes these settings (and asks for the way to Enedis: a new consent is needed, the plugin cannot hand over its own)");
        if !wanted.is_empty() {
            fr.push_str(&format!(
                " ; ou ajoutez à vos réglages : {}",
                wanted.join(" ; ")
            ));
            en.push_str(&format!("; or add to your settings: {}", wanted.join("; ")));
        }
        (fr, en)
    } else if !pushed {
        (
            "Étape suivante : `linky sync` puis `linky domoticz push`, pour que linky écrive ses dispositifs avant l'arrêt du greffon.".to_owned(),
            "Next step: `linky sync` then `linky domoticz push`, so linky writes its devices before the plugin stops.".to_owned(),
        )
    } else if plugin.enabled {
        (
            format!("linky a écrit ses dispositifs : désactivez maintenant le greffon (Configuration > Matériel > « {} » : décochez « Activé », puis Modifier), sinon les deux écrivent chaque jour.", plugin.name),
            format!("linky has written its devices: now disable the plugin (Setup > Hardware > \"{}\": untick \"Enabled\", then Update), or both write every day.", plugin.name),
        )
    } else {
        (
            "Migration terminée : le greffon est désactivé et linky écrit ses dispositifs. Supprimez les anciens dispositifs quand vous n'avez plus besoin de leur historique.".to_owned(),
            "Migration complete: the plugin is disabled and linky writes its devices. Delete the old devices when you no longer need their history.".to_owned(),
        )
    };
    line(&mut out, lang, next.0, next.1);
    Ok(out)
}
