//! One table for the three ways a setting is given besides its default: its key in the file,
//! its environment variable and its flag. They are merged by key (`settings-layers`) and read
//! by one deserializer, so a new setting with a variable or a flag is one line here, and a wrong
//! value gets the same error wherever it came from, naming the variable or flag that gave it.

use settings_layers::{Expected, LayerError, Layers, Origin};

use super::validate::{error, SettingError};
use super::Settings;

/// A setting that can also be given by an environment variable or a flag.
#[derive(Debug, Clone, Copy)]
pub struct Given {
    /// The key, as in the file.
    pub key: &'static str,
    /// Its environment variable (stronger than the file).
    pub variable: Option<&'static str>,
    /// Its flag (stronger than the variable), as written on the command line.
    pub flag: Option<&'static str>,
}

const fn given(
    key: &'static str,
    variable: Option<&'static str>,
    flag: Option<&'static str>,
) -> Given {
    Given {
        key,
        variable,
        flag,
    }
}

/// Every setting with a variable or a flag. The variables keep the original plugin's and
/// earlier versions' names (`LINKY_OFFPEAK`, not `LINKY_OFFPEAK_SCHEDULE`): scripts use them.
pub const GIVEN: &[Given] = &[
    given("lang", Some("LINKY_LANG"), Some("--lang")),
    given("data_dir", Some("LINKY_DATA_DIR"), Some("--data-dir")),
    given("proxy", Some("LINKY_PROXY"), None),
    given("sync.hours_days", Some("LINKY_HOURS_DAYS"), None),
    given(
        "sync.history_days",
        Some("LINKY_HISTORY_DAYS"),
        Some("--history-days"),
    ),
    given(
        "sync.daily_days",
        Some("LINKY_DAILY_DAYS"),
        Some("--daily-days"),
    ),
    given(
        "sync.max_power_days",
        Some("LINKY_MAX_POWER_DAYS"),
        Some("--max-power-days"),
    ),
    given("sync.max_rate", Some("LINKY_MAX_RATE"), Some("--max-rate")),
    given("sync.api", Some("LINKY_API"), Some("--api")),
    given("sync.retry_base_ms", None, Some("--retry-base-ms")),
    given("offpeak.schedule", Some("LINKY_OFFPEAK"), None),
    given("conso_api.url", Some("LINKY_CONSO_API_URL"), None),
    given("conso_api.token", Some("LINKY_CONSO_API_TOKEN"), None),
    given(
        "direct.api_url",
        Some("LINKY_ENEDIS_API_URL"),
        Some("--enedis-api-url"),
    ),
    given(
        "direct.client_id",
        Some("LINKY_ENEDIS_CLIENT_ID"),
        Some("--enedis-client-id"),
    ),
    given(
        "direct.client_secret",
        Some("LINKY_ENEDIS_CLIENT_SECRET"),
        None,
    ),
    given("direct.meters", Some("LINKY_METERS"), Some("--meters")),
    given("domoticz.url", Some("LINKY_DOMOTICZ_URL"), None),
    given("domoticz.user", Some("LINKY_DOMOTICZ_USER"), None),
    given("domoticz.password", Some("LINKY_DOMOTICZ_PASSWORD"), None),
    given("domoticz.token", Some("LINKY_DOMOTICZ_TOKEN"), None),
    given("tariff.option", Some("LINKY_TARIFF"), None),
    given("tariff.colours", Some("LINKY_COLOURS"), None),
    given("tariff.colours_url", Some("LINKY_COLOURS_URL"), None),
    given(
        "tariff.rte_client_secret",
        Some("LINKY_RTE_CLIENT_SECRET"),
        None,
    ),
    given("web.listen", Some("LINKY_WEB_LISTEN"), Some("--listen")),
    given("web.password", Some("LINKY_WEB_PASSWORD"), None),
    given("web.token", Some("LINKY_WEB_TOKEN"), None),
];

/// The settings being gathered: a file, then the environment, then flags; [`Gathering::read`]
/// reads them once.
pub struct Gathering {
    layers: Layers,
    /// Where the file came from, to name it when it is not TOML.
    origin: String,
}

impl Default for Gathering {
    fn default() -> Gathering {
        Gathering::new()
    }
}

impl Gathering {
    /// Nothing yet: every setting at its default.
    pub fn new() -> Gathering {
        Gathering {
            layers: Layers::new::<Settings>(),
            origin: "--config".to_owned(),
        }
    }

