//! The Domoticz JSON API, from outside Domoticz (domoticz.md §2, §3): authentication, version
//! detection, the `type=command` forms and the legacy ones, device creation and adoption, and
//! `udevice` with every value percent-encoded.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use serde_json::Value;

/// How linky proves who it is to Domoticz.
#[derive(Clone, PartialEq, Eq)]
pub enum Auth {
    /// No credentials: linky's address is in Domoticz's trusted networks. No header is sent
    /// (a Basic header from a trusted address is refused over plain HTTP).
    None,
    /// A Domoticz user and password, sent as HTTP Basic (HTTPS, or HTTP with "Allow Basic-Auth
    /// authentication over plain HTTP").
    Basic {
        /// User name.
        user: String,
        /// Password.
        password: String,
    },
    /// OAuth2 password grant for a registered (non-public) Application, then a bearer token.
    Password {
        /// User name.
        user: String,
        /// Password.
        password: String,
        /// The Application's name (Setup → More Options → Applications).
        application: String,
    },
    /// A bearer token issued beforehand.
    Bearer(String),
}

impl std::fmt::Debug for Auth {
    /// Names the mode only: passwords and tokens never reach logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Auth::None => "None",
            Auth::Basic { .. } => "Basic",
            Auth::Password { .. } => "Password",
            Auth::Bearer(_) => "Bearer",
        })
    }
}

/// Where Domoticz is and how to reach it.
#[derive(Debug, Clone)]
pub struct Connection {
    /// Base address, e.g. `http://192.168.1.10:8080`.
    pub url: String,
    /// Credentials.
    pub auth: Auth,
    /// Trust Domoticz's self-signed certificate (`server_cert.pem`).
    pub accept_invalid_certs: bool,
    /// A CA certificate (PEM) to trust for HTTPS.
    pub ca_file: Option<PathBuf>,
    /// Talk to Domoticz 2023.2 despite its known bug (domoticz.md §1.3).
    pub force_2023_2: bool,
}

/// What went wrong talking to Domoticz; each says what to do.
#[derive(Debug, thiserror::Error)]
pub enum DomoticzError {
    /// Nothing answers at the address.
    #[error("Domoticz is unreachable at {url}: {reason}; check the address and that Domoticz is running")]
    Unreachable {
        /// The address.
        url: String,
        /// The transport error.
        reason: String,
    },
    /// The connection broke after Domoticz had answered earlier calls of this session: what was
    /// sent so far is kept and the next push resumes from there.
    #[error("the connection to Domoticz at {url} was interrupted ({reason}); what was sent is saved and the next push resumes from there (the daemon retries on its own)")]
    Interrupted {
        /// The address.
        url: String,
        /// The transport error.
        reason: String,
    },
    /// A 401.
    #[error("Domoticz refused the credentials (401). Fix one of: add linky's address to Setup > Settings > Security > Trusted Networks (and set no credentials); enable 'Allow Basic-Auth authentication over plain HTTP' or use HTTPS; or use the OAuth2 password grant with a registered non-public Application")]
    Unauthorized,
    /// The credentials work but lack Admin rights.
    #[error("the Domoticz user may not `{0}`: this account needs Admin rights to create linky's devices (Setup > Users), or create them once with an admin account; afterwards a User account can push")]
    NeedsAdmin(String),
    /// `idx` is not linky's device for the meter any more.
    #[error("Domoticz device {idx} is not the meter's any more (now {found:?}); linky will not write into it")]
    NotOurDevice {
        /// The idx.
        idx: i64,
        /// What the device is now.
        found: String,
    },
    /// Domoticz answered ERR.
    #[error("Domoticz refused `{command}`{detail}")]
    Refused {
        /// The command.
        command: String,
        /// What we know of why.
        detail: String,
    },
    /// 2023.2 mangles dated values.
    #[error("Domoticz 2023.2 has a known bug that breaks dated values (issues #5761, #5772): upgrade to 2024.1 or later, or force with `domoticz.force_2023_2 = true`")]
    Version2023_2,
    /// Too old or unreadable version.
    #[error("Domoticz {0} is not supported: dated values need 2020.1 or later; upgrade Domoticz")]
    TooOld(String),
    /// An answer we cannot read.
    #[error("Domoticz sent an answer linky cannot read for `{command}`: {detail}")]
    BadAnswer {
        /// The command.
        command: String,
        /// What was wrong.
        detail: String,
    },
    /// An answer that is not Domoticz's JSON: an error status, or a web page (a reverse proxy's
    /// login or error page, another service at that address).
    #[error("the answer to `{command}` was {} (HTTP {status}), not Domoticz's JSON: check that `domoticz.url` points at Domoticz itself (not a login page or another service) and look at Domoticz's log (Setup > Log)", if *page { "a web page" } else { "not JSON" })]
    NotJson {
        /// The command.
        command: String,
        /// The HTTP status.
        status: u16,
        /// Whether it was an HTML page.
        page: bool,
    },
    /// The HTTPS certificate is not trusted.
    #[error("Domoticz's HTTPS certificate is not trusted ({0}): set `domoticz.accept_invalid_certs = true` for its self-signed certificate, or give its CA in `domoticz.ca_file`")]
    Certificate(String),
    /// The TLS settings could not be used.
    #[error("cannot use the TLS settings: {0}; check `domoticz.ca_file`")]
    Tls(String),
}

