//! The 2026 generation that replaced v5 in autumn 2026: "mesure synchrone" v2 metering
//! (`grandeur`/`points` bodies, `pointId`/`dateDebut`/`dateFin` parameters), subscribed services
//! (which meter an `autorisation_id` covers) and the contract ("ITC") APIs with the PRM in the
//! path. Shapes follow the third-party fixtures in `enedis-samples/v2026-thirdparty-fixtures`;
//! values are the same as v5's for the same meter and dates.

use chrono::{NaiveDate, NaiveDateTime};
use linky_core::paris::{self, Stamp};
use linky_core::{DailyEnergy, Direction, Energy, LoadCurve, LoadCurvePoint, MaxPower};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::v5::Resource;
use crate::ProtocolError;

/// The five metering resources of the 2026 generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mesure {
    /// Daily consumed energy.
    ConsommationQuotidienne,
    /// Consumption load curve.
    CourbeDeChargeConsommation,
    /// Daily (or monthly) maximum consumed power.
    PuissanceConsoMaxQuotidienne,
    /// Daily produced energy.
    ProductionQuotidienne,
    /// Production load curve.
    CourbeDeChargeProduction,
}

impl Mesure {
    /// Every resource.
    pub const ALL: [Mesure; 5] = [
        Mesure::ConsommationQuotidienne,
        Mesure::CourbeDeChargeConsommation,
        Mesure::PuissanceConsoMaxQuotidienne,
        Mesure::ProductionQuotidienne,
        Mesure::CourbeDeChargeProduction,
    ];

    /// The path below the gateway.
    pub fn path(self) -> &'static str {
        match self {
            Mesure::ConsommationQuotidienne => "/mesure_synchrone_auto/v2/consommation_quotidienne",
            Mesure::CourbeDeChargeConsommation => {
                "/mesure_synchrone_auto/v2/courbe_de_charge_consommation"
            }
            Mesure::PuissanceConsoMaxQuotidienne => {
                "/mesure_synchrone_auto/v2/puissance_conso_max_quotidienne"
            }
            Mesure::ProductionQuotidienne => "/mesure_synchrone_auto/v2/production_quotidienne",
            Mesure::CourbeDeChargeProduction => {
                "/mesure_synchrone_auto/v2/courbe_de_charge_production"
            }
        }
    }

    /// The resource served at `path`, if any.
    pub fn from_path(path: &str) -> Option<Mesure> {
        Mesure::ALL.into_iter().find(|m| m.path() == path)
    }

    /// The v5 resource holding the same values.
    pub fn v5(self) -> Resource {
        match self {
            Mesure::ConsommationQuotidienne => Resource::DailyConsumption,
            Mesure::CourbeDeChargeConsommation => Resource::ConsumptionLoadCurve,
            Mesure::PuissanceConsoMaxQuotidienne => Resource::ConsumptionMaxPower,
            Mesure::ProductionQuotidienne => Resource::DailyProduction,
            Mesure::CourbeDeChargeProduction => Resource::ProductionLoadCurve,
        }
    }

    /// The 2026 resource for a v5 one.
    pub fn from_v5(resource: Resource) -> Mesure {
        match resource {
            Resource::DailyConsumption => Mesure::ConsommationQuotidienne,
            Resource::ConsumptionLoadCurve => Mesure::CourbeDeChargeConsommation,
            Resource::ConsumptionMaxPower => Mesure::PuissanceConsoMaxQuotidienne,
            Resource::DailyProduction => Mesure::ProductionQuotidienne,
            Resource::ProductionLoadCurve => Mesure::CourbeDeChargeProduction,
        }
    }
}

/// The request's period, echoed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Periode {
    /// First day, `YYYY-MM-DD`.
    #[serde(rename = "dateDebut")]
    pub date_debut: String,
    /// Day after the last, `YYYY-MM-DD`.
    #[serde(rename = "dateFin")]
    pub date_fin: String,
}

/// A 2026 metering answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MesureResponse {
    /// The meter.
    #[serde(rename = "idPrm")]
    pub id_prm: String,
    /// `BRUT` (raw) or `BEST`.
    #[serde(rename = "etapeMetier")]
    pub etape_metier: String,
    /// The period asked.
    pub periode: Periode,
    /// `GLOBALE` on daily energies.
    #[serde(
        rename = "typeValeur",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub type_valeur: Option<String>,
    /// `MESURE` or `DIFF.INDEX`.
    #[serde(rename = "modeCalcul")]
    pub mode_calcul: String,
    /// `P1D` (or `P1M`) on daily resources.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub pas: Option<String>,
    /// One series per physical quantity.
    pub grandeur: Vec<Grandeur>,
    /// Unused so far.
    #[serde(default)]
    pub contexte: Vec<Value>,
}

