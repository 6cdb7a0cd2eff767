//! The token file: what `linky login` obtained, readable by its owner only.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use linky_core::{Lang, Localized};
use serde::{Deserialize, Serialize};

/// Tokens from one consent visit: they read these meters.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenFamily {
    /// The proxy that issued them.
    pub proxy_url: String,
    /// The device client id used.
    pub client_id: String,
    /// Current access token.
    pub access_token: String,
    /// Current refresh token.
    pub refresh_token: String,
    /// When the access token expires.
    pub expires_at: DateTime<Utc>,
    /// The meters these tokens read.
    pub meters: Vec<String>,
    /// When the consent ends, if the proxy said.
    #[serde(default)]
    pub consent_expires_at: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for TokenFamily {
    // Tokens never reach a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenFamily")
            .field("proxy_url", &self.proxy_url)
            .field("meters", &self.meters)
            .field("expires_at", &self.expires_at)
            .field("consent_expires_at", &self.consent_expires_at)
            .finish_non_exhaustive()
    }
}

/// A token of the Conso API gateway, as `linky login --conso-api` keeps it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsoApiToken {
    /// The gateway's address.
    pub url: String,
    /// The token copied from its site.
    pub token: String,
}

impl std::fmt::Debug for ConsoApiToken {
    // The token never reaches a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsoApiToken")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// Every family.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenFile {
    /// One per consent visit.
    pub families: Vec<TokenFamily>,
    /// The Conso API token, when that is the way in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conso_api: Option<ConsoApiToken>,
}

/// The token file cannot be read or written.
#[derive(Debug, thiserror::Error)]
pub enum TokenFileError {
    /// File system.
    #[error("cannot use the token file {path}: {error}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What happened.
        error: String,
    },
    /// This user may not read it.
    #[error("the token file {path} cannot be read by this user (permission denied): run linky as the user who ran `linky login`, or give this user the file (chown)")]
    NoAccess {
        /// The file.
        path: PathBuf,
    },
    /// Not a token file.
    #[error("the token file {path} is damaged ({error}); run `linky login` again (your consent at Enedis is kept: this only renews the tokens)")]
    Damaged {
        /// The file.
        path: PathBuf,
        /// What the parser said.
        error: String,
    },
}

/// Writes `bytes` to `path` readable by its owner only (0600), atomically: a temporary file,
/// flushed to disk, then renamed over the old one, so a crash leaves the old file or the new one.
/// Its folder is created if missing.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    // A uniquely named file beside the target (tempfile creates it 0600), then renamed over it.
    let mut file = tempfile::NamedTempFile::new_in(dir)?;
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// A token file readable by others is made owner-only again, and said so: the tokens read the
/// household's meter.
fn keep_private(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let Ok(meta) = std::fs::metadata(path) else {
            return;
        };
        if meta.permissions().mode() & 0o077 != 0 {
            match std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)) {
                Ok(()) => {
                    tracing::warn!(file = %path.display(), "the token file was readable by other users: it is now readable by its owner only (mode 600)")
                }
                Err(e) => {
                    tracing::warn!(file = %path.display(), error = %e, "the token file is readable by other users: make it private with chmod 600")
                }
            }
        }
    }
}

impl Localized for TokenFileError {
    fn localized(&self, lang: Lang) -> String {
        match (lang, self) {
            (Lang::En, _) => self.to_string(),
            (Lang::Fr, TokenFileError::Io { path, error }) => format!(
                "impossible d'utiliser le fichier de jetons {} : {error}",
                path.display()
            ),
            (Lang::Fr, TokenFileError::Damaged { path, error }) => format!(
                "le fichier de jetons {} est abîmé ({error}) ; relancez `linky login` (votre consentement chez Enedis est gardé : seuls les jetons sont renouvelés)",
                path.display()
            ),
            (Lang::Fr, TokenFileError::NoAccess { path }) => format!(
                "le fichier de jetons {} n'est pas lisible par cet utilisateur (permission refusée) : lancez linky avec l'utilisateur qui a fait `linky login`, ou donnez-lui le fichier (chown)",
                path.display()
            ),
        }
    }
}