    /// The settings file's text; `origin` names it in an error.
    pub fn file(&mut self, text: &str, origin: &str) -> Result<(), SettingError> {
        self.origin = origin.to_owned();
        self.layers.file(text).map_err(|e| self.explain(e))
    }

    /// The file at `path` (an absent file is fine unless `required`).
    pub fn load(&mut self, path: &std::path::Path, required: bool) -> Result<(), SettingError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => return Ok(()),
            Err(e) => {
                return Err(error(
                    "--config",
                    (
                        format!("{} illisible ({e})", path.display()),
                        format!("cannot read {} ({e})", path.display()),
                    ),
                    (
                        "vérifiez le chemin et les droits, ou créez-le avec `linky init`",
                        "check the path and permissions, or create it with `linky init`",
                    ),
                ));
            }
        };
        self.file(&text, &path.display().to_string())
    }

    /// Every variable of [`GIVEN`] that `var` knows (an empty one counts as unset).
    pub fn environment(
        &mut self,
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<(), SettingError> {
        for g in GIVEN {
            let Some(name) = g.variable else { continue };
            if let Some(value) = var(name).filter(|v| !v.is_empty()) {
                let origin = Origin::Variable(name.to_owned());
                self.layers
                    .text(g.key, &value, origin)
                    .map_err(|e| self.explain(e))?;
            }
        }
        Ok(())
    }

    /// Flags given on the command line, as written (`--max-rate`) with their text.
    pub fn flags<'a>(
        &mut self,
        flags: impl IntoIterator<Item = (&'a str, String)>,
    ) -> Result<(), SettingError> {
        for (flag, value) in flags {
            // A flag missing from the table is a programming error, caught by the test
            // `every_flag_of_the_command_line_sets_its_setting`.
            let Some(g) = GIVEN.iter().find(|g| g.flag == Some(flag)) else {
                continue;
            };
            let origin = Origin::Flag(flag.to_owned());
            self.layers
                .text(g.key, &value, origin)
                .map_err(|e| self.explain(e))?;
        }
        Ok(())
    }

    /// The settings, read once (not yet checked together: see [`Settings::typed`]).
    pub fn read(self) -> Result<Settings, SettingError> {
        let origin = self.origin.clone();
        self.layers.read().map_err(|e| explain(e, &origin))
    }

    fn explain(&self, e: LayerError) -> SettingError {
        explain(e, &self.origin)
    }
}