impl linky_core::Localized for DomoticzError {
    fn localized(&self, lang: linky_core::Lang) -> String {
        match lang {
            linky_core::Lang::Fr => self.fr(),
            linky_core::Lang::En => self.to_string(),
        }
    }
}

impl DomoticzError {
    /// The French message.
    pub fn fr(&self) -> String {
        match self {
            DomoticzError::Unreachable { url, reason } => format!("Domoticz est injoignable à {url} : {reason} ; vérifiez l'adresse et que Domoticz tourne"),
            DomoticzError::Interrupted { url, reason } => format!("la connexion à Domoticz ({url}) a été interrompue ({reason}) ; ce qui a été envoyé est enregistré et le prochain envoi reprend à partir de là (le démon réessaie de lui-même)"),
            DomoticzError::NotOurDevice { idx, found } => format!("le dispositif Domoticz {idx} n'est plus celui du compteur (c'est maintenant {found:?}) ; linky n'y écrira pas"),
            DomoticzError::Unauthorized => "Domoticz a refusé les identifiants (401). Au choix : ajoutez l'adresse de linky dans Configuration > Paramètres > Sécurité > Réseaux de confiance (sans identifiants) ; activez « Allow Basic-Auth authentication over plain HTTP » ou passez en HTTPS ; ou utilisez OAuth2 (mot de passe) avec une Application non publique enregistrée".into(),
            DomoticzError::Refused { command, detail } => format!("Domoticz a refusé `{command}`{detail}"),
            DomoticzError::Version2023_2 => "Domoticz 2023.2 a un bogue connu qui casse les valeurs datées (issues #5761, #5772) : passez à 2024.1 ou plus, ou forcez avec `domoticz.force_2023_2 = true`".into(),
            DomoticzError::TooOld(v) => format!("Domoticz {v} n'est pas pris en charge : les valeurs datées demandent 2020.1 ou plus ; mettez Domoticz à jour"),
            DomoticzError::BadAnswer { command, detail } => format!("Domoticz a envoyé une réponse illisible pour `{command}` : {detail}"),
            DomoticzError::NotJson { command, status, page } => format!("la réponse à `{command}` était {} (HTTP {status}), pas le JSON de Domoticz : vérifiez que `domoticz.url` désigne bien Domoticz (pas une page de connexion ni un autre service) et regardez le journal de Domoticz (Configuration > Journal)", if *page { "une page web" } else { "illisible" }),
            DomoticzError::NeedsAdmin(c) => format!("l'utilisateur Domoticz ne peut pas faire `{c}` : ce compte doit avoir les droits Administrateur pour créer les dispositifs de linky (Configuration > Utilisateurs), ou créez-les une fois avec un compte administrateur ; ensuite un compte Utilisateur peut envoyer les données"),
            DomoticzError::Certificate(e) => format!("le certificat HTTPS de Domoticz n'est pas reconnu ({e}) : mettez `domoticz.accept_invalid_certs = true` pour son certificat auto-signé, ou donnez son autorité dans `domoticz.ca_file`"),
            DomoticzError::Tls(e) => format!("réglages TLS inutilisables : {e} ; vérifiez `domoticz.ca_file`"),
        }
    }
}

/// Which request forms this Domoticz takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiForm {
    /// 2023.2 and later: `type=command&param=<cmd>` for everything.
    Command,
    /// 2020.1 to 2023.1: `type=createdevice`, `type=setused`, `type=devices`, `type=graph`...
    Legacy,
}

