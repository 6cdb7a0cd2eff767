//! Leaving the DomoticzLinky plugin: its hardware found through Domoticz's JSON API, its
//! parameters read as the plugin read them (seed-spec §1, §1.1), its devices and their meters.
//! Plain functions over `gethardware` and `getdevices` answers; the calls are in
//! [`crate::client`].

use serde_json::Value;

/// The plugin's key, which Domoticz keeps in the hardware's `Extra` field.
pub const PLUGIN_KEY: &str = "linky";
/// Domoticz's hardware type of a Python plugin.
pub const PYTHON_PLUGIN: i64 = 94;

/// A DomoticzLinky hardware as `gethardware` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginHardware {
    /// Its idx.
    pub idx: i64,
    /// Its name (the prefix of its devices' names).
    pub name: String,
    /// Whether it runs.
    pub enabled: bool,
    /// `Mode1`..`Mode6`, as typed in the plugin's form.
    pub modes: [String; 6],
}

/// Every DomoticzLinky hardware in a `gethardware` answer.
pub fn plugin_hardware(answer: &Value) -> Vec<PluginHardware> {
    let text = |h: &Value, key: &str| -> String {
        match h.get(key) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => String::new(),
        }
    };
    answer
        .get("result")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|h| {
            h.get("Type").and_then(Value::as_i64) == Some(PYTHON_PLUGIN)
                && h.get("Extra").and_then(Value::as_str) == Some(PLUGIN_KEY)
        })
        .filter_map(|h| {
            Some(PluginHardware {
                idx: text(h, "idx").parse().ok()?,
                name: text(h, "Name"),
                enabled: text(h, "Enabled") == "true",
                modes: std::array::from_fn(|i| text(h, &format!("Mode{}", i + 1))),
            })
        })
        .collect()
}

/// The plugin's settings, read and clamped as the plugin did at start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginSettings {
    /// Days of hourly values for the short log (Mode1: 0..7, default 7).
    pub hours_days: u32,
    /// Days of history for the other views (Mode2: 2..730, default 7, raised by Mode6).
    pub history_days: u32,
    /// The off-peak schedule as typed (Mode4), empty when off.
    pub offpeak: String,
    /// The dashboard's main value (Mode5, default `peak_day`).
    pub primary: String,
    /// The dashboard's secondary value (Mode6, default `value_day`).
    pub secondary: String,
}

fn int_or(text: &str, default: i64) -> i64 {
    text.trim().parse().unwrap_or(default)
}

/// The days of history Mode6's period needs (seed-spec §1.1).
fn minimum_for(secondary: &str) -> u32 {
    [
        ("_cweek", 7),
        ("_lweek", 14),
        ("_cmonth", 32),
        ("_lmonth", 63),
        ("_year", 366),
    ]
    .into_iter()
    .find(|(suffix, _)| secondary.ends_with(suffix))
    .map_or(0, |(_, days)| days)
}

impl PluginSettings {
    /// From the hardware's `Mode1`..`Mode6`.
    pub fn from_modes(modes: &[String; 6]) -> PluginSettings {
        let primary = Some(modes[4].trim())
            .filter(|m| !m.is_empty())
            .unwrap_or("peak_day")
            .to_owned();
        let secondary = Some(modes[5].trim())
            .filter(|m| !m.is_empty())
            .unwrap_or("value_day")
            .to_owned();
        let hours = int_or(&modes[0], 7).clamp(0, 7) as u32;
        let history = (int_or(&modes[1], 7).clamp(2, 730) as u32).max(minimum_for(&secondary));
        PluginSettings {
            hours_days: hours,
            history_days: history,
            offpeak: modes[3].trim().to_owned(),
            primary,
            secondary,
        }
    }
}

/// The meters (14-digit PDLs) the plugin's devices were made for, read from their DeviceID
/// (while the plugin runs), their name (`<hardware> - Linky <PDL>`) or description; a merged
/// consumption + production device (`C / P`) gives both.
pub fn meters_of_devices(answer: &Value, hardware: i64) -> Vec<String> {
    let mut found = Vec::new();
    for d in answer
        .get("result")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|d| d.get("HardwareID").and_then(Value::as_i64) == Some(hardware))
    {
        for key in ["ID", "Name", "Description"] {
            let text = d.get(key).and_then(Value::as_str).unwrap_or_default();
            for word in text.split(|c: char| !c.is_ascii_digit()) {
                if word.len() == 14 && !found.iter().any(|f| f == word) {
                    found.push(word.to_owned());
                }
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn modes(m: [&str; 6]) -> [String; 6] {
        m.map(str::to_owned)
    }

    #[test]
    fn settings_are_read_as_the_plugin_read_them() {
        let s = PluginSettings::from_modes(&modes(["", "", "0", "", "", ""]));
        assert_eq!(
            s,
            PluginSettings {
                hours_days: 7,
                history_days: 7,
                offpeak: String::new(),
                primary: "peak_day".into(),
                secondary: "value_day".into()
            }
        );
        let s = PluginSettings::from_modes(&modes([
            "12",
            "1000",
            "0",
            " 22h00-6h00 ",
            "peak_cweek",
            "mean_cmonth",
        ]));
        assert_eq!((s.hours_days, s.history_days), (7, 730));
        assert_eq!(s.offpeak, "22h00-6h00");
        let s = PluginSettings::from_modes(&modes(["-3", "x", "0", "", "", "max_lmonth"]));
        assert_eq!(
            (s.hours_days, s.history_days),
            (0, 63),
            "Mode6 raises Mode2"
        );
    }

    #[test]
    fn the_plugins_hardware_and_meters_are_found() {
        let hardware = json!({"result": [
            {"idx": "2", "Name": "Dummy", "Type": 15, "Extra": "", "Enabled": "true", "Mode1": 0},
            {"idx": "3", "Name": "Linky", "Type": 94, "Extra": "linky", "Enabled": "false",
             "Mode1": "7", "Mode2": "365", "Mode3": "0", "Mode4": "22h00-6h00", "Mode5": "peak_day", "Mode6": "value_day"},
            {"idx": "4", "Name": "Other plugin", "Type": 94, "Extra": "other", "Enabled": "true"},
        ]});
        let found = plugin_hardware(&hardware);
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].idx, found[0].enabled), (3, false));
        assert_eq!(found[0].modes[3], "22h00-6h00");
        let devices = json!({"result": [
            {"idx": "7", "HardwareID": 3, "ID": "73CE2FF2", "Name": "Linky - Linky 12345678901234", "Description": ""},
            {"idx": "8", "HardwareID": 3, "ID": "12345678901234 / 10284856584123", "Name": "Linky - Linky 12345678901234 / 10284856584123"},
            {"idx": "9", "HardwareID": 2, "ID": "14051", "Name": "Linky 22516914714270"},
        ]});
        assert_eq!(
            meters_of_devices(&devices, 3),
            ["12345678901234", "10284856584123"]
        );
    }
}
