//! The schedule parser: a real tokenizer, then a small state machine.
//!
//! It reads every example of the original's README exactly as the original did. Where the
//! original silently misread input (a minute-less end swallowing the next number, `week-end` read
//! as Wednesday, `public holiday` switching to production, consecutive day names, unknown words
//! resetting the day...), this parser either gives the obvious meaning or stops with an error
//! naming the token and its position. It never guesses silently.

use std::fmt;

use crate::{Direction, Lang, Localized, UsagePoint};

use super::{DayRules, OffPeakSchedule, ScopeRules, TimeRange, DAY_MINUTES};

/// A schedule that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// What is wrong.
    pub kind: ParseErrorKind,
    /// 1-based character position of the offending token in the input.
    pub position: usize,
    /// The offending token, as written.
    pub token: String,
}

/// What is wrong with a schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseErrorKind {
    /// A word that is not part of the language.
    UnknownWord,
    /// `we` could be Wednesday or the week-end.
    AmbiguousWe,
    /// `hp`: peak hours are whatever is not off-peak; they cannot be listed.
    PeakHours,
    /// A number that is neither a time nor a 14-digit meter number.
    NotAMeter,
    /// An hour above 24, or 24 with minutes, or 24 as a start.
    BadHour,
    /// Minutes above 59, or more than two digits.
    BadMinutes,
    /// A time with no other time after it to make a range.
    MissingRangeEnd,
    /// Two times with no `-`, `à` or `to` between them.
    MissingRangeSeparator,
    /// A range that starts where it ends.
    EmptyRange,
    /// A range across midnight under a weekday or bank-holiday section.
    MidnightUnderDay,
    /// `du`/`from`/`jour`/`bank`/`public` or a day-range connector not followed by what it needs.
    Dangling,
    /// A day section with no range, directly followed by `P`.
    DayBeforeProduction,
    /// `P` twice in the same scope.
    ProductionTwice,
    /// `aucune`/`none` after ranges of the same section.
    NoneAfterRanges,
    /// A character that has no place in a schedule.
    UnexpectedCharacter,
    /// A lone `-` or `_` that joins nothing.
    StraySeparator,
}

impl ParseError {
    fn new(kind: ParseErrorKind, token: &Token) -> ParseError {
        ParseError {
            kind,
            position: token.position,
            token: token.text.clone(),
        }
    }

