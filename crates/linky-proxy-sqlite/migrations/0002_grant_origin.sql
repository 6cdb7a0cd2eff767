-- Where a device code was asked from, shown on the confirmation page (RFC 8628 §5.4).
ALTER TABLE grants ADD COLUMN client_address TEXT;