/// One series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Grandeur {
    /// `CONS` or `PROD`.
    #[serde(rename = "grandeurMetier")]
    pub grandeur_metier: String,
    /// `PA` (average power), `EA` (energy), `PMA` (max power).
    #[serde(rename = "grandeurPhysique")]
    pub grandeur_physique: String,
    /// `W`, `Wh`, `VA` (converters also meet `kW`, `kWh`).
    pub unite: String,
    /// The values.
    pub points: Vec<Point>,
    /// Unused so far.
    #[serde(default)]
    pub calendrier: Vec<Value>,
}

/// One value. Load-curve points carry `p`, `n`, `iv`, `ec`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Point {
    /// The value as a string; `"null"` for a missing day.
    pub v: String,
    /// `YYYY-MM-DD` or Paris `YYYY-MM-DD HH:MM:SS` (end of interval, or moment of the peak).
    pub d: String,
    /// Step, e.g. `PT30M`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub p: Option<String>,
    /// Nature, `B` (raw).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub n: Option<String>,
    /// Validity indicator.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub iv: Option<String>,
    /// Status.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub ec: Option<String>,
}

const DATE: &str = "%Y-%m-%d";

fn metier(direction: Direction) -> &'static str {
    match direction {
        Direction::Consumption => "CONS",
        Direction::Production => "PROD",
    }
}

/// Reads a value, scaling `kW`/`kWh` to `W`/`Wh`. `None` for `"null"`.
fn scaled(field: &'static str, text: &str, unit: &str) -> Result<Option<u64>, ProtocolError> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("null") || t.is_empty() {
        return Ok(None);
    }
    let bad = || ProtocolError::Value {
        field,
        value: text.to_owned(),
    };
    let factor = if unit.starts_with('k') { 1000.0 } else { 1.0 };
    // Whole watts, the usual value, without the float parser.
    if factor == 1.0 && t.len() <= 12 && t.bytes().all(|b| b.is_ascii_digit()) {
        return t.parse().map(Some).map_err(|_| bad());
    }
    let number: f64 = t.parse().map_err(|_| bad())?;
    if !number.is_finite() || number < 0.0 {
        return Err(bad());
    }
    Ok(Some((number * factor).round() as u64))
}

impl MesureResponse {
    /// Reads an answer body.
    pub fn from_json(body: &str) -> Result<MesureResponse, ProtocolError> {
        serde_json::from_str(body).map_err(|e| ProtocolError::Shape {
            detail: e.to_string(),
        })
    }

    fn main_series(&self) -> Option<&Grandeur> {
        // With grandeurPhysique=TOUT there is one series per quantity; PMA is the one we use.
        self.grandeur
            .iter()
            .find(|g| g.grandeur_physique == "PMA")
            .or_else(|| self.grandeur.first())
    }

    /// The load-curve points, placed in time (repeated autumn stamps by position).
    pub fn to_load_curve(&self) -> Result<LoadCurve, ProtocolError> {
        let Some(series) = self.main_series() else {
            return Ok(LoadCurve::default());
        };
        curve_of(
            &series.unite,
            series
                .points
                .iter()
                .map(|p| (p.v.as_str(), p.d.as_str(), p.p.as_deref())),
        )
    }

    /// The daily energies (missing days are left out).
    pub fn to_daily_energy(&self) -> Result<Vec<DailyEnergy>, ProtocolError> {
        let Some(series) = self.main_series() else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for p in &series.points {
            let Some(wh) = scaled("v", &p.v, &series.unite)? else {
                continue;
            };
            let date =
                p.d.get(..10)
                    .and_then(|d| NaiveDate::parse_from_str(d, DATE).ok())
                    .ok_or_else(|| ProtocolError::Value {
                        field: "d",
                        value: p.d.clone(),
                    })?;
            let wh = i64::try_from(wh).map_err(|_| ProtocolError::Value {
                field: "v",
                value: p.v.clone(),
            })?;
            out.push(DailyEnergy {
                date,
                energy: Energy::from_wh(wh),
            });
        }
        Ok(out)
    }