    fn describe(&self, lang: Lang) -> String {
        use ParseErrorKind::*;
        let t = &self.token;
        match (lang, &self.kind) {
            (Lang::En, UnknownWord) => format!("unknown word \"{t}\"; expected a time range (22h00-6h00), a day (lundi, sat...), a bank-holiday word (férié, holiday), P for production or a 14-digit meter number"),
            (Lang::Fr, UnknownWord) => format!("mot inconnu « {t} » ; attendu une plage horaire (22h00-6h00), un jour (lundi, sat...), un mot pour les jours fériés (férié, holiday), P pour la production ou un numéro de compteur à 14 chiffres"),
            (Lang::En, AmbiguousWe) => "\"we\" is ambiguous: write \"wed\" for Wednesday or \"weekend\" for Saturday and Sunday".to_owned(),
            (Lang::Fr, AmbiguousWe) => "« we » est ambigu : écrivez « mercredi » (ou « wed ») ou « week-end » (samedi et dimanche)".to_owned(),
            (Lang::En, PeakHours) => format!("\"{t}\": peak hours cannot be listed; list only the off-peak ranges, every other time is peak"),
            (Lang::Fr, PeakHours) => format!("« {t} » : les heures pleines ne se déclarent pas ; indiquez seulement les plages d'heures creuses, le reste est en heures pleines"),
            (Lang::En, NotAMeter) => format!("\"{t}\" is neither a time (write 8h00 or 8:00) nor a meter number (PDL: exactly 14 digits)"),
            (Lang::Fr, NotAMeter) => format!("« {t} » n'est ni une heure (écrivez 8h00 ou 8:00) ni un numéro de compteur (PDL : exactement 14 chiffres)"),
            (Lang::En, BadHour) => format!("\"{t}\" is not a valid hour: hours go from 0 to 23, and 24h00 may only end a range"),
            (Lang::Fr, BadHour) => format!("« {t} » n'est pas une heure valide : les heures vont de 0 à 23, et 24h00 ne peut que terminer une plage"),
            (Lang::En, BadMinutes) => format!("\"{t}\" has invalid minutes: write one or two digits from 00 to 59"),
            (Lang::Fr, BadMinutes) => format!("« {t} » a des minutes invalides : un ou deux chiffres de 00 à 59"),
            (Lang::En, MissingRangeEnd) => format!("the range starting at \"{t}\" has no end; write it like 22h00-6h00"),
            (Lang::Fr, MissingRangeEnd) => format!("la plage commençant à « {t} » n'a pas de fin ; écrivez-la comme 22h00-6h00"),
            (Lang::En, MissingRangeSeparator) => format!("\"{t}\" follows a time without a range separator; write ranges like 22h30-6h30 (with -, à or to), minutes right after the h"),
            (Lang::Fr, MissingRangeSeparator) => format!("« {t} » suit une heure sans séparateur de plage ; écrivez les plages comme 22h30-6h30 (avec -, à ou to), les minutes collées au h"),
            (Lang::En, EmptyRange) => format!("the range \"{t}\" starts where it ends, so it covers nothing; for the whole day write 0h00-24h00"),
            (Lang::Fr, EmptyRange) => format!("la plage « {t} » commence où elle finit et ne couvre rien ; pour toute la journée écrivez 0h00-24h00"),
            (Lang::En, MidnightUnderDay) => format!("the range \"{t}\" crosses midnight inside a day section, so it is unclear which day its morning part belongs to; split it, e.g. \"vendredi 22h00-24h00 samedi 0h00-6h00\""),
            (Lang::Fr, MidnightUnderDay) => format!("la plage « {t} » passe minuit dans une section de jour : on ne sait pas à quel jour appartient la partie du matin ; coupez-la, par exemple « vendredi 22h00-24h00 samedi 0h00-6h00 »"),
            (Lang::En, Dangling) => format!("\"{t}\" is not followed by what it needs (a day after du/from/au/to, férié after jour, holiday after bank/public)"),
            (Lang::Fr, Dangling) => format!("« {t} » n'est pas suivi de ce qu'il faut (un jour après du/from/au/to, férié après jour, holiday après bank/public)"),
            (Lang::En, DayBeforeProduction) => format!("the day section \"{t}\" has no range before P; to give production ranges for that day write \"P {t} 8h00-9h00\", for no off-peak that day write \"{t} aucune P ...\""),
            (Lang::Fr, DayBeforeProduction) => format!("la section de jour « {t} » n'a pas de plage avant P ; pour des plages de production ce jour-là écrivez « P {t} 8h00-9h00 », pour aucune heure creuse ce jour-là « {t} aucune P ... »"),
            (Lang::En, ProductionTwice) => "P appears twice for the same scope; give all production ranges after one P".to_owned(),
            (Lang::Fr, ProductionTwice) => "P apparaît deux fois pour la même portée ; donnez toutes les plages de production après un seul P".to_owned(),
            (Lang::En, NoneAfterRanges) => format!("\"{t}\": \"aucune\"/\"none\" and ranges in the same section contradict each other; keep one or the other"),
            (Lang::Fr, NoneAfterRanges) => format!("« {t} » : « aucune » et des plages dans la même section se contredisent ; gardez l'un ou l'autre"),
            (Lang::En, UnexpectedCharacter) => format!("the character \"{t}\" has no meaning in a schedule"),
            (Lang::Fr, UnexpectedCharacter) => format!("le caractère « {t} » n'a pas de sens dans des heures creuses"),
            (Lang::En, StraySeparator) => format!("\"{t}\" joins nothing: it must stand between two times (22h00-6h00) or two days (lundi-vendredi)"),
            (Lang::Fr, StraySeparator) => format!("« {t} » ne relie rien : il doit se trouver entre deux heures (22h00-6h00) ou deux jours (lundi-vendredi)"),
        }
    }
}

impl Localized for ParseError {
    fn localized(&self, lang: Lang) -> String {
        match lang {
            Lang::En => format!(
                "off-peak schedule, position {}: {}",
                self.position,
                self.describe(lang)
            ),
            Lang::Fr => format!(
                "heures creuses, position {} : {}",
                self.position,
                self.describe(lang)
            ),
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.localized(Lang::En))
    }
}

