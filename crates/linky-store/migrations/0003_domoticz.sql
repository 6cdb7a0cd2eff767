-- What was pushed to Domoticz, per device and row stamp: a push sends only rows that are new
-- or changed, and `linky domoticz push --all` clears it to rewrite everything.
CREATE TABLE domoticz_rows (
    device INTEGER NOT NULL,
    stamp TEXT NOT NULL,
    svalue TEXT NOT NULL,
    PRIMARY KEY (device, stamp)
) WITHOUT ROWID;

-- Which Domoticz device (idx) holds which meter; found again by name or DeviceID if lost.
CREATE TABLE domoticz_devices (
    pdl TEXT PRIMARY KEY,
    idx INTEGER NOT NULL
) WITHOUT ROWID;
