//! The log of linky's three binaries (`linky`, `linky-proxy`, `enedis-sim`): lines on standard
//! error, filtered by an environment variable, with colours only on a terminal (a file or the
//! journal gets plain text).

pub use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::{Layer as _, SubscriberExt as _};
use tracing_subscriber::util::SubscriberInitExt as _;

/// A filter text that cannot be read, and why; the log then keeps to the default level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnreadableFilter {
    /// The environment variable.
    pub variable: String,
    /// What the parser said.
    pub reason: String,
}

/// Sends the process's log to standard error, filtered by `variable` (a level such as `info`,
/// or targets and levels such as `linky_sync=debug,warn`; without the regular expressions of
/// `EnvFilter`, whose engine was 370 kB of linky's code) or else `default`. Returns the variable's
/// text when it cannot be read, for the caller to tell in its own words.
pub fn init(variable: &str, default: LevelFilter) -> Result<(), UnreadableFilter> {
    let (filter, unreadable) = filter(variable, std::env::var(variable).ok().as_deref(), default);
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(
                    std::io::IsTerminal::is_terminal(&std::io::stderr())
                        && std::env::var_os("NO_COLOR").is_none(),
                )
                // Its default reports a failed write with `eprintln!`, which panics when stderr
                // is a closed pipe: a log line must never stop the program.
                .log_internal_errors(false)
                .with_filter(filter),
        )
        .init();
    unreadable.map_or(Ok(()), Err)
}

/// The filter of `text` (the variable's value, if set), else of `default`.
fn filter(
    variable: &str,
    text: Option<&str>,
    default: LevelFilter,
) -> (Targets, Option<UnreadableFilter>) {
    let fallback = || Targets::new().with_default(default);
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => (fallback(), None),
        Some(text) => match text.parse::<Targets>() {
            Ok(targets) => (targets, None),
            Err(e) => (
                fallback(),
                Some(UnreadableFilter {
                    variable: variable.to_owned(),
                    reason: e.to_string(),
                }),
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_and_targets_are_read_and_the_rest_told() {
        let (t, e) = filter("LOG", Some("linky_sync=debug,warn"), LevelFilter::INFO);
        assert!(e.is_none());
        assert!(t.would_enable("linky_sync::run", &tracing::Level::DEBUG));
        assert!(!t.would_enable("linky", &tracing::Level::INFO));
        let (t, e) = filter("LOG", None, LevelFilter::INFO);
        assert!(e.is_none() && t.would_enable("any", &tracing::Level::INFO));
        let (t, e) = filter("LOG", Some("  "), LevelFilter::WARN);
        assert!(e.is_none() && !t.would_enable("any", &tracing::Level::INFO));
        let (t, e) = filter("LOG", Some("linky=loud"), LevelFilter::WARN);
        let e = e.expect("told");
        assert_eq!(e.variable, "LOG");
        assert!(e.reason.contains("level"), "{}", e.reason);
        assert!(t.would_enable("linky", &tracing::Level::WARN));
        assert!(!t.would_enable("linky", &tracing::Level::INFO));
    }
}
