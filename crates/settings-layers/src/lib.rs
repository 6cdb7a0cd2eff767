//! Settings gathered from layers and read once.
//!
//! A program's settings come from its built-in defaults, then a TOML file, then environment
//! variables, then flags, the last one winning. Rather than each layer writing into the typed
//! struct by hand (four places to touch for one new setting), every layer here gives values by
//! key (`sync.history_days`), they are merged as TOML, and the struct is deserialized once. A
//! value given as text (a variable or a flag) is typed as the key's default is, so
//! `LINKY_MAX_RATE=2.5` and `max_rate = 2.5` in the file are the same value. A wrong value is
//! refused by the same deserializer whatever its source, and the error names the key, the
//! variable or the flag it came from.
//!
//! Used by `linky` (nested sections, historical variable names) and `linky-proxy` (flat keys,
//! one `LINKY_PROXY_<KEY>` per key); each turns [`LayerError`] into its own words.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::Serialize;

/// Where a value came from, to name it in an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The TOML file (named by its key).
    File,
    /// An environment variable, by name.
    Variable(String),
    /// A command-line flag, as written (`--max-rate`).
    Flag(String),
}

/// The kind of value a text was expected to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    /// A whole number.
    WholeNumber,
    /// A number.
    Number,
    /// A yes or no (`true`, `false`, `1`, `0`, `yes`, `no`).
    YesNo,
}

/// Why settings could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LayerError {
    /// The file is not TOML.
    #[error("the settings file is not valid TOML: {message}")]
    Syntax {
        /// The parser's words.
        message: String,
    },
    /// A key the settings do not have (only checked by [`Layers::strict`] layers).
    #[error("{named} is not a setting")]
    Unknown {
        /// The key, variable or flag as given.
        named: String,
    },
    /// A text that cannot be the key's type.
    #[error("{named}: \"{text}\" is not {expected:?}")]
    Text {
        /// The variable or flag.
        named: String,
        /// What was given.
        text: String,
        /// What the key holds.
        expected: Expected,
    },
    /// The deserializer refused a value.
    #[error("{named}: {message}")]
    Value {
        /// The key, as in the file (`sync.api`).
        key: String,
        /// The key, variable or flag the value came from.
        named: String,
        /// The deserializer's words.
        message: String,
    },
}

impl LayerError {
    /// The key, variable or flag the error is about (empty for a file that is not TOML).
    pub fn named(&self) -> &str {
        match self {
            LayerError::Syntax { .. } => "",
            LayerError::Unknown { named }
            | LayerError::Text { named, .. }
            | LayerError::Value { named, .. } => named,
        }
    }
}

/// Settings being gathered from their layers, by key, before they are read once.
#[derive(Debug, Clone)]
pub struct Layers {
    defaults: toml::Table,
    values: toml::Table,
    origins: BTreeMap<String, Origin>,
    strict: bool,
}

impl Layers {
    /// Nothing given yet: every key at `T`'s default.
    pub fn new<T: Serialize + Default>() -> Layers {
        Layers {
            defaults: toml::Table::try_from(T::default()).unwrap_or_default(),
            values: toml::Table::new(),
            origins: BTreeMap::new(),
            strict: false,
        }
    }

    /// Refuse, as soon as it is given, a key that `T`'s defaults do not hold. Only for settings
    /// whose every key has a default value (an `Option` left `None` is absent from them); other
    /// settings leave unknown keys to the deserializer (`deny_unknown_fields`).
    pub fn strict(mut self) -> Layers {
        self.strict = true;
        self
    }

    /// Every key the defaults hold, dotted, in order.
    pub fn keys(&self) -> Vec<String> {
        let mut keys = Vec::new();
        leaves(&self.defaults, "", &self.defaults, &mut keys);
        keys
    }

    /// A TOML file's settings, over the defaults.
    pub fn file(&mut self, text: &str) -> Result<(), LayerError> {
        let table: toml::Table = toml::from_str(text).map_err(|e| LayerError::Syntax {
            message: e.message().trim().to_owned(),
        })?;
        let mut keys = Vec::new();
        leaves(&table, "", &self.defaults, &mut keys);
        for key in keys {
            if self.strict && default_at(&self.defaults, &key).is_none() {
                return Err(LayerError::Unknown { named: key });
            }
            if let Some(value) = value_at(&table, &key) {
                self.put(&key, value.clone(), Origin::File);
            }
        }
        Ok(())
    }

