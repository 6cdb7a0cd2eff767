//! `linky init`: the few questions a new user must answer (the way to Enedis, the meters found,
//! Domoticz with a live check, the off-peak schedule shown back as a grid), then a commented
//! settings file. Every question has a flag, so scripts run it with `--non-interactive`.
//! `linky domoticz migrate` writes its file through the same [`Draft`].

use std::io::{BufRead, Write};

use std::path::{Path, PathBuf};

use linky_core::offpeak::OffPeakSchedule;
use linky_core::{Lang, Localized};

use super::{CommandError, CommandResult, Message, Paths};
use crate::cli::InitArgs;

/// How linky reaches Enedis, as written in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Way {
    /// The Conso API gateway at this address (the token goes to the owner-only token file).
    ConsoApi(String),
    /// A consent proxy, by address or profile name (`domoticzlinky`), for `linky login`.
    Proxy(String),
    /// The user's own Enedis application.
    Direct {
        /// Enedis API address.
        api_url: String,
        /// Client id.
        client_id: String,
        /// Client secret, if given (else `LINKY_ENEDIS_CLIENT_SECRET`).
        client_secret: Option<String>,
        /// The meters.
        meters: Vec<String>,
    },
}

/// Domoticz's address and credentials.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DomoticzDraft {
    /// Address.
    pub url: String,
    /// User.
    pub user: Option<String>,
    /// Password.
    pub password: Option<String>,
    /// OAuth token, instead of a user and password.
    pub token: Option<String>,
}

/// What the settings file will hold; everything else keeps its default, shown commented.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Draft {
    /// The way in; `None` writes the template (every line commented).
    pub way: Option<Way>,
    /// Off-peak schedule, in the original's syntax.
    pub offpeak: Option<String>,
    /// Alsace-Moselle holidays.
    pub alsace_moselle: bool,
    /// Domoticz.
    pub domoticz: Option<DomoticzDraft>,
    /// Days of load curve.
    pub history_days: Option<u32>,
    /// Days of hourly values in Domoticz's short log.
    pub hours_days: Option<u32>,
    /// The dashboard's two values (the original's Mode5, Mode6).
    pub dashboard: Option<(String, String)>,
    /// Name of the Domoticz hardware linky writes to.
    pub hardware: Option<String>,
}

/// A TOML string, quoted and escaped.
fn quoted(text: &str) -> String {
    toml::Value::String(text.to_owned()).to_string()
}

/// `key = value` when set, else the default commented out.
fn line(out: &mut String, key: &str, value: Option<String>, default: &str, note: &str) {
    let note = if note.is_empty() {
        String::new()
    } else {
        format!("   # {note}")
    };
    match value {
        Some(v) => out.push_str(&format!("{key} = {v}{note}\n")),
        None => out.push_str(&format!("# {key} = {default}{note}\n")),
    }
}