    /// The maximum powers (days answered `"null"` are left out).
    pub fn to_max_power(&self) -> Result<Vec<MaxPower>, ProtocolError> {
        let Some(series) = self.main_series() else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for p in &series.points {
            let Some(va) = scaled("v", &p.v, &series.unite)? else {
                continue;
            };
            let at = match Stamp::parse(&p.d) {
                Ok(Stamp::Local(t)) => t,
                Ok(Stamp::Exact(t)) => paris::local(t),
                Err(_) => {
                    p.d.get(..10)
                        .and_then(|d| NaiveDate::parse_from_str(d, DATE).ok())
                        .map(|d| d.and_time(chrono::NaiveTime::MIN))
                        .ok_or_else(|| ProtocolError::Value {
                            field: "d",
                            value: p.d.clone(),
                        })?
                }
            };
            let volt_amperes = u32::try_from(va).map_err(|_| ProtocolError::Value {
                field: "v",
                value: p.v.clone(),
            })?;
            out.push(MaxPower {
                date: at.date(),
                at,
                volt_amperes,
            });
        }
        Ok(out)
    }

    fn envelope(pdl: &str, start: NaiveDate, end: NaiveDate, grandeur: Grandeur) -> MesureResponse {
        MesureResponse {
            id_prm: pdl.to_owned(),
            etape_metier: "BRUT".to_owned(),
            periode: Periode {
                date_debut: start.format(DATE).to_string(),
                date_fin: end.format(DATE).to_string(),
            },
            type_valeur: None,
            mode_calcul: "MESURE".to_owned(),
            pas: None,
            grandeur: vec![grandeur],
            contexte: Vec::new(),
        }
    }

    /// The answer for a load curve.
    pub fn from_load_curve(
        direction: Direction,
        pdl: &str,
        start: NaiveDate,
        end: NaiveDate,
        points: &[LoadCurvePoint],
    ) -> MesureResponse {
        let points = points
            .iter()
            .map(|p| Point {
                v: p.watts.to_string(),
                d: crate::local_stamp(paris::end_stamp(p.end)),
                p: Some(p.step.to_string()),
                n: Some("B".to_owned()),
                iv: Some("0".to_owned()),
                ec: Some("0".to_owned()),
            })
            .collect();
        let g = Grandeur {
            grandeur_metier: metier(direction).to_owned(),
            grandeur_physique: "PA".to_owned(),
            unite: "W".to_owned(),
            points,
            calendrier: Vec::new(),
        };
        MesureResponse::envelope(pdl, start, end, g)
    }