    /// A value given as text (a variable or a flag) for the dotted `key`, typed as the key's
    /// default is: a whole number, a number, a yes or no, a comma-separated list, or text.
    pub fn text(&mut self, key: &str, text: &str, origin: Origin) -> Result<(), LayerError> {
        let named = named(key, &origin);
        let default = default_at(&self.defaults, key);
        if self.strict && default.is_none() {
            return Err(LayerError::Unknown { named });
        }
        let refused = |expected| LayerError::Text {
            named: named.clone(),
            text: text.to_owned(),
            expected,
        };
        let value = match default {
            Some(toml::Value::Integer(_)) => text
                .trim()
                .parse()
                .map(toml::Value::Integer)
                .map_err(|_| refused(Expected::WholeNumber))?,
            Some(toml::Value::Float(_)) => text
                .trim()
                .parse()
                .map(toml::Value::Float)
                .map_err(|_| refused(Expected::Number))?,
            Some(toml::Value::Boolean(_)) => match text.trim() {
                "true" | "1" | "yes" => toml::Value::Boolean(true),
                "false" | "0" | "no" | "" => toml::Value::Boolean(false),
                _ => return Err(refused(Expected::YesNo)),
            },
            Some(toml::Value::Array(_)) => toml::Value::Array(
                text.split(',')
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(|t| toml::Value::String(t.to_owned()))
                    .collect(),
            ),
            _ => toml::Value::String(text.to_owned()),
        };
        self.put(key, value, origin);
        Ok(())
    }

    /// The settings: each value read alone first, so that an error names the key it is about
    /// (and the variable or flag that gave it), then all of them together.
    pub fn read<T: DeserializeOwned>(self) -> Result<T, LayerError> {
        for (key, origin) in &self.origins {
            let Some(value) = value_at(&self.values, key) else {
                continue;
            };
            let mut one = toml::Table::new();
            insert_at(&mut one, key, value.clone());
            if let Err(e) = T::deserialize(toml::Value::Table(one)) {
                return Err(LayerError::Value {
                    key: key.clone(),
                    named: named(key, origin),
                    message: without_values(e.message().trim()),
                });
            }
        }
        T::deserialize(toml::Value::Table(self.values)).map_err(|e| LayerError::Value {
            key: String::new(),
            named: "(settings)".to_owned(),
            message: without_values(e.message().trim()),
        })
    }

    fn put(&mut self, key: &str, value: toml::Value, origin: Origin) {
        insert_at(&mut self.values, key, value);
        self.origins.insert(key.to_owned(), origin);
    }
}

/// serde's message without the value it quotes between backticks (`invalid type: integer
/// \`123\`, expected a string`): the key may be a secret given with the wrong type, and the
/// error names the key and the type expected, which is enough to fix it.
fn without_values(message: &str) -> String {
    // Only the forms that quote the value given; "unknown variant `x`, expected `a` or `b`"
    // is about a choice of words, never a secret, and its choices help.
    if !message.starts_with("invalid") {
        return message.to_owned();
    }
    let mut out = String::with_capacity(message.len());
    let mut quoted = false;
    for c in message.chars() {
        match c {
            '`' => quoted = !quoted,
            _ if !quoted => out.push(c),
            _ => {}
        }
    }
    out.replace(" ,", ",").replace("  ", " ")
}

/// How a key given by `origin` is named to the user.
fn named(key: &str, origin: &Origin) -> String {
    match origin {
        Origin::File => key.to_owned(),
        Origin::Variable(name) | Origin::Flag(name) => name.clone(),
    }
}

/// The dotted keys of `table`'s values: a table goes down a level where the defaults hold a
/// table too (a section); anything else (a value, an array of tables, an unknown section) is one
/// key.
fn leaves(table: &toml::Table, prefix: &str, defaults: &toml::Table, out: &mut Vec<String>) {
    for (name, value) in table {
        let key = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        match (value, defaults.get(name)) {
            (toml::Value::Table(inner), Some(toml::Value::Table(inner_defaults))) => {
                leaves(inner, &key, inner_defaults, out)
            }
            _ => out.push(key),
        }
    }
}

fn value_at<'a>(table: &'a toml::Table, key: &str) -> Option<&'a toml::Value> {
    let (section, rest) = match key.split_once('.') {
        Some((section, rest)) => (section, Some(rest)),
        None => (key, None),
    };
    match (table.get(section)?, rest) {
        (value, None) => Some(value),
        (toml::Value::Table(inner), Some(rest)) => value_at(inner, rest),
        _ => None,
    }
}