impl Draft {
    /// The settings file: French and English comments, set values active, the rest commented.
    pub fn render(&self) -> String {
        let mut o = String::from(
            "# linky — réglages / settings. `linky config show` prints what is in force.\n\
             # Written by `linky init`; edit freely, then check with `linky doctor`.\n\
             # Each setting also has an environment variable (README, \"Settings\").\n\n",
        );
        let proxy = match &self.way {
            Some(Way::Proxy(p)) => Some(quoted(p)),
            _ => None,
        };
        o.push_str("# Accès à Enedis / the way to Enedis: one of proxy, [conso_api] (token from `linky login --conso-api`), [direct].\n");
        line(
            &mut o,
            "proxy",
            proxy,
            "\"domoticzlinky\"",
            "then `linky login`",
        );
        o.push_str("\n[conso_api]\n");
        let conso = match &self.way {
            Some(Way::ConsoApi(url)) => Some(quoted(url)),
            _ => None,
        };
        line(&mut o, "url", conso, "\"https://conso.boris.sh\"", "");
        o.push_str("# token = \"…\"   # better kept by `linky login --conso-api <token>` (owner-only file)\n");

        o.push_str("\n[direct]   # your own Enedis Data Connect contract\n");
        match &self.way {
            Some(Way::Direct {
                api_url,
                client_id,
                client_secret,
                meters,
            }) => {
                line(&mut o, "api_url", Some(quoted(api_url)), "", "");
                line(&mut o, "client_id", Some(quoted(client_id)), "", "");
                line(
                    &mut o,
                    "client_secret",
                    client_secret.as_deref().map(quoted),
                    "\"…\"",
                    "or LINKY_ENEDIS_CLIENT_SECRET",
                );
                let list: Vec<String> = meters.iter().map(|m| quoted(m)).collect();
                line(&mut o, "meters", Some(format!("[{}]", list.join(", "))), "", "");
            }
            _ => o.push_str("# api_url = \"https://gw.ext.prod.api.enedis.fr\"\n# client_id = \"…\"\n# client_secret = \"…\"\n# meters = [\"12345678901234\"]\n"),
        }

        o.push_str("\n[offpeak]   # heures creuses, syntax of the original plugin; check with `linky offpeak show`\n");
        line(
            &mut o,
            "schedule",
            self.offpeak.as_deref().map(quoted),
            "\"22h00-6h00\"",
            "empty: the hours of your Enedis contract",
        );
        line(
            &mut o,
            "alsace_moselle",
            self.alsace_moselle.then(|| "true".to_owned()),
            "false",
            "",
        );

        o.push_str("\n[sync]\n");
        line(
            &mut o,
            "history_days",
            self.history_days.map(|d| d.to_string()),
            "730",
            "days of load curve, 2 to 730",
        );
        line(
            &mut o,
            "hours_days",
            self.hours_days.map(|d| d.to_string()),
            "7",
            "days of hourly values in Domoticz's short log",
        );

        o.push_str("\n[dashboard]   # the Domoticz card's values (the original's two options)\n");
        let (primary, secondary) = match &self.dashboard {
            Some((p, s)) => (Some(quoted(p)), Some(quoted(s))),
            None => (None, None),
        };
        line(&mut o, "primary", primary, "\"peak_day\"", "");
        line(&mut o, "secondary", secondary, "\"value_day\"", "");

        o.push_str("\n[domoticz]\n");
        let d = self.domoticz.clone().unwrap_or_default();
        let set = self.domoticz.is_some();
        line(
            &mut o,
            "url",
            set.then(|| quoted(&d.url)),
            "\"http://127.0.0.1:8080\"",
            "",
        );
        line(
            &mut o,
            "user",
            d.user.as_deref().map(quoted),
            "\"linky\"",
            "a Domoticz user with admin rights (Setup → Users)",
        );
        line(
            &mut o,
            "password",
            d.password.as_deref().map(quoted),
            "\"…\"",
            "or LINKY_DOMOTICZ_PASSWORD",
        );
        line(
            &mut o,
            "token",
            d.token.as_deref().map(quoted),
            "\"…\"",
            "instead of user and password",
        );
        line(
            &mut o,
            "hardware",
            self.hardware.as_deref().map(quoted),
            "\"Linky\"",
            "",
        );

        o.push_str("\n[tariff]   # what your contract costs; unset: the regulated tariff your contract suggests\n");
        o.push_str("# option = \"hphc\"          # base, hphc or tempo at the regulated prices\n");
        o.push_str("# power_kva = 6             # unset: your contract's\n");
        o.push_str(
            "# subscription = \"15.74\"  # euros per month, taxes included, as on the bill\n",
        );
        o.push_str("# colours = \"edf\"         # Tempo/EJP colours: edf (public), rte (your RTE app) or off\n");
        o.push_str("# Your own dated prices instead (a market offer): see [[tariff.prices]] in the README.\n");

        o.push_str("\n[web]   # the dashboard of `linky run`\n");
        o.push_str("# listen = \"127.0.0.1:8765\"   # 0.0.0.0:8765 for the home network, then set password\n");
        o.push_str("# password = \"…\"\n");
        o
    }
}

/// Writes `text` to `path` atomically, readable by its owner only (it may hold passwords).
pub fn write_settings(path: &Path, text: &str, force: bool) -> Result<(), CommandError> {
    let io = |e: std::io::Error| Message {
        fr: format!("impossible d'écrire {} : {e}", path.display()),
        en: format!("cannot write {}: {e}", path.display()),
    };
    if path.exists() && !force {
        return Err(Message {
            fr: format!(
                "{} existe déjà : ajoutez --force pour le remplacer (l'ancien est gardé en .bak)",
                path.display()
            ),
            en: format!(
                "{} already exists: add --force to replace it (the old one is kept as .bak)",
                path.display()
            ),
        }
        .into());
    }
    if path.exists() {
        std::fs::copy(path, path.with_extension("toml.bak")).map_err(io)?;
    }
    linky_enedis::tokens::write_private(path, text.as_bytes()).map_err(io)?;
    Ok(())
}

/// Asks on standard input, one line per answer (a script may pipe its answers in), unless
/// `--non-interactive`.
struct Questions {
    interactive: bool,
    lang: Option<Lang>,
}

impl Questions {
    fn say(&self, fr: &str, en: &str) -> String {
        match self.lang {
            Some(Lang::En) => en.to_owned(),
            Some(Lang::Fr) => fr.to_owned(),
            None => format!("{fr} / {en}"),
        }
    }