impl std::error::Error for ParseError {}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    /// Minutes since midnight (1440 for 24h00).
    Time(u16),
    Number,
    /// Lower-case, accents folded.
    Word(String),
    /// `-`, `--`, `_`.
    Dash,
    /// `,` `;` `(` `)` `:` `/` `.`: separators with no meaning of their own.
    Punct,
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    position: usize,
    text: String,
}

fn fold(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    for c in word.chars().flat_map(char::to_lowercase) {
        match c {
            'é' | 'è' | 'ê' | 'ë' => out.push('e'),
            'à' | 'â' | 'ä' => out.push('a'),
            'î' | 'ï' => out.push('i'),
            'ô' | 'ö' => out.push('o'),
            'ù' | 'û' | 'ü' => out.push('u'),
            'ç' => out.push('c'),
            '’' => out.push('\''),
            c => out.push(c),
        }
    }
    out
}

fn tokenize(input: &str) -> Result<Vec<Token>, ParseError> {
    let chars: Vec<char> = input.chars().collect();
    let text = |a: usize, b: usize| chars[a..b].iter().collect::<String>();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_digit() {
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            let digits_end = i;
            let mut j = i;
            while j < chars.len() && chars[j].is_whitespace() {
                j += 1;
            }
            let marker = chars.get(j).copied();
            let after_marker = chars.get(j + 1).copied();
            // `22 h` is a time, but `12345678901234 holiday` is a meter and a word: a spaced
            // `h` counts only when no letter follows it.
            let spaced = j > digits_end;
            let is_h = matches!(marker, Some('h' | 'H'))
                && !(spaced && after_marker.is_some_and(char::is_alphabetic));
            let is_colon = marker == Some(':') && after_marker.is_some_and(|c| c.is_ascii_digit());
            if is_h || is_colon {
                i = j + 1;
                let minutes_start = i;
                while i < chars.len() && chars[i].is_ascii_digit() {
                    i += 1;
                }
                let token_text = text(start, i);
                let bad = |kind| ParseError {
                    kind,
                    position: start + 1,
                    token: token_text.clone(),
                };
                let hour_digits = text(start, digits_end);
                let hour: u16 = match hour_digits.parse() {
                    Ok(h) if hour_digits.len() <= 2 && h <= 24 => h,
                    _ => return Err(bad(ParseErrorKind::BadHour)),
                };
                let minute_digits = text(minutes_start, i);
                let minute: u16 = if minute_digits.is_empty() {
                    0
                } else {
                    match minute_digits.parse() {
                        Ok(m) if minute_digits.len() <= 2 && m <= 59 => m,
                        _ => return Err(bad(ParseErrorKind::BadMinutes)),
                    }
                };
                if hour == 24 && minute != 0 {
                    return Err(bad(ParseErrorKind::BadHour));
                }
                tokens.push(Token {
                    tok: Tok::Time(hour * 60 + minute),
                    position: start + 1,
                    text: token_text,
                });
            } else {
                tokens.push(Token {
                    tok: Tok::Number,
                    position: start + 1,
                    text: text(start, digits_end),
                });
            }
        } else if c.is_alphabetic() {
            while i < chars.len()
                && (chars[i].is_alphabetic()
                    || (matches!(chars[i], '-' | '\'' | '’')
                        && chars.get(i + 1).is_some_and(|n| n.is_alphabetic())))
            {
                i += 1;
            }
            let raw = text(start, i);
            let folded = fold(&raw);
            if folded.contains('-') && !matches!(folded.as_str(), "week-end" | "week-ends") {
                // `lundi-vendredi`: two words and a dash.
                let mut offset = start;
                for (n, part) in raw.split('-').enumerate() {
                    if n > 0 {
                        tokens.push(Token {
                            tok: Tok::Dash,
                            position: offset + 1,
                            text: "-".into(),
                        });
                        offset += 1;
                    }
                    tokens.push(Token {
                        tok: Tok::Word(fold(part)),
                        position: offset + 1,
                        text: part.to_owned(),
                    });
                    offset += part.chars().count();
                }
            } else {
                tokens.push(Token {
                    tok: Tok::Word(folded),
                    position: start + 1,
                    text: raw,
                });
            }
        } else if matches!(c, '-' | '_' | '–' | '—') {
            while i < chars.len() && matches!(chars[i], '-' | '_' | '–' | '—') {
                i += 1;
            }
            tokens.push(Token {
                tok: Tok::Dash,
                position: start + 1,
                text: text(start, i),
            });
        } else if matches!(c, ',' | ';' | '(' | ')' | ':' | '/' | '.') {
            i += 1;
            tokens.push(Token {
                tok: Tok::Punct,
                position: start + 1,
                text: c.to_string(),
            });
        } else {
            return Err(ParseError {
                kind: ParseErrorKind::UnexpectedCharacter,
                position: start + 1,
                token: c.to_string(),
            });
        }
    }
    Ok(tokens)
}

