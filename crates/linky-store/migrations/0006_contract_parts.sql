-- Each part of a contract is read on its own (one Enedis call each on the 2026 API): when each
-- was last read. A contract read whole before counts as every part read then.
ALTER TABLE meters ADD COLUMN offpeak_read_at INTEGER;
ALTER TABLE meters ADD COLUMN activation_read_at INTEGER;
ALTER TABLE meters ADD COLUMN power_read_at INTEGER;
UPDATE meters
   SET offpeak_read_at = contract_read_at,
       activation_read_at = contract_read_at,
       power_read_at = contract_read_at
 WHERE contract_read_at IS NOT NULL;
