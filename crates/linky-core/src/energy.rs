//! Exact energy arithmetic.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Sub};

/// An amount of energy, held exactly as an integer number of joules (watt-seconds).
///
/// Load-curve points are average powers in whole watts over whole-second intervals, so every
/// point, and every slice of a point cut at an hour boundary, is a whole number of joules: sums
/// over hours, days and years are exact and can be compared with `==`. Convert to Wh or kWh only
/// when showing or sending a value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Energy {
    joules: i64,
}

impl Energy {
    /// No energy.
    pub const ZERO: Energy = Energy { joules: 0 };

    /// From joules (watt-seconds).
    pub const fn from_joules(joules: i64) -> Energy {
        Energy { joules }
    }

    /// From watt-hours, as Enedis gives daily totals.
    pub const fn from_wh(wh: i64) -> Energy {
        Energy { joules: wh * 3600 }
    }

    /// Energy of an average power held for a duration.
    pub const fn from_power(watts: i64, seconds: i64) -> Energy {
        Energy {
            joules: watts * seconds,
        }
    }

    /// Joules (watt-seconds).
    pub const fn joules(self) -> i64 {
        self.joules
    }

    /// Watt-hours, possibly fractional (a PT10M point at 1 W is 1/6 Wh).
    pub fn wh(self) -> f64 {
        self.joules as f64 / 3600.0
    }

    /// Watt-hours rounded to the nearest integer, halves away from zero.
    pub fn wh_rounded(self) -> i64 {
        let q = self.joules / 3600;
        let r = self.joules % 3600;
        if r * 2 >= 3600 {
            q + 1
        } else if r * 2 <= -3600 {
            q - 1
        } else {
            q
        }
    }
}

impl Add for Energy {
    type Output = Energy;
    fn add(self, rhs: Energy) -> Energy {
        Energy {
            joules: self.joules + rhs.joules,
        }
    }
}

impl AddAssign for Energy {
    fn add_assign(&mut self, rhs: Energy) {
        self.joules += rhs.joules;
    }
}

impl Sub for Energy {
    type Output = Energy;
    fn sub(self, rhs: Energy) -> Energy {
        Energy {
            joules: self.joules - rhs.joules,
        }
    }
}

impl Sum for Energy {
    fn sum<I: Iterator<Item = Energy>>(iter: I) -> Energy {
        iter.fold(Energy::ZERO, Add::add)
    }
}

impl fmt::Display for Energy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.3} Wh", self.wh())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_hour_point_is_half_its_power_in_wh() {
        // 752 W over PT30M = 376 Wh (the first recorded Enedis point of 2023-04-01).
        assert_eq!(Energy::from_power(752, 1800).wh(), 376.0);
        assert_eq!(Energy::from_power(1, 600).wh_rounded(), 0);
        assert_eq!(Energy::from_power(3, 600).wh_rounded(), 1); // 0.5 Wh rounds up
        assert_eq!(Energy::from_wh(11776).joules(), 11776 * 3600);
        assert_eq!(Energy::from_joules(-5400).wh_rounded(), -2);
    }
}