/// What a word means.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Meaning {
    /// A set of weekdays (bit 0 = Monday).
    Days(u8),
    Holiday,
    Production,
    NoOffPeak,
    /// Joins ranges or days: `et`, `and`, `hc`.
    Filler,
    /// `du`, `from`: a day must follow.
    DayRangeStart,
    /// `au`, `a`, `to`: between two days (or two times).
    Connector,
    /// `jour`, `jours`: `férié` must follow.
    Jour,
    /// `bank`, `public`: `holiday` must follow.
    HolidayAdjective,
    Peak,
    AmbiguousWe,
}

const DAY_NAMES: [(&str, u8); 14] = [
    ("lundi", 0),
    ("monday", 0),
    ("mardi", 1),
    ("tuesday", 1),
    ("mercredi", 2),
    ("wednesday", 2),
    ("jeudi", 3),
    ("thursday", 3),
    ("vendredi", 4),
    ("friday", 4),
    ("samedi", 5),
    ("saturday", 5),
    ("dimanche", 6),
    ("sunday", 6),
];
const WEEKEND: u8 = 0b110_0000;
const WORKDAYS: u8 = 0b001_1111;

fn weekday_of(word: &str) -> Option<u8> {
    if let Some(stem) = word.strip_suffix('s') {
        if let Some((_, d)) = DAY_NAMES.iter().find(|(n, _)| *n == stem) {
            return Some(*d);
        }
    }
    if word.len() < 2 {
        return None;
    }
    let mut found = DAY_NAMES
        .iter()
        .filter(|(n, _)| n.starts_with(word))
        .map(|(_, d)| *d);
    let first = found.next()?;
    found.all(|d| d == first).then_some(first)
}

fn meaning(word: &str) -> Option<Meaning> {
    use Meaning::*;
    Some(match word {
        "we" => AmbiguousWe,
        "week-end" | "week-ends" | "weekend" | "weekends" => Days(WEEKEND),
        "semaine" | "weekday" | "weekdays" => Days(WORKDAYS),
        "fe" | "fer" | "feri" | "ferie" | "feries" | "ba" | "holiday" | "holidays" => Holiday,
        "p" | "prod" | "production" => Production,
        "aucune" | "aucun" | "none" | "rien" => NoOffPeak,
        "et" | "and" | "hc" => Filler,
        "du" | "from" => DayRangeStart,
        "au" | "a" | "to" => Connector,
        "jour" | "jours" => Jour,
        "bank" | "public" => HolidayAdjective,
        "hp" => Peak,
        w => Days(1 << weekday_of(w)?),
    })
}

/// Days from `from` to `to` inclusive, wrapping past Sunday.
fn day_span(from: u8, to: u8) -> u8 {
    let mut set = 0u8;
    let mut d = from;
    loop {
        set |= 1 << d;
        if d == to {
            return set;
        }
        d = (d + 1) % 7;
    }
}