/// A layer's error in linky's words, in French and English.
fn explain(e: LayerError, origin: &str) -> SettingError {
    let named = e.named().to_owned();
    match e {
        LayerError::Syntax { message } => error(
            origin,
            (
                format!("fichier de réglages invalide : {message}"),
                format!("invalid settings file: {message}"),
            ),
            (
                "corrigez le fichier (voir `linky config show` pour la forme attendue)",
                "fix the file (see `linky config show` for the expected form)",
            ),
        ),
        LayerError::Unknown { .. } => error(
            &named,
            ("réglage inconnu".into(), "unknown setting".into()),
            ("vérifiez l'orthographe", "check its spelling"),
        ),
        LayerError::Text { text, expected, .. } => {
            let (fr, en) = match expected {
                Expected::WholeNumber | Expected::Number => ("un nombre", "a number"),
                Expected::YesNo => ("oui ou non", "a yes or no"),
            };
            error(
                &named,
                (
                    format!("« {text} » n'est pas {fr}"),
                    format!("\"{text}\" is not {en}"),
                ),
                (&format!("donnez {fr}"), &format!("give {en}")),
            )
        }
        LayerError::Value { message, .. } => {
            // Our own types refuse in both languages (see `textual`); serde's own words
            // (a wrong type, an unknown key) are English only.
            let (fr, en) = match message.split_once(super::textual::BETWEEN_LANGUAGES) {
                Some((fr, en)) => (fr.to_owned(), en.to_owned()),
                None => (format!("valeur refusée ({message})"), message),
            };
            error(
                &named,
                (fr, en),
                (
                    "corrigez la valeur (voir `linky config show` pour la forme attendue)",
                    "correct the value (see `linky config show` for the expected form)",
                ),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use linky_core::{Lang, Localized};

    fn read(file: &str, variables: &[(&str, &str)]) -> Result<Settings, SettingError> {
        let mut g = Gathering::new();
        g.file(file, "test.toml")?;
        g.environment(|name| {
            variables
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned())
        })?;
        g.read()
    }

    #[test]
    fn every_key_of_the_table_is_a_setting_and_names_are_unique() {
        let mut g = Gathering::new();
        for given in GIVEN {
            let sample = match given.key {
                "lang" => "en",
                "sync.api" => "2026",
                "web.listen" => "127.0.0.1:9000",
                k if k.ends_with("days") || k.ends_with("_ms") || k.ends_with("rate") => "2",
                _ => "text",
            };
            g.layers
                .text(given.key, sample, Origin::File)
                .unwrap_or_else(|e| panic!("{}: {e}", given.key));
        }
        g.read().expect("every key of GIVEN reads");
        let mut names: Vec<&str> = GIVEN
            .iter()
            .flat_map(|g| [g.variable, g.flag])
            .flatten()
            .collect();
        let count = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), count, "a variable or flag named twice");
    }

    /// Every flag `linky sync` passes on has its line in [`GIVEN`] (a missing one would be
    /// passed over by [`Gathering::flags`]), and lands in its setting.
    #[test]
    fn every_flag_of_the_command_line_sets_its_setting() {
        use clap::Parser;
        let cli = crate::cli::Cli::try_parse_from([
            "linky",
            "sync",
            "--history-days",
            "10",
            "--daily-days",
            "11",
            "--max-power-days",
            "12",
            "--api",
            "v5",
            "--max-rate",
            "1.5",
            "--enedis-api-url",
            "https://enedis.example",
            "--enedis-client-id",
            "id",
            "--meters",
            "12345678901234,98765432109876",
            "--retry-base-ms",
            "5",
        ])
        .unwrap();
        let crate::cli::Command::Sync(args) = &cli.command else {
            panic!("not the sync command");
        };
        let flags = args.flags();
        assert_eq!(flags.len(), 9, "{flags:?}");
        for (flag, _) in &flags {
            assert!(
                GIVEN.iter().any(|g| g.flag == Some(*flag)),
                "{flag} has no line in GIVEN"
            );
        }
        for flag in ["--data-dir", "--lang", "--listen"] {
            assert!(GIVEN.iter().any(|g| g.flag == Some(flag)), "{flag}");
        }
        let mut g = Gathering::new();
        g.flags(flags).unwrap();
        let s = g.read().unwrap();
        assert_eq!(
            (
                s.sync.history_days,
                s.sync.daily_days,
                s.sync.max_power_days,
                s.sync.max_rate,
                s.sync.retry_base_ms
            ),
            (10, 11, 12, 1.5, 5)
        );
        assert_eq!(s.sync.api, super::super::Api::V5);
        assert_eq!(s.direct.api_url.as_deref(), Some("https://enedis.example"));
        assert_eq!(s.direct.client_id.as_deref(), Some("id"));
        assert_eq!(s.direct.meters.len(), 2);
    }

    #[test]
    fn the_environment_wins_over_the_file_and_errors_name_the_variable() {
        let s = read(
            "[sync]\nmax_rate = 1.0\nhistory_days = 100\n",
            &[
                ("LINKY_MAX_RATE", "2.5"),
                ("LINKY_METERS", "12345678901234, 98765432109876"),
                ("LINKY_API", "v5"),
                ("LINKY_HISTORY_DAYS", ""),
            ],
        )
        .unwrap();
        assert_eq!(s.sync.max_rate, 2.5);
        assert_eq!(
            s.sync.history_days, 100,
            "an empty variable counts as unset"
        );
        assert_eq!(s.sync.api, super::super::Api::V5);
        assert_eq!(s.direct.meters.len(), 2);

        let e = read("", &[("LINKY_MAX_RATE", "fast")]).unwrap_err();
        assert_eq!(e.key, "LINKY_MAX_RATE");
        let e = read("", &[("LINKY_API", "v4")]).unwrap_err();
        assert_eq!(e.key, "LINKY_API");
        assert!(
            e.localized(Lang::Fr)
                .contains("choisissez auto, 2026 ou v5"),
            "{}",
            e.localized(Lang::Fr)
        );
        assert!(e.localized(Lang::En).contains("choose auto, 2026 or v5"));

        let mut g = Gathering::new();
        g.flags([("--api", "v4".to_owned())]).unwrap();
        assert_eq!(g.read().unwrap_err().key, "--api");
    }
}