    /// The given value, else the answer (empty: `None`), else nothing when not interactive.
    fn ask(&self, given: Option<&str>, fr: &str, en: &str) -> Option<String> {
        if let Some(v) = given {
            return Some(v.to_owned());
        }
        if !self.interactive {
            return None;
        }
        let mut out = std::io::stdout().lock();
        let _ = write!(out, "{} ", self.say(fr, en));
        let _ = out.flush();
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer).ok()?;
        Some(answer.trim().to_owned()).filter(|a| !a.is_empty())
    }

    fn note(&self, text: &str) {
        crate::report::line_out(text);
    }
}

fn missing(flag: &str, fr: &str, en: &str) -> CommandError {
    Message {
        fr: format!("{fr} : donnez {flag} (ou lancez `linky init` sans --non-interactive)"),
        en: format!("{en}: give {flag} (or run `linky init` without --non-interactive)"),
    }
    .into()
}

/// `linky init`.
pub async fn run(
    args: &InitArgs,
    config: PathBuf,
    paths: &Paths,
    lang: Option<Lang>,
) -> CommandResult {
    if args.template {
        return Ok(Draft::default().render());
    }
    if config.exists() && !args.force {
        // Said before any question, not after them.
        write_settings(&config, "", false)?;
    }
    let q = Questions {
        interactive: !args.non_interactive,
        lang,
    };
    let mut draft = Draft::default();

    // 1. The way in.
    let source = q
        .ask(
            args.source.as_deref(),
            "Accès : 1 API Conso (gratuite, conso.boris.sh), 2 proxy DomoticzLinky, 3 un linky-proxy, 4 contrat Enedis direct [1] :",
            "Way in: 1 Conso API (free, conso.boris.sh), 2 DomoticzLinky proxy, 3 a linky-proxy, 4 own Enedis contract [1]:",
        )
        .unwrap_or_else(|| "conso-api".to_owned());
    draft.way = Some(match source.as_str() {
        "1" | "conso-api" => {
            let url = args
                .conso_api_url
                .clone()
                .or_else(|| {
                    std::env::var("LINKY_CONSO_API_URL")
                        .ok()
                        .filter(|u| !u.is_empty())
                })
                .unwrap_or_else(|| enedis_protocol::conso_api::PUBLIC_URL.to_owned());
            let token = q
                .ask(
                    args.conso_api_token.as_deref(),
                    "Jeton copié depuis conso.boris.sh (après votre accord) :",
                    "Token copied from conso.boris.sh (after your consent):",
                )
                .ok_or_else(|| {
                    missing(
                        "--conso-api-token",
                        "il manque le jeton de l'API Conso",
                        "the Conso API token is missing",
                    )
                })?;
            let kept = super::account::conso_api_login(&url, &token, paths, lang)?;
            q.note(kept.trim_end());
            Way::ConsoApi(url)
        }
        "2" | "domoticzlinky" => Way::Proxy("domoticzlinky".to_owned()),
        "3" | "proxy" => {
            let url = q
                .ask(
                    args.proxy.as_deref(),
                    "Adresse du linky-proxy :",
                    "The linky-proxy's address:",
                )
                .ok_or_else(|| {
                    missing(
                        "--proxy",
                        "il manque l'adresse du proxy",
                        "the proxy's address is missing",
                    )
                })?;
            Way::Proxy(url)
        }
        "4" | "direct" => {
            let api_url = args
                .enedis_api_url
                .clone()
                .unwrap_or_else(|| "https://gw.ext.prod.api.enedis.fr".to_owned());
            let client_id = q
                .ask(
                    args.enedis_client_id.as_deref(),
                    "Client id de votre application Enedis :",
                    "Your Enedis application's client id:",
                )
                .ok_or_else(|| {
                    missing(
                        "--enedis-client-id",
                        "il manque le client id",
                        "the client id is missing",
                    )
                })?;
            let meters = q
                .ask(
                    args.meters.as_deref(),
                    "Vos compteurs (PDL, séparés par des virgules) :",
                    "Your meters (PDL, comma-separated):",
                )
                .ok_or_else(|| {
                    missing(
                        "--meters",
                        "il manque les compteurs",
                        "the meters are missing",
                    )
                })?;
            let meters = meters
                .split(',')
                .map(|m| {
                    m.trim()
                        .parse::<linky_core::UsagePoint>()
                        .map(|p| p.to_string())
                })
                .collect::<Result<Vec<_>, _>>()?;
            Way::Direct {
                api_url,
                client_id,
                client_secret: args.enedis_client_secret.clone(),
                meters,
            }
        }
        other => {
            return Err(Message {
                fr: format!(
                "accès « {other} » inconnu : choisissez conso-api, domoticzlinky, proxy ou direct"
            ),
                en: format!(
                    "unknown way in \"{other}\": choose conso-api, domoticzlinky, proxy or direct"
                ),
            }
            .into())
        }
    });

    // 2. Domoticz, checked live.
    if !args.no_domoticz {
        if let Some(url) = q.ask(
            args.domoticz_url.as_deref(),
            "Adresse de Domoticz (vide : sans Domoticz), par exemple http://127.0.0.1:8080 :",
            "Domoticz's address (empty: no Domoticz), e.g. http://127.0.0.1:8080:",
        ) {
            let mut d = DomoticzDraft {
                url,
                token: args.domoticz_token.clone(),
                ..DomoticzDraft::default()
            };
            if d.token.is_none() {
                d.user = q.ask(
                    args.domoticz_user.as_deref(),
                    "Utilisateur Domoticz (vide : aucun) :",
                    "Domoticz user (empty: none):",
                );
                if d.user.is_some() {
                    d.password = q.ask(
                        args.domoticz_password.as_deref(),
                        "Mot de passe Domoticz :",
                        "Domoticz password:",
                    );
                }
            }
            q.note(&check_domoticz(&d, lang).await);
            draft.domoticz = Some(d);
        }
    }

    // The plugin's answers, when leaving DomoticzLinky.
    let mut plugin_offpeak = None;
    if args.from_domoticzlinky {
        let from = plugin_settings(&draft).await?;
        q.note(&q.say(
            &format!("Réglages repris du greffon DomoticzLinky : historique {} jours, heures {} jours, tableau de bord {} / {}, heures creuses « {} ».", from.history_days, from.hours_days, from.primary, from.secondary, from.offpeak),
            &format!("Settings taken from the DomoticzLinky plugin: history {} days, hours {} days, dashboard {} / {}, off-peak \"{}\".", from.history_days, from.hours_days, from.primary, from.secondary, from.offpeak),
        ));
        draft.hours_days = Some(from.hours_days);
        draft.dashboard = Some((from.primary, from.secondary));
        // The plugin's history was its limit, not a wish: linky keeps its own default (730).
        plugin_offpeak = Some(from.offpeak).filter(|o| !o.is_empty());
    }

    // 3. The off-peak schedule, shown back.
    while let Some(text) = q.ask(
        args.offpeak.as_deref().or(plugin_offpeak.as_deref()),
        "Heures creuses (par exemple 22h00-6h00 ; vide : celles de votre contrat Enedis) :",
        "Off-peak hours (e.g. 22h00-6h00; empty: those of your Enedis contract):",
    ) {
        match OffPeakSchedule::parse(&text) {
            Ok(_) => {
                let shown = super::offpeak::show(
                    &crate::cli::ShowArgs {
                        schedule: crate::cli::ScheduleArgs {
                            schedule: text.clone(),
                            pdl: None,
                            production: false,
                            alsace_moselle: args.alsace_moselle,
                        },
                        from: None,
                        days: 7,
                    },
                    &*crate::clock::clock(),
                    lang,
                )?;
                q.note(shown.trim_end());
                draft.offpeak = Some(text);
                break;
            }
            Err(e) if plugin_offpeak.as_deref() == Some(text.as_str()) => {
                // The plugin accepted schedules linky refuses: say why and ask (or leave it out).
                q.note(&e.localized(lang.unwrap_or(Lang::Fr)));
                plugin_offpeak = None;
            }
            Err(e) if q.interactive && args.offpeak.is_none() => {
                q.note(&e.localized(lang.unwrap_or(Lang::Fr)));
            }
            Err(e) => return Err(e.into()),
        }
    }
    draft.alsace_moselle = args.alsace_moselle;

    let text = draft.render();
    // What is written must load: a file `linky init` wrote never stops the daemon.
    crate::settings::Settings::parse(&text, &config.display().to_string())
        .and_then(|s| s.validate())?;
    write_settings(&config, &text, args.force)?;
    Ok(next_steps(&draft, &config, lang))
}

