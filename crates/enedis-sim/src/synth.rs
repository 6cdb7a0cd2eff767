//! Deterministic synthetic meter data: a household's consumption (night, morning and evening
//! peaks, weekends, winter heating, an off-peak water heater) and solar production by season
//! and hour. The same seed, meter and instant always give the same value, so any window can be
//! generated on demand and every call agrees with every other.
//!
//! Daily energy is the sum of the day's load curve (rounded to the Wh) and the daily peak is
//! at least the highest average power of the day, inside that point's interval: the three
//! resources are consistent by construction.

use std::collections::HashMap;
use std::f64::consts::PI;
use std::sync::Mutex;

use chrono::{Datelike, Duration, NaiveDate, Timelike, Weekday};
use linky_core::{paris, DailyEnergy, Direction, Energy, LoadCurvePoint, MaxPower};

use crate::catalog::{Holes, Meter, StepPlan};

/// SplitMix64: a tiny, well-mixed hash, enough for repeatable pseudo-random values.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// A repeatable value in `[0, 1)` for these inputs.
fn unit(seed: u64, a: u64, b: u64) -> f64 {
    (mix(seed ^ mix(a ^ mix(b))) >> 11) as f64 / (1u64 << 53) as f64
}

fn pdl_key(pdl: &str) -> u64 {
    pdl.bytes().fold(0u64, |h, b| mix(h ^ u64::from(b)))
}

/// What kind of household a meter is, drawn from its PDL.
#[derive(Debug, Clone, Copy)]
struct Household {
    scale: f64,
    heating_w: f64,
    water_heater_w: f64,
    solar_peak_w: f64,
}

impl Household {
    fn of(seed: u64, pdl: &str) -> Household {
        let k = pdl_key(pdl);
        Household {
            scale: 0.7 + 0.8 * unit(seed, k, 1),
            heating_w: 3000.0 * unit(seed, k, 2),
            water_heater_w: if unit(seed, k, 3) < 0.7 {
                1500.0 + 1000.0 * unit(seed, k, 4)
            } else {
                0.0
            },
            solar_peak_w: 2500.0 + 4000.0 * unit(seed, k, 5),
        }
    }
}

fn bump(hour: f64, centre: f64, width: f64) -> f64 {
    (-((hour - centre) / width).powi(2) / 2.0).exp()
}

/// The data source of the simulator.
#[derive(Debug)]
pub struct Synth {
    seed: u64,
    /// Day curves already drawn: the same days are asked again and again (a sync's windows, a
    /// benchmark's calls), and drawing one costs a few transcendental functions per point.
    drawn: Mutex<HashMap<DrawnKey, Drawn>>,
}

/// A drawn day: its meter, direction and date.
type DrawnKey = (&'static str, Direction, NaiveDate);

/// A drawn day curve, with what of its meter it was drawn for (two meters of the same number
/// in two catalogs must not share a curve).
#[derive(Debug)]
struct Drawn {
    meter: MeterShape,
    points: Vec<LoadCurvePoint>,
}

/// What a day curve depends on in a meter, besides its number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct MeterShape {
    consumption: bool,
    production: bool,
    holes: Holes,
    steps: StepPlan,
    self_consumption: bool,
}

impl MeterShape {
    fn of(meter: &Meter) -> MeterShape {
        MeterShape {
            consumption: meter.consumption,
            production: meter.production,
            holes: meter.holes,
            steps: meter.steps,
            self_consumption: meter.self_consumption,
        }
    }
}

/// Day curves kept at most (about 5 MB: two years of both directions of a meter fit); past it
/// the cache starts again empty.
const DRAWN_DAYS: usize = 4096;

impl Clone for Synth {
    fn clone(&self) -> Synth {
        Synth::new(self.seed)
    }
}

impl Synth {
    /// Data for this seed.
    pub fn new(seed: u64) -> Synth {
        Synth {
            seed,
            drawn: Mutex::new(HashMap::new()),
        }
    }

