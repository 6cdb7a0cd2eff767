//! `linky offpeak check` and `linky offpeak show`.

use std::fmt::Write;

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime};
use linky_core::holidays::{holidays, HolidayZone};
use linky_core::offpeak::{Classifier, OffPeakSchedule};
use linky_core::{paris, Clock, Direction, Lang, UsagePoint};

use super::{CommandError, CommandResult, InputError};
use crate::cli::{CheckArgs, ScheduleArgs, ShowArgs};

/// The schedule, meter, direction and holiday zone a command works with.
struct Selection {
    schedule: OffPeakSchedule,
    meter: Option<UsagePoint>,
    direction: Direction,
    zone: HolidayZone,
}

impl Selection {
    fn from_args(args: &ScheduleArgs) -> Result<Selection, CommandError> {
        let schedule = OffPeakSchedule::parse(&args.schedule)?;
        let meter = match &args.pdl {
            Some(p) => Some(p.parse::<UsagePoint>()?),
            None => None,
        };
        Ok(Selection {
            schedule,
            meter,
            direction: if args.production {
                Direction::Production
            } else {
                Direction::Consumption
            },
            zone: if args.alsace_moselle {
                HolidayZone::AlsaceMoselle
            } else {
                HolidayZone::Metropole
            },
        })
    }

    fn classifier(&self) -> Classifier<'_> {
        Classifier::new(
            &self.schedule,
            self.meter.as_ref(),
            self.direction,
            self.zone,
        )
    }
}

/// Parses `YYYY-MM-DDTHH:MM` exactly.
fn parse_instant(text: &str) -> Result<NaiveDateTime, InputError> {
    let well_formed = text.len() == 16 && text.as_bytes()[10] == b'T';
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M")
        .ok()
        .filter(|_| well_formed)
        .ok_or_else(|| InputError::Instant(text.to_owned()))
}

/// `linky offpeak check`: one line per instant, `<instant as given> HC|HP`.
pub fn check(args: &CheckArgs) -> CommandResult {
    let selection = Selection::from_args(&args.schedule)?;
    let instants = args
        .instants
        .iter()
        .map(|text| parse_instant(text).map(|t| (text, t)))
        .collect::<Result<Vec<_>, _>>()?;
    let classifier = selection.classifier();
    let mut out = String::new();
    for (text, instant) in instants {
        let class = if classifier.is_offpeak_at(instant) {
            "HC"
        } else {
            "HP"
        };
        let _ = writeln!(out, "{text} {class}");
    }
    Ok(out)
}

const FR_DAYS: [&str; 7] = ["lun", "mar", "mer", "jeu", "ven", "sam", "dim"];
const EN_DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// `linky offpeak show`: a grid of days × half-hours.
pub fn show(args: &ShowArgs, clock: &dyn Clock, lang: Option<Lang>) -> CommandResult {
    let selection = Selection::from_args(&args.schedule)?;
    let from = match &args.from {
        Some(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map_err(|_| InputError::Date(text.clone()))?,
        None => paris::local_date(clock.now()),
    };
    let classifier = selection.classifier();
    let fr = lang != Some(Lang::En);
    let en = lang != Some(Lang::Fr);
    let mut out = String::new();

    let meter = selection.meter.as_ref().map_or_else(
        || match lang {
            Some(Lang::En) => "any meter".to_owned(),
            Some(Lang::Fr) => "tout compteur".to_owned(),
            None => "tout compteur / any meter".to_owned(),
        },
        ToString::to_string,
    );
    let direction = match (selection.direction, lang) {
        (Direction::Consumption, Some(Lang::En)) => "consumption",
        (Direction::Consumption, Some(Lang::Fr)) => "consommation",
        (Direction::Consumption, None) => "consommation / consumption",
        (Direction::Production, Some(Lang::Fr)) => "production",
        (Direction::Production, _) => "production",
    };
    if fr {
        let _ = writeln!(
            out,
            "Heures creuses comprises : {}",
            shown(&selection.schedule)
        );
    }
    if en {
        let _ = writeln!(
            out,
            "Off-peak hours understood as: {}",
            shown(&selection.schedule)
        );
    }
    let _ = writeln!(out, "{meter}, {direction}");
    if fr {
        let _ = writeln!(
            out,
            "# = heures creuses (HC), . = heures pleines (HP), une case par demi-heure"
        );
    }
    if en {
        let _ = writeln!(
            out,
            "# = off-peak (HC), . = peak (HP), one cell per half hour"
        );
    }
    let label_width = 15;
    let mut header = " ".repeat(label_width);
    for hour in (0..24).step_by(3) {
        let _ = write!(header, "{hour:<6}");
    }
    let _ = writeln!(out, "{}", header.trim_end());

    let mut year_holidays = Vec::new();
    for offset in 0..i64::from(args.days) {
        let Some(day) = from.checked_add_signed(Duration::days(offset)) else {
            break;
        };
        if year_holidays.first().is_none_or(|(y, _)| *y != day.year()) {
            year_holidays = vec![(day.year(), holidays(day.year(), selection.zone))];
        }
        let weekday = day.weekday().num_days_from_monday() as usize;
        let name = if fr {
            FR_DAYS[weekday]
        } else {
            EN_DAYS[weekday]
        };
        let mut line = format!("{name} {day} ");
        for half_hour in 0..48u32 {
            // The middle of each half hour decides, as for a half-hour load-curve point.
            let minute_of_day = half_hour * 30 + 15;
            let time = NaiveTime::from_hms_opt(minute_of_day / 60, minute_of_day % 60, 0)
                .unwrap_or(NaiveTime::MIN);
            line.push(if classifier.is_offpeak_at(day.and_time(time)) {
                '#'
            } else {
                '.'
            });
        }
        if let Some(h) = year_holidays[0].1.iter().find(|h| h.date == day) {
            let _ = write!(line, "  {}", if fr { h.name } else { h.name_en });
            if fr && en {
                let _ = write!(line, " / {}", h.name_en);
            }
        }
        let hours = paris::day_hours(day);
        if hours != 24 {
            let _ = write!(
                line,
                "  ({hours} h{})",
                match (fr, en) {
                    (true, true) => " : changement d'heure / daylight-saving change",
                    (true, false) => " : changement d'heure",
                    _ => ": daylight-saving change",
                }
            );
        }
        let _ = writeln!(out, "{line}");
    }
    Ok(out)
}

fn shown(schedule: &OffPeakSchedule) -> String {
    let text = schedule.to_string();
    if text.is_empty() {
        "aucune / none".to_owned()
    } else {
        text
    }
}