/// The P1 device options linky needs, as `setused` takes them (base64, then percent-encoded).
const P1_OPTIONS: &str = "AddDBLogEntry:true;DisableLogAutoUpdate:true";
/// The cost counter's options: what it counts and in which unit.
const COST_OPTIONS: &str = "ValueQuantity:Coût;ValueUnits:€";

/// Commands only an Admin may run (domoticz.md §3).
const ADMIN_COMMANDS: &[&str] = &[
    "addhardware",
    "createdevice",
    "setused",
    "renamedevice",
    "getsettings",
    "gethardware",
];

/// A device as `getdevices` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Device {
    /// Its idx.
    pub idx: i64,
    /// DeviceID as listed: the original plugin's PDL while it runs, the hex of its truncated
    /// number once its hardware is disabled (domoticz.md §8).
    pub device_id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// `Type`, e.g. `P1 Smart Meter`.
    pub type_name: String,
    /// `SubType`, e.g. `Energy`.
    pub subtype_name: String,
    /// Its hardware's type (`HardwareTypeVal`: 15 Dummy, 94 Python plugin), when listed.
    pub hardware_type: Option<i64>,
}

impl Device {
    /// A P1 Smart Meter (type 250, subtype 1), the only kind linky writes into.
    pub fn is_p1(&self) -> bool {
        self.type_name == "P1 Smart Meter" && self.subtype_name == "Energy"
    }

    /// A Managed Counter (type 243, subtype 33), the kind of linky's cost device.
    pub fn is_managed_counter(&self) -> bool {
        self.type_name == "General" && self.subtype_name == "Managed Counter"
    }

    /// What it is, for messages: `"Salon" (Temp)`.
    pub fn label(&self) -> String {
        format!("\"{}\" ({})", self.name, self.type_name)
    }
}

/// Hardware type of Dummy (virtual) hardware.
pub const DUMMY_HARDWARE: i64 = 15;
/// Hardware type of a Python plugin, such as DomoticzLinky.
pub const PLUGIN_HARDWARE: i64 = 94;

/// A Domoticz server, connected.
pub struct Domoticz {
    http: reqwest::Client,
    base: String,
    auth: Auth,
    token: Mutex<Option<String>>,
    /// Answers received so far: a broken connection after some is an interruption, not an
    /// unreachable server.
    answers: AtomicUsize,
    /// The version as Domoticz reports it.
    pub version: String,
    /// The forms to use.
    pub form: ApiForm,
}