fn default_at<'a>(defaults: &'a toml::Table, key: &str) -> Option<&'a toml::Value> {
    value_at(defaults, key)
}

fn insert_at(table: &mut toml::Table, key: &str, value: toml::Value) {
    match key.split_once('.') {
        None => {
            table.insert(key.to_owned(), value);
        }
        Some((section, rest)) => {
            let inner = table
                .entry(section.to_owned())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            if !inner.is_table() {
                *inner = toml::Value::Table(toml::Table::new());
            }
            if let toml::Value::Table(inner) = inner {
                insert_at(inner, rest, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    #[serde(default, deny_unknown_fields)]
    struct Sync {
        days: u32,
        rate: f64,
        api: Api,
    }

    #[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
    #[serde(rename_all = "lowercase")]
    enum Api {
        Auto,
        V5,
    }

    impl Default for Sync {
        fn default() -> Sync {
            Sync {
                days: 730,
                rate: 4.0,
                api: Api::Auto,
            }
        }
    }

    #[derive(Debug, Default, Serialize, Deserialize, PartialEq)]
    #[serde(default, deny_unknown_fields)]
    struct Settings {
        name: Option<String>,
        verbose: bool,
        meters: Vec<String>,
        sync: Sync,
    }

    #[test]
    fn the_last_layer_wins_and_texts_take_the_key_s_type() {
        let mut layers = Layers::new::<Settings>();
        layers
            .file("name = \"file\"\n[sync]\ndays = 10\nrate = 1.5\n")
            .unwrap();
        let variable = |name: &str| Origin::Variable(name.to_owned());
        layers.text("sync.days", "20", variable("DAYS")).unwrap();
        layers.text("sync.rate", "2.5", variable("RATE")).unwrap();
        layers.text("verbose", "yes", variable("VERBOSE")).unwrap();
        layers.text("meters", "1, 2,", variable("METERS")).unwrap();
        layers
            .text("sync.api", "v5", Origin::Flag("--api".into()))
            .unwrap();
        let settings: Settings = layers.read().unwrap();
        assert_eq!(
            settings,
            Settings {
                name: Some("file".into()),
                verbose: true,
                meters: vec!["1".into(), "2".into()],
                sync: Sync {
                    days: 20,
                    rate: 2.5,
                    api: Api::V5
                },
            }
        );
        assert_eq!(
            Layers::new::<Settings>().keys(),
            ["meters", "sync.api", "sync.days", "sync.rate", "verbose"]
        );
    }

    #[test]
    fn errors_name_where_the_value_came_from() {
        let mut layers = Layers::new::<Settings>();
        let e = layers
            .text("sync.days", "ten", Origin::Variable("DAYS".into()))
            .unwrap_err();
        assert_eq!(e.named(), "DAYS");
        assert!(matches!(
            e,
            LayerError::Text {
                expected: Expected::WholeNumber,
                ..
            }
        ));

        let mut layers = Layers::new::<Settings>();
        layers
            .text("sync.api", "v6", Origin::Flag("--api".into()))
            .unwrap();
        let e = layers.read::<Settings>().unwrap_err();
        assert_eq!(e.named(), "--api");
        assert!(matches!(&e, LayerError::Value { key, message, .. }
            if key == "sync.api" && message.contains("v5")));

        let mut layers = Layers::new::<Settings>();
        layers.file("[sync]\ndayz = 3\n").unwrap();
        let e = layers.read::<Settings>().unwrap_err();
        assert_eq!(
            e.named(),
            "sync.dayz",
            "unknown keys meet deny_unknown_fields"
        );

        // A value of the wrong type is not repeated: it may be a secret.
        let mut layers = Layers::new::<Settings>();
        layers.file("name = 271828").unwrap();
        let e = layers.read::<Settings>().unwrap_err();
        assert!(
            matches!(&e, LayerError::Value { key, message, .. }
                if key == "name" && !message.contains("271828") && message.contains("string")),
            "{e:?}"
        );

        let e = Layers::new::<Settings>().file("[sync\n").unwrap_err();
        assert!(matches!(e, LayerError::Syntax { .. }));

        let mut strict = Layers::new::<Sync>().strict();
        let e = strict
            .text("dayz", "3", Origin::Variable("DAYZ".into()))
            .unwrap_err();
        assert_eq!(
            e,
            LayerError::Unknown {
                named: "DAYZ".into()
            }
        );
        assert_eq!(
            strict.file("dayz = 3").unwrap_err(),
            LayerError::Unknown {
                named: "dayz".into()
            }
        );
    }
}
