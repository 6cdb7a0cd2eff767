//! One module per command. Each returns the text to print, or an error that speaks both
//! languages.

pub mod account;
pub mod colours;
pub mod daemon;
#[cfg(feature = "demo")]
pub mod demo;
pub mod doctor;
pub mod domoticz;
pub mod export;
pub mod holidays;
pub mod init;
pub mod offpeak;
pub mod status;
pub mod sync;
pub mod web;

use linky_core::{Lang, Localized};

/// What a command returns: the text to print, or an error.
pub type CommandResult = Result<String, CommandError>;

/// Any error a command reports: something that speaks both languages, and the exit code.
pub struct CommandError(Box<dyn Localized>, u8);

impl<E: Localized + 'static> From<E> for CommandError {
    fn from(e: E) -> CommandError {
        CommandError(Box::new(e), 2)
    }
}

impl CommandError {
    /// The error, to be told to the user.
    pub fn message(&self) -> &dyn Localized {
        &*self.0
    }

    /// The exit code: 2 for bad input, 1 for work that could not be done.
    pub fn code(&self) -> u8 {
        self.1
    }

    /// An error about work that could not be done (exit code 1).
    pub fn failed(e: impl Localized + 'static) -> CommandError {
        CommandError(Box::new(e), 1)
    }
}

/// A message in both languages.
pub struct Message {
    /// French.
    pub fr: String,
    /// English.
    pub en: String,
}

impl Localized for Message {
    fn localized(&self, lang: Lang) -> String {
        match lang {
            Lang::Fr => self.fr.clone(),
            Lang::En => self.en.clone(),
        }
    }
}

/// Where linky keeps its files.
pub struct Paths {
    /// The directory.
    pub dir: std::path::PathBuf,
}

impl Paths {
    /// From `--data-dir`, else `$XDG_DATA_HOME/linky`, else `~/.local/share/linky`.
    pub fn resolve(explicit: Option<&std::path::Path>) -> Result<Paths, CommandError> {
        if let Some(dir) = explicit {
            return Ok(Paths {
                dir: dir.to_owned(),
            });
        }
        let base = std::env::var_os("XDG_DATA_HOME")
            .filter(|v| !v.is_empty())
            .map(std::path::PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".local/share"))
            });
        match base {
            Some(b) => Ok(Paths { dir: b.join("linky") }),
            None => Err(Message {
                fr: "impossible de trouver un dossier de données : donnez --data-dir ou LINKY_DATA_DIR".into(),
                en: "no data directory found: give --data-dir or LINKY_DATA_DIR".into(),
            }
            .into()),
        }
    }

    /// The store.
    pub fn store(&self) -> std::path::PathBuf {
        self.dir.join("linky.db")
    }

    /// The token file.
    pub fn tokens(&self) -> std::path::PathBuf {
        self.dir.join("tokens.json")
    }
}

/// A command-line value in the wrong form.
#[derive(Debug)]
pub enum InputError {
    /// An instant that is not `YYYY-MM-DDTHH:MM`.
    Instant(String),
    /// A date that is not `YYYY-MM-DD`.
    Date(String),
}

impl Localized for InputError {
    fn localized(&self, lang: Lang) -> String {
        match (lang, self) {
            (Lang::En, InputError::Instant(t)) => format!("\"{t}\" is not an instant: write it as YYYY-MM-DDTHH:MM, Paris time (e.g. 2024-05-15T02:30)"),
            (Lang::Fr, InputError::Instant(t)) => format!("« {t} » n'est pas un instant : écrivez-le AAAA-MM-JJTHH:MM, heure de Paris (par exemple 2024-05-15T02:30)"),
            (Lang::En, InputError::Date(t)) => format!("\"{t}\" is not a date: write it as YYYY-MM-DD (e.g. 2024-05-13)"),
            (Lang::Fr, InputError::Date(t)) => format!("« {t} » n'est pas une date : écrivez-la AAAA-MM-JJ (par exemple 2024-05-13)"),
        }
    }
}

/// Waits for Ctrl-C or SIGTERM. The handlers are installed when this is called, not when the
/// future is first polled, so a signal arriving in between is not lost.
pub fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let term = signal(SignalKind::terminate()).ok();
        let int = signal(SignalKind::interrupt()).ok();
        async move {
            match (term, int) {
                (Some(mut term), Some(mut int)) => {
                    tokio::select! {
                        _ = term.recv() => {}
                        _ = int.recv() => {}
                    }
                }
                _ => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