/// The DomoticzLinky plugin's settings, from the Domoticz of the draft.
async fn plugin_settings(
    draft: &Draft,
) -> Result<linky_domoticz::migration::PluginSettings, CommandError> {
    let settings = settings_for(draft.domoticz.as_ref().ok_or_else(|| {
        missing(
            "--domoticz-url",
            "--from-domoticzlinky lit le greffon dans Domoticz",
            "--from-domoticzlinky reads the plugin in Domoticz",
        )
    })?);
    let connection = super::domoticz::connection(&settings)
        .ok_or_else(|| missing("--domoticz-url", "Domoticz manque", "Domoticz is missing"))?;
    let d = linky_domoticz::client::Domoticz::connect(&connection)
        .await
        .map_err(|e| Message {
            fr: e.fr(),
            en: e.to_string(),
        })?;
    match super::domoticz::find_plugin(&d).await? {
        Some((_, found, _)) => Ok(found),
        None => Err(Message {
            fr: "aucun greffon DomoticzLinky dans ce Domoticz : relancez sans --from-domoticzlinky"
                .into(),
            en: "no DomoticzLinky plugin in this Domoticz: run again without --from-domoticzlinky"
                .into(),
        }
        .into()),
    }
}

fn settings_for(d: &DomoticzDraft) -> crate::settings::Settings {
    let mut settings = crate::settings::Settings::default();
    settings.domoticz.url = Some(d.url.clone());
    settings.domoticz.user = d.user.clone();
    settings.domoticz.password = d.password.as_deref().map(Into::into);
    settings.domoticz.token = d.token.as_deref().map(Into::into);
    settings
}

