//! The packed form of a day's load-curve points: a version byte, then 9 bytes per point:
//! seconds from the day's start to the point's end (u32, little-endian), the step in minutes
//! (u8) and the average power in W (u32, little-endian).

use chrono::{DateTime, Utc};
use linky_core::{LoadCurvePoint, Step};

use crate::StoreError;

const VERSION: u8 = 1;
const POINT: usize = 9;

/// Packs points that all end within the day starting at `day_start`.
pub fn encode(day_start: DateTime<Utc>, points: &[LoadCurvePoint]) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + POINT * points.len());
    out.push(VERSION);
    for p in points {
        let offset = u32::try_from((p.end - day_start).num_seconds()).unwrap_or(0);
        out.extend_from_slice(&offset.to_le_bytes());
        out.push(p.step.minutes() as u8);
        out.extend_from_slice(&p.watts.to_le_bytes());
    }
    out
}

/// Unpacks a day's points.
pub fn decode(
    day_start: DateTime<Utc>,
    bytes: &[u8],
    out: &mut Vec<LoadCurvePoint>,
) -> Result<(), StoreError> {
    let corrupt = || StoreError::Corrupt("packed load-curve points".to_owned());
    let (&version, body) = bytes.split_first().ok_or_else(corrupt)?;
    if version != VERSION || body.len() % POINT != 0 {
        return Err(corrupt());
    }
    out.reserve(body.len() / POINT);
    // Integer seconds rather than chrono's checked arithmetic: this runs for every point read.
    let base = day_start.timestamp();
    for chunk in body.chunks_exact(POINT) {
        let offset = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        let step = Step::from_minutes(u16::from(chunk[4])).ok_or_else(corrupt)?;
        let watts = u32::from_le_bytes([chunk[5], chunk[6], chunk[7], chunk[8]]);
        out.push(LoadCurvePoint {
            end: DateTime::from_timestamp(base + i64::from(offset), 0).ok_or_else(corrupt)?,
            step,
            watts,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    #[test]
    fn round_trip_and_corruption() {
        let start = Utc.with_ymd_and_hms(2025, 10, 25, 22, 0, 0).unwrap();
        let points: Vec<LoadCurvePoint> = (1..=50)
            .map(|i| LoadCurvePoint {
                end: start + Duration::minutes(30 * i),
                step: Step::PT30M,
                watts: 100 * i as u32,
            })
            .collect();
        let packed = encode(start, &points);
        assert_eq!(packed.len(), 1 + 9 * 50);
        let mut back = Vec::new();
        decode(start, &packed, &mut back).unwrap();
        assert_eq!(back, points);
        assert!(decode(start, &packed[..20], &mut Vec::new()).is_err());
        assert!(decode(start, &[], &mut Vec::new()).is_err());
        let mut bad = packed.clone();
        bad[5] = 7; // not a step Enedis uses
        assert!(decode(start, &bad, &mut Vec::new()).is_err());
    }
}
