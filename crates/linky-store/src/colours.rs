//! Tempo colours and EJP signals (`day_colours`), and when each calendar was last asked.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use linky_core::tariff::{DayColours, EjpDay, TempoColour};

use crate::{Store, StoreError};

/// Which published calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColourCalendar {
    /// Tempo colours.
    Tempo,
    /// EJP mobile peak days.
    Ejp,
}

impl ColourCalendar {
    fn name(self) -> &'static str {
        match self {
            ColourCalendar::Tempo => "tempo",
            ColourCalendar::Ejp => "ejp",
        }
    }

    fn asked_key(self) -> &'static str {
        match self {
            ColourCalendar::Tempo => "colours.tempo.asked_at",
            ColourCalendar::Ejp => "colours.ejp.asked_at",
        }
    }
}

impl Store {
    /// Keeps published colours (a day published again replaces its row), in one transaction.
    pub fn put_day_colours(&mut self, colours: &DayColours) -> Result<(), StoreError> {
        let tx = self.conn.savepoint()?;
        {
            let mut put = tx.prepare_cached(
                "INSERT OR REPLACE INTO day_colours (calendar, day, colour) VALUES (?, ?, ?)",
            )?;
            for (day, colour) in &colours.tempo {
                put.execute(("tempo", day.to_string(), colour.name()))?;
            }
            for (day, signal) in &colours.ejp {
                put.execute(("ejp", day.to_string(), signal.name()))?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Every stored colour (a few hundred rows a year).
    pub fn day_colours(&self) -> Result<DayColours, StoreError> {
        let mut colours = DayColours::default();
        let mut rows = self
            .conn
            .prepare_cached("SELECT calendar, day, colour FROM day_colours")?;
        let mut rows = rows.query([])?;
        while let Some(row) = rows.next()? {
            let (calendar, day, colour): (String, String, String) =
                (row.get(0)?, row.get(1)?, row.get(2)?);
            let Ok(day) = day.parse::<NaiveDate>() else {
                continue;
            };
            match calendar.as_str() {
                "tempo" => {
                    if let Some(c) = TempoColour::named(&colour) {
                        colours.tempo.insert(day, c);
                    }
                }
                _ => {
                    if let Some(e) = EjpDay::named(&colour) {
                        colours.ejp.insert(day, e);
                    }
                }
            }
        }
        Ok(colours)
    }

    /// The last day of a calendar with a stored colour.
    pub fn last_colour_day(
        &self,
        calendar: ColourCalendar,
    ) -> Result<Option<NaiveDate>, StoreError> {
        let day: Option<String> = self.conn.query_row(
            "SELECT MAX(day) FROM day_colours WHERE calendar = ?",
            [calendar.name()],
            |r| r.get(0),
        )?;
        Ok(day.and_then(|d| d.parse().ok()))
    }

    /// When a calendar was last asked (successfully or not).
    pub fn colours_asked_at(
        &self,
        calendar: ColourCalendar,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        Ok(self
            .state(calendar.asked_key())?
            .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
            .map(|t| t.to_utc()))
    }

    /// Records that a calendar was asked at `at`.
    pub fn set_colours_asked_at(
        &self,
        calendar: ColourCalendar,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.set_state(
            calendar.asked_key(),
            &at.to_rfc3339_opts(SecondsFormat::Secs, true),
        )
    }
}
