-- Conclave hub schema, version 6: a link code may carry the user's connection keys for the new
-- device, sealed under a secret that is part of the code the user types but never sent here.
ALTER TABLE link_codes ADD COLUMN device_keys BLOB;
