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

    /// Where linky keeps its data and tokens (default: $XDG_DATA_HOME/linky, or
    /// ~/.local/share/linky; also LINKY_DATA_DIR).
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<std::path::PathBuf>,

    /// The settings file (default: $XDG_CONFIG_HOME/linky/config.toml; also LINKY_CONFIG).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,

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
    /// Set linky up: the way to Enedis, your meters, Domoticz (checked), the off-peak hours;
    /// writes the settings file. Every question has a flag for scripts.
    Init(InitArgs),
    /// Give consent for your meters through a consent proxy (device flow); run again to add
    /// meters.
    Login(LoginArgs),
    /// Revoke and forget the tokens; the stored data stays.
    Logout,
    /// Download what is missing from Enedis, once.
    Sync(SyncArgs),
    /// Run the whole chain on simulated data (nothing to install or configure) and show it.
    Demo(DemoArgs),
    /// Sync every day, unattended, and serve the dashboard (the daemon; see the systemd unit
    /// in the repository).
    Run(ServeArgs),
    /// Serve the dashboard over what is stored, without syncing.
    Dashboard(ServeArgs),
    /// Write stored energy as CSV or JSON (peak / off-peak, production, peaks).
    Export(ExportArgs),
    /// What is stored, the last and next sync, the consents.
    Status,
    /// Check the configuration, the store, the proxy or Enedis, the tokens and each meter.
    Doctor {
        /// Rebuild a damaged data file: keep what is sound (the damaged file is set aside),
        /// the next sync fetches the rest again from Enedis.
        #[arg(long)]
        repair: bool,
    },
    /// Show the effective settings.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Write the stored history into Domoticz, or check the connection to it.
    Domoticz {
        #[command(subcommand)]
        command: DomoticzCommand,
    },
}

/// `linky domoticz ...`
#[derive(Debug, Subcommand)]
pub enum DomoticzCommand {
    /// Send the rows that are new or changed since the last push (every sync does it too).
    Push {
        /// Rewrite every row, e.g. after the device was deleted or its history damaged.
        #[arg(long)]
        all: bool,
    },
    /// Check the connection, the rights, the version, the settings and the devices.
    Check,
    /// Leaving the DomoticzLinky plugin: find it, read its settings and meters, say what
    /// changes and the next step (up to "disable the plugin now").
    Migrate,
}

/// `linky config ...`
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the effective settings (file, then environment, then flags), secrets masked.
    Show,
}

/// Where the dashboard listens.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address and port of the dashboard (default: `web.listen`, 127.0.0.1:8765);
    /// `0.0.0.0:8765` reaches it from a phone on the home network, and then needs
    /// `web.password` or `web.token`.
    #[arg(long, value_name = "ADDRESS:PORT")]
    pub listen: Option<String>,
}

/// A step of `linky export`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum StepArg {
    /// One row per Paris hour (each with its UTC offset).
    Hour,
    /// One row per day.
    Day,
    /// One row per month.
    Month,
    /// One row per year.
    Year,
}

/// A format of `linky export`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FormatArg {
    /// Comma-separated values (semicolons with `--locale fr`).
    Csv,
    /// A JSON array.
    Json,
}

/// `linky export`
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The meter (PDL); may be left out when only one is stored.
    #[arg(long)]
    pub pdl: Option<String>,
    /// First day, YYYY-MM-DD.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub from: String,
    /// Last day, YYYY-MM-DD (included).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub to: String,
    /// Row length.
    #[arg(long, value_enum, default_value = "day")]
    pub step: StepArg,
    /// Output format.
    #[arg(long, value_enum, default_value = "csv")]
    pub format: FormatArg,
    /// Number conventions of the CSV: `fr` writes `;` between fields and decimal commas.
    #[arg(long, value_enum, default_value = "en")]
    pub locale: LangArg,
    /// Write to this file instead of the standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,
}

/// `linky demo`
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Port of the page on 127.0.0.1 (0 picks a free one). The default, 8766, stays clear of
    /// Domoticz (8080) and of `linky run`'s dashboard (8765).
    #[arg(long, default_value_t = 8766, conflicts_with = "listen")]
    pub port: u16,
    /// Address and port of the page, as in `linky run` (e.g. `0.0.0.0:8766` to open it from a
    /// phone on the home network: the demo holds only fictitious data).
    #[arg(long, value_name = "ADDRESS:PORT")]
    pub listen: Option<std::net::SocketAddr>,
    /// Days of load curve to download (the demo shows a two-year backfill).
    #[arg(long, default_value_t = 730, value_parser = clap::value_parser!(u32).range(1..=730))]
    pub history_days: u32,
}

