//! Consents: the pages a person uses to give (or refuse) access to a meter in both
//! generations, the consents they create, their end and revocation, and the subscribed-services
//! answer that tells which meter a 2026 `autorisation_id` covers.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use enedis_protocol::v2026::{
    ServiceAutorisation, SubscribedService, SubscribedServicesRequest, SubscribedServicesResponse,
};
use linky_core::paris;
use serde::Serialize;

use crate::catalog::{customer_by_id, meter_by_pdl, meters_of, CUSTOMERS};

/// The two consent generations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Generation {
    /// v5 era: returns `code`, `state`, `usage_point_id` (several PDLs `;`-separated).
    V1,
    /// 2026: returns `autorisation_id` and `state`, one PDL per consent.
    V2,
}

/// A consent given through the page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Consent {
    /// The `autorisation_id` (v2) or an internal id (v1).
    pub id: u64,
    /// Which page gave it.
    pub generation: Generation,
    /// The application it was given to.
    pub client_id: String,
    /// The customer who gave it.
    pub customer: u8,
    /// The meters it covers.
    pub pdls: Vec<String>,
    /// When it was given.
    pub created_at: DateTime<Utc>,
    /// When it ends (from `duration`).
    pub ends_at: DateTime<Utc>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl Consent {
    /// Whether it grants access at `now`.
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && now < self.ends_at
    }
}

/// Every consent given.
#[derive(Debug, Default)]
pub struct ConsentBook {
    consents: Vec<Consent>,
}

impl ConsentBook {
    /// Records a consent.
    pub fn add(&mut self, consent: Consent) {
        self.consents.push(consent);
    }

    /// Every consent, oldest first.
    pub fn all(&self) -> &[Consent] {
        &self.consents
    }

    /// The consent with this id.
    pub fn get(&self, id: u64) -> Option<&Consent> {
        self.consents.iter().find(|c| c.id == id)
    }

    /// Revokes a consent; false if there is none with this id.
    pub fn revoke(&mut self, id: u64, now: DateTime<Utc>) -> bool {
        match self.consents.iter_mut().find(|c| c.id == id) {
            Some(c) => {
                c.revoked_at.get_or_insert(now);
                true
            }
            None => false,
        }
    }

    /// Meters whose every consent is revoked or over. Meters never consented through a page keep
    /// the sandbox's standing consent.
    pub fn denied(&self, now: DateTime<Utc>) -> HashSet<String> {
        let mut seen = HashSet::new();
        let mut active = HashSet::new();
        for c in &self.consents {
            for p in &c.pdls {
                seen.insert(p.clone());
                if c.is_active(now) {
                    active.insert(p.clone());
                }
            }
        }
        seen.difference(&active).cloned().collect()
    }