/// Which days the ranges being read apply to.
#[derive(Debug, Clone)]
enum Section {
    EveryDay {
        ranges: usize,
    },
    Days {
        weekdays: u8,
        holiday: bool,
        ranges: usize,
        closed: bool,
        head: Token,
    },
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
    schedule: OffPeakSchedule,
    meter: Option<UsagePoint>,
    direction: Direction,
    section: Section,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.at).cloned();
        self.at += 1;
        t
    }

    fn peek_meaning(&self) -> Option<Meaning> {
        match &self.peek()?.tok {
            Tok::Word(w) => meaning(w),
            _ => None,
        }
    }

    fn scope(&mut self) -> &mut ScopeRules {
        match &self.meter {
            Some(m) => self.schedule.meters.entry(m.clone()).or_default(),
            None => &mut self.schedule.global,
        }
    }

    fn rules(&mut self) -> &mut DayRules {
        let direction = self.direction;
        let scope = self.scope();
        match direction {
            Direction::Consumption => &mut scope.consumption,
            Direction::Production => scope.production.get_or_insert_with(DayRules::default),
        }
    }

    fn run(mut self) -> Result<OffPeakSchedule, ParseError> {
        while let Some(token) = self.next() {
            match token.tok.clone() {
                Tok::Punct => {}
                Tok::Dash => return Err(ParseError::new(ParseErrorKind::StraySeparator, &token)),
                Tok::Number => self.meter_scope(&token)?,
                Tok::Time(start) => self.range(start, &token)?,
                Tok::Word(w) => self.word(&w, &token)?,
            }
        }
        Ok(self.schedule)
    }

    fn meter_scope(&mut self, token: &Token) -> Result<(), ParseError> {
        let meter: UsagePoint = token
            .text
            .parse()
            .map_err(|_| ParseError::new(ParseErrorKind::NotAMeter, token))?;
        self.meter = Some(meter);
        self.direction = Direction::Consumption;
        self.section = Section::EveryDay { ranges: 0 };
        self.scope();
        Ok(())
    }

    fn word(&mut self, word: &str, token: &Token) -> Result<(), ParseError> {
        use Meaning::*;
        let err = |kind| Err(ParseError::new(kind, token));
        match meaning(word) {
            None => err(ParseErrorKind::UnknownWord),
            Some(AmbiguousWe) => err(ParseErrorKind::AmbiguousWe),
            Some(Peak) => err(ParseErrorKind::PeakHours),
            Some(Filler) => Ok(()),
            Some(Connector) => err(ParseErrorKind::Dangling),
            Some(DayRangeStart) => match self.peek_meaning() {
                Some(Days(d)) if d.count_ones() == 1 => Ok(()),
                _ => err(ParseErrorKind::Dangling),
            },
            Some(Jour) => match self.peek_meaning() {
                Some(Holiday) => {
                    let next = self.next().unwrap_or_else(|| token.clone());
                    self.day_head(0, true, token.clone(), &next)
                }
                _ => err(ParseErrorKind::Dangling),
            },
            Some(HolidayAdjective) => match &self.peek().map(|t| &t.tok) {
                Some(Tok::Word(w)) if w == "holiday" || w == "holidays" => {
                    let next = self.next().unwrap_or_else(|| token.clone());
                    self.day_head(0, true, token.clone(), &next)
                }
                _ => err(ParseErrorKind::Dangling),
            },
            Some(Holiday) => self.day_head(0, true, token.clone(), token),
            Some(Days(mut days)) => {
                // `lundi au vendredi`, `monday to friday`, `lundi-vendredi`.
                let connector = match self.peek().map(|t| &t.tok) {
                    Some(Tok::Dash) => true,
                    Some(Tok::Word(w)) => meaning(w) == Some(Connector),
                    _ => false,
                };
                let mut last = token.clone();
                if connector && days.count_ones() == 1 {
                    let connector_token = self.next().unwrap_or_else(|| token.clone());
                    match self.next() {
                        Some(Token {
                            tok: Tok::Word(w), ..
                        }) if weekday_of(&w).is_some() => {
                            let to = weekday_of(&w).unwrap_or(0);
                            days = day_span(days.trailing_zeros() as u8, to);
                            last = self.tokens[self.at - 1].clone();
                        }
                        _ => {
                            return Err(ParseError::new(ParseErrorKind::Dangling, &connector_token))
                        }
                    }
                }
                self.day_head(days, false, token.clone(), &last)
            }
            Some(Production) => {
                if let Section::Days {
                    ranges: 0,
                    closed: false,
                    head,
                    ..
                } = &self.section
                {
                    return Err(ParseError::new(ParseErrorKind::DayBeforeProduction, head));
                }
                if self.direction == Direction::Production {
                    return err(ParseErrorKind::ProductionTwice);
                }
                self.direction = Direction::Production;
                self.section = Section::EveryDay { ranges: 0 };
                self.rules();
                Ok(())
            }
            Some(NoOffPeak) => match &mut self.section {
                Section::EveryDay { ranges: 0 } => Ok(()),
                Section::Days {
                    ranges: 0, closed, ..
                } => {
                    *closed = true;
                    Ok(())
                }
                _ => err(ParseErrorKind::NoneAfterRanges),
            },
        }
    }

    /// Starts a day section, or extends the one being named (`samedi et dimanche`).
    fn day_head(
        &mut self,
        days: u8,
        holiday: bool,
        first: Token,
        last: &Token,
    ) -> Result<(), ParseError> {
        let extend = matches!(
            self.section,
            Section::Days {
                ranges: 0,
                closed: false,
                ..
            }
        );
        match &mut self.section {
            Section::Days {
                weekdays,
                holiday: h,
                head,
                ..
            } if extend => {
                *weekdays |= days;
                *h |= holiday;
                head.text = format!("{} {}", head.text, last.text);
            }
            section => {
                let mut head = first;
                if last.position != head.position {
                    head.text = format!("{} {}", head.text, last.text);
                }
                *section = Section::Days {
                    weekdays: days,
                    holiday,
                    ranges: 0,
                    closed: false,
                    head,
                };
            }
        }
        // A named day with no range means "no off-peak that day": create its list now.
        let rules = self.rules();
        for d in 0..7 {
            if days & (1 << d) != 0 {
                rules.weekdays[d].get_or_insert_with(Vec::new);
            }
        }
        if holiday {
            rules.holidays.get_or_insert_with(Vec::new);
        }
        Ok(())
    }

    fn range(&mut self, start: u16, start_token: &Token) -> Result<(), ParseError> {
        if start == DAY_MINUTES {
            return Err(ParseError::new(ParseErrorKind::BadHour, start_token));
        }
        let separator = match self.next() {
            Some(t) => t,
            None => {
                return Err(ParseError::new(
                    ParseErrorKind::MissingRangeEnd,
                    start_token,
                ))
            }
        };
        let is_separator = match &separator.tok {
            Tok::Dash => true,
            Tok::Word(w) => matches!(w.as_str(), "a" | "to" | "au"),
            _ => false,
        };
        if !is_separator {
            return Err(ParseError::new(
                ParseErrorKind::MissingRangeSeparator,
                &separator,
            ));
        }
        let end = match self.next() {
            // `23h-0h` ends at midnight: it does not cross it.
            Some(Token {
                tok: Tok::Time(0), ..
            }) if start > 0 => DAY_MINUTES,
            Some(Token {
                tok: Tok::Time(end),
                ..
            }) => end,
            _ => {
                return Err(ParseError::new(
                    ParseErrorKind::MissingRangeEnd,
                    start_token,
                ))
            }
        };
        let end_token = &self.tokens[self.at - 1];
        let whole = Token {
            tok: Tok::Punct,
            position: start_token.position,
            text: format!("{}{}{}", start_token.text, separator.text, end_token.text),
        };
        let pieces: Vec<TimeRange> = match TimeRange::new(start, end) {
            Some(r) => vec![r],
            None if start == end => {
                return Err(ParseError::new(ParseErrorKind::EmptyRange, &whole))
            }
            None => {
                if matches!(self.section, Section::Days { .. }) {
                    return Err(ParseError::new(ParseErrorKind::MidnightUnderDay, &whole));
                }
                [TimeRange::new(start, DAY_MINUTES), TimeRange::new(0, end)]
                    .into_iter()
                    .flatten()
                    .collect()
            }
        };
        if let Section::Days { closed: true, .. } = self.section {
            return Err(ParseError::new(ParseErrorKind::NoneAfterRanges, &whole));
        }
        let section = self.section.clone();
        let rules = self.rules();
        match section {
            Section::EveryDay { .. } => rules.every_day.extend(&pieces),
            Section::Days {
                weekdays, holiday, ..
            } => {
                for d in 0..7 {
                    if weekdays & (1 << d) != 0 {
                        rules.weekdays[d]
                            .get_or_insert_with(Vec::new)
                            .extend(&pieces);
                    }
                }
                if holiday {
                    rules.holidays.get_or_insert_with(Vec::new).extend(&pieces);
                }
            }
        }
        match &mut self.section {
            Section::EveryDay { ranges } | Section::Days { ranges, .. } => *ranges += 1,
        }
        Ok(())
    }
}

pub(super) fn parse(text: &str) -> Result<OffPeakSchedule, ParseError> {
    let parser = Parser {
        tokens: tokenize(text)?,
        at: 0,
        schedule: OffPeakSchedule::default(),
        meter: None,
        direction: Direction::Consumption,
        section: Section::EveryDay { ranges: 0 },
    };
    parser.run()
}
