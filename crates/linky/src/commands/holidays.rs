//! `linky holidays <year>`.

use std::fmt::Write;

use linky_core::holidays::{holidays, HolidayZone};
use linky_core::Lang;

use super::CommandResult;
use crate::cli::HolidaysArgs;

/// One line per holiday: `YYYY-MM-DD name` (French name unless `--lang en`).
pub fn run(args: &HolidaysArgs, lang: Option<Lang>) -> CommandResult {
    let zone = if args.alsace_moselle {
        HolidayZone::AlsaceMoselle
    } else {
        HolidayZone::Metropole
    };
    let mut out = String::new();
    for h in holidays(args.year, zone) {
        let name = if lang == Some(Lang::En) {
            h.name_en
        } else {
            h.name
        };
        let _ = writeln!(out, "{} {name}", h.date);
    }
    Ok(out)
}