    /// The subscribed-services answer for a request. A consent shows no service until `delay`
    /// after it was given (Enedis is reported to answer empty right after the redirect).
    pub fn subscribed_services(
        &self,
        request: &SubscribedServicesRequest,
        now: DateTime<Utc>,
        delay: Duration,
    ) -> SubscribedServicesResponse {
        let mut services = Vec::new();
        for c in &self.consents {
            if request.autorisation_id.is_some_and(|id| id != c.id) || now < c.created_at + delay {
                continue;
            }
            let (etat, libelle) = match (c.revoked_at, now < c.ends_at) {
                (Some(_), _) => ("RESILIE", "Résilié"),
                (None, false) => ("TERMINE", "Terminé"),
                (None, true) => ("ACTIF", "Actif"),
            };
            for pdl in &c.pdls {
                if request
                    .point_id
                    .as_ref()
                    .is_some_and(|ids| !ids.contains(pdl))
                {
                    continue;
                }
                let Some(meter) = meter_by_pdl(pdl) else {
                    continue;
                };
                let step = meter.steps.at(paris::local(now)).to_string();
                let mut kinds: Vec<(bool, &str, String)> = Vec::new();
                if meter.consumption {
                    kinds.extend([
                        (false, "CDC", step.clone()),
                        (false, "ENERGIE", "P1D".to_owned()),
                        (false, "PMAX", "P1D".to_owned()),
                    ]);
                }
                if meter.production {
                    kinds.extend([
                        (true, "CDC", step.clone()),
                        (true, "ENERGIE", "P1D".to_owned()),
                    ]);
                }
                for (injection, kind, pas) in kinds {
                    services.push(SubscribedService {
                        id: format!("{}-{}", c.id, services.len() + 1),
                        injection,
                        soutirage: !injection,
                        service_code: "ACCES".to_owned(),
                        date_debut: paris::local_date(c.created_at).to_string(),
                        date_fin: paris::local_date(c.ends_at).to_string(),
                        etat_code: etat.to_owned(),
                        etat_libelle: Some(libelle.to_owned()),
                        point_id: pdl.clone(),
                        mesures_type_code: kind.to_owned(),
                        mesures_pas: pas,
                        periodicite_transmission: Some("P1D".to_owned()),
                        autorisation: Some(ServiceAutorisation {
                            autorisation_id: c.id,
                            autorisation_libelle: Some("Consentement client".to_owned()),
                            autorisation_type: Some("EXPLICITE".to_owned()),
                        }),
                    });
                }
            }
        }
        if let Some(states) = &request.etat_code {
            services.retain(|s| states.contains(&s.etat_code));
        }
        SubscribedServicesResponse {
            nb_total_services: services.len() as u32,
            service_souscrit: services,
        }
    }
}

pub use linky_core::consent::{consent_end, DurationError};

/// HTML-escapes text for the pages.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The request behind a consent page, as validated.
#[derive(Debug, Clone)]
pub struct AuthorizeRequest {
    /// Which page.
    pub generation: Generation,
    /// The application.
    pub client_id: String,
    /// Echoed back to the redirect URI.
    pub state: String,
    /// As given.
    pub duration: String,
    /// Where the answer goes.
    pub redirect_uri: String,
}

/// The customer a page starts with: the one chosen, else the last digit of `state` (as in the
/// Enedis sandbox), else customer 0.
pub fn initial_customer(chosen: Option<u8>, state: &str) -> u8 {
    chosen
        .filter(|c| customer_by_id(*c).is_some())
        .or_else(|| {
            state
                .chars()
                .last()
                .and_then(|c| c.to_digit(10))
                .map(|d| d as u8)
        })
        .filter(|c| customer_by_id(*c).is_some())
        .unwrap_or(0)
}

