//! `linky login` and `linky logout`.

use std::io::Write;
use std::sync::Arc;

use linky_core::{Clock, Lang, UsagePoint};
use linky_enedis::login::{DeviceCode, DeviceFlow};
use linky_enedis::tokens::TokenFile;
use linky_store::Store;
use qrcode::render::unicode::Dense1x2;
use qrcode::QrCode;

use super::{CommandError, CommandResult, Message, Paths};

fn say(lang: Option<Lang>, fr: &str, en: &str) -> String {
    match lang {
        Some(Lang::Fr) => fr.to_owned(),
        Some(Lang::En) => en.to_owned(),
        None => format!("{fr}\n{en}"),
    }
}

/// What the person must do, with a QR code of the address for a phone.
fn instructions(code: &DeviceCode, lang: Option<Lang>) -> String {
    let address = code.address();
    let qr = QrCode::new(address.as_bytes())
        .map(|q| q.render::<Dense1x2>().quiet_zone(true).build())
        .unwrap_or_default();
    format!(
        "{}\n\n    {address}\n\n{}\n\n    {}\n\n{qr}\n{}\n",
        say(
            lang,
            "Ouvrez cette adresse (ou scannez le code QR avec votre téléphone) :",
            "Open this address (or scan the QR code with your phone):"
        ),
        say(
            lang,
            "et saisissez ce code s'il est demandé :",
            "and type this code if asked:"
        ),
        code.user_code,
        say(
            lang,
            &format!(
                "En attente de votre accord chez Enedis (le code expire dans {} minutes)…",
                code.expires_in / 60
            ),
            &format!(
                "Waiting for your consent at Enedis (the code expires in {} minutes)…",
                code.expires_in / 60
            )
        ),
    )
}

/// `linky login`: the device flow, then the tokens and meters saved.
pub async fn login(
    args: &crate::cli::LoginArgs,
    configured_proxy: Option<&str>,
    paths: &Paths,
    lang: Option<Lang>,
) -> CommandResult {
    let Some(proxy) = args.proxy.as_deref().or(configured_proxy) else {
        return Err(Message {
            fr: "quel proxy ? donnez --proxy <adresse> (ou le réglage proxy, ou LINKY_PROXY)"
                .into(),
            en: "which proxy? give --proxy <address> (or the proxy setting, or LINKY_PROXY)".into(),
        }
        .into());
    };
    let http = linky_enedis::http_client().map_err(|e| Message {
        fr: format!("client HTTP impossible : {e}"),
        en: format!("cannot build the HTTP client: {e}"),
    })?;
    let flow = DeviceFlow {
        http: &http,
        proxy_url: proxy.trim_end_matches('/'),
        client_id: &args.client_id,
    };
    let code = flow.start().await.map_err(CommandError::failed)?;
    let mut out = std::io::stdout().lock();
    let _ = write!(out, "{}", instructions(&code, lang));
    let _ = out.flush();
    drop(out);
    let clock: Arc<dyn Clock> = crate::clock::clock();
    let family = flow
        .wait(&code, clock.as_ref())
        .await
        .map_err(CommandError::failed)?;
    let mut tokens = TokenFile::load(&paths.tokens())?;
    tokens.add(family.clone());
    tokens.save(&paths.tokens())?;
    let store = Store::open(&paths.store())?;
    for m in &family.meters {
        if let Ok(pdl) = m.parse::<UsagePoint>() {
            store.add_meter(&pdl, clock.now())?;
            store.set_consent(&pdl, family.consent_expires_at)?;
        }
    }
    // The same day as `linky status` shows: the Paris date of the end.
    let end = family
        .consent_expires_at
        .map(|t| linky_core::paris::local_date(t).to_string())
        .unwrap_or_else(|| "?".into());
    Ok(format!(
        "{}\n",
        say(
            lang,
            &format!(
                "Accord obtenu pour : {} (jusqu'au {end}). Lancez `linky sync`.",
                family.meters.join(", ")
            ),
            &format!(
                "Consent obtained for: {} (until {end}). Run `linky sync`.",
                family.meters.join(", ")
            )
        )
    ))
}

/// `linky logout`: revokes every token family at its proxy, deletes the token file, keeps the data.
pub async fn logout(paths: &Paths, lang: Option<Lang>) -> CommandResult {
    let tokens = TokenFile::load(&paths.tokens())?;
    if tokens.families.is_empty() {
        return Ok(format!(
            "{}\n",
            say(lang, "Aucun jeton enregistré.", "No tokens stored.")
        ));
    }
    let http = linky_enedis::http_client().map_err(|e| Message {
        fr: e.clone(),
        en: e,
    })?;
    let mut warnings = String::new();
    for family in &tokens.families {
        let flow = DeviceFlow {
            http: &http,
            proxy_url: &family.proxy_url,
            client_id: &family.client_id,
        };
        if let Err(e) = flow.revoke(family).await {
            warnings.push_str(&format!("{}\n", say(lang, &format!("Révocation impossible auprès de {} ({e}) ; les jetons sont oubliés quand même.", family.proxy_url), &format!("Could not revoke at {} ({e}); the tokens are forgotten anyway.", family.proxy_url))));
        }
    }
    std::fs::remove_file(paths.tokens()).map_err(|e| Message {
        fr: format!("impossible d'effacer le fichier de jetons : {e}"),
        en: format!("cannot delete the token file: {e}"),
    })?;
    Ok(format!(
        "{warnings}{}\n",
        say(
            lang,
            "Jetons révoqués et oubliés ; vos données restent enregistrées.",
            "Tokens revoked and forgotten; your data stays stored."
        )
    ))
}