    fn consumption_w(&self, house: &Household, key: u64, point: &LoadCurvePoint) -> f64 {
        let local = paris::local(point.midpoint());
        let hour = f64::from(local.hour())
            + f64::from(local.minute()) / 60.0
            + f64::from(local.second()) / 3600.0;
        let day = f64::from(local.ordinal());
        let weekend = matches!(local.weekday(), Weekday::Sat | Weekday::Sun);
        // Heating peaks mid-January and stops from May to September.
        let season = (2.0 * PI * (day - 15.0) / 365.25).cos().max(0.0).powf(1.5);
        let presence = if weekend {
            0.4 + 0.6 * bump(hour, 13.0, 4.5)
        } else {
            0.3 + 0.7 * (bump(hour, 7.5, 1.2) + bump(hour, 20.0, 2.0)).min(1.0)
        };
        let heating = house.heating_w * season * (0.5 + 0.5 * presence);
        let appliances = 900.0 * bump(hour, 7.5, 0.9)
            + if weekend { 1000.0 } else { 350.0 } * bump(hour, 12.7, 1.0)
            + 1400.0 * bump(hour, 19.7, 1.6);
        let water = if !(1.0..23.0).contains(&hour) {
            house.water_heater_w
        } else {
            0.0
        };
        let base = 180.0;
        let noise = 0.75 + 0.5 * unit(self.seed, key, point.end.timestamp() as u64);
        (base + appliances + heating + water) * house.scale * noise
    }

    fn production_w(&self, house: &Household, key: u64, point: &LoadCurvePoint) -> f64 {
        let mid = point.midpoint();
        let day = f64::from(mid.ordinal());
        let utc_hour = f64::from(mid.hour()) + f64::from(mid.minute()) / 60.0;
        // Day length from 8 h (December) to 16 h (June); solar noon at 11:50 UTC in France.
        let length = 12.0 + 4.0 * (2.0 * PI * (day - 80.0) / 365.25).sin();
        let sunrise = 11.83 - length / 2.0;
        if utc_hour <= sunrise || utc_hour >= sunrise + length {
            return 0.0;
        }
        let elevation = (PI * (utc_hour - sunrise) / length).sin().powf(1.3);
        let season = 0.55 + 0.45 * (2.0 * PI * (day - 80.0) / 365.25).sin();
        let date_key = mid.date_naive().num_days_from_ce() as u64;
        let clouds = 0.25 + 0.75 * unit(self.seed, key ^ 0xC10D, date_key);
        let noise = 0.9 + 0.2 * unit(self.seed, key ^ 0x501A, mid.timestamp() as u64);
        house.solar_peak_w * elevation * season * clouds * noise
    }

    /// The raw curve of a Paris day, before publication and consent rules: every interval of the
    /// day at the meter's step(s), or nothing if the meter does not measure `direction` or the
    /// day is a hole.
    pub fn day_curve(
        &self,
        meter: &Meter,
        direction: Direction,
        date: NaiveDate,
    ) -> Vec<LoadCurvePoint> {
        let key = (meter.pdl, direction, date);
        let shape = MeterShape::of(meter);
        let mut drawn = self
            .drawn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(day) = drawn.get(&key).filter(|d| d.meter == shape) {
            return day.points.clone();
        }
        drop(drawn);
        let points = self.draw_day_curve(meter, direction, date);
        drawn = self
            .drawn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if drawn.len() >= DRAWN_DAYS {
            drawn.clear();
        }
        drawn.insert(
            key,
            Drawn {
                meter: shape,
                points: points.clone(),
            },
        );
        points
    }

    fn draw_day_curve(
        &self,
        meter: &Meter,
        direction: Direction,
        date: NaiveDate,
    ) -> Vec<LoadCurvePoint> {
        if !meter.measures(direction) || self.is_hole(meter, date) {
            return Vec::new();
        }
        let house = Household::of(self.seed, meter.pdl);
        let key = pdl_key(meter.pdl);
        let (start, end) = paris::day_bounds(date);
        let mut points = Vec::with_capacity(50);
        let mut t = start;
        while t < end {
            let step = meter.steps.at(paris::local(t));
            let mut point = LoadCurvePoint {
                end: t + step.duration(),
                step,
                watts: 0,
            };
            let consumption = self.consumption_w(&house, key, &point);
            let production = self.production_w(&house, key, &point);
            let watts = match (direction, meter.self_consumption) {
                (Direction::Consumption, false) => consumption,
                (Direction::Production, false) => production,
                (Direction::Consumption, true) => (consumption - production).max(0.0),
                (Direction::Production, true) => (production - consumption).max(0.0),
            };
            point.watts = watts.round() as u32;
            points.push(point);
            t = point.end;
        }
        points
    }

