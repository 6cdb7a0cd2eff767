//! One module per command. Each returns the text to print, or an error that speaks both
//! languages.

pub mod holidays;
pub mod offpeak;

use linky_core::{Lang, Localized};

/// What a command returns: the text to print, or an error.
pub type CommandResult = Result<String, CommandError>;

/// Any error a command reports: something that speaks both languages.
pub struct CommandError(Box<dyn Localized>);

impl<E: Localized + 'static> From<E> for CommandError {
    fn from(e: E) -> CommandError {
        CommandError(Box::new(e))
    }
}

impl CommandError {
    /// The error, to be told to the user.
    pub fn message(&self) -> &dyn Localized {
        &*self.0
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
