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

/// What the person must do, with a QR code of the address for a phone.
fn instructions(code: &DeviceCode, lang: Option<Lang>) -> String {
    let address = code.address();
    let qr = QrCode::new(address.as_bytes())
        .map(|q| q.render::<Dense1x2>().quiet_zone(true).build())
        .unwrap_or_default();
    format!(
        "{}\n\n    {address}\n\n{}\n\n    {}\n\n{qr}\n{}\n",
        Lang::pick_or_both(
            lang,
            "Ouvrez cette adresse (ou scannez le code QR avec votre téléphone) :",
            "Open this address (or scan the QR code with your phone):"
        ),
        Lang::pick_or_both(
            lang,
            "et saisissez ce code s'il est demandé :",
            "and type this code if asked:"
        ),
        code.user_code,
        Lang::pick_or_both(
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

/// Where `linky login` goes: a proxy's address and client id, with what to tell about it.
struct ProxyChoice {
    url: String,
    client_id: String,
    about: Option<linky_enedis::profiles::ProxyProfile>,
}

fn proxy_choice(args: &crate::cli::LoginArgs, configured: Option<&str>) -> Option<ProxyChoice> {
    let asked = args.proxy.as_deref().or(configured)?;
    let profile = linky_enedis::profiles::named(asked);
    Some(ProxyChoice {
        url: profile
            .map_or(asked, |p| p.url)
            .trim_end_matches('/')
            .to_owned(),
        client_id: args
            .client_id
            .clone()
            .or_else(|| profile.map(|p| p.client_id.to_owned()))
            .unwrap_or_else(|| "linky".to_owned()),
        about: profile,
    })
}

/// `linky login`: the Conso API token kept, or the device flow at a proxy; then the meters
/// saved.
pub async fn login(
    args: &crate::cli::LoginArgs,
    settings: &crate::settings::Settings,
    paths: &Paths,
    lang: Option<Lang>,
) -> CommandResult {
    if let Some(token) = &args.conso_api {
        let url = args
            .conso_api_url
            .clone()
            .unwrap_or_else(|| settings.conso_api.url.clone());
        return conso_api_login(&url, token, paths, lang);
    }
    let Some(proxy) = proxy_choice(args, settings.proxy.as_deref()) else {
        return Err(Message {
            fr: "quel accès ? lancez `linky init`, ou donnez --conso-api <jeton> (API Conso, gratuite), --proxy domoticzlinky, ou --proxy <adresse d'un linky-proxy>".into(),
            en: "which way in? run `linky init`, or give --conso-api <token> (the free Conso API), --proxy domoticzlinky, or --proxy <address of a linky-proxy>".into(),
        }
        .into());
    };
    let http = linky_enedis::http_client().map_err(|e| Message {
        fr: format!("client HTTP impossible : {e}"),
        en: format!("cannot build the HTTP client: {e}"),
    })?;
    let flow = DeviceFlow {
        http: &http,
        proxy_url: &proxy.url,
        client_id: &proxy.client_id,
    };
    let code = flow.start().await.map_err(CommandError::failed)?;
    let mut out = std::io::stdout().lock();
    if let Some(profile) = proxy.about {
        let _ = writeln!(
            out,
            "{}\n",
            Lang::pick_or_both(lang, profile.about_fr, profile.about_en)
        );
    }
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
    remember_meters(
        paths,
        &family.meters,
        family.consent_expires_at,
        clock.now(),
    )?;
    let end = paris_day(family.consent_expires_at);
    Ok(format!(
        "{}\n",
        Lang::pick_or_both(
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

/// The day a consent ends as `linky status` shows it: its Paris date.
fn paris_day(end: Option<chrono::DateTime<chrono::Utc>>) -> String {
    end.map(|t| linky_core::paris::local_date(t).to_string())
        .unwrap_or_else(|| "?".into())
}

fn remember_meters(
    paths: &Paths,
    meters: &[String],
    consent_end: Option<chrono::DateTime<chrono::Utc>>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), CommandError> {
    let store = Store::open(&paths.store())?;
    for m in meters {
        if let Ok(pdl) = m.parse::<UsagePoint>() {
            store.add_meter(&pdl, now)?;
            store.set_consent(&pdl, consent_end)?;
        }
    }
    Ok(())
}

/// `linky login --conso-api <token>`: the token read (its meters and end), kept in the
/// owner-only token file. Nothing is asked of the gateway: its operator wants few calls, and the
/// first `linky sync` tells at once if the token is refused.
pub fn conso_api_login(url: &str, token: &str, paths: &Paths, lang: Option<Lang>) -> CommandResult {
    let claims = enedis_protocol::conso_api::read_claims(token).map_err(|e| Message {
        fr: format!("jeton refusé : ce n'est pas un jeton de l'API Conso ({e}) ; recopiez-le en entier depuis la page « token » de conso.boris.sh"),
        en: format!("token refused: {e}"),
    })?;
    let mut meters = Vec::new();
    for m in &claims.sub {
        let pdl = m.parse::<UsagePoint>().map_err(|_| Message {
            fr: format!("le jeton nomme « {m} », qui n'est pas un numéro de compteur (14 chiffres) ; recopiez le jeton depuis conso.boris.sh"),
            en: format!("the token names \"{m}\", which is not a meter number (14 digits); copy the token again from conso.boris.sh"),
        })?;
        meters.push(pdl.to_string());
    }
    let clock = crate::clock::clock();
    let end = chrono::DateTime::from_timestamp(claims.exp, 0).filter(|_| claims.exp > 0);
    if end.is_some_and(|e| e <= clock.now()) {
        return Err(Message {
            fr: "ce jeton a expiré : donnez à nouveau votre accord sur conso.boris.sh et copiez le nouveau jeton".into(),
            en: "this token has expired: consent again on conso.boris.sh and copy the new token".into(),
        }
        .into());
    }
    let mut tokens = TokenFile::load(&paths.tokens())?;
    tokens.conso_api = Some(linky_enedis::tokens::ConsoApiToken {
        url: url.trim_end_matches('/').to_owned(),
        token: token.trim().to_owned(),
    });
    tokens.save(&paths.tokens())?;
    remember_meters(paths, &meters, end, clock.now())?;
    let until = paris_day(end);
    Ok(format!(
        "{}\n",
        Lang::pick_or_both(lang, &format!(
                "Jeton de l'API Conso enregistré pour : {} (valable jusqu'au {until}). Lancez `linky sync` ; ensuite `linky run` passe une fois par jour entre 08:00 et 10:00, comme le demande l'API Conso.",
                meters.join(", ")
            ),
            &format!(
                "Conso API token kept for: {} (valid until {until}). Run `linky sync`; then `linky run` calls once a day between 08:00 and 10:00, as the Conso API asks.",
                meters.join(", ")
            )
        )
    ))
}

/// `linky logout`: revokes every token family at its proxy, deletes the token file, keeps the data.
pub async fn logout(paths: &Paths, lang: Option<Lang>) -> CommandResult {
    let tokens = TokenFile::load(&paths.tokens())?;
    if tokens.families.is_empty() && tokens.conso_api.is_none() {
        return Ok(format!(
            "{}\n",
            Lang::pick_or_both(lang, "Aucun jeton enregistré.", "No tokens stored.")
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
            warnings.push_str(&format!("{}\n", Lang::pick_or_both(lang, &format!("Révocation impossible auprès de {} ({e}) ; les jetons sont oubliés quand même.", family.proxy_url), &format!("Could not revoke at {} ({e}); the tokens are forgotten anyway.", family.proxy_url))));
        }
    }
    std::fs::remove_file(paths.tokens()).map_err(|e| Message {
        fr: format!("impossible d'effacer le fichier de jetons : {e}"),
        en: format!("cannot delete the token file: {e}"),
    })?;
    Ok(format!(
        "{warnings}{}\n",
        Lang::pick_or_both(
            lang,
            "Jetons révoqués et oubliés ; vos données restent enregistrées.",
            "Tokens revoked and forgotten; your data stays stored."
        )
    ))
}