/// Connects to Domoticz as the draft says and tells what it found.
async fn check_domoticz(d: &DomoticzDraft, lang: Option<Lang>) -> String {
    let settings = settings_for(d);
    let Some(connection) = super::domoticz::connection(&settings) else {
        return String::new();
    };
    let say = |fr: String, en: String| Lang::pick_or_both(lang, &fr, &en);
    match linky_domoticz::client::Domoticz::connect(&connection).await {
        Ok(z) => say(
            format!("Domoticz {} joint à {}.", z.version, d.url),
            format!("Reached Domoticz {} at {}.", z.version, d.url),
        ),
        Err(e) => say(
            format!("Attention : Domoticz ne répond pas comme prévu ({}) ; l'adresse est gardée, vérifiez ensuite avec `linky domoticz check`.", e.fr()),
            format!("Warning: Domoticz does not answer as expected ({}); the address is kept, check later with `linky domoticz check`.", e),
        ),
    }
}

fn next_steps(draft: &Draft, config: &Path, lang: Option<Lang>) -> String {
    let shown = config.display();
    let (fr, en) = match &draft.way {
        Some(Way::Proxy(p)) => (
            format!("Réglages écrits dans {shown}. Ensuite : `linky login` (accord chez Enedis via {p}), puis `linky sync`, puis `linky run` (ou le service systemd)."),
            format!("Settings written to {shown}. Next: `linky login` (consent at Enedis through {p}), then `linky sync`, then `linky run` (or the systemd service)."),
        ),
        _ => (
            format!("Réglages écrits dans {shown}. Ensuite : `linky sync`, puis `linky run` (ou le service systemd)."),
            format!("Settings written to {shown}. Next: `linky sync`, then `linky run` (or the systemd service)."),
        ),
    };
    format!("{}\n", Lang::pick_or_both(lang, &fr, &en))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_and_a_full_draft_load_as_settings() {
        let template = Draft::default().render();
        let s = crate::settings::Settings::parse(&template, "template").unwrap();
        assert_eq!(s, crate::settings::Settings::default(), "nothing active");
        let draft = Draft {
            way: Some(Way::Direct {
                api_url: "https://gw.ext.prod.api.enedis.fr".into(),
                client_id: "id \"quoted\"".into(),
                client_secret: Some("s3cret".into()),
                meters: vec!["12345678901234".into()],
            }),
            offpeak: Some("22h00-6h00".into()),
            alsace_moselle: true,
            domoticz: Some(DomoticzDraft {
                url: "http://127.0.0.1:8080".into(),
                user: Some("linky".into()),
                password: Some("pa\\ss".into()),
                token: None,
            }),
            history_days: Some(365),
            hours_days: Some(3),
            dashboard: Some(("peak_cweek".into(), "mean_day".into())),
            hardware: Some("Linky".into()),
        };
        let s = crate::settings::Settings::parse(&draft.render(), "draft").unwrap();
        s.validate().unwrap();
        assert_eq!(s.direct.client_id.as_deref(), Some("id \"quoted\""));
        assert_eq!(
            s.domoticz.password.as_ref().map(|p| p.expose()),
            Some("pa\\ss")
        );
        assert_eq!(s.offpeak.schedule, "22h00-6h00");
        assert!(s.offpeak.alsace_moselle);
        assert_eq!(s.sync.history_days, 365);
        assert_eq!(s.dashboard.primary, "peak_cweek");
    }
}
