//! `linky export`: stored energy as CSV or JSON, by hour, day, month or year.

use chrono::NaiveDate;
use linky_core::{paris, Clock, Lang};
use linky_store::Store;
use linky_web::costs::{add_costs, meter_tariff, Pricing};
use linky_web::export::{render, Format, Locale};
use linky_web::view::{energy_rows, Step};

use super::{CommandError, CommandResult, Message, Paths};
use crate::cli::{ExportArgs, FormatArg, LangArg, StepArg};
use crate::settings::Settings;

fn day(flag: &str, text: &str) -> Result<NaiveDate, CommandError> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| {
        CommandError::from(Message {
            fr: format!(
                "{flag} « {text} » n'est pas une date : écrivez AAAA-MM-JJ, par exemple 2026-03-29"
            ),
            en: format!("{flag} \"{text}\" is not a date: write YYYY-MM-DD, e.g. 2026-03-29"),
        })
    })
}

/// `linky export`.
pub fn run(
    args: &ExportArgs,
    settings: &Settings,
    paths: &Paths,
    clock: &dyn Clock,
) -> CommandResult {
    let (from, to) = (day("--from", &args.from)?, day("--to", &args.to)?);
    if from > to {
        return Err(CommandError::from(Message {
            fr: format!("--from {from} est après --to {to} : donnez d'abord le premier jour (--to est inclus)"),
            en: format!("--from {from} is after --to {to}: give the first day first (--to is included)"),
        }));
    }
    if let Some(out) = &args.output {
        // SQLite keeps `-wal` and `-shm` files beside the store: none of them may be replaced.
        let canonical = |p: &std::path::Path| std::fs::canonicalize(p).ok();
        let kept = [paths.store(), paths.tokens()];
        let is_kept = canonical(out).is_some_and(|o| {
            kept.iter()
                .filter_map(|k| canonical(k))
                .any(|k| o == k || o.to_string_lossy().starts_with(&*k.to_string_lossy()))
        });
        if is_kept {
            return Err(CommandError::from(Message {
                fr: format!("--output {} est un fichier de linky (données ou jetons) : choisissez un autre fichier", out.display()),
                en: format!("--output {} is one of linky's own files (data or tokens): choose another file", out.display()),
            }));
        }
    }
    let store = Store::open_checked(&paths.store())?;
    let meters = store.meters()?;
    let listed = || {
        meters
            .iter()
            .map(|m| m.pdl.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let meter = match &args.pdl {
        Some(pdl) => meters.iter().find(|m| m.pdl.as_str() == pdl.trim()).ok_or_else(|| {
            CommandError::from(Message {
                fr: format!("pas de compteur {pdl} dans le magasin (compteurs : {}) : vérifiez le numéro ou lancez `linky sync`", listed()),
                en: format!("no meter {pdl} in the store (meters: {}): check the number or run `linky sync`", listed()),
            })
        })?,
        None => match meters.as_slice() {
            [one] => one,
            [] => {
                return Err(CommandError::from(Message {
                    fr: "le magasin est vide : lancez `linky sync` d'abord".into(),
                    en: "the store is empty: run `linky sync` first".into(),
                }))
            }
            _ => {
                return Err(CommandError::from(Message {
                    fr: format!("plusieurs compteurs sont enregistrés ({}) : choisissez avec --pdl", listed()),
                    en: format!("several meters are stored ({}): choose one with --pdl", listed()),
                }))
            }
        },
    };
    let step = match args.step {
        StepArg::Hour => Step::Hour,
        StepArg::Day => Step::Day,
        StepArg::Month => Step::Month,
        StepArg::Year => Step::Year,
    };
    let today = paris::local_date(clock.now());
    // Only the days asked are read: a week costs a week, not the whole history.
    let end = (to + chrono::Duration::days(1)).min(today);
    let data = store.history_between(
        meter,
        &super::web::split_rules(settings)?,
        from.min(end),
        end,
    )?;
    let mut rows = energy_rows(&data, step, from, to);
    if let Some(tariff) = meter_tariff(&settings.typed()?.tariff, meter, &data) {
        let colours = store.day_colours()?;
        let pricing = Pricing {
            tariff: &tariff,
            colours: &colours,
        };
        add_costs(&mut rows, &data, step, &pricing);
    }
    let format = match args.format {
        FormatArg::Csv => Format::Csv,
        FormatArg::Json => Format::Json,
    };
    let locale = match args.locale {
        LangArg::Fr => Locale::Fr,
        LangArg::En => Locale::En,
    };
    if rows.is_empty() {
        crate::report::line_err(&match settings.language().unwrap_or(Lang::En) {
            Lang::Fr => format!(
                "linky : aucune donnée enregistrée du {from} au {to} pour {}",
                meter.pdl
            ),
            Lang::En => format!(
                "linky: no data stored from {from} to {to} for {}",
                meter.pdl
            ),
        });
    }
    let text = render(&rows, step, format, locale);
    match &args.output {
        None => Ok(text),
        Some(path) => {
            // Written beside, then renamed: an interrupted export never leaves half a file.
            let mut partial = path.as_os_str().to_owned();
            partial.push(".partial");
            std::fs::write(&partial, &text)
                .and_then(|()| std::fs::rename(&partial, path))
                .map_err(|e| {
                    CommandError::failed(Message {
                        fr: format!("impossible d'écrire {} : {e}", path.display()),
                        en: format!("cannot write {}: {e}", path.display()),
                    })
                })?;
            Ok(String::new())
        }
    }
}
