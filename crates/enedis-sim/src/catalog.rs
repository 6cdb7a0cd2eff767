//! The meters and customers the simulator knows: the nine Enedis sandbox customers with their
//! documented behaviours (shared/reference/enedis.md §5), and meters of our own for cases the
//! sandbox lacks (other steps, a step change, late data).

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use linky_core::{Direction, Step};

/// Which days have no data at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holes {
    /// Complete data.
    None,
    /// Every Tuesday and Wednesday is missing (sandbox customer 4).
    TuesdaysAndWednesdays,
}

/// The load-curve step of a meter over time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepPlan {
    /// One step for ever.
    Fixed(Step),
    /// `before` until the Paris wall-clock instant `at`, then `after`.
    Change {
        /// Step before the change.
        before: Step,
        /// Step from the change on.
        after: Step,
        /// Paris time of the change (on a whole hour).
        at: NaiveDateTime,
    },
}

impl StepPlan {
    /// The step of the interval starting at Paris time `start`.
    pub fn at(self, start: NaiveDateTime) -> Step {
        match self {
            StepPlan::Fixed(s) => s,
            StepPlan::Change { before, after, at } => {
                if start < at {
                    before
                } else {
                    after
                }
            }
        }
    }
}

/// A simulated meter (usage point).
#[derive(Debug, Clone, Copy)]
pub struct Meter {
    /// The 14-digit PDL.
    pub pdl: &'static str,
    /// The customer (0–8: the sandbox ones; 10 and up: ours).
    pub customer: u8,
    /// Whether it measures consumption.
    pub consumption: bool,
    /// Whether it measures production.
    pub production: bool,
    /// Last activation date: nothing may be asked before it (`ADAM-ERR0123`).
    pub activation: NaiveDate,
    /// Whether load-curve collection is enabled (otherwise curve calls give 404).
    pub load_curve: bool,
    /// Days without data.
    pub holes: Holes,
    /// Load-curve steps.
    pub steps: StepPlan,
    /// Days after D that D's data appears (1 normally, 2 for a late meter), at the
    /// publication hour.
    pub publication_delay_days: u8,
    /// Self-consumption: each slot reports the bigger flow net of the smaller, the other 0.
    pub self_consumption: bool,
    /// The contract's off-peak hours, in the Enedis form.
    pub offpeak_hours: &'static str,
    /// Subscribed power in kVA.
    pub subscribed_kva: u8,
    /// What the meter is for, shown on the consent page.
    pub description: &'static str,
}

impl Meter {
    /// Whether the meter measures `direction`.
    pub fn measures(&self, direction: Direction) -> bool {
        match direction {
            Direction::Consumption => self.consumption,
            Direction::Production => self.production,
        }
    }
}

/// A simulated customer.
#[derive(Debug, Clone, Copy)]
pub struct Customer {
    /// The number (sandbox 0–8; ours from 10).
    pub id: u8,
    /// Enedis' customer id.
    pub customer_id: &'static str,
    /// Fictitious identity.
    pub title: &'static str,
    /// Fictitious first name.
    pub firstname: &'static str,
    /// Fictitious last name.
    pub lastname: &'static str,
    /// Whether the customer revokes consent at once (sandbox customer 8).
    pub revokes_consent: bool,
}

const ROLL_OUT: NaiveDate = match NaiveDate::from_ymd_opt(2015, 12, 1) {
    Some(d) => d,
    None => panic!("valid date"),
};
const CUSTOMER_1_ACTIVATION: NaiveDate = match NaiveDate::from_ymd_opt(2019, 8, 27) {
    Some(d) => d,
    None => panic!("valid date"),
};
const OURS_ACTIVATION: NaiveDate = match NaiveDate::from_ymd_opt(2020, 1, 1) {
    Some(d) => d,
    None => panic!("valid date"),
};
const STEP_CHANGE_AT: NaiveDateTime = match NaiveDate::from_ymd_opt(2025, 6, 15) {
    Some(d) => NaiveDateTime::new(
        d,
        match NaiveTime::from_hms_opt(12, 0, 0) {
            Some(t) => t,
            None => panic!("valid time"),
        },
    ),
    None => panic!("valid date"),
};

const fn step(minutes: u16) -> Step {
    match minutes {
        10 => Step::ALL[1],
        15 => Step::ALL[2],
        60 => Step::ALL[4],
        _ => Step::PT30M,
    }
}

const fn meter(pdl: &'static str, customer: u8, description: &'static str) -> Meter {
    Meter {
        pdl,
        customer,
        consumption: true,
        production: false,
        activation: ROLL_OUT,
        load_curve: true,
        holes: Holes::None,
        steps: StepPlan::Fixed(Step::PT30M),
        publication_delay_days: 1,
        self_consumption: false,
        offpeak_hours: "HC (22H30-6H30)",
        subscribed_kva: 9,
        description,
    }
}