impl TokenFile {
    /// Reads the file; an absent file is an empty one.
    pub fn load(path: &Path) -> Result<TokenFile, TokenFileError> {
        match std::fs::read(path) {
            Ok(bytes) => {
                keep_private(path);
                serde_json::from_slice(&bytes).map_err(|e| TokenFileError::Damaged {
                    path: path.to_owned(),
                    error: if std::str::from_utf8(&bytes).is_err() {
                        "not text".to_owned()
                    } else {
                        e.to_string()
                    },
                })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(TokenFile::default()),
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                Err(TokenFileError::NoAccess {
                    path: path.to_owned(),
                })
            }
            Err(e) => Err(TokenFileError::Io {
                path: path.to_owned(),
                error: e.to_string(),
            }),
        }
    }

    /// Writes the file atomically (a temporary file renamed over it), mode 0600.
    pub fn save(&self, path: &Path) -> Result<(), TokenFileError> {
        let text = serde_json::to_string_pretty(self).map_err(|e| TokenFileError::Io {
            path: path.to_owned(),
            error: e.to_string(),
        })?;
        write_private(path, text.as_bytes()).map_err(|e| TokenFileError::Io {
            path: path.to_owned(),
            error: e.to_string(),
        })
    }

    /// Adds a family; a meter covered by an older family moves to the new one.
    pub fn add(&mut self, family: TokenFamily) {
        for old in &mut self.families {
            old.meters.retain(|m| !family.meters.contains(m));
        }
        self.families.retain(|f| !f.meters.is_empty());
        self.families.push(family);
    }

    /// Every meter covered, in order.
    pub fn meters(&self) -> Vec<String> {
        self.families
            .iter()
            .flat_map(|f| f.meters.iter().cloned())
            .collect()
    }

    /// The family reading a meter.
    pub fn family_of(&self, pdl: &str) -> Option<usize> {
        self.families
            .iter()
            .position(|f| f.meters.iter().any(|m| m == pdl))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn family(meters: &[&str]) -> TokenFamily {
        TokenFamily {
            proxy_url: "http://p".into(),
            client_id: "c".into(),
            access_token: "secret-access".into(),
            refresh_token: "secret-refresh".into(),
            expires_at: DateTime::from_timestamp(0, 0).unwrap(),
            meters: meters.iter().map(|m| m.to_string()).collect(),
            consent_expires_at: None,
        }
    }

    #[test]
    fn families_merge_and_the_file_is_private() {
        let mut f = TokenFile::default();
        f.add(family(&["1", "2"]));
        f.add(family(&["2", "3"]));
        assert_eq!(f.meters(), ["1", "2", "3"]);
        assert_eq!(f.family_of("2"), Some(1));
        assert!(
            !format!("{:?}", f).contains("secret"),
            "tokens stay out of debug output"
        );
        let dir = std::env::temp_dir().join(format!("linky-tokens-{}", std::process::id()));
        let path = dir.join("tokens.json");
        f.save(&path).unwrap();
        assert_eq!(TokenFile::load(&path).unwrap(), f);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        std::fs::write(&path, "{").unwrap();
        assert!(TokenFile::load(&path)
            .unwrap_err()
            .to_string()
            .contains("linky login"));
        assert_eq!(
            TokenFile::load(&dir.join("none.json")).unwrap(),
            TokenFile::default()
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Issue 14, bad input: binary garbage is "damaged" with the file named and what to do, and
    /// a file readable by others is made private again.
    #[test]
    fn garbage_is_named_and_a_shared_file_is_made_private() {
        let dir = std::env::temp_dir().join(format!("linky-tokens-bad-{}", std::process::id()));
        let path = dir.join("tokens.json");
        let mut f = TokenFile::default();
        f.add(family(&["1"]));
        f.save(&path).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            assert_eq!(TokenFile::load(&path).unwrap(), f);
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        std::fs::write(&path, [0xff, 0xfe, 0x00, 0x9c, 0x12]).unwrap();
        let e = TokenFile::load(&path).unwrap_err();
        let (en, fr) = (e.to_string(), e.localized(Lang::Fr));
        assert!(
            en.contains("tokens.json is damaged (not text)")
                && en.contains("run `linky login` again"),
            "{en}"
        );
        assert!(fr.contains("abîmé") && fr.contains("linky login"), "{fr}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
