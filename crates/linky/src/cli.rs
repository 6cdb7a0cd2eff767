//! The command-line interface. Other tools script against it: keep it stable.

use clap::{Args, Parser, Subcommand, ValueEnum};
use linky_core::Lang;

/// linky: Linky smart-meter data from Enedis, into Domoticz and a local dashboard.
#[derive(Debug, Parser)]
#[command(name = "linky", version, about, long_about = None)]
pub struct Cli {
    /// Language of messages: fr or en. Without it, errors are given in French and English.
    #[arg(long, global = true, value_enum)]
    pub lang: Option<LangArg>,

    #[command(subcommand)]
    pub command: Command,
}

/// `--lang` values.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LangArg {
    /// Français.
    Fr,
    /// English.
    En,
}

impl From<LangArg> for Lang {
    fn from(l: LangArg) -> Lang {
        match l {
            LangArg::Fr => Lang::Fr,
            LangArg::En => Lang::En,
        }
    }
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check an off-peak ("heures creuses") schedule before using it.
    Offpeak {
        #[command(subcommand)]
        command: OffPeakCommand,
    },
    /// Print a year's French public holidays, one per line: date, then name.
    Holidays(HolidaysArgs),
}

/// `linky offpeak ...`
#[derive(Debug, Subcommand)]
pub enum OffPeakCommand {
    /// Say, for each instant, whether it is off-peak (HC) or peak (HP).
    Check(CheckArgs),
    /// Show a grid of days × half-hours, off-peak marked, holidays named.
    Show(ShowArgs),
}

/// Which schedule, for which meter and direction.
#[derive(Debug, Args)]
pub struct ScheduleArgs {
    /// The schedule, in the syntax of the original plugin's "Heures creuses" field,
    /// e.g. "22h00-6h00" or "2h00-7h00 samedi 0h00-24h00 fe 0h00-24h00".
    #[arg(long)]
    pub schedule: String,
    /// The meter (14-digit PDL/PRM) whose section applies; without it, the global sections.
    #[arg(long)]
    pub pdl: Option<String>,
    /// Use the production rules (the `P` sections) instead of consumption's.
    #[arg(long)]
    pub production: bool,
    /// Count Alsace-Moselle's two extra public holidays (Good Friday, 26 December).
    #[arg(long)]
    pub alsace_moselle: bool,
}

/// `linky offpeak check`
#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub schedule: ScheduleArgs,
    /// Paris wall-clock instants, as YYYY-MM-DDTHH:MM.
    #[arg(required = true, value_name = "YYYY-MM-DDTHH:MM")]
    pub instants: Vec<String>,
}

/// `linky offpeak show`
#[derive(Debug, Args)]
pub struct ShowArgs {
    #[command(flatten)]
    pub schedule: ScheduleArgs,
    /// First day shown, YYYY-MM-DD (default: today, Paris time).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub from: Option<String>,
    /// Number of days shown.
    #[arg(long, default_value_t = 7, value_parser = clap::value_parser!(u16).range(1..=366))]
    pub days: u16,
}

/// `linky holidays`
#[derive(Debug, Args)]
pub struct HolidaysArgs {
    /// The year.
    #[arg(value_parser = clap::value_parser!(i32).range(1..=9999))]
    pub year: i32,
    /// Add Alsace-Moselle's two extra public holidays.
    #[arg(long)]
    pub alsace_moselle: bool,
}
