//! Consent proxies known by name, so a person types `--proxy domoticzlinky` instead of an address
//! and a client id found in someone else's source code.

/// A consent proxy someone runs for the public.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProxyProfile {
    /// The name given to `--proxy`.
    pub name: &'static str,
    /// Its address.
    pub url: &'static str,
    /// The device client id it expects.
    pub client_id: &'static str,
    /// Who runs it and what it sees, in French.
    pub about_fr: &'static str,
    /// The same in English.
    pub about_en: &'static str,
}

/// The original DomoticzLinky plugin's proxy (`shared/reference/enedis.md` §6.3, seed-spec §2.1).
pub const DOMOTICZLINKY: ProxyProfile = ProxyProfile {
    name: "domoticzlinky",
    url: "https://enedis.domoticz.russandol.pro",
    client_id: "d198fd52-61c0-4b77-8725-06a1ef90da9f",
    about_fr: "Proxy du plugin DomoticzLinky, tenu bénévolement par son auteur (russandol). Il détient le secret de l'application Enedis du plugin, voit passer vos identifiants de compteur et toutes vos mesures, et partage le quota d'Enedis entre tous ses utilisateurs. Il n'a pas de révocation : pour retirer votre accord, faites-le dans votre espace client Enedis.",
    about_en: "The DomoticzLinky plugin's proxy, run on a voluntary basis by its author (russandol). It holds the plugin's Enedis application secret, sees your meter numbers and every measurement, and shares Enedis's quota among all its users. It has no revocation: to withdraw your consent, do it in your Enedis customer area.",
};

/// Every named proxy.
pub const ALL: [ProxyProfile; 1] = [DOMOTICZLINKY];

/// The profile called `name` (case does not matter).
pub fn named(name: &str) -> Option<ProxyProfile> {
    ALL.into_iter()
        .find(|p| p.name.eq_ignore_ascii_case(name.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_original_proxy_is_known_by_name() {
        let p = named("DomoticzLinky").unwrap();
        assert_eq!(p.url, "https://enedis.domoticz.russandol.pro");
        assert_eq!(p.client_id, "d198fd52-61c0-4b77-8725-06a1ef90da9f");
        assert!(named("https://proxy.example.org").is_none());
    }
}
