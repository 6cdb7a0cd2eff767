//! How the binary speaks: results on stdout, errors on stderr in French and English.

use std::io::{self, Write};
use std::process::ExitCode;

use linky_core::{Lang, Localized};

/// Where results and errors go, and in which language.
pub struct Output {
    lang: Option<Lang>,
}

impl Output {
    /// The same, from a language already decided.
    pub fn from_lang(lang: Option<Lang>) -> Output {
        Output { lang }
    }

    /// The language for results (French when none is chosen: the users are French).
    pub fn lang(&self) -> Option<Lang> {
        self.lang
    }

    /// The language for tables and reports: the chosen one, else the locale's.
    pub fn display_lang(&self) -> Lang {
        self.lang.unwrap_or_else(|| {
            let locale = ["LC_ALL", "LC_MESSAGES", "LANG"]
                .iter()
                .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
                .unwrap_or_default();
            Lang::from_locale(&locale)
        })
    }

    /// Prints a command's result.
    pub fn print(&self, text: &str) -> ExitCode {
        let mut stdout = io::stdout().lock();
        match stdout
            .write_all(text.as_bytes())
            .and_then(|()| stdout.flush())
        {
            Ok(()) => ExitCode::SUCCESS,
            // A closed pipe (`linky holidays 2025 | head -1`) is not an error worth a message.
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
            Err(_) => ExitCode::from(1),
        }
    }

    /// Prints an error in the chosen language (or both) and returns `code`.
    pub fn fail_with(&self, error: &dyn Localized, code: u8) -> ExitCode {
        let langs: &[Lang] = match &self.lang {
            Some(l) => std::slice::from_ref(l),
            None => &[Lang::Fr, Lang::En],
        };
        let mut stderr = io::stderr().lock();
        for lang in langs {
            let prefix = match lang {
                Lang::Fr => "linky : erreur :",
                Lang::En => "linky: error:",
            };
            let _ = writeln!(stderr, "{prefix} {}", error.localized(*lang));
        }
        ExitCode::from(code)
    }
}

/// Writes a line to stdout, ignoring a closed pipe (a reader that went away must not crash a
/// daemon or leave a store half-written).
pub fn line_out(text: &str) {
    let mut out = io::stdout().lock();
    let _ = writeln!(out, "{text}");
    let _ = out.flush();
}

/// Writes a line to stderr, ignoring a closed pipe.
pub fn line_err(text: &str) {
    let _ = writeln!(io::stderr().lock(), "{text}");
}

/// Writes text to stdout as is, ignoring a closed pipe.
pub fn text_out(text: &str) {
    let mut out = io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}