/// `linky init`
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The way to Enedis: conso-api (free, conso.boris.sh), domoticzlinky (the original
    /// plugin's proxy), proxy (a linky-proxy) or direct (your own Enedis contract).
    #[arg(long, value_parser = ["conso-api", "domoticzlinky", "proxy", "direct"])]
    pub source: Option<String>,
    /// The token copied from conso.boris.sh.
    #[arg(long, value_name = "TOKEN")]
    pub conso_api_token: Option<String>,
    /// The Conso API's address.
    #[arg(long, value_name = "URL")]
    pub conso_api_url: Option<String>,
    /// The linky-proxy's address (`--source proxy`).
    #[arg(long, value_name = "URL")]
    pub proxy: Option<String>,
    /// Direct mode: the Enedis API address.
    #[arg(long, value_name = "URL")]
    pub enedis_api_url: Option<String>,
    /// Direct mode: your application's client id.
    #[arg(long)]
    pub enedis_client_id: Option<String>,
    /// Direct mode: your application's secret (else LINKY_ENEDIS_CLIENT_SECRET at run time).
    #[arg(long)]
    pub enedis_client_secret: Option<String>,
    /// Direct mode: your meters, comma-separated PDLs.
    #[arg(long)]
    pub meters: Option<String>,
    /// Domoticz's address, e.g. http://127.0.0.1:8080 (checked live).
    #[arg(long, value_name = "URL")]
    pub domoticz_url: Option<String>,
    /// Domoticz user.
    #[arg(long)]
    pub domoticz_user: Option<String>,
    /// Domoticz password.
    #[arg(long)]
    pub domoticz_password: Option<String>,
    /// Domoticz OAuth token, instead of a user and password.
    #[arg(long)]
    pub domoticz_token: Option<String>,
    /// No Domoticz: the dashboard and exports only.
    #[arg(long, conflicts_with = "domoticz_url")]
    pub no_domoticz: bool,
    /// Off-peak hours in the original plugin's syntax, e.g. "22h00-6h00" (shown back as a grid).
    #[arg(long, value_name = "SCHEDULE")]
    pub offpeak: Option<String>,
    /// Count Alsace-Moselle's two extra public holidays.
    #[arg(long)]
    pub alsace_moselle: bool,
    /// Ask nothing: what no flag gives keeps its default (for scripts).
    #[arg(long)]
    pub non_interactive: bool,
    /// Replace an existing settings file (the old one is kept as .bak).
    #[arg(long)]
    pub force: bool,
    /// Take the off-peak hours, history and dashboard settings of the DomoticzLinky plugin found
    /// in Domoticz (needs --domoticz-url); flags still win.
    #[arg(long)]
    pub from_domoticzlinky: bool,
    /// Print the commented template of the settings file and stop.
    #[arg(long)]
    pub template: bool,
}

/// `linky login`
#[derive(Debug, Args)]
pub struct LoginArgs {
    /// The consent proxy: an address (a linky-proxy), or `domoticzlinky` for the original
    /// DomoticzLinky proxy (also the `proxy` setting or LINKY_PROXY).
    #[arg(long, conflicts_with = "conso_api")]
    pub proxy: Option<String>,
    /// The device client id to present to the proxy (default: `linky`, or the plugin's id for
    /// `--proxy domoticzlinky`).
    #[arg(long, env = "LINKY_CLIENT_ID")]
    pub client_id: Option<String>,
    /// The token copied from conso.boris.sh after consenting there (the Conso API, free).
    #[arg(long, value_name = "TOKEN")]
    pub conso_api: Option<String>,
    /// The Conso API's address (default: the `conso_api.url` setting, https://conso.boris.sh).
    #[arg(long, value_name = "URL", requires = "conso_api")]
    pub conso_api_url: Option<String>,
}

/// `linky sync` (each flag beats its setting and its environment variable).
#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Days of load curve to hold (peak / off-peak split and hourly values), 2 to 730.
    #[arg(long)]
    pub history_days: Option<u32>,
    /// Days of daily totals to hold (no off-peak split beyond the load curve), at most 1095.
    #[arg(long)]
    pub daily_days: Option<u32>,
    /// Days of daily maximum power to hold, at most 1095.
    #[arg(long)]
    pub max_power_days: Option<u32>,
    /// API generation: auto, 2026 or v5.
    #[arg(long)]
    pub api: Option<String>,
    /// Calls per second at most (Enedis allows 5 per second to a whole application).
    #[arg(long)]
    pub max_rate: Option<f64>,
    /// Direct mode: your own Enedis application's API address.
    #[arg(long)]
    pub enedis_api_url: Option<String>,
    /// Direct mode: your Enedis application's client id.
    #[arg(long)]
    pub enedis_client_id: Option<String>,
    /// Direct mode: the meters to read, comma-separated 14-digit PDLs.
    #[arg(long, value_delimiter = ',')]
    pub meters: Option<Vec<String>>,
    /// First wait before retrying a failing call, in milliseconds (doubled each time).
    #[arg(long)]
    pub retry_base_ms: Option<u64>,
}

impl SyncArgs {
    /// The settings flags given, as written with their text (read with the file and the
    /// environment by `settings::Gathering`).
    pub fn flags(&self) -> Vec<(&'static str, String)> {
        let text = |v: &dyn ToString| v.to_string();
        [
            (
                "--history-days",
                self.history_days.as_ref().map(|v| text(v)),
            ),
            ("--daily-days", self.daily_days.as_ref().map(|v| text(v))),
            (
                "--max-power-days",
                self.max_power_days.as_ref().map(|v| text(v)),
            ),
            ("--api", self.api.clone()),
            ("--max-rate", self.max_rate.as_ref().map(|v| text(v))),
            ("--enedis-api-url", self.enedis_api_url.clone()),
            ("--enedis-client-id", self.enedis_client_id.clone()),
            ("--meters", self.meters.as_ref().map(|m| m.join(","))),
            (
                "--retry-base-ms",
                self.retry_base_ms.as_ref().map(|v| text(v)),
            ),
        ]
        .into_iter()
        .filter_map(|(flag, value)| value.map(|v| (flag, v)))
        .collect()
    }
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
