//! User-facing languages.

use std::fmt;

/// A language in which linky speaks to people. The original plugin's users are French; its
/// README and messages came in French and English, and so do ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    /// Français.
    Fr,
    /// English.
    En,
}

impl Lang {
    /// Picks the language from a POSIX locale string such as `fr_FR.UTF-8` or `en_GB`:
    /// French for any `fr*` locale, English otherwise.
    pub fn from_locale(locale: &str) -> Lang {
        if locale.to_ascii_lowercase().starts_with("fr") {
            Lang::Fr
        } else {
            Lang::En
        }
    }
}

impl Lang {
    /// The French or the English one, as `self` says.
    pub fn pick<T>(self, fr: T, en: T) -> T {
        match self {
            Lang::Fr => fr,
            Lang::En => en,
        }
    }

    /// The text in `lang`; both, French first, one per line, when no language was chosen.
    pub fn pick_or_both(lang: Option<Lang>, fr: &str, en: &str) -> String {
        match lang {
            Some(l) => l.pick(fr, en).to_owned(),
            None => format!("{fr}\n{en}"),
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Lang::Fr => "fr",
            Lang::En => "en",
        })
    }
}

/// An error or notice that can be told to a person in either language.
///
/// `Display` gives the English text; this trait adds the French one, so binaries can print
/// what the user reads best (or both).
pub trait Localized {
    /// The message in `lang`, naming the problem and what to do about it.
    fn localized(&self, lang: Lang) -> String;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locale_picks_french_only_for_fr() {
        assert_eq!(Lang::from_locale("fr_FR.UTF-8"), Lang::Fr);
        assert_eq!(Lang::from_locale("FR"), Lang::Fr);
        assert_eq!(Lang::from_locale("en_GB.UTF-8"), Lang::En);
        assert_eq!(Lang::from_locale("C"), Lang::En);
        assert_eq!(Lang::from_locale(""), Lang::En);
    }

    #[test]
    fn pick_chooses_and_both_says_both() {
        assert_eq!(Lang::Fr.pick("oui", "yes"), "oui");
        assert_eq!(Lang::En.pick("oui", "yes"), "yes");
        assert_eq!(Lang::pick_or_both(None, "oui", "yes"), "oui\nyes");
        assert_eq!(Lang::pick_or_both(Some(Lang::En), "oui", "yes"), "yes");
    }
}