    /// The JSON body of [`MesureResponse::from_load_curve`], written directly: byte for byte
    /// what `serde_json` writes of that value, without the six strings per point the value
    /// holds (the simulator writes thousands of points per second).
    pub fn load_curve_body(
        direction: Direction,
        pdl: &str,
        start: NaiveDate,
        end: NaiveDate,
        points: &[LoadCurvePoint],
    ) -> Vec<u8> {
        use std::fmt::Write as _;
        let mut out = String::with_capacity(256 + points.len() * 80);
        out.push_str(r#"{"idPrm":"#);
        // The one text from outside: escaped as serde_json escapes it.
        out.push_str(&serde_json::Value::from(pdl).to_string());
        let _ = write!(
            out,
            r#","etapeMetier":"BRUT","periode":{{"dateDebut":"{}","dateFin":"{}"}},"modeCalcul":"MESURE","grandeur":[{{"grandeurMetier":"{}","grandeurPhysique":"PA","unite":"W","points":["#,
            start.format(DATE),
            end.format(DATE),
            metier(direction),
        );
        for (i, p) in points.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(out, r#"{{"v":"{}","d":""#, p.watts);
            crate::push_local_stamp(&mut out, paris::end_stamp(p.end));
            let _ = write!(out, r#"","p":"{}","n":"B","iv":"0","ec":"0"}}"#, p.step);
        }
        out.push_str(r#"],"calendrier":[]}],"contexte":[]}"#);
        out.into_bytes()
    }

    /// The answer for daily energies.
    pub fn from_daily_energy(
        direction: Direction,
        pdl: &str,
        start: NaiveDate,
        end: NaiveDate,
        days: &[DailyEnergy],
    ) -> MesureResponse {
        let points = days
            .iter()
            .map(|d| Point {
                v: d.energy.wh_rounded().to_string(),
                d: d.date.format(DATE).to_string(),
                p: None,
                n: None,
                iv: None,
                ec: None,
            })
            .collect();
        let g = Grandeur {
            grandeur_metier: metier(direction).to_owned(),
            grandeur_physique: "EA".to_owned(),
            unite: "Wh".to_owned(),
            points,
            calendrier: Vec::new(),
        };
        MesureResponse {
            type_valeur: Some("GLOBALE".to_owned()),
            mode_calcul: "DIFF.INDEX".to_owned(),
            pas: Some("P1D".to_owned()),
            ..MesureResponse::envelope(pdl, start, end, g)
        }
    }

    /// The answer for maximum powers: one point per day (`P1D`) or per month (`P1M`); a day
    /// without a value reads `"null"` at midnight, as the fixtures show.
    pub fn from_max_power(
        pdl: &str,
        start: NaiveDate,
        end: NaiveDate,
        step: &str,
        points: &[(NaiveDate, Option<MaxPower>)],
    ) -> MesureResponse {
        let points = points
            .iter()
            .map(|(date, peak)| match peak {
                Some(m) => Point {
                    v: m.volt_amperes.to_string(),
                    d: format_local(m.at),
                    p: None,
                    n: None,
                    iv: None,
                    ec: None,
                },
                None => Point {
                    v: "null".to_owned(),
                    d: format_local(date.and_time(chrono::NaiveTime::MIN)),
                    p: None,
                    n: None,
                    iv: None,
                    ec: None,
                },
            })
            .collect();
        let g = Grandeur {
            grandeur_metier: "CONS".to_owned(),
            grandeur_physique: "PMA".to_owned(),
            unite: "VA".to_owned(),
            points,
            calendrier: Vec::new(),
        };
        MesureResponse {
            pas: Some(step.to_owned()),
            ..MesureResponse::envelope(pdl, start, end, g)
        }
    }
}

/// Points of one series, `"null"` values left out, `kW` scaled to `W`.
fn curve_of<'a>(
    unit: &str,
    points: impl Iterator<Item = (&'a str, &'a str, Option<&'a str>)>,
) -> Result<LoadCurve, ProtocolError> {
    crate::curve_from_stamps(points.filter_map(|(v, d, p)| {
        match scaled("v", v, unit) {
            Ok(None) => None,
            Ok(Some(w)) => Some(
                u32::try_from(w)
                    .map_err(|_| ProtocolError::Value {
                        field: "v",
                        value: v.to_owned(),
                    })
                    .map(|w| (d, p, w)),
            ),
            Err(e) => Some(Err(e)),
        }
    }))
}

#[derive(Deserialize)]
struct BorrowedResponse<'a> {
    #[serde(rename = "idPrm", borrow)]
    id_prm: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    grandeur: Vec<BorrowedGrandeur<'a>>,
}

#[derive(Deserialize)]
struct BorrowedGrandeur<'a> {
    #[serde(borrow)]
    unite: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    points: Vec<BorrowedPoint<'a>>,
}

#[derive(Deserialize)]
struct BorrowedPoint<'a> {
    #[serde(borrow)]
    v: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    d: std::borrow::Cow<'a, str>,
    #[serde(borrow, default)]
    p: Option<std::borrow::Cow<'a, str>>,
}

/// Reads a 2026 load-curve body straight into a curve, without copying its strings: the meter it
/// is about, and its points. Same result as [`MesureResponse::from_json`] then
/// [`MesureResponse::to_load_curve`].
pub fn load_curve_from_json(body: &str) -> Result<(String, LoadCurve), ProtocolError> {
    // The usual body goes through the fast reader; anything it is unsure of, through serde_json.
    if let Some(read) = crate::scan::curve_body(body) {
        let curve = curve_of(read.unit, read.points.into_iter())?;
        return Ok((read.id_prm.to_owned(), curve));
    }
    let r: BorrowedResponse<'_> = serde_json::from_str(body).map_err(|e| ProtocolError::Shape {
        detail: e.to_string(),
    })?;
    let curve = match r.grandeur.first() {
        Some(g) => curve_of(
            &g.unite,
            g.points
                .iter()
                .map(|p| (p.v.as_ref(), p.d.as_ref(), p.p.as_deref())),
        )?,
        None => LoadCurve::default(),
    };
    Ok((r.id_prm.into_owned(), curve))
}

fn format_local(t: NaiveDateTime) -> String {
    crate::local_stamp(t)
}

