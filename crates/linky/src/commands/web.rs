//! The dashboard as `linky run`, `linky dashboard` and `linky demo` serve it.

use std::path::PathBuf;
use std::sync::Arc;

use linky_core::history::SplitRules;
use linky_core::{Clock, Lang};
use linky_web::{Access, WebConfig};

use super::{CommandError, CommandResult, Paths};
use crate::settings::Settings;

/// The off-peak rules the settings give (the user's schedule, else each meter's contract).
pub fn split_rules(settings: &Settings) -> Result<SplitRules, CommandError> {
    let typed = settings.typed()?;
    Ok(SplitRules {
        user_schedule: typed.user_schedule,
        holiday_zone: typed.holiday_zone,
    })
}

/// What the dashboard serves for these settings.
pub fn config(
    settings: &Settings,
    store: PathBuf,
    lang: Lang,
    clock: Arc<dyn Clock>,
) -> Result<WebConfig, CommandError> {
    Ok(WebConfig {
        store,
        rules: split_rules(settings)?,
        tariff: settings.typed()?.tariff,
        access: Access {
            password: settings
                .web
                .password
                .as_ref()
                .map(|p| p.expose().to_owned()),
            token: settings.web.token.as_ref().map(|t| t.expose().to_owned()),
        },
        domoticz_configured: settings.domoticz.url.is_some(),
        lang,
        clock,
    })
}

/// Binds the dashboard's address and tells it; the server then runs until `shutdown`.
pub async fn start(
    settings: &Settings,
    config: WebConfig,
    lang: Lang,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<impl std::future::Future<Output = std::io::Result<()>>, CommandError> {
    let address = settings.web.address()?;
    let listener = linky_web::bind(address, &config.access).await?;
    let bound = listener.local_addr().unwrap_or(address);
    let shown = if bound.ip().is_unspecified() {
        match lang {
            Lang::Fr => format!(
                "http://{bound}/ (depuis le réseau : l'adresse de cette machine, port {})",
                bound.port()
            ),
            Lang::En => format!(
                "http://{bound}/ (from the network: this machine's address, port {})",
                bound.port()
            ),
        }
    } else {
        format!("http://{bound}/")
    };
    crate::report::line_out(&match lang {
        Lang::Fr => format!("Tableau de bord : {shown}"),
        Lang::En => format!("Dashboard: {shown}"),
    });
    Ok(linky_web::serve(listener, config, shutdown))
}

/// `linky dashboard`: serves until Ctrl-C or SIGTERM.
pub async fn serve_only(settings: &Settings, paths: &Paths, lang: Lang) -> CommandResult {
    let config = config(settings, paths.store(), lang, crate::clock::clock())?;
    let server = start(settings, config, lang, super::shutdown_signal()).await?;
    server.await.map_err(|e| {
        CommandError::failed(super::Message {
            fr: format!("le tableau de bord s'est arrêté : {e}"),
            en: format!("the dashboard stopped: {e}"),
        })
    })?;
    Ok(match lang {
        Lang::Fr => "Tableau de bord arrêté.\n".into(),
        Lang::En => "Dashboard stopped.\n".into(),
    })
}