/// The consent page.
pub fn page(request: &AuthorizeRequest, customer: u8, query_without_customer: &str) -> String {
    let (multiple, version) = match request.generation {
        Generation::V1 => (true, "v1"),
        Generation::V2 => (false, "v2"),
    };
    let mut customers = String::new();
    for c in &CUSTOMERS {
        let selected = if c.id == customer {
            " aria-current=\"true\" class=\"current\""
        } else {
            ""
        };
        customers.push_str(&format!(
            "<li><a href=\"?{}&amp;customer={}\"{selected}>{} — {} {} {}</a></li>\n",
            escape(query_without_customer),
            c.id,
            c.id,
            escape(c.title),
            escape(c.firstname),
            escape(c.lastname)
        ));
    }
    let mut meters = String::new();
    for (i, m) in meters_of(customer).enumerate() {
        let (kind, checked) = if multiple {
            ("checkbox", " checked")
        } else {
            ("radio", if i == 0 { " checked" } else { "" })
        };
        meters.push_str(&format!(
            "<li><label><input type=\"{kind}\" name=\"pdl\" value=\"{pdl}\"{checked}> {pdl} — {desc}</label></li>\n",
            pdl = m.pdl,
            desc = escape(m.description)
        ));
    }
    let hidden = |name: &str, value: &str| {
        format!(
            "<input type=\"hidden\" name=\"{name}\" value=\"{}\">",
            escape(value)
        )
    };
    format!(
        r#"<!doctype html>
<html lang="fr">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Consentement — simulateur Enedis</title>
<style>body{{font-family:sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem}}.current{{font-weight:bold}}
button{{font-size:1rem;padding:.5rem 1rem;margin-right:1rem}}.note{{color:#555;font-size:.9rem}}</style></head>
<body>
<h1>Partage de vos données / Sharing your data</h1>
<p class="note">Simulateur Enedis (enedis-sim, {version}) : ce n'est pas Enedis, les données sont fictives.
/ Enedis simulator: not Enedis, the data is fictitious.</p>
<p>L'application <strong>{client}</strong> demande l'accès aux données de votre compteur pour la durée {duration}.
/ The application asks to read your meter's data for {duration}.</p>
<h2>Client / Customer</h2>
<ul>
{customers}</ul>
<form method="post" action="/dataconnect/{version}/oauth2/authorize/decision">
{h_client}{h_state}{h_duration}{h_redirect}<input type="hidden" name="customer" value="{customer}">
<h2>Compteur{plural} / Meter{plural}</h2>
<ul>
{meters}</ul>
<button type="submit" name="decision" value="accept" id="accept">J'accepte / Accept</button>
<button type="submit" name="decision" value="refuse" id="refuse">Je refuse / Refuse</button>
</form>
</body></html>
"#,
        client = escape(&request.client_id),
        duration = escape(&request.duration),
        plural = if multiple { "s" } else { "" },
        h_client = hidden("client_id", &request.client_id),
        h_state = hidden("state", &request.state),
        h_duration = hidden("duration", &request.duration),
        h_redirect = hidden("redirect_uri", &request.redirect_uri),
    )
}

/// The "my account" page listing a customer's consents, each with a revoke button.
pub fn consents_page(consents: &[Consent], now: DateTime<Utc>) -> String {
    let mut rows = String::new();
    for c in consents {
        let state = if c.revoked_at.is_some() {
            "révoqué / revoked"
        } else if now >= c.ends_at {
            "expiré / expired"
        } else {
            "actif / active"
        };
        let button = if c.is_active(now) {
            format!("<form method=\"post\" action=\"/dataconnect/consents/{}/revoke\"><button type=\"submit\">Révoquer / Revoke</button></form>", c.id)
        } else {
            String::new()
        };
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            c.id,
            escape(&c.client_id),
            c.pdls.join(", "),
            paris::local_date(c.ends_at),
            state,
            button
        ));
    }
    format!(
        r#"<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>Mes consentements — simulateur Enedis</title></head>
<body><h1>Mes consentements / My consents</h1>
<table><tr><th>id</th><th>application</th><th>compteurs / meters</th><th>fin / end</th><th>état / state</th><th></th></tr>
{rows}</table></body></html>
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_digit_picks_the_sandbox_customer() {
        assert_eq!(initial_customer(None, "abc3"), 3);
        assert_eq!(initial_customer(None, "abc"), 0);
        assert_eq!(initial_customer(None, "x9"), 0, "no customer 9");
        assert_eq!(initial_customer(Some(7), "abc3"), 7);
        assert_eq!(initial_customer(Some(99), "abc3"), 3);
    }

    #[test]
    fn pages_escape_what_they_echo() {
        let r = AuthorizeRequest {
            generation: Generation::V2,
            client_id: "<script>".into(),
            state: "\"><img>".into(),
            duration: "P1Y".into(),
            redirect_uri: "https://x/cb".into(),
        };
        let html = page(&r, 3, "a=<b>");
        assert!(
            !html.contains("<script>") && !html.contains("\"><img>") && !html.contains("a=<b>")
        );
        assert!(html.contains("&lt;script&gt;"));
        assert!(html.contains("12345678901234") && html.contains("10284856584123"));
    }
}