/// The body of `POST /subscribed_services/v1`. Only `autorisationId` matters to us; the other
/// fields filter.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscribedServicesRequest {
    /// The consent returned to the redirect URI.
    #[serde(
        rename = "autorisationId",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub autorisation_id: Option<u64>,
    /// `true` to search by consent.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub autorisation: Option<bool>,
    /// `false` for data access.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub comptage: Option<bool>,
    /// `ACCES`.
    #[serde(
        rename = "serviceType",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub service_type: Option<String>,
    /// States wanted, e.g. `["ACTIF","DEMANDE"]`.
    #[serde(rename = "etatCode", skip_serializing_if = "Option::is_none", default)]
    pub etat_code: Option<Vec<String>>,
    /// Meters wanted.
    #[serde(rename = "pointId", skip_serializing_if = "Option::is_none", default)]
    pub point_id: Option<Vec<String>>,
}

/// The answer of `POST /subscribed_services/v1`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscribedServicesResponse {
    /// How many services.
    #[serde(rename = "nbTotalServices")]
    pub nb_total_services: u32,
    /// The services: one per data type (two for self-consumption), all on one meter per consent.
    #[serde(rename = "serviceSouscrit", default)]
    pub service_souscrit: Vec<SubscribedService>,
}

impl SubscribedServicesResponse {
    /// The distinct meters of the services that are active or requested.
    pub fn active_points(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for s in &self.service_souscrit {
            if matches!(s.etat_code.as_str(), "ACTIF" | "DEMANDE") && !out.contains(&s.point_id) {
                out.push(s.point_id.clone());
            }
        }
        out
    }
}

/// One subscribed service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscribedService {
    /// Service id.
    pub id: String,
    /// Covers production.
    pub injection: bool,
    /// Covers consumption.
    pub soutirage: bool,
    /// `ACCES`.
    #[serde(rename = "serviceCode")]
    pub service_code: String,
    /// Start, `YYYY-MM-DD`.
    #[serde(rename = "dateDebut")]
    pub date_debut: String,
    /// End, `YYYY-MM-DD`.
    #[serde(rename = "dateFin")]
    pub date_fin: String,
    /// `ACTIF`, `DEMANDE`, `RESILIE`...
    #[serde(rename = "etatCode")]
    pub etat_code: String,
    /// Label of the state.
    #[serde(
        rename = "etatLibelle",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub etat_libelle: Option<String>,
    /// The meter.
    #[serde(rename = "pointId")]
    pub point_id: String,
    /// `CDC`, `IDX`, `ENERGIE`, `PMAX`, `ITC`.
    #[serde(rename = "mesuresTypeCode")]
    pub mesures_type_code: String,
    /// `PT30M`, `P1D`, `NA`.
    #[serde(rename = "mesuresPas")]
    pub mesures_pas: String,
    /// How often data is sent.
    #[serde(
        rename = "periodiciteTransmission",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub periodicite_transmission: Option<String>,
    /// The consent.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub autorisation: Option<ServiceAutorisation>,
}

/// The consent behind a service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceAutorisation {
    /// Its id.
    #[serde(rename = "autorisationId")]
    pub autorisation_id: u64,
    /// Its label.
    #[serde(
        rename = "autorisationLibelle",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub autorisation_libelle: Option<String>,
    /// `EXPLICITE` for a person's consent.
    #[serde(
        rename = "autorisationType",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub autorisation_type: Option<String>,
}

/// Paths of the 2026 contract ("ITC") APIs; the PRM goes at the end of the path.
pub mod contract_paths {
    /// Contract situation.
    pub const SITUATION: &str = "/situation_contrat_auto/v1";
    /// Contract synthesis (activation dates).
    pub const SYNTHESE: &str = "/synth_contrat_auto/v1";
    /// Metering set-up, with the off-peak hours.
    pub const COMPTAGE: &str = "/comptage_auto/v1";
}

/// `comptage_auto/v1/{prm}`: where the off-peak hours live since 2026.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comptage {
    /// The meter.
    #[serde(rename = "pointId")]
    pub point_id: String,
    /// The relay that switches at off-peak hours.
    pub relais: Relais,
}

/// The off-peak relay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Relais {
    /// `HC (22H00-6H00)`; absent without off-peak hours.
    #[serde(
        rename = "plageHeuresCreuses",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub plage_heures_creuses: Option<String>,
}

/// `synth_contrat_auto/v1/{prm}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyntheseContrat {
    /// `[{"segment":"C5"}]`.
    pub segments: Vec<Segment>,
    /// Production activation, `2020-06-01T00:00:00+0200`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub generation_last_activation_date: Option<String>,
    /// Consumption activation.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub consumption_last_activation_date: Option<String>,
    /// Last change of subscribed power.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub last_subscribed_power_change_date: Option<String>,
}