fn pct(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// (year, minor) of a Domoticz version such as `2024.7` or `2023.2 (build 15457)`.
pub fn parse_version(text: &str) -> Option<(u32, u32)> {
    let head = text.split_whitespace().next()?;
    let (y, m) = head.split_once('.')?;
    Some((y.parse().ok()?, m.parse().ok()?))
}

impl Domoticz {
    /// Connects, checks the credentials and the version.
    pub async fn connect(c: &Connection) -> Result<Domoticz, DomoticzError> {
        // reqwest is built without a default crypto provider; installing one twice is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        // Domoticz closes a connection after each answer, unannounced, unless the request asks
        // for keep-alive (domoticz.md §8): without it a reused connection fails.
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::CONNECTION,
            reqwest::header::HeaderValue::from_static("keep-alive"),
        );
        let mut builder = reqwest::Client::builder()
            .default_headers(headers)
            .user_agent(concat!("linky/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60));
        if c.accept_invalid_certs {
            builder = builder.danger_accept_invalid_certs(true);
        }
        if let Some(path) = &c.ca_file {
            let pem = std::fs::read(path)
                .map_err(|e| DomoticzError::Tls(format!("{}: {e}", path.display())))?;
            let cert = reqwest::Certificate::from_pem(&pem)
                .map_err(|e| DomoticzError::Tls(format!("{}: {e}", path.display())))?;
            builder = builder.add_root_certificate(cert);
        }
        let http = builder
            .build()
            .map_err(|e| DomoticzError::Tls(e.to_string()))?;
        let mut d = Domoticz {
            http,
            base: c.url.trim_end_matches('/').to_owned(),
            auth: c.auth.clone(),
            token: Mutex::new(None),
            answers: AtomicUsize::new(0),
            version: String::new(),
            form: ApiForm::Command,
        };
        // getversion answers without credentials too, but then without a version: an answer
        // without one means the credentials were not accepted.
        let v = d.call("getversion", &[]).await?;
        let version = v
            .get("version")
            .and_then(Value::as_str)
            .ok_or(DomoticzError::Unauthorized)?
            .to_owned();
        let (year, minor) = parse_version(&version).ok_or_else(|| DomoticzError::BadAnswer {
            command: "getversion".into(),
            detail: format!("version {version:?}"),
        })?;
        if year < 2020 {
            return Err(DomoticzError::TooOld(version));
        }
        if (year, minor) == (2023, 2) && !c.force_2023_2 {
            return Err(DomoticzError::Version2023_2);
        }
        d.form = if (year, minor) < (2023, 2) {
            ApiForm::Legacy
        } else {
            ApiForm::Command
        };
        d.version = version;
        Ok(d)
    }

    async fn bearer(&self, renew: bool) -> Result<Option<String>, DomoticzError> {
        let Auth::Password {
            user,
            password,
            application,
        } = &self.auth
        else {
            return Ok(match &self.auth {
                Auth::Bearer(t) => Some(t.clone()),
                _ => None,
            });
        };
        if !renew {
            if let Some(t) = self.token.lock().unwrap_or_else(|e| e.into_inner()).clone() {
                return Ok(Some(t));
            }
        }
        let url = format!("{}/oauth2/v1/token", self.base);
        let r = self
            .http
            .post(&url)
            .basic_auth(user, Some(password))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!(
                "grant_type=password&client_id={}",
                pct(application)
            ))
            .send()
            .await
            .map_err(|e| self.unreachable(e))?;
        if !r.status().is_success() {
            return Err(DomoticzError::Unauthorized);
        }
        let body: Value = r.json().await.map_err(|e| DomoticzError::BadAnswer {
            command: "oauth2 token".into(),
            detail: e.to_string(),
        })?;
        let token = body
            .get("access_token")
            .and_then(Value::as_str)
            .ok_or(DomoticzError::Unauthorized)?
            .to_owned();
        *self.token.lock().unwrap_or_else(|e| e.into_inner()) = Some(token.clone());
        Ok(Some(token))
    }

    fn unreachable(&self, e: reqwest::Error) -> DomoticzError {
        // The first line says little ("error sending request"): the cause is further down.
        let e = e.without_url();
        let mut reason = e.to_string();
        let mut cause: Option<&dyn std::error::Error> = std::error::Error::source(&e);
        while let Some(c) = cause {
            reason.push_str(": ");
            reason.push_str(&c.to_string());
            cause = c.source();
        }
        if reason.contains("certificate") {
            return DomoticzError::Certificate(reason);
        }
        if self.answers.load(Ordering::Relaxed) > 0 {
            return DomoticzError::Interrupted {
                url: self.base.clone(),
                reason,
            };
        }
        DomoticzError::Unreachable {
            url: self.base.clone(),
            reason,
        }
    }

    /// The query for `command` in this server's form.
    fn query(&self, command: &str, args: &[(&str, &str)]) -> String {
        let legacy = match (self.form, command) {
            (ApiForm::Legacy, "getdevices") => Some("devices"),
            (ApiForm::Legacy, "createdevice" | "setused" | "graph") => Some(command),
            (ApiForm::Legacy, "getsettings") => Some("settings"),
            (ApiForm::Legacy, "gethardware") => Some("hardware"),
            _ => None,
        };
        let mut q = match legacy {
            Some(kind) => format!("type={kind}"),
            None => format!("type=command&param={command}"),
        };
        for (k, v) in args {
            q.push('&');
            q.push_str(k);
            q.push('=');
            q.push_str(&pct(v));
        }
        q
    }

    /// The server's base address, as configured.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// Sends one request; a request whose connection broke before any answer is sent again
    /// (twice at most, after a short pause) when sending it twice does no harm: every command
    /// but the two that create something is a read or an idempotent upsert.
    async fn send(
        &self,
        command: &str,
        url: &str,
        renew: bool,
    ) -> Result<reqwest::Response, DomoticzError> {
        let repeatable = !matches!(command, "addhardware" | "createdevice");
        let mut attempt = 0u32;
        loop {
            let mut request = self.http.get(url);
            if let Auth::Basic { user, password } = &self.auth {
                request = request.basic_auth(user, Some(password));
            }
            if let Some(token) = self.bearer(renew).await? {
                request = request.bearer_auth(token);
            }
            match request.send().await {
                Ok(r) => {
                    self.answers.fetch_add(1, Ordering::Relaxed);
                    return Ok(r);
                }
                Err(e) if repeatable && attempt < 2 && !e.is_timeout() && !e.is_builder() => {
                    attempt += 1;
                    tracing::debug!(
                        command,
                        attempt,
                        "connection to Domoticz closed before an answer: sent again"
                    );
                    tokio::time::sleep(Duration::from_millis(100 * u64::from(attempt))).await;
                }
                Err(e) => return Err(self.unreachable(e)),
            }
        }
    }

    /// One `/json.htm` call; a 401 with a password grant renews the token once.
    pub async fn call(&self, command: &str, args: &[(&str, &str)]) -> Result<Value, DomoticzError> {
        let url = format!("{}/json.htm?{}", self.base, self.query(command, args));
        let mut renew = false;
        loop {
            let r = self.send(command, &url, renew).await?;
            match r.status().as_u16() {
                401 if !renew && matches!(self.auth, Auth::Password { .. }) => {
                    renew = true;
                    continue;
                }
                // The credentials passed `getversion` at connection: a 401 on an admin command
                // is about rights.
                401 if ADMIN_COMMANDS.contains(&command) && !self.version.is_empty() => {
                    return Err(DomoticzError::NeedsAdmin(command.into()))
                }
                401 => return Err(DomoticzError::Unauthorized),
                // Domoticz 2025.1 answers 403 to a signed-in non-admin (domoticz.md §8).
                403 => return Err(DomoticzError::NeedsAdmin(command.into())),
                404 => {
                    return Err(DomoticzError::Refused {
                        command: command.into(),
                        detail: " (404: this Domoticz does not know the command)".into(),
                    })
                }
                _ => {}
            }
            let status = r.status().as_u16();
            let text = r.text().await.map_err(|e| self.unreachable(e))?;
            let body: Value = match serde_json::from_str(&text) {
                Ok(body) if (200..300).contains(&status) => body,
                _ => {
                    return Err(DomoticzError::NotJson {
                        command: command.into(),
                        status,
                        page: text.trim_start().starts_with('<'),
                    })
                }
            };
            if body.get("status").and_then(Value::as_str) != Some("OK") {
                return Err(DomoticzError::Refused {
                    command: command.into(),
                    detail: String::new(),
                });
            }
            return Ok(body);
        }
    }

    /// Short-log retention in days ("Short Log Sensors"), from `getsettings` (admin).
    pub async fn short_log_days(&self) -> Result<i64, DomoticzError> {
        let s = self.call("getsettings", &[]).await?;
        Ok(s.get("ShortLogDays")
            .and_then(|v| v.as_i64().or_else(|| v.as_str()?.parse().ok()))
            .unwrap_or(1))
    }

    /// The rights of the account linky uses (`getauth`: 2 is Admin), when this Domoticz says.
    pub async fn rights(&self) -> Result<Option<i64>, DomoticzError> {
        let a = self.call("getauth", &[]).await?;
        Ok(a.get("rights").and_then(Value::as_i64))
    }

    /// Every device, those of disabled hardware included (Domoticz hides them by default, and
    /// disabling the original plugin is what linky asks the user to do).
    pub async fn devices(&self) -> Result<Vec<Device>, DomoticzError> {
        let d = self.call("getdevices", &[("displaydisabled", "1")]).await?;
        Ok(d.get("result")
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .filter_map(|x| {
                        let text = |key: &str| -> String {
                            x.get(key)
                                .and_then(Value::as_str)
                                .unwrap_or_default()
                                .into()
                        };
                        Some(Device {
                            idx: x.get("idx")?.as_str()?.parse().ok()?,
                            device_id: text("ID"),
                            name: text("Name"),
                            description: text("Description"),
                            type_name: text("Type"),
                            subtype_name: text("SubType"),
                            hardware_type: x.get("HardwareTypeVal").and_then(Value::as_i64),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default())
    }

    /// The idx of the Dummy hardware named `name`, created if missing.
    pub async fn dummy_hardware(&self, name: &str) -> Result<i64, DomoticzError> {
        let list = self.call("gethardware", &[]).await?;
        let found = list
            .get("result")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|h| {
                h.get("Name").and_then(Value::as_str) == Some(name)
                    && h.get("Type").and_then(Value::as_i64) == Some(15)
            })
            .and_then(|h| h.get("idx")?.as_str()?.parse().ok());
        if let Some(idx) = found {
            return Ok(idx);
        }
        let r = self
            .call(
                "addhardware",
                &[
                    ("htype", "15"),
                    ("name", name),
                    ("enabled", "true"),
                    ("datatimeout", "0"),
                    ("loglevel", "7"),
                ],
            )
            .await?;
        idx_of(&r, "addhardware")
    }

    /// `createdevice` of a type and subtype on `hardware`; its idx.
    async fn create_device(
        &self,
        hardware: i64,
        name: &str,
        (kind, subtype): (&str, &str),
    ) -> Result<i64, DomoticzError> {
        let hw = hardware.to_string();
        let r = self
            .call(
                "createdevice",
                &[
                    ("idx", &hw),
                    ("sensorname", name),
                    ("devicetype", kind),
                    ("devicesubtype", subtype),
                ],
            )
            .await?;
        idx_of(&r, "createdevice")
    }

    /// Creates a P1 Smart Meter on `hardware`, named and described, with linky's options.
    pub async fn create_p1(
        &self,
        hardware: i64,
        name: &str,
        description: &str,
    ) -> Result<i64, DomoticzError> {
        let idx = self.create_device(hardware, name, ("250", "1")).await?;
        self.set_options(idx, Some((name, description))).await?;
        Ok(idx)
    }

    /// Creates a Managed Counter on `hardware` counting euros: meter type "counter" (3), values
    /// in cents (divider 100), shown as "Coût" in "€" (options `ValueQuantity`, `ValueUnits`).
    /// `setused` writes the meter type only together with a name (Domoticz's `RType_SetUsed`).
    pub async fn create_cost_counter(
        &self,
        hardware: i64,
        name: &str,
        description: &str,
    ) -> Result<i64, DomoticzError> {
        use base64::Engine;
        let number = self.create_device(hardware, name, ("243", "33")).await?;
        let idx = number.to_string();
        let options = base64::engine::general_purpose::STANDARD.encode(COST_OPTIONS);
        self.call(
            "setused",
            &[
                ("idx", idx.as_str()),
                ("used", "true"),
                ("name", name),
                ("description", description),
                ("switchtype", "3"),
                ("addjvalue2", "100"),
                ("options", options.as_str()),
            ],
        )
        .await?;
        Ok(number)
    }

    /// `setused` with `used=true` (never false: that deletes the device) and linky's options;
    /// a description goes with the name, since Domoticz stores it only then (domoticz.md §8).
    pub async fn set_options(
        &self,
        idx: i64,
        named: Option<(&str, &str)>,
    ) -> Result<(), DomoticzError> {
        use base64::Engine;
        let options = base64::engine::general_purpose::STANDARD.encode(P1_OPTIONS);
        let idx = idx.to_string();
        let mut args = vec![
            ("idx", idx.as_str()),
            ("used", "true"),
            ("options", options.as_str()),
        ];
        if let Some((name, description)) = named {
            args.push(("name", name));
            args.push(("description", description));
        }
        self.call("setused", &args).await.map(|_| ())
    }

    /// One `udevice`.
    pub async fn update(&self, idx: i64, svalue: &str) -> Result<(), DomoticzError> {
        let idx = idx.to_string();
        self.call(
            "udevice",
            &[("idx", &idx), ("nvalue", "0"), ("svalue", svalue)],
        )
        .await
        .map(|_| ())
    }

    /// The `d` stamps the graph API shows for a device over `range` (`day`, `month`, `year`).
    pub async fn graph_stamps(&self, idx: i64, range: &str) -> Result<Vec<String>, DomoticzError> {
        let idx = idx.to_string();
        let g = self
            .call(
                "graph",
                &[("sensor", "counter"), ("idx", &idx), ("range", range)],
            )
            .await?;
        Ok(g.get("result")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|r| r.get("d")?.as_str().map(str::to_owned))
            .collect())
    }
}

fn idx_of(answer: &Value, command: &str) -> Result<i64, DomoticzError> {
    answer
        .get("idx")
        .and_then(|v| {
            v.as_str()
                .and_then(|s| s.parse().ok())
                .or_else(|| v.as_i64())
        })
        .ok_or_else(|| DomoticzError::BadAnswer {
            command: command.into(),
            detail: "no idx".into(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_and_encoding() {
        assert_eq!(parse_version("2024.7"), Some((2024, 7)));
        assert_eq!(parse_version("2023.2 (build 15457)"), Some((2023, 2)));
        assert_eq!(parse_version("beta"), None);
        assert_eq!(pct("1;2 3:4+="), "1%3B2%203%3A4%2B%3D");
        assert_eq!(format!("{:?}", Auth::Bearer("secret".into())), "Bearer");
    }
}