/// Every meter.
pub const METERS: [Meter; 17] = [
    meter("22516914714270", 0, "consommation, données complètes / consumption, complete data"),
    Meter { activation: CUSTOMER_1_ACTIVATION, ..meter("11453290002823", 1, "consommation, mis en service le 2019-08-27 / consumption, in service since 2019-08-27") },
    Meter { load_curve: false, offpeak_hours: "HC (1H30-8H00;12H30-14H00)", ..meter("32320647321714", 2, "consommation, courbe de charge non activée / consumption, load curve not enabled") },
    meter("12345678901234", 3, "consommation / consumption"),
    Meter { consumption: false, production: true, ..meter("10284856584123", 3, "production") },
    Meter { holes: Holes::TuesdaysAndWednesdays, ..meter("42900589957123", 4, "consommation, trous les mardis et mercredis / consumption, holes on Tuesdays and Wednesdays") },
    Meter { consumption: false, production: true, ..meter("24880057139941", 5, "production seule / production only") },
    Meter { production: true, self_consumption: true, ..meter("12655648759651", 6, "autoconsommation / self-consumption") },
    meter("64975835695673", 7, "consommation 1/3 / consumption 1/3"),
    Meter { offpeak_hours: "HC (22H00-6H00)", subscribed_kva: 6, ..meter("63695879465986", 7, "consommation 2/3 / consumption 2/3") },
    Meter { offpeak_hours: "HC (23H30-7H30)", subscribed_kva: 12, ..meter("22315546958763", 7, "consommation 3/3 / consumption 3/3") },
    meter("26584978546985", 8, "consentement révoqué aussitôt / consent revoked at once"),
    Meter { activation: OURS_ACTIVATION, steps: StepPlan::Fixed(step(10)), ..meter("99000000000010", 10, "pas de 10 min / 10-minute step") },
    Meter { activation: OURS_ACTIVATION, steps: StepPlan::Fixed(step(15)), ..meter("99000000000015", 11, "pas de 15 min / 15-minute step") },
    Meter { activation: OURS_ACTIVATION, steps: StepPlan::Fixed(step(60)), ..meter("99000000000060", 12, "pas de 60 min / 60-minute step") },
    Meter {
        activation: OURS_ACTIVATION,
        steps: StepPlan::Change { before: Step::PT30M, after: step(10), at: STEP_CHANGE_AT },
        ..meter("99000000000099", 13, "pas de 30 min puis 10 min le 2025-06-15 à 12h / 30-minute step, then 10 minutes from 2025-06-15 12:00")
    },
    Meter { activation: OURS_ACTIVATION, publication_delay_days: 2, ..meter("99000000000042", 14, "données de la veille publiées un jour plus tard / yesterday's data published a day late") },
];

/// Every customer.
pub const CUSTOMERS: [Customer; 14] = [
    customer(0, "1358019310", "Mme", "Camille", "Martin"),
    customer(1, "1358019311", "M.", "Louis", "Bernard"),
    customer(2, "1358019312", "Mme", "Chloé", "Dubois"),
    customer(3, "1358019313", "M.", "Hugo", "Thomas"),
    customer(4, "1358019314", "Mme", "Léa", "Robert"),
    customer(5, "1358019315", "M.", "Jules", "Richard"),
    customer(6, "1358019316", "Mme", "Manon", "Petit"),
    customer(7, "1358019317", "M.", "Gabriel", "Durand"),
    Customer {
        revokes_consent: true,
        ..customer(8, "1358019318", "Mme", "Inès", "Leroy")
    },
    customer(10, "1358019320", "M.", "Arthur", "Moreau"),
    customer(11, "1358019321", "Mme", "Jade", "Simon"),
    customer(12, "1358019322", "M.", "Léo", "Laurent"),
    customer(13, "1358019323", "Mme", "Alice", "Lefebvre"),
    customer(14, "1358019324", "M.", "Raphaël", "Michel"),
];

const fn customer(
    id: u8,
    customer_id: &'static str,
    title: &'static str,
    firstname: &'static str,
    lastname: &'static str,
) -> Customer {
    Customer {
        id,
        customer_id,
        title,
        firstname,
        lastname,
        revokes_consent: false,
    }
}

/// The meter with this PDL.
pub fn meter_by_pdl(pdl: &str) -> Option<&'static Meter> {
    METERS.iter().find(|m| m.pdl == pdl)
}

/// The customer with this number.
pub fn customer_by_id(id: u8) -> Option<&'static Customer> {
    CUSTOMERS.iter().find(|c| c.id == id)
}

/// The meters of a customer.
pub fn meters_of(customer: u8) -> impl Iterator<Item = &'static Meter> {
    METERS.iter().filter(move |m| m.customer == customer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_is_consistent() {
        for m in &METERS {
            assert_eq!(m.pdl.len(), 14, "{}", m.pdl);
            assert!(m.pdl.bytes().all(|b| b.is_ascii_digit()));
            assert!(customer_by_id(m.customer).is_some(), "{}", m.pdl);
            assert!(m.consumption || m.production);
            assert_eq!(METERS.iter().filter(|o| o.pdl == m.pdl).count(), 1);
            linky_core::offpeak::OffPeakSchedule::from_enedis_contract(m.offpeak_hours).unwrap();
        }
        for c in &CUSTOMERS {
            assert!(meters_of(c.id).count() >= 1, "customer {}", c.id);
        }
        assert_eq!(meters_of(7).count(), 3);
        assert_eq!(meters_of(3).filter(|m| m.production).count(), 1);
    }
}
