//! Fuzzes the reading of `config.toml`: any text gives settings or an error naming the key,
//! never a panic, and so does checking the settings read and showing them (masked).
//!
//! Run: `cargo fuzz run settings_file fuzz/corpus_seed/settings_file`.

#![no_main]

use libfuzzer_sys::fuzz_target;

// The settings live in the `linky` binary, not a library: the module is compiled in as it is.
#[allow(dead_code, unused_imports)]
#[path = "../../crates/linky/src/settings/mod.rs"]
mod settings;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(s) = settings::Settings::parse(text, "config.toml") {
        let _ = s.validate();
        let _ = s.show();
    }
});