    fn is_hole(&self, meter: &Meter, date: NaiveDate) -> bool {
        match meter.holes {
            Holes::None => false,
            Holes::TuesdaysAndWednesdays => matches!(date.weekday(), Weekday::Tue | Weekday::Wed),
        }
    }

    /// The day's energy: the sum of its curve, rounded to the Wh.
    pub fn daily_energy(
        &self,
        meter: &Meter,
        direction: Direction,
        date: NaiveDate,
    ) -> Option<DailyEnergy> {
        let curve = self.day_curve(meter, direction, date);
        if curve.is_empty() {
            return None;
        }
        let total: Energy = curve.iter().map(LoadCurvePoint::energy).sum();
        Some(DailyEnergy {
            date,
            energy: Energy::from_wh(total.wh_rounded()),
        })
    }

    /// The day's peak apparent power: above the highest average of the day (an average hides
    /// its peaks; a power factor below 1 adds more), at a moment inside that interval.
    pub fn max_power(&self, meter: &Meter, date: NaiveDate) -> Option<MaxPower> {
        let curve = self.day_curve(meter, Direction::Consumption, date);
        let top = curve.iter().max_by_key(|p| p.watts)?;
        let key = pdl_key(meter.pdl) ^ 0x9EAC;
        let factor = 1.1 + 0.4 * unit(self.seed, key, date.num_days_from_ce() as u64);
        let offset = (unit(self.seed, key ^ 1, date.num_days_from_ce() as u64)
            * top.step.seconds() as f64) as i64;
        let at = paris::local(top.start() + Duration::seconds(offset.min(top.step.seconds() - 1)));
        Some(MaxPower {
            date,
            at,
            volt_amperes: (f64::from(top.watts) * factor).round() as u32,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{meter_by_pdl, METERS};

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn same_seed_same_data_other_seed_other_data() {
        let m = meter_by_pdl("22516914714270").unwrap();
        let d = date(2025, 1, 15);
        let a = Synth::new(1).day_curve(m, Direction::Consumption, d);
        assert_eq!(a, Synth::new(1).day_curve(m, Direction::Consumption, d));
        assert_ne!(a, Synth::new(2).day_curve(m, Direction::Consumption, d));
        assert_eq!(a.len(), 48);
    }

    #[test]
    fn a_drawn_day_is_drawn_once_for_its_meter_only() {
        let m = meter_by_pdl("22516914714270").unwrap();
        let d = date(2025, 1, 15);
        let s = Synth::new(3);
        let first = s.day_curve(m, Direction::Consumption, d);
        assert_eq!(first, s.day_curve(m, Direction::Consumption, d));
        assert_eq!(first, s.draw_day_curve(m, Direction::Consumption, d));
        // The same number with hourly steps (another catalog's meter): its own curve.
        let hourly = Meter {
            steps: StepPlan::Fixed(linky_core::Step::from_minutes(60).unwrap()),
            ..*m
        };
        let other = s.day_curve(&hourly, Direction::Consumption, d);
        assert_eq!(other.len(), 24);
        assert_eq!(other, s.draw_day_curve(&hourly, Direction::Consumption, d));
        assert_eq!(first, s.day_curve(m, Direction::Consumption, d));
    }

    #[test]
    fn dst_days_have_46_and_50_half_hours() {
        let m = meter_by_pdl("22516914714270").unwrap();
        let s = Synth::new(7);
        assert_eq!(
            s.day_curve(m, Direction::Consumption, date(2025, 3, 30))
                .len(),
            46
        );
        assert_eq!(
            s.day_curve(m, Direction::Consumption, date(2025, 10, 26))
                .len(),
            50
        );
        let hourly = meter_by_pdl("99000000000060").unwrap();
        assert_eq!(
            s.day_curve(hourly, Direction::Consumption, date(2025, 10, 26))
                .len(),
            25
        );
    }

    #[test]
    fn profile_is_realistic() {
        let s = Synth::new(42);
        let m = meter_by_pdl("12345678901234").unwrap();
        let winter = s
            .daily_energy(m, Direction::Consumption, date(2025, 1, 15))
            .unwrap()
            .energy;
        let summer = s
            .daily_energy(m, Direction::Consumption, date(2025, 7, 15))
            .unwrap()
            .energy;
        assert!(winter > summer, "heating: {winter} vs {summer}");
        assert!(
            summer.wh() > 2_000.0 && winter.wh() < 120_000.0,
            "{summer} {winter}"
        );
        let p = meter_by_pdl("10284856584123").unwrap();
        let june = s.day_curve(p, Direction::Production, date(2025, 6, 21));
        let night: u32 = june
            .iter()
            .filter(|pt| paris::local(pt.end).hour() < 5)
            .map(|pt| pt.watts)
            .sum();
        assert_eq!(night, 0, "no sun at night");
        let noon = june
            .iter()
            .filter(|pt| (12..15).contains(&paris::local(pt.end).hour()))
            .map(|pt| pt.watts)
            .max()
            .unwrap();
        assert!(noon > 500, "sun at noon: {noon}");
        let dec = s
            .daily_energy(p, Direction::Production, date(2025, 12, 21))
            .map_or(0.0, |d| d.energy.wh());
        let jun = s
            .daily_energy(p, Direction::Production, date(2025, 6, 21))
            .unwrap()
            .energy
            .wh();
        assert!(jun > dec);
    }

    #[test]
    fn daily_energy_and_max_power_agree_with_the_curve() {
        let s = Synth::new(3);
        for m in &METERS {
            for d in [
                date(2025, 3, 30),
                date(2025, 6, 15),
                date(2025, 10, 26),
                date(2026, 1, 6),
            ] {
                for dir in Direction::ALL {
                    let curve = s.day_curve(m, dir, d);
                    let daily = s.daily_energy(m, dir, d);
                    assert_eq!(curve.is_empty(), daily.is_none());
                    if let Some(daily) = daily {
                        let sum: Energy = curve.iter().map(LoadCurvePoint::energy).sum();
                        assert!((sum.wh() - daily.energy.wh()).abs() <= 0.5, "{} {d}", m.pdl);
                    }
                }
                if let Some(max) = s.max_power(m, d) {
                    let curve = s.day_curve(m, Direction::Consumption, d);
                    let top = curve.iter().map(|p| p.watts).max().unwrap();
                    assert!(max.volt_amperes >= top);
                    assert_eq!(max.date, d);
                    assert_eq!(max.at.date(), d, "peak inside the day");
                }
            }
        }
    }

    #[test]
    fn self_consumption_reports_one_side_per_slot() {
        let s = Synth::new(9);
        let m = meter_by_pdl("12655648759651").unwrap();
        let d = date(2025, 6, 21);
        let c = s.day_curve(m, Direction::Consumption, d);
        let p = s.day_curve(m, Direction::Production, d);
        assert_eq!(c.len(), p.len());
        assert!(c.iter().zip(&p).all(|(a, b)| a.watts == 0 || b.watts == 0));
        assert!(p.iter().any(|x| x.watts > 0) && c.iter().any(|x| x.watts > 0));
    }

    #[test]
    fn holes_and_step_change() {
        let s = Synth::new(1);
        let holes = meter_by_pdl("42900589957123").unwrap();
        assert!(
            s.day_curve(holes, Direction::Consumption, date(2025, 6, 17))
                .is_empty(),
            "Tuesday"
        );
        assert!(
            s.day_curve(holes, Direction::Consumption, date(2025, 6, 18))
                .is_empty(),
            "Wednesday"
        );
        assert_eq!(
            s.day_curve(holes, Direction::Consumption, date(2025, 6, 19))
                .len(),
            48
        );
        let change = meter_by_pdl("99000000000099").unwrap();
        let day = s.day_curve(change, Direction::Consumption, date(2025, 6, 15));
        assert_eq!(day.len(), 24 + 72, "12 h at PT30M then 12 h at PT10M");
    }
}
