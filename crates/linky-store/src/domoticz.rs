//! What was pushed to Domoticz: each device's idx, each row sent, and the server they belong
//! to (forgotten when the server changes).

use rusqlite::{params, OptionalExtension};

use crate::{Store, StoreError};

impl Store {
    /// The Domoticz device idx that holds a meter, if known.
    pub fn domoticz_device(&self, pdl: &str) -> Result<Option<i64>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT idx FROM domoticz_devices WHERE pdl = ?",
                [pdl],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Every remembered Domoticz device: key (PDL or `C / P` pair) and idx, with the number of
    /// rows pushed to it.
    pub fn domoticz_devices(&self) -> Result<Vec<(String, i64, u64)>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT d.pdl, d.idx, (SELECT COUNT(*) FROM domoticz_rows r WHERE r.device = d.idx) FROM domoticz_devices d ORDER BY d.pdl",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Remembers the Domoticz device of a meter (a new idx replaces the old one, whose pushed
    /// rows are forgotten: they belong to a device that is gone).
    pub fn set_domoticz_device(&mut self, pdl: &str, idx: i64) -> Result<(), StoreError> {
        let tx = self.conn.savepoint()?;
        let old: Option<i64> = tx
            .query_row(
                "SELECT idx FROM domoticz_devices WHERE pdl = ?",
                [pdl],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(old) = old.filter(|o| *o != idx) {
            tx.execute("DELETE FROM domoticz_rows WHERE device = ?", [old])?;
        }
        tx.execute(
            "INSERT OR REPLACE INTO domoticz_devices (pdl, idx) VALUES (?, ?)",
            params![pdl, idx],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Ties the Domoticz records to one server: when `server` differs from the one they were
    /// made with, the device mapping and the pushed rows are forgotten (idx numbers of another
    /// server name other devices). Returns whether they were.
    pub fn bind_domoticz_server(&mut self, server: &str) -> Result<bool, StoreError> {
        let tx = self.conn.savepoint()?;
        let known: Option<String> = tx
            .query_row(
                "SELECT value FROM state WHERE key = 'domoticz.server'",
                [],
                |r| r.get(0),
            )
            .optional()?;
        let changed = known.as_deref() != Some(server);
        if changed {
            tx.execute("DELETE FROM domoticz_devices", [])?;
            tx.execute("DELETE FROM domoticz_rows", [])?;
            tx.execute(
                "INSERT OR REPLACE INTO state (key, value) VALUES ('domoticz.server', ?)",
                [server],
            )?;
        }
        tx.commit()?;
        Ok(changed && known.is_some())
    }

    /// The `svalue` last pushed for each stamp of a Domoticz device.
    pub fn domoticz_rows(
        &self,
        device: i64,
    ) -> Result<std::collections::HashMap<String, String>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT stamp, svalue FROM domoticz_rows WHERE device = ?")?;
        let rows = stmt.query_map([device], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Records rows Domoticz accepted, in one transaction.
    pub fn record_domoticz_rows(
        &mut self,
        device: i64,
        rows: &[(String, String)],
    ) -> Result<(), StoreError> {
        let tx = self.conn.savepoint()?;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT OR REPLACE INTO domoticz_rows (device, stamp, svalue) VALUES (?, ?, ?)",
            )?;
            for (stamp, svalue) in rows {
                stmt.execute(params![device, stamp, svalue])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Forgets what was pushed to a device (after a row did not land, or for `push --all`).
    pub fn forget_domoticz_rows(
        &self,
        device: i64,
        stamps: Option<&[String]>,
    ) -> Result<(), StoreError> {
        match stamps {
            None => {
                self.conn
                    .execute("DELETE FROM domoticz_rows WHERE device = ?", [device])?;
            }
            Some(stamps) => {
                for s in stamps {
                    self.conn.execute(
                        "DELETE FROM domoticz_rows WHERE device = ? AND stamp = ?",
                        params![device, s],
                    )?;
                }
            }
        }
        Ok(())
    }
}