/// A segment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    /// `C5` for households.
    pub segment: String,
}

/// Keys of the 2026 contract answer that name a person, where they live and how to reach them.
const PERSONAL_KEYS: [&str; 5] = ["person", "contact_data", "customer", "adress", "address"];

/// A contract answer with every field that names a person, an address or a way to reach them
/// removed, at any depth (a proxy serves metering and contract facts, not identities); an answer
/// that is not JSON gives `{}`.
pub fn without_personal_data(body: &[u8]) -> String {
    fn strip(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Object(map) => {
                map.retain(|k, _| !PERSONAL_KEYS.contains(&k.as_str()));
                map.values_mut().for_each(strip);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(mut value) => {
            strip(&mut value);
            value.to_string()
        }
        Err(_) => "{}".to_owned(),
    }
}

/// One contract of `situation_contrat_auto/v1/{prm}` (an array of them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SituationContrat {
    /// The meter.
    pub usage_point_id: String,
    /// `2021-10-23T00:00:00+0200`.
    pub contract_start: String,
    /// Kind of contract.
    pub contract_type: String,
    /// The supplier.
    pub contractor: String,
    /// The tariff, as a label.
    pub distribution_tariff: String,
    /// `{"unit":"kVA","value":"6"}`.
    pub subscribed_power: Quantity,
    /// `C5`.
    pub segment: String,
    /// The customer's postal address.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub customer: Option<Value>,
    /// Contact data.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub contact_data: Option<Value>,
    /// The person.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub person: Option<Value>,
}

/// A value with its unit, both strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quantity {
    /// Unit, e.g. `kVA`.
    pub unit: String,
    /// Value, e.g. `"6"`.
    pub value: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personal_data_never_leaves() {
        let body = br#"[{"usage_point_id":"1","subscribed_power":{"value":"9","unit":"kVA"},"person":{"lastname":"Dupont"},"contact_data":{"phone":"0600000000"},"customer":{"customer":{"adress":{"line1":"1 rue"}}}}]"#;
        let out = without_personal_data(body);
        assert!(out.contains("subscribed_power") && out.contains("usage_point_id"));
        for gone in ["Dupont", "0600000000", "rue", "person", "contact"] {
            assert!(!out.contains(gone), "{gone}: {out}");
        }
        assert_eq!(without_personal_data(b"<html>"), "{}");
    }

    /// The points of the Paris days `from..to` at `minutes`, with varied values.
    fn curve(from: NaiveDate, to: NaiveDate, minutes: u16) -> Vec<LoadCurvePoint> {
        let step = linky_core::Step::from_minutes(minutes).unwrap();
        let (start, _) = paris::day_bounds(from);
        let (end, _) = paris::day_bounds(to);
        let mut points = Vec::new();
        let mut t = start;
        while t < end {
            t += step.duration();
            points.push(LoadCurvePoint {
                end: t,
                step,
                watts: (points.len() as u32 * 7919) % 12_000,
            });
        }
        points
    }

    #[test]
    fn the_written_load_curve_body_is_what_serde_writes() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        for (direction, pdl, from, to, minutes) in [
            (
                Direction::Consumption,
                "22516914714270",
                day(2026, 11, 20),
                day(2026, 11, 27),
                30,
            ),
            // Both daylight-saving days: 46 and 50 half-hours, the repeated hour's stamps.
            (
                Direction::Production,
                "22516914714270",
                day(2026, 3, 28),
                day(2026, 3, 30),
                30,
            ),
            (
                Direction::Consumption,
                "22516914714270",
                day(2026, 10, 24),
                day(2026, 10, 26),
                10,
            ),
            (
                Direction::Consumption,
                "1234\"5",
                day(2025, 1, 1),
                day(2025, 1, 2),
                60,
            ),
            (
                Direction::Consumption,
                "22516914714270",
                day(2025, 1, 1),
                day(2025, 1, 1),
                30,
            ),
        ] {
            let points = curve(from, to, minutes);
            let value = MesureResponse::from_load_curve(direction, pdl, from, to, &points);
            assert_eq!(
                String::from_utf8(MesureResponse::load_curve_body(
                    direction, pdl, from, to, &points
                ))
                .unwrap(),
                serde_json::to_string(&value).unwrap(),
                "{from} {minutes}"
            );
        }
    }
}
